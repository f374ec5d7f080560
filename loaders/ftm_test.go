package loaders

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

func TestFTM(t *testing.T) {
	f, err := os.Open("testdata/ftm/sample.ftm.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ReadFTM(f, "testdata/ftm/sample.ftm.json", Options{SourceURL: "https://data.example/ftm"})
	if err != nil {
		t.Fatal(err)
	}
	if d.EditionDate != graph.MustDate("2025-01-08") || !strings.HasPrefix(d.Edition, "2025-01-08-") {
		t.Errorf("edition %q %s", d.Edition, d.EditionDate)
	}
	s := seededStore(t)
	p := load(t, s, d)
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "ftm") {
		t.Errorf("smic not merged: %+v", p.Merged)
	}
	var lei bool
	for _, x := range smic.ExternalIDs {
		lei = lei || x.Scheme == "lei"
	}
	if !lei {
		t.Errorf("no lei: %+v", smic.ExternalIDs)
	}
	own := relation(t, s, "smic--invests-in--semiconductor-manufacturing-international-beijing-corporation")
	if st, ok := own.Prop("stake"); !ok || st.Value != "100" || own.ValidFrom != graph.MustDate("2002") {
		t.Errorf("ownership %+v", own)
	}
	rels, _ := s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.Targets}, To: "smic"})
	found := false
	for _, r := range rels {
		if hasOrigin(r.Origins, "ftm") && r.ValidFrom == graph.MustDate("2020-12-22") {
			found = true
		}
	}
	if !found {
		t.Errorf("no ftm sanction of smic: %+v", rels)
	}
	rels, _ = s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.PartnersWith}, From: "smic"})
	if len(rels) == 0 || !strings.Contains(rels[len(rels)-1].Note, "UnknownLink") {
		t.Errorf("UnknownLink: %+v", rels)
	} else if r := rels[len(rels)-1]; r.ValidFrom != graph.MustDate("2025-01-08") || !r.FirstReported {
		// No startDate: first reported in the edition.
		t.Errorf("UnknownLink validFrom %s, firstReported %v; want 2025-01-08, true", r.ValidFrom, r.FirstReported)
	}
	if own.FirstReported {
		t.Error("ownership with a startDate marked firstReported")
	}
	if d.Skipped["Person entities"] != 1 || d.Skipped["directorships (no person kind or board relation)"] != 1 {
		t.Errorf("skipped %v", d.Skipped)
	}
}

func TestFTMBadInput(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"syntax", `{"id": "a", "schema": "Company",}` + "\n", []string{"x.json:1:", "invalid JSON"}},
		{"second line", `{"id": "a", "schema": "Company"}` + "\n" + `{"id": 5}` + "\n", []string{"x.json:2:", "id"}},
		{"no schema", `{"id": "a"}`, []string{"x.json:1:1", "schema"}},
		{"truncated", `{"id": "a", "schema": "Comp`, []string{"x.json:1:", "invalid JSON"}},
		{"latin1", "{\"id\": \"a\", \"schema\": \"Company\", \"caption\": \"Soci\xe9t\xe9\"}\n", []string{"x.json:1:", "UTF-8"}},
		{"huge line", `{"id": "` + strings.Repeat("a", 3<<20) + `"}`, []string{"x.json:1:1", "over the limit"}},
		{"bad url", `{"id": "a", "schema": "Company", "caption": "A"}`, []string{"source-url"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{}
			if c.name == "bad url" {
				opt.SourceURL = "nope"
			}
			_, err := ReadFTM(strings.NewReader(c.in), "x.json", opt)
			wantLoadError(t, err, c.want...)
		})
	}
	// BOM and blank lines are fine.
	if _, err := ReadFTM(strings.NewReader("\xef\xbb\xbf{\"id\": \"a\", \"schema\": \"Company\", \"caption\": \"A\"}\n\n"), "x.json", Options{}); err != nil {
		t.Error(err)
	}
}

func FuzzFTM(f *testing.F) {
	if b, err := os.ReadFile("testdata/ftm/sample.ftm.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x","schema":"Ownership","properties":{"owner":[{"id":"y"}],"asset":["x"],"percentage":["1e2"]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ReadFTM(strings.NewReader(string(in)), "f.json", Options{MaxRecordBytes: 4096, Edition: "2026-01-01"})
		if err != nil {
			if graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), "f.json") {
				t.Fatalf("error without file or not INVALID: %v", err)
			}
			return
		}
		// Restored chipgraph records carry their own origins (often none)
		// and are validated when applied.
		restored := slices.ContainsFunc(d.Entities, func(e graph.Entity) bool { return len(e.Origins) == 0 }) ||
			slices.ContainsFunc(d.Relations, func(r DatasetRelation) bool { return len(r.Origins) == 0 }) ||
			slices.ContainsFunc(d.Sources, func(so graph.Source) bool { return !datasetOfSource(so.Key, "ftm") })
		if !restored {
			checkDataset(t, d)
		}
	})
}

// Lines carrying chipgraph's own record are restored as they are; plain
// FtM lines of the same file are mapped and may link to restored entities.
func TestFTMChipgraphRecords(t *testing.T) {
	const restored = `{"id":"acme","schema":"Company","properties":{"name":["ACME"]},"chipgraph":{"id":"acme","kind":"COMPANY","name":"ACME","aliases":["Acme Corp"],"country":"US","sources":["acme-site"]}}
{"id":"rel.acme--partners-with--beta--2020","schema":"UnknownLink","properties":{"subject":["acme"],"object":["beta"]},"chipgraph":{"id":"acme--partners-with--beta--2020","type":"PARTNERS_WITH","from":"acme","to":"beta","status":"reported","sources":["acme-site"]}}
{"id":"beta","schema":"Company","chipgraph":{"id":"beta","kind":"COMPANY","name":"Beta","sources":["acme-site"]}}
{"id":"src.acme-site","schema":"Document","properties":{"title":["ACME"]},"chipgraph":{"key":"acme-site","title":"ACME","url":"https://acme.example/","publisher":"ACME","published":"2024"}}
`
	d, err := ReadFTM(strings.NewReader(restored), "x.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sources) != 1 || d.Sources[0].Key != "acme-site" || !d.EditionDate.IsZero() {
		t.Errorf("sources %+v, edition date %s", d.Sources, d.EditionDate)
	}
	if len(d.Entities) != 2 || d.Entities[0].ID != "acme" || len(d.Entities[0].Origins) != 0 || len(d.Relations) != 1 || d.Relations[0].ID != "acme--partners-with--beta--2020" {
		t.Errorf("entities %+v, relations %+v", d.Entities, d.Relations)
	}
	s := newTestStore(t)
	load(t, s, d)
	if e := entity(t, s, "acme"); e.Name != "ACME" || e.Country != "US" || len(e.Aliases) != 1 || len(e.ExternalIDs) != 0 {
		t.Errorf("acme %+v", e)
	}
	relation(t, s, "acme--partners-with--beta--2020")

	// Mixed with plain FtM lines.
	mixed := restored + `{"id":"gamma","schema":"Company","properties":{"name":["Gamma Ltd"]}}
{"id":"l1","schema":"UnknownLink","properties":{"subject":["gamma"],"object":["acme"]}}
`
	d, err = ReadFTM(strings.NewReader(mixed), "x.json", Options{Edition: "2025-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sources) != 2 || d.Sources[0].Key != "ds-ftm-2025-01-01" || d.Sources[1].Key != "acme-site" {
		t.Errorf("sources %+v", d.Sources)
	}
	if len(d.Entities) != 3 || len(d.Relations) != 2 {
		t.Fatalf("entities %+v, relations %+v", d.Entities, d.Relations)
	}
	if r := d.Relations[1]; r.To != "acme" || r.Type != graph.PartnersWith || !hasOrigin(r.Origins, "ftm") {
		t.Errorf("mapped link %+v", r)
	}
	load(t, newTestStore(t), d)

	// A record must be the one its line names.
	for _, in := range []string{
		`{"id":"acme","schema":"Company","chipgraph":{"id":"other","kind":"COMPANY","name":"X"}}`,
		`{"id":"rel.a","schema":"UnknownLink","chipgraph":{"id":"b","type":"PARTNERS_WITH","from":"x","to":"y"}}`,
		`{"id":"src.a","schema":"Document","chipgraph":{"key":"b"}}`,
		`{"id":"acme","schema":"Company","chipgraph":{"id":"acme","kind":"COMPANY","name":"X","bogus":1}}`,
	} {
		_, err := ReadFTM(strings.NewReader(in), "x.json", Options{})
		wantLoadError(t, err, "x.json:1:1", "chipgraph")
	}
}

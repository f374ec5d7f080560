package loaders

import (
	"context"
	"os"
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
		checkDataset(t, d)
	})
}

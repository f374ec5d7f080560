package loaders

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

func readDoD(t testing.TB, path string) *Dataset {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ReadDoD1260H(f, path, Options{})
	if err != nil {
		t.Fatalf("ReadDoD1260H: %v", err)
	}
	return d
}

func TestDoD1260HShared(t *testing.T) {
	dir := sharedDatasets(t, "us-dod-1260h")
	d := readDoD(t, filepath.Join(dir, "chinese_military_companies.csv"))
	if d.Edition != "2026-06-08" {
		t.Errorf("edition = %q", d.Edition)
	}
	if !strings.HasPrefix(d.Sources[0].URL, "https://media.defense.gov/2026/") {
		t.Errorf("source URL = %q", d.Sources[0].URL)
	}
	s := seededStore(t)
	p := load(t, s, d)
	if len(p.Likely) == 0 {
		t.Error("no likely matches reported")
	}
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "dod1260h") || !slices.Contains(smic.Sources, d.Sources[0].Key) {
		t.Errorf("smic not merged: %+v", smic)
	}
	if len(smic.Sources) < 2 {
		t.Errorf("smic lost its curated sources: %v", smic.Sources)
	}
	// One node: no second SMIC.
	got, err := s.Resolve(context.Background(), "Semiconductor Manufacturing International Corporation")
	if err != nil || len(got) != 1 {
		t.Errorf("Resolve SMIC = %d entities, %v", len(got), err)
	}
	r := relation(t, s, "dod-1260h-list--targets--smic--2021-06-03")
	if r.ValidFrom != graph.MustDate("2021-06-03") || !r.ValidTo.IsZero() {
		t.Errorf("SMIC designation = %+v", r)
	}
	// The issuer is the curated us-dod.
	relation(t, s, "dod-1260h-list--issued-by--us-dod")
	// A subsidiary link.
	subs, err := s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.SubsidiaryOf}, To: "smic"})
	if err != nil || len(subs) < 5 {
		t.Errorf("SUBSIDIARY_OF smic: %d, %v", len(subs), err)
	}
	// An ended designation keeps its end date.
	ended, err := s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.Targets}, From: "dod-1260h-list"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range ended {
		if !r.ValidTo.IsZero() {
			n++
		}
	}
	if n != 21 {
		t.Errorf("%d ended designations, want 21", n)
	}

	// Loading the same edition again changes nothing.
	p2, err := PlanLoad(context.Background(), s, readDoD(t, filepath.Join(dir, "chinese_military_companies.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Created)+len(p2.Updated)+len(p2.RelCreated)+len(p2.RelUpdated)+len(p2.RelClosed) != 0 {
		t.Errorf("reload changes: created %v updated %v rels %v %v closed %v", p2.Created, p2.Updated, p2.RelCreated, p2.RelUpdated, p2.RelClosed)
	}
}

func TestDoD1260HMergesCuratedSMIC(t *testing.T) {
	s := seededStore(t)
	d := readDoD(t, "testdata/dod1260h/edition-a.csv")
	p := load(t, s, d)
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "dod1260h") || !slices.Contains(smic.Sources, "ds-dod1260h-2024-01-31") {
		t.Errorf("smic = %+v", smic)
	}
	if smic.Name != "Semiconductor Manufacturing International Corporation" || smic.Country != "CN" {
		t.Errorf("curated fields changed: %+v", smic)
	}
	for _, m := range p.Merged {
		if m.Into == "smic" && m.By != "name" {
			t.Errorf("merged by %q", m.By)
		}
	}
	if slices.Contains(p.Created, "semiconductor-manufacturing-international-corporation") {
		t.Error("SMIC duplicated")
	}
	relation(t, s, "smic-holdings-limited--subsidiary-of--smic")
}

func TestDoD1260HEditionUpdate(t *testing.T) {
	s := seededStore(t)
	// Another dataset's fact and a curated fact must stay untouched.
	before := relation(t, s, "dod-1260h-list-2024-01--targets--ymtc")
	eto, err := ReadETO(etoFS(nil), "eto", Options{})
	if err != nil {
		t.Fatal(err)
	}
	load(t, s, eto, readDoD(t, "testdata/dod1260h/edition-a.csv"))
	etoBefore := relation(t, s, "acme-tools--supplies--furnaces")
	gone := "dod-1260h-list--targets--example-optics-co-ltd--2024-01-31"
	if r := relation(t, s, gone); !r.ValidTo.IsZero() {
		t.Fatalf("edition A: %+v", r)
	}
	p := load(t, s, readDoD(t, "testdata/dod1260h/edition-b.csv"))
	if !slices.Contains(p.RelClosed, gone) {
		t.Errorf("closed = %v", p.RelClosed)
	}
	r := relation(t, s, gone)
	if r.ValidTo != graph.MustDate("2025-01-07") {
		t.Errorf("dropped designation validTo = %s, want 2025-01-07", r.ValidTo)
	}
	kept := relation(t, s, "dod-1260h-list--targets--smic--2021-06-03")
	if !kept.ValidTo.IsZero() || !slices.ContainsFunc(kept.Origins, func(o graph.Origin) bool { return o.Edition == "2025-01-07" }) {
		t.Errorf("kept designation = %+v", kept)
	}
	if slices.ContainsFunc(kept.Origins, func(o graph.Origin) bool { return o.Edition == "2024-01-31" }) {
		t.Errorf("stale origin kept: %+v", kept.Origins)
	}
	relation(t, s, "dod-1260h-list--targets--new-listed-co--2025-01-07")
	after := relation(t, s, "dod-1260h-list-2024-01--targets--ymtc")
	if !equalRelation(before, after) {
		t.Errorf("curated relation changed:\n%+v\n%+v", before, after)
	}
	if etoAfter := relation(t, s, "acme-tools--supplies--furnaces"); !equalRelation(etoBefore, etoAfter) {
		t.Errorf("another dataset's relation changed:\n%+v\n%+v", etoBefore, etoAfter)
	}
	smic := entity(t, s, "smic")
	var eds []string
	for _, o := range smic.Origins {
		eds = append(eds, o.Dataset+"@"+o.Edition)
	}
	if !slices.Equal(eds, []string{"dod1260h@2025-01-07"}) {
		t.Errorf("smic origins = %v", eds)
	}
}

func TestDoD1260HBadInput(t *testing.T) {
	hdr := strings.Join(DoD1260HColumns, ",") + "\n"
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"bad date", hdr + "X (X),X,,,,,2021-13-01,,https://a.example/x\n", []string{"x.csv:2:", "Start date", "bad date"}},
		{"missing start", hdr + "X (X),X,,,,,,,https://a.example/x\n", []string{"x.csv:2:", "Start date", "required"}},
		{"end before start", hdr + "X,X,,,,,2021-06-03,2020-01-01,https://a.example/x\n", []string{"End date", "before"}},
		{"no url", hdr + "X,X,,,,,2021-06-03,,\n", []string{"Source Url"}},
		{"bad url", hdr + "X,X,,,,,2021-06-03,,javascript:alert(1)\n", []string{"x.csv:2:", "bad URL"}},
		{"unknown header", "Name,Clean Name,Start date,Colour\n", []string{"x.csv:1:", "unknown column \"Colour\""}},
		{"no name column", "Alias,Start date\n", []string{"Clean Name"}},
		{"no rows", hdr, []string{"no rows"}},
		{"truncated", hdr + "X,X,,,,,2021-06-03,,https://a.example/x\nY,\"Y", []string{"x.csv:3:"}},
		{"garbage", "\x00\x01\x02\xff\xfe,\n\"", []string{"x.csv:1:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadDoD1260H(strings.NewReader(c.in), "x.csv", Options{})
			wantLoadError(t, err, c.want...)
		})
	}
}

// TestDoD1260HNothingWrittenOnError: a load whose batch fails validation
// leaves the store as it was.
func TestDoD1260HNothingWrittenOnError(t *testing.T) {
	s := seededStore(t)
	before, _ := s.Stats(context.Background())
	d := readDoD(t, "testdata/dod1260h/edition-a.csv")
	d.Relations[len(d.Relations)-1].Status = "bogus"
	p, err := PlanLoad(context.Background(), s, d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Apply(context.Background(), s)
	wantLoadError(t, err, "testdata/dod1260h/edition-a.csv:", "status")
	after, _ := s.Stats(context.Background())
	if after.Version != before.Version || after.Entities != before.Entities {
		t.Errorf("store changed: %+v -> %+v", before, after)
	}
}

func FuzzDoD1260H(f *testing.F) {
	hdr := strings.Join(DoD1260HColumns, ",") + "\n"
	f.Add([]byte(hdr + "A (A)*,A,A1;A2,,B Co.,,2021-06-03,,https://a.example/x\n"))
	f.Add([]byte(hdr + "\"A, Ltd\",A,,,,note,2021-06-03,2022-01-01,https://a.example/x\nB,B,,,A,,2022,,\n"))
	f.Add([]byte("\xef\xbb\xbf" + hdr))
	if b, err := os.ReadFile("testdata/dod1260h/edition-a.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ReadDoD1260H(strings.NewReader(string(in)), "f.csv", Options{MaxRecordBytes: 4096})
		if err != nil {
			if graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("error without file or not INVALID: %v", err)
			}
			return
		}
		checkDataset(t, d)
	})
}

// checkDataset checks what every loader promises: ids valid, every record
// sourced and with an origin, and that a load into an empty store (a dry
// run) validates.
func checkDataset(t *testing.T, d *Dataset) {
	t.Helper()
	s := emptyStore(t)
	p, err := PlanLoad(context.Background(), s, d)
	if err != nil {
		t.Fatalf("PlanLoad: %v", err)
	}
	for _, e := range p.Batch.Entities {
		if len(e.Origins) == 0 {
			t.Fatalf("entity %s without origin", e.ID)
		}
	}
	for _, r := range p.Batch.Relations {
		if len(r.Origins) == 0 {
			t.Fatalf("relation %s without origin", r.ID)
		}
	}
	if _, _, err := Load(context.Background(), s, true, d); err != nil {
		t.Fatalf("invalid batch: %v", err)
	}
}

// TestOlderEditionAfterNewer loads a dataset's editions out of order, the
// newer first: the older one must not end what the newer one holds, nor
// replace its facts; what only the older one lists ended by the newer
// edition's date; and the summary says so.
func TestOlderEditionAfterNewer(t *testing.T) {
	hdr := strings.Join(DoD1260HColumns, ",") + "\n"
	older := hdr + "Example Optics Co. Ltd.,Example Optics Co. Ltd.,,,,,2021-03-01,,https://example.org/1260h-2024.pdf\n" +
		"Both Listed Co.,Both Listed Co.,,,,,2021-03-01,,https://example.org/1260h-2024.pdf\n"
	newer := hdr + "Both Listed Co.,Both Listed Co.,BLC,,,,2021-03-01,,https://example.org/1260h-2025.pdf\n" +
		"Long Listed Co.,Long Listed Co.,,,,,2020-01-01,,https://example.org/1260h-2025.pdf\n"
	read := func(name, text, edition string) *Dataset {
		d, err := ReadDoD1260H(strings.NewReader(text), name, Options{Edition: edition})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	s := seededStore(t)
	load(t, s, read("newer.csv", newer, "2025-01-07"))
	p := load(t, s, read("older.csv", older, "2024-01-31"))

	long := relation(t, s, "dod-1260h-list--targets--long-listed-co--2020-01-01")
	if !long.ValidTo.IsZero() || long.Status == graph.StatusEnded {
		t.Errorf("the older edition ended what the newer one lists: %+v", long)
	}
	if slices.Contains(p.RelClosed, long.ID) {
		t.Errorf("closed %v", p.RelClosed)
	}
	both := relation(t, s, "dod-1260h-list--targets--both-listed-co--2021-03-01")
	if !both.ValidTo.IsZero() || !slices.ContainsFunc(both.Origins, func(o graph.Origin) bool { return o.Edition == "2025-01-07" }) {
		t.Errorf("the newer edition's facts were replaced: %+v", both)
	}
	if e := entity(t, s, "both-listed-co"); !slices.Contains(e.Aliases, "BLC") {
		t.Errorf("the newer edition's alias was dropped: %+v", e)
	}
	gone := relation(t, s, "dod-1260h-list--targets--example-optics-co-ltd--2021-03-01")
	if gone.ValidTo != graph.MustDate("2025-01-07") || gone.Status != graph.StatusEnded {
		t.Errorf("listed only by the older edition: validTo %s status %s, want 2025-01-07 and ended", gone.ValidTo, gone.Status)
	}
	var sum strings.Builder
	p.Summary(&sum, true)
	if !strings.Contains(sum.String(), "older than the edition 2025-01-07 the store holds") {
		t.Errorf("the summary does not say the edition was older:\n%s", sum.String())
	}

	// Two editions in one load would duplicate the records they share.
	_, err := PlanLoad(context.Background(), seededStore(t), read("newer.csv", newer, "2025-01-07"), read("older.csv", older, "2024-01-31"))
	wantLoadError(t, err, "editions 2025-01-07 and 2024-01-31 of dataset dod1260h in one load")
}

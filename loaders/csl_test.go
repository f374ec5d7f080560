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

func readCSLFile(t testing.TB, path string, opt Options) *Dataset {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ReadCSL(f, path, opt)
	if err != nil {
		t.Fatalf("ReadCSL: %v", err)
	}
	return d
}

func TestCSLShared(t *testing.T) {
	dir := sharedDatasets(t, "us-csl-samples")
	for _, c := range []struct {
		file                 string
		listings, individual int
	}{
		{"consolidated.csv", 9, 4},
		{"csl-legacy.csv", 93, 20},
	} {
		t.Run(c.file, func(t *testing.T) {
			d := readCSLFile(t, filepath.Join(dir, c.file), Options{})
			n := 0
			for _, e := range d.Entities {
				if e.Kind == graph.KindSanction {
					n++
				}
			}
			if n != c.listings || d.Skipped["individuals"] != c.individual {
				t.Errorf("%d listings, skipped %v; want %d listings, %d individuals", n, d.Skipped, c.listings, c.individual)
			}
			s := seededStore(t)
			load(t, s, d)
			// BIS merges with the curated government body.
			bis, err := s.Resolve(context.Background(), "Bureau of Industry and Security")
			if err != nil || len(bis) != 1 {
				t.Fatalf("BIS: %v %v", bis, err)
			}
			if !hasOrigin(bis[0].Origins, "csl") {
				t.Errorf("BIS not merged: %+v", bis[0])
			}
		})
	}
}

func TestCSLLegacyEntityList(t *testing.T) {
	dir := sharedDatasets(t, "us-csl-samples")
	d := readCSLFile(t, filepath.Join(dir, "csl-legacy.csv"), Options{Lists: []string{"EL"}, Countries: []string{"CN"}})
	s := seededStore(t)
	load(t, s, d)
	rels, err := s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.Targets}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rels {
		if !hasOrigin(r.Origins, "csl") {
			continue
		}
		l := entity(t, s, r.From)
		if a, ok := l.Attr("source_list"); !ok || !strings.HasPrefix(a.Value, "Entity List (EL)") {
			t.Errorf("listing %s from list %q, want only the Entity List", l.ID, a.Value)
		}
		if a, ok := l.Attr("federal_register_notice"); ok && strings.Contains(a.Value, "84 FR 22961") {
			found = true
			if r.ValidFrom != graph.MustDate("2019-05-21") {
				t.Errorf("84 FR 22961 listing from %s", r.ValidFrom)
			}
		}
	}
	if !found {
		t.Error("no listing under 84 FR 22961 (the 2019 Huawei affiliates)")
	}
	if d.Skipped["rows of other lists"] == 0 || d.Skipped["rows of other countries"] == 0 {
		t.Errorf("skipped = %v", d.Skipped)
	}
}

func TestCSLJSON(t *testing.T) {
	d := readCSLFile(t, "testdata/csl/sample.json", Options{})
	s := seededStore(t)
	p := load(t, s, d)
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "csl") || !slices.Contains(smic.Sources, d.Sources[0].Key) {
		t.Errorf("SMIC not merged: %+v", smic)
	}
	if d.Skipped["individuals"] != 1 {
		t.Errorf("skipped = %v", d.Skipped)
	}
	var listing string
	for _, m := range p.Batch.Entities {
		if len(m.ExternalIDs) == 1 && m.ExternalIDs[0] == (graph.ExternalID{Scheme: "csl", Value: "abc123"}) {
			listing = m.ID
			for _, want := range []string{"license_policy", "federal_register_notice", "start_date"} {
				if _, ok := m.Attr(want); !ok {
					t.Errorf("listing lacks %s", want)
				}
			}
		}
	}
	if listing == "" {
		t.Fatal("no listing with csl:abc123")
	}
	relation(t, s, listing+"--targets--smic")
	// The same file again: nothing changes (the listing resolves by its
	// external id).
	p2, err := PlanLoad(context.Background(), s, readCSLFile(t, "testdata/csl/sample.json", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Created)+len(p2.Updated)+len(p2.RelCreated)+len(p2.RelUpdated) != 0 {
		t.Errorf("reload: %v %v %v %v", p2.Created, p2.Updated, p2.RelCreated, p2.RelUpdated)
	}
}

func TestCSLBadInput(t *testing.T) {
	hdr := "_id," + strings.Join(CSLColumns, ",") + "\n"
	row := func(vals map[int]string) string {
		cells := make([]string, len(CSLColumns)+1)
		for i, v := range vals {
			cells[i] = v
		}
		return strings.Join(cells, ",") + "\n"
	}
	good := map[int]string{0: "x1", 1: "Entity List (EL) - Bureau of Industry and Security", 5: "Foo Co", 9: "2020-01-02", 21: "https://bis.example/el"}
	bad := func(i int, v string) map[int]string {
		m := map[int]string{}
		for k, x := range good {
			m[k] = x
		}
		m[i] = v
		return m
	}
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"bad date", hdr + row(bad(9, "2020-02-30")), []string{"c.csv:2", "start_date", "bad date"}},
		{"no name", hdr + row(bad(5, "")), []string{"c.csv:2", "name", "required"}},
		{"no list url", hdr + row(bad(21, "")), []string{"source_list_url"}},
		{"short row", hdr + "a,b,c\n", []string{"c.csv:2:", "wrong number of fields"}},
		{"unknown column", "source,name,colour\n", []string{"c.csv:1:", "colour"}},
		{"json syntax", `{"results": [{"name": "x",}]}`, []string{"c.csv: results[0]", "invalid JSON"}},
		{"json truncated", `{"results": [{"name": "x"}, {"na`, []string{"c.csv: results[1]"}},
		{"json type", `{"results": [{"name": 5, "source": "L", "alt_names": [1]}]}`, []string{"results[0].alt_names[0]"}},
		{"json no results", `{"total": 0}`, []string{"results", "missing"}},
		{"json not object", `{"results": {}}`, []string{"results", "want an array"}},
		{"json trailing", `{"results": []} {}`, []string{"after the top-level"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCSL(strings.NewReader(c.in), "c.csv", Options{})
			wantLoadError(t, err, c.want...)
		})
	}
	// Legacy layout without _id and with a BOM reads.
	legacy := "\xef\xbb\xbf" + strings.Join(CSLColumns, ",") + "\n" + strings.TrimPrefix(row(good), "x1,")
	if _, err := ReadCSL(strings.NewReader(legacy), "c.csv", Options{}); err != nil {
		t.Errorf("legacy: %v", err)
	}
	// A huge JSON value is refused without reading it all.
	huge := `{"results": [{"name": "` + strings.Repeat("x", 3<<20) + `"}]}`
	_, err := ReadCSL(strings.NewReader(huge), "c.json", Options{})
	wantLoadError(t, err, "results[0]", "over the limit")
}

func FuzzCSL(f *testing.F) {
	hdr := "_id," + strings.Join(CSLColumns, ",") + "\n"
	f.Add([]byte(hdr + "x,Entity List (EL) - Bureau of Industry and Security,,Entity,,Foo Co; and any successor,,\"1 Rd, Xian, CN\",85 FR 1,2020-01-02,,,,,,,,,,,,https://bis.example/el,Foo; Bar,,,,,,\n"))
	f.Add([]byte(strings.Join(CSLColumns, ",") + "\n"))
	if b, err := os.ReadFile("testdata/csl/sample.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"results":[{"name":"a","source":"L (L) - State Department","source_list_url":"https://s.example","start_date":"2020"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ReadCSL(strings.NewReader(string(in)), "f.csv", Options{MaxRecordBytes: 4096})
		if err != nil {
			if graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("error without file or not INVALID: %v", err)
			}
			return
		}
		checkDataset(t, d)
	})
}

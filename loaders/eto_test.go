package loaders

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chipgraph/chipgraph/graph"
)

func TestETOShared(t *testing.T) {
	dir := sharedDatasets(t, "eto-chip-explorer")
	d, err := ReadETODir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Sources[0].URL != ETOHome || d.EditionDate != graph.MustDate("2025") {
		t.Errorf("source %+v", d.Sources[0])
	}
	s := seededStore(t)
	p := load(t, s, d)
	// SMIC: the ETO provider P37 is the curated smic.
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "eto") || !slices.Contains(smic.ExternalIDs, graph.ExternalID{Scheme: "eto", Value: "P37"}) {
		t.Errorf("smic = %+v", smic)
	}
	// Countries resolve to the curated ones.
	china := entity(t, s, "china")
	if !hasOrigin(china.Origins, "eto") {
		t.Errorf("china not merged: %+v", china)
	}
	if slices.Contains(p.Created, "chn") || slices.Contains(p.Created, "china-eto") {
		t.Error("a second China")
	}
	// A provision row with share and year.
	if r := relation(t, s, "china--supplies--photoresists"); r.Category != "materials" {
		t.Errorf("china--supplies--photoresists: %+v", r)
	}
	rels, err := s.Relations(context.Background(), graph.RelationFilter{Types: []graph.RelationType{graph.Supplies}, From: "acm-research"})
	if err != nil || len(rels) == 0 {
		t.Fatalf("SUPPLIES from ACM Research: %v %v", rels, err)
	}
	r := rels[0]
	withShare := 0
	for _, r := range rels {
		if share, ok := r.Prop("share"); ok && share.Unit == "percent" && r.Category == "equipment" && share.AsOf == graph.MustDate("2025") {
			withShare++
		}
	}
	if withShare == 0 {
		t.Errorf("no SUPPLIES from ACM Research with a share: %+v", *rels[0])
	}
	if _, ok := r.Prop("year"); !ok {
		t.Errorf("no year on %s", r.ID)
	}
	// goes_into: the wafer uses crystal growing furnaces.
	relation(t, s, "wafer--uses-component--crystal-growing-furnaces")
	// is_type_of becomes an attribute.
	n := 0
	ents, _ := s.Entities(context.Background(), graph.EntityFilter{})
	for _, e := range ents {
		if _, ok := e.Attr("type_of"); ok {
			n++
		}
	}
	if n == 0 {
		t.Error("no type_of attribute")
	}
	if d.Skipped["provision rows for whole stages (no entity kind)"] == 0 {
		t.Errorf("skipped = %v", d.Skipped)
	}
}

// TestAllSharedDatasets loads the three shared datasets into a store seeded
// with the embedded curated data: SMIC is one node with every source.
func TestAllSharedDatasets(t *testing.T) {
	sharedDatasets(t, "")
	start := time.Now()
	eto, err := ReadETODir(sharedDatasets(t, "eto-chip-explorer"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dod := readDoD(t, filepath.Join(sharedDatasets(t, "us-dod-1260h"), "chinese_military_companies.csv"))
	csl1 := readCSLFile(t, filepath.Join(sharedDatasets(t, "us-csl-samples"), "consolidated.csv"), Options{})
	csl2 := readCSLFile(t, filepath.Join(sharedDatasets(t, "us-csl-samples"), "csl-legacy.csv"), Options{})
	s := seededStore(t)
	load(t, s, eto, dod, csl1)
	load(t, s, csl2)
	t.Logf("loaded all shared datasets in %v", time.Since(start))
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "eto") || !hasOrigin(smic.Origins, "dod1260h") {
		t.Errorf("smic origins = %+v", smic.Origins)
	}
	var ds []string
	for _, k := range smic.Sources {
		if strings.HasPrefix(k, "ds-") {
			ds = append(ds, k)
		}
	}
	if len(ds) != 2 || len(smic.Sources) < 4 {
		t.Errorf("smic sources = %v", smic.Sources)
	}
	got, _ := s.Resolve(context.Background(), "SMIC")
	if len(got) != 1 {
		t.Errorf("SMIC resolves to %d entities", len(got))
	}
}

var etoSeed = map[string]string{
	"providers.csv": "provider_name,alias,provider_id,provider_type,country\nUSA,United States,P1,country,\nAcme Tools,,P2,organization,USA\nVarious countries,,P5,country,\n",
	"inputs.csv":    "input_id,input_name,type,stage_name,stage_id,description,year\nN1,Wafer,material_resource,,,,2022\nN2,Furnaces,tool_resource,Fabrication,S2,d,2022\nN3,Logic chip design,design_resource,,,,\n",
	"provision.csv": "provider_name,provider_id,provided_name,provided_id,share_provided,year,source\nAcme,P2,Furnaces,N2,12.5,2025,x\nUSA,P1,Logic,N3,50,2022,\nUSA,P1,Design,S1,40,2022,\n",
	"sequence.csv":  "input_name,input_id,goes_into_name,goes_into_id,is_type_of_name,is_type_of_id\nFurnaces,N2,Wafer,N1,,\nLogic chip design,N3,,,Wafer,N1\n",
}

func etoFS(over map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range etoSeed {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	for k, v := range over {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func TestETOSmall(t *testing.T) {
	d, err := ReadETO(etoFS(nil), "eto", Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := emptyStore(t)
	load(t, s, d)
	r := relation(t, s, "acme-tools--supplies--furnaces")
	if r.Category != "equipment" {
		t.Errorf("%+v", r)
	}
	relation(t, s, "united-states--designs--logic-chip-design")
	relation(t, s, "wafer--uses-component--furnaces")
	if e := entity(t, s, "acme-tools"); e.Country != "US" {
		t.Errorf("country %q", e.Country)
	}
	// ETO gives no starts: a provision row is first reported in its year,
	// a sequence row in the edition (the latest year, 2025).
	wantDated(t, s, "acme-tools--supplies--furnaces", "2025", true)
	wantDated(t, s, "united-states--designs--logic-chip-design", "2022", true)
	wantDated(t, s, "wafer--uses-component--furnaces", "2025", true)
	got, err := s.Relations(context.Background(), graph.RelationFilter{AsOf: graph.MustDate("2023")})
	if err != nil {
		t.Fatal(err)
	}
	if ids := relationIDs(got); !slices.Equal(ids, []string{"united-states--designs--logic-chip-design"}) {
		t.Errorf("asOf 2023: %v, want only the relation reported in 2022", ids)
	}
}

// A newer edition that still gives no start keeps the first report of the
// earlier one.
func TestETOEditionsKeepFirstReport(t *testing.T) {
	s := emptyStore(t)
	a, err := ReadETO(etoFS(nil), "eto", Options{Edition: "2025-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	load(t, s, a)
	wantDated(t, s, "wafer--uses-component--furnaces", "2025-06-01", true)
	b, err := ReadETO(etoFS(nil), "eto", Options{Edition: "2026-03-01"})
	if err != nil {
		t.Fatal(err)
	}
	load(t, s, b)
	wantDated(t, s, "wafer--uses-component--furnaces", "2025-06-01", true)
	wantDated(t, s, "acme-tools--supplies--furnaces", "2025", true)
}

func relationIDs(list []*graph.Relation) []string {
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestETOBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		over map[string]string
		want []string
	}{
		{"unknown provider", map[string]string{"provision.csv": "provider_id,provided_id\nP9,N1\n"}, []string{"eto/provision.csv:2:1: provider_id", "P9"}},
		{"unknown input", map[string]string{"provision.csv": "provider_id,provided_id\nP2,N9\n"}, []string{"eto/provision.csv:2:4: provided_id"}},
		{"bad share", map[string]string{"provision.csv": "provider_id,provided_id,share_provided\nP2,N1,lots\n"}, []string{"provision.csv:2:7: share_provided"}},
		{"bad type", map[string]string{"inputs.csv": "input_id,input_name,type\nN1,W,gizmo\n"}, []string{"inputs.csv:2:6: type", "gizmo"}},
		{"missing column", map[string]string{"sequence.csv": "input_name\nx\n"}, []string{"sequence.csv", "missing column \"input_id\""}},
		{"missing file", map[string]string{"sequence.csv": ""}, []string{"sequence.csv", "empty file"}},
		{"latin1", map[string]string{"inputs.csv": "input_id,input_name,type\nN1,Soci\xe9t\xe9,tool_resource\n"}, []string{"inputs.csv:2:4: input_name", "UTF-8"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadETO(etoFS(c.over), "eto", Options{})
			wantLoadError(t, err, c.want...)
		})
	}
	fsys := etoFS(nil)
	delete(fsys, "providers.csv")
	_, err := ReadETO(fsys, "eto", Options{})
	if graph.ErrorCode(err) != graph.CodeNotFound || !strings.Contains(err.Error(), "providers.csv") {
		t.Errorf("missing providers.csv: %v", err)
	}
	if _, err := ReadETODir(filepath.Join(os.TempDir(), "no-such-eto-dir"), Options{}); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("missing dir: %v", err)
	}
}

func FuzzETO(f *testing.F) {
	f.Add([]byte(etoSeed["provision.csv"]), []byte(etoSeed["sequence.csv"]))
	f.Add([]byte("provider_id,provided_id,share_provided\nP2,N1,1e3\n"), []byte("input_id,goes_into_id\nN1,N1\n"))
	f.Fuzz(func(t *testing.T, provision, sequence []byte) {
		fsys := etoFS(map[string]string{"provision.csv": string(provision), "sequence.csv": string(sequence)})
		d, err := ReadETO(fsys, "f", Options{MaxRecordBytes: 4096})
		if err != nil {
			if c := graph.ErrorCode(err); c != graph.CodeInvalid || !strings.Contains(err.Error(), "f/") {
				t.Fatalf("error without file or not INVALID: %v", err)
			}
			return
		}
		checkDataset(t, d)
	})
}

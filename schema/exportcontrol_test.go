package schema_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
)

// specStore holds five chips: one over both thresholds, one that escaped
// 2022 by its slow link but not 2023, one below both, one with no
// specifications, and one known only from below (a 32-bit figure and part
// of its die area).
func specStore(t *testing.T) *graph.CayleyStore {
	t.Helper()
	ctx := context.Background()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	src := []string{"spec-src"}
	n := func(name, v, unit string) graph.Attribute {
		return graph.Attribute{Name: name, Type: graph.AttrNumber, Value: v, Unit: unit, Status: graph.StatusReported, Sources: src}
	}
	chip := func(id string, attrs ...graph.Attribute) graph.Entity {
		return graph.Entity{ID: id, Kind: graph.KindChip, Name: id, Attributes: attrs, Sources: src}
	}
	_, err = s.Apply(ctx, graph.Batch{
		Sources: []graph.Source{{Key: "spec-src", Title: "Spec sheet", URL: "https://example.org/spec", Publisher: "Example", Published: graph.MustDate("2024")}},
		Entities: []graph.Entity{
			chip("big", n("fp16_dense_tflops", "989.4", "TFLOPS"), n("int8_dense_tops", "1979", "TOPS"), n("die_area_mm2", "814", "mm2"), n("interconnect_bandwidth_gbps", "900", "GB/s")),
			chip("cut-link", n("fp16_dense_tflops", "312", "TFLOPS"), n("die_area_mm2", "826", "mm2"), n("interconnect_bandwidth_gbps", "400", "GB/s")),
			chip("small", n("fp16_dense_tflops", "148", "TFLOPS"), n("die_area_mm2", "814", "mm2"), n("interconnect_bandwidth_gbps", "900", "GB/s")),
			chip("bare"),
			chip("open", n("fp32_dense_tflops", "160", "TFLOPS"), n("die_area_mm2", "500", "mm2"), graph.Attribute{Name: "die_area_incomplete", Type: graph.AttrBool, Value: "true", Sources: src}),
			{ID: "acme", Kind: graph.KindCompany, Name: "Acme", Sources: src},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExportControlField(t *testing.T) {
	s := newSchema(t, specStore(t), schema.Config{})
	q := `query($id: ID) { entity(id: $id) { ... on Chip { exportControl {
		tpp tppBitLength tppIsLowerBound tppRange { min max } performanceDensityRange { min max } interconnectBandwidthRange { min max } applicableDieArea dieAreaIncomplete performanceDensity interconnectBandwidth
		exceedsOct2022 exceedsOct2023 oct2023Category missing inputs { name value sources { key } } } } } }`
	resp := query(t, s, q, map[string]any{"id": "big"})
	noErrors(t, resp)
	x := get(resp, "data", "entity", "exportControl")
	for field, want := range map[string]any{
		"tpp": 15832.0, "tppBitLength": 8.0, "tppIsLowerBound": false, "applicableDieArea": 814.0, "dieAreaIncomplete": false,
		"interconnectBandwidth": 900.0, "exceedsOct2022": true, "exceedsOct2023": true, "oct2023Category": "ECCN_3A090_A",
	} {
		if got := get(x, field); got != want {
			t.Errorf("big: %s = %v, want %v", field, got, want)
		}
	}
	if pd := get(x, "performanceDensity").(float64); pd < 19.44 || pd > 19.46 {
		t.Errorf("big: performanceDensity = %v, want ≈19.45", pd)
	}
	if got := ids(get(x, "inputs"), "name"); !reflect.DeepEqual(got, []string{"fp16_dense_tflops", "int8_dense_tops", "die_area_mm2", "interconnect_bandwidth_gbps"}) {
		t.Errorf("big: inputs %v", got)
	}
	if get(x, "tppRange", "min") != 15832.0 || get(x, "tppRange", "max") != 15832.0 || get(x, "interconnectBandwidthRange", "max") != 900.0 {
		t.Errorf("big: ranges %v %v", get(x, "tppRange"), get(x, "interconnectBandwidthRange"))
	}
	if get(x, "inputs", 0, "sources", 0, "key") != "spec-src" {
		t.Errorf("big: input sources %v", get(x, "inputs", 0, "sources"))
	}

	resp = query(t, s, q, map[string]any{"id": "bare"})
	noErrors(t, resp)
	x = get(resp, "data", "entity", "exportControl")
	for _, field := range []string{"tpp", "tppBitLength", "tppRange", "performanceDensityRange", "applicableDieArea", "performanceDensity", "interconnectBandwidth", "exceedsOct2022", "exceedsOct2023", "oct2023Category"} {
		if v, ok := x.(map[string]any)[field]; !ok || v != nil {
			t.Errorf("bare: %s = %v, want null", field, v)
		}
	}
	if got := get(x, "missing"); !reflect.DeepEqual(got, []any{"dense throughput", "die area", "interconnect bandwidth"}) {
		t.Errorf("bare: missing = %v", got)
	}

	// Open-ended ranges: null max, never an infinite float.
	resp = query(t, s, q, map[string]any{"id": "open"})
	noErrors(t, resp)
	x = get(resp, "data", "entity", "exportControl")
	for path, want := range map[string]any{
		"tpp": 5120.0, "tppIsLowerBound": true, "tppRange.min": 5120.0, "tppRange.max": nil,
		"dieAreaIncomplete": true, "performanceDensityRange.min": 0.0, "performanceDensityRange.max": nil,
		"exceedsOct2022": nil, "exceedsOct2023": true, "oct2023Category": "ECCN_3A090_A",
	} {
		keys := []any{}
		for _, k := range strings.Split(path, ".") {
			keys = append(keys, k)
		}
		if got := get(x, keys...); got != want {
			t.Errorf("open: %s = %v, want %v", path, got, want)
		}
	}
}

func TestChipsByThreshold(t *testing.T) {
	s := newSchema(t, specStore(t), schema.Config{})
	tests := []struct {
		args string
		want []string
	}{
		{``, []string{"bare", "big", "cut-link", "open", "small"}},
		{`(threshold: OCT_2022)`, []string{"big"}},
		{`(threshold: OCT_2022, answer: BELOW)`, []string{"cut-link", "small"}},
		{`(threshold: OCT_2022, answer: UNKNOWN)`, []string{"bare", "open"}},
		{`(threshold: OCT_2023)`, []string{"big", "cut-link", "open"}},
		{`(threshold: OCT_2023, answer: BELOW)`, []string{"small"}},
		{`(threshold: OCT_2023, first: 1)`, []string{"big"}},
	}
	for _, tt := range tests {
		resp := query(t, s, `{ chips`+tt.args+` { totalCount nodes { id } } }`, nil)
		noErrors(t, resp)
		if got := ids(get(resp, "data", "chips", "nodes"), "id"); !slices.Equal(got, tt.want) {
			t.Errorf("chips%s = %v, want %v", tt.args, got, tt.want)
		}
	}

	for _, bad := range []string{`(threshold: OCT_2030)`, `(threshold: "OCT_2022")`, `(first: -1)`, `(first: 100000)`, `(after: "!!")`} {
		resp := query(t, s, `{ chips`+bad+` { nodes { id } } }`, nil)
		if len(codes(resp)) == 0 {
			t.Errorf("chips%s: no error", bad)
		}
	}
}

// A writer cannot store a NaN or infinite number, which no source gives
// and which JSON cannot carry; the assessment would ignore one anyway
// (graph.TestAssessExportControlRejectsUnusableValues).
func TestExportControlHostileAttribute(t *testing.T) {
	s := newSchema(t, specStore(t), schema.Config{AllowWrites: true})
	for _, v := range []string{"NaN", "Inf", "-Inf", "1e309"} {
		resp := run(t, s, schema.Request{Authorized: true, Query: `mutation($v: String!) { upsertEntity(input: {id: "odd", kind: CHIP, name: "odd", sources: ["spec-src"],
			attributes: [{name: "fp16_dense_tflops", type: NUMBER, value: $v, sources: ["spec-src"]}]}) { id } }`,
			Variables: map[string]any{"v": v}})
		if got := codes(resp); len(got) != 1 || got[0] != "BAD_USER_INPUT" {
			t.Errorf("value %q: codes %v, want [BAD_USER_INPUT]", v, got)
		}
	}
	resp := query(t, s, `{ chips { nodes { id ... on Chip { exportControl { tpp } } } } }`, nil)
	noErrors(t, resp)
	if got := ids(get(resp, "data", "chips", "nodes"), "id"); slices.Contains(got, "odd") {
		t.Errorf("a refused chip was stored: %v", got)
	}
}

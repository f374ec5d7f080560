package analysis_test

import (
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// TestExposureCurated: CloudMatrix 384 reaches Huawei's Entity List
// listing through the Ascend 910C Huawei designs, in three hops.
func TestExposureCurated(t *testing.T) {
	a := analysis.New(curated(t))
	got, err := a.Exposure(ctx, analysis.ExposureQuery{ID: "cloudmatrix-384", MaxHops: 4})
	if err != nil {
		t.Fatal(err)
	}
	var found *analysis.Exposure
	for i, e := range got {
		if e.Sanction.ID == "entity-list-2019-05-huawei" {
			found = &got[i]
		}
		if e.Sanction.Kind != graph.KindSanction && e.Sanction.Kind != graph.KindRegulation {
			t.Errorf("%s is a %s", e.Sanction.ID, e.Sanction.Kind)
		}
		if e.Hops != len(e.Path.Relations) || e.Hops > 4 || e.Path.Entities[0].ID != "cloudmatrix-384" ||
			e.Path.Entities[len(e.Path.Entities)-1] != e.Sanction {
			t.Errorf("%s: hops %d, path %v", e.Sanction.ID, e.Hops, entityIDs(e.Path.Entities))
		}
		if last := e.Path.Relations[len(e.Path.Relations)-1]; last.Type != graph.Targets || last.From != e.Sanction.ID {
			t.Errorf("%s: the path ends with %s", e.Sanction.ID, last.ID)
		}
		if i > 0 && got[i-1].Hops > e.Hops {
			t.Errorf("not nearest first: %s (%d) after %s (%d)", e.Sanction.ID, e.Hops, got[i-1].Sanction.ID, got[i-1].Hops)
		}
	}
	if found == nil {
		t.Fatalf("exposure(cloudmatrix-384) lacks Huawei's 2019 Entity List listing: %d results", len(got))
	}
	if ids := entityIDs(found.Path.Entities); len(ids) != 4 || ids[2] != "huawei" {
		t.Errorf("path to the Huawei listing: %v, want cloudmatrix-384 -> chip -> huawei -> listing", ids)
	}

	// Fewer hops: only what is that near.
	near, err := a.Exposure(ctx, analysis.ExposureQuery{ID: "cloudmatrix-384", MaxHops: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range near {
		if e.Hops > 2 {
			t.Errorf("maxHops 2 gave %s at %d hops", e.Sanction.ID, e.Hops)
		}
	}
	if len(near) >= len(got) {
		t.Errorf("maxHops 2 gave %d, maxHops 4 %d", len(near), len(got))
	}
}

// TestExposure checks the path choice on a small graph: the shortest path,
// and among equally short ones the best established; the weakest status
// on the path is reported; asOf and types prune.
func TestExposure(t *testing.T) {
	d := graph.MustDate
	s := small(t, []string{"sys:SYSTEM", "chip:CHIP", "fab:COMPANY", "designer:COMPANY", "mem:MEMORY", "memco:COMPANY",
		"el-fab:SANCTION", "el-designer:SANCTION", "el-memco:SANCTION", "reg:REGULATION", "bis:GOVERNMENT_BODY"}, []graph.Relation{
		rel("sys", graph.UsesComponent, "chip"),
		{Type: graph.Fabricates, From: "fab", To: "chip", Status: graph.StatusDisputed},
		rel("designer", graph.Designs, "chip"),
		rel("sys", graph.UsesComponent, "mem"),
		{Type: graph.Designs, From: "memco", To: "mem", ValidFrom: d("2023"), Status: graph.StatusReported},
		rel("el-fab", graph.Targets, "fab"),
		rel("el-designer", graph.Targets, "designer"),
		rel("el-memco", graph.Targets, "memco"),
		rel("reg", graph.Targets, "sys"),
		rel("el-fab", graph.IssuedBy, "bis"), // not followed: bis is not in the supply chain
	})
	a := analysis.New(s)
	got, err := a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		hops   int
		status graph.Status
	}{
		"reg":         {1, graph.StatusConfirmed},
		"el-designer": {3, graph.StatusConfirmed},
		"el-memco":    {3, graph.StatusReported},
		"el-fab":      {3, graph.StatusDisputed},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d exposures, want %d", len(got), len(want))
	}
	order := []string{}
	for _, e := range got {
		w := want[e.Sanction.ID]
		if e.Hops != w.hops || e.Status != w.status {
			t.Errorf("%s: %d hops, %s; want %d, %s", e.Sanction.ID, e.Hops, e.Status, w.hops, w.status)
		}
		order = append(order, e.Sanction.ID)
	}
	if want := []string{"reg", "el-designer", "el-memco", "el-fab"}; !slicesEqual(order, want) {
		t.Errorf("order %v, want %v (nearest, then best established)", order, want)
	}

	got, _ = a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: 4, AsOf: d("2020")})
	for _, e := range got {
		if e.Sanction.ID == "el-memco" {
			t.Error("asOf 2020 still reaches el-memco through a relation from 2023")
		}
	}
	got, _ = a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: 4, Types: []graph.RelationType{graph.UsesComponent, graph.Fabricates}})
	for _, e := range got {
		if e.Sanction.ID == "el-designer" || e.Sanction.ID == "el-memco" {
			t.Errorf("types USES_COMPONENT, FABRICATES still reach %s", e.Sanction.ID)
		}
	}

	_, err = a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: 0})
	wantCode(t, err, graph.CodeInvalid, "maxHops")
	_, err = a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: graph.MaxPathHops + 1})
	wantCode(t, err, graph.CodeInvalid, "maxHops")
	_, err = a.Exposure(ctx, analysis.ExposureQuery{ID: "sys", MaxHops: 4, Types: []graph.RelationType{graph.CompetesWith}})
	wantCode(t, err, graph.CodeInvalid, "types")
	_, err = a.Exposure(ctx, analysis.ExposureQuery{ID: "nope", MaxHops: 4})
	wantCode(t, err, graph.CodeNotFound, "id")
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package analysis_test

import (
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// TestChokepoints runs the knock-out cascade on a small supply chain:
//
//	chip-a (CN): designed by des, made by fab1 only, uses mem
//	chip-b (CN): designed by des, made by fab1 or fab2
//	chip-us (US): designed by des, made by fab2
//	sys (CN): uses chip-a
//	fab1 buys equipment from eq only; des buys EDA from eda1 or eda2
//	mem: designed by memco1 or memco2
func TestChokepoints(t *testing.T) {
	s := small(t, []string{"chip-a:CHIP:CN", "chip-b:CHIP:CN", "chip-us:CHIP:US", "sys:SYSTEM:CN", "des:COMPANY:CN",
		"fab1:COMPANY:CN", "fab2:COMPANY:TW", "eq:COMPANY:NL", "eda1:COMPANY:US", "eda2:COMPANY:CN",
		"mem:MEMORY", "memco1:COMPANY:KR", "memco2:COMPANY:CN"}, []graph.Relation{
		rel("des", graph.Designs, "chip-a"), rel("des", graph.Designs, "chip-b"), rel("des", graph.Designs, "chip-us"),
		rel("fab1", graph.Fabricates, "chip-a"), rel("fab1", graph.Fabricates, "chip-b"), rel("fab2", graph.Fabricates, "chip-b"),
		rel("fab2", graph.Fabricates, "chip-us"),
		rel("chip-a", graph.UsesComponent, "mem"), rel("sys", graph.UsesComponent, "chip-a"),
		{Type: graph.Supplies, From: "eq", To: "fab1", Category: "equipment"},
		{Type: graph.Supplies, From: "eda1", To: "des", Category: "eda"},
		{Type: graph.Supplies, From: "eda2", To: "des", Category: "eda"},
		rel("memco1", graph.Designs, "mem"), rel("memco2", graph.Designs, "mem"),
	})
	a := analysis.New(s)
	res, err := a.Chokepoints(ctx, analysis.ChokepointQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Targets != 3 {
		t.Errorf("targets %d, want 3 (chip-a, chip-b, sys; not chip-us)", res.Targets)
	}
	got := map[string][]string{}
	var order []string
	for _, c := range res.Chokepoints {
		got[c.Entity.ID] = entityIDs(c.Dependents)
		order = append(order, c.Entity.ID)
		if want := float64(len(c.Dependents)) / 3; c.Score != want {
			t.Errorf("%s: score %v, want %v", c.Entity.ID, c.Score, want)
		}
	}
	want := map[string][]string{
		"des":    {"chip-a", "chip-b", "sys"}, // designs both CN chips
		"fab1":   {"chip-a", "sys"},           // chip-b has fab2 too
		"eq":     {"chip-a", "sys"},           // fab1's only equipment: fab1 stops fabricating
		"chip-a": {"sys"},
		"mem":    {"chip-a", "sys"},
	}
	if len(got) != len(want) {
		t.Errorf("chokepoints %v, want %v", got, want)
	}
	for id, deps := range want {
		if !slicesEqual(got[id], deps) {
			t.Errorf("%s cuts %v, want %v", id, got[id], deps)
		}
	}
	if order[0] != "des" {
		t.Errorf("order %v: want des first", order)
	}

	// Kinds and first filter the ranking; category restricts SUPPLIES.
	res, _ = a.Chokepoints(ctx, analysis.ChokepointQuery{Kinds: []graph.Kind{graph.KindMemory, graph.KindChip}, First: 1})
	if len(res.Chokepoints) != 1 || res.Chokepoints[0].Entity.ID != "mem" {
		t.Errorf("kinds MEMORY, CHIP, first 1: %v", res.Chokepoints)
	}
	res, _ = a.Chokepoints(ctx, analysis.ChokepointQuery{Category: "memory"})
	for _, c := range res.Chokepoints {
		if c.Entity.ID == "eq" {
			t.Error("category memory still follows equipment supply")
		}
	}

	// Cached per version: the same ranking until a write, then a new one.
	r1, _ := a.Chokepoints(ctx, analysis.ChokepointQuery{})
	r2, _ := a.Chokepoints(ctx, analysis.ChokepointQuery{})
	if r1.Chokepoints[0].Dependents[0] != r2.Chokepoints[0].Dependents[0] || r1.Version != s.Version() {
		t.Error("a second call recomputed")
	}
	pinned := graph.Pin(ctx, s) // a request that began before the write below
	if _, err := s.Apply(ctx, graph.Batch{Relations: []graph.Relation{{Type: graph.Supplies, From: "eda2", To: "fab1",
		Category: "equipment", Status: graph.StatusReported, Sources: []string{"s"}}}}); err != nil {
		t.Fatal(err)
	}
	// The pinned request gets the ranking of its revision, and that is not
	// cached as the newer revision's.
	fresh := analysis.New(s)
	rp, err := fresh.Chokepoints(pinned, analysis.ChokepointQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if rp.Version != r1.Version || rp.Chokepoints[0].Entity.ID != r1.Chokepoints[0].Entity.ID {
		t.Errorf("pinned before the write: version %d, first %s; want version %d, first %s",
			rp.Version, rp.Chokepoints[0].Entity.ID, r1.Version, r1.Chokepoints[0].Entity.ID)
	}
	if rn, err := fresh.Chokepoints(ctx, analysis.ChokepointQuery{}); err != nil || rn.Version != s.Version() {
		t.Fatalf("after a pinned request of an older revision: %v, want version %d", err, s.Version())
	}
	r3, _ := a.Chokepoints(ctx, analysis.ChokepointQuery{})
	if r3.Version != s.Version() || r3.Version == r1.Version {
		t.Errorf("after a write: version %d, store %d", r3.Version, s.Version())
	}
	for _, c := range r3.Chokepoints {
		if c.Entity.ID == "eq" {
			t.Error("eq is still a chokepoint after fab1 gained a second equipment supplier")
		}
	}

	_, err = a.Chokepoints(ctx, analysis.ChokepointQuery{Category: "hbm"})
	wantCode(t, err, graph.CodeInvalid, "category")
	_, err = a.Chokepoints(ctx, analysis.ChokepointQuery{Types: []graph.RelationType{graph.Targets}})
	wantCode(t, err, graph.CodeInvalid, "types")
}

// TestChokepointsCurated: on the curated data the ranking is non-empty,
// its dependents are China's chips and systems, and TSMC, the foundry of
// most of them, cuts some off.
func TestChokepointsCurated(t *testing.T) {
	a := analysis.New(curated(t))
	res, err := a.Chokepoints(ctx, analysis.ChokepointQuery{First: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Chokepoints) == 0 || res.Targets == 0 {
		t.Fatalf("no chokepoints among %d targets", res.Targets)
	}
	found := false
	for i, c := range res.Chokepoints {
		found = found || c.Entity.ID == "tsmc"
		if i > 0 && len(res.Chokepoints[i-1].Dependents) < len(c.Dependents) {
			t.Errorf("not ranked: %s after %s", c.Entity.ID, res.Chokepoints[i-1].Entity.ID)
		}
		for _, d := range c.Dependents {
			if d.Kind != graph.KindChip && d.Kind != graph.KindSystem {
				t.Errorf("%s: dependent %s is a %s", c.Entity.ID, d.ID, d.Kind)
			}
		}
	}
	if !found {
		t.Errorf("tsmc is not among the top chokepoints")
	}
}

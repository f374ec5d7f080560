package analysis_test

import (
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// TestDiffCurated: between 2019 and 2021 around Huawei, TSMC's supply ended
// (September 2020) and the August 2020 affiliates listing was added.
func TestDiffCurated(t *testing.T) {
	a := analysis.New(curated(t))
	d, err := a.Diff(ctx, analysis.DiffQuery{From: graph.MustDate("2019"), To: graph.MustDate("2021"), IDs: []string{"huawei"}, Hops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(relIDs(d.Ended), "tsmc--supplies--huawei") {
		t.Errorf("ended %v lacks tsmc--supplies--huawei", relIDs(d.Ended))
	}
	if !contains(relIDs(d.Added), "entity-list-2020-08-huawei-affiliates--targets--huawei") {
		t.Errorf("added %v lacks the August 2020 listing", relIDs(d.Added))
	}
	for _, r := range d.Added {
		if r.ValidFrom.First() <= graph.MustDate("2019").Last() || r.ValidFrom.First() > graph.MustDate("2021").Last() {
			t.Errorf("added %s starts %s", r.ID, r.ValidFrom)
		}
	}
	for _, r := range d.Ended {
		if r.ValidTo.Last() < graph.MustDate("2019").First() || r.ValidTo.Last() >= graph.MustDate("2021").First() {
			t.Errorf("ended %s ends %s", r.ID, r.ValidTo)
		}
	}
	whole, err := a.Diff(ctx, analysis.DiffQuery{From: graph.MustDate("2019"), To: graph.MustDate("2021"), First: 3})
	if err != nil {
		t.Fatal(err)
	}
	if whole.AddedCount < d.AddedCount || len(whole.Added) > 3 {
		t.Errorf("whole graph: %d added (%d listed), around huawei %d", whole.AddedCount, len(whole.Added), d.AddedCount)
	}
}

// TestDiff checks the date rules and attribute changes on a small graph.
func TestDiff(t *testing.T) {
	dt := graph.MustDate
	s := small(t, []string{"a:COMPANY", "b:COMPANY", "c:COMPANY", "far:COMPANY"}, []graph.Relation{
		{Type: graph.Supplies, From: "a", To: "b", Category: "memory", ValidFrom: dt("2020-03")},                                    // added
		{Type: graph.CustomerOf, From: "b", To: "a", ValidFrom: dt("2018"), ValidTo: dt("2020-09"), Status: graph.StatusEnded},      // ended
		{Type: graph.PartnersWith, From: "a", To: "c", ValidFrom: dt("2019-06"), ValidTo: dt("2019-12"), Status: graph.StatusEnded}, // held in 2019, not in 2021: ended, not added
		{Type: graph.PartnersWith, From: "b", To: "c", ValidFrom: dt("2020-02"), ValidTo: dt("2020-05"), Status: graph.StatusEnded}, // both
		{Type: graph.CompetesWith, From: "a", To: "c"},                                                                              // undated: neither
		{Type: graph.CompetesWith, From: "c", To: "far", ValidFrom: dt("2020")},                                                     // 2 hops from a
	})
	num := func(v string, asOf string, st graph.Status) graph.Attribute {
		return graph.Attribute{Name: "revenue", Type: graph.AttrNumber, Value: v, Unit: "USD", AsOf: dt(asOf), Status: st, Sources: []string{"s"}}
	}
	if _, err := s.Apply(ctx, graph.Batch{Entities: []graph.Entity{
		{ID: "a", Kind: graph.KindCompany, Name: "a", Sources: []string{"s"}, Attributes: []graph.Attribute{
			num("1", "2018", ""), num("2", "2020", ""), num("9", "2020", graph.StatusDisputed)}},
		{ID: "b", Kind: graph.KindCompany, Name: "b", Sources: []string{"s"}, Attributes: []graph.Attribute{num("5", "2018", ""), num("5", "2020", "")}},
		{ID: "c", Kind: graph.KindCompany, Name: "c", Sources: []string{"s"}, Attributes: []graph.Attribute{num("7", "2020-06", "")}},
	}}); err != nil {
		t.Fatal(err)
	}
	a := analysis.New(s)
	d, err := a.Diff(ctx, analysis.DiffQuery{From: dt("2019"), To: dt("2021"), IDs: []string{"a"}, Hops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := relIDs(d.Added), []string{"b--partners-with--c", "a--supplies--b"}; !slicesEqual(got, want) {
		t.Errorf("added %v, want %v", got, want)
	}
	if got, want := relIDs(d.Ended), []string{"a--partners-with--c", "b--partners-with--c", "b--customer-of--a"}; !slicesEqual(got, want) {
		t.Errorf("ended %v, want %v", got, want)
	}
	var changed []string
	for _, c := range d.Changed {
		before := "-"
		if c.Before != nil {
			before = c.Before.Value
		}
		changed = append(changed, c.Entity.ID+":"+before+">"+c.After.Value)
	}
	if want := []string{"a:1>2", "c:->7"}; !slicesEqual(changed, want) {
		t.Errorf("changed %v, want %v (b's revenue did not change; a's disputed 9 loses to 2)", changed, want)
	}
	two, _ := a.Diff(ctx, analysis.DiffQuery{From: dt("2019"), To: dt("2021"), IDs: []string{"a"}, Hops: 2})
	if !contains(relIDs(two.Added), "c--competes-with--far") {
		t.Errorf("2 hops: added %v lacks c--competes-with--far", relIDs(two.Added))
	}

	for _, q := range []struct {
		q    analysis.DiffQuery
		path string
	}{
		{analysis.DiffQuery{To: dt("2021")}, "from"},
		{analysis.DiffQuery{From: dt("2021")}, "to"},
		{analysis.DiffQuery{From: dt("2021"), To: dt("2019")}, "from"},
		{analysis.DiffQuery{From: dt("2021"), To: dt("2021")}, "from"},
	} {
		_, err := a.Diff(ctx, q.q)
		wantCode(t, err, graph.CodeInvalid, q.path)
	}
	_, err = a.Diff(ctx, analysis.DiffQuery{From: dt("2019"), To: dt("2021"), IDs: []string{"nope"}})
	wantCode(t, err, graph.CodeNotFound, "")
}

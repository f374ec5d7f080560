package analysis_test

import (
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// TestTimelineCurated: SMIC's events come in date order, its December 2020
// Entity List listing among them on its own date, with its sources.
func TestTimelineCurated(t *testing.T) {
	a := analysis.New(curated(t))
	events, total, err := a.Timeline(ctx, analysis.TimelineQuery{ID: "smic"})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(events) || total < 10 {
		t.Fatalf("%d events of %d", len(events), total)
	}
	kinds := map[analysis.EventKind]int{}
	listed := false
	for i, e := range events {
		kinds[e.Kind]++
		if i > 0 && events[i-1].Date.First() > e.Date.First() {
			t.Errorf("out of order: %s %s after %s %s", e.Date, e.Description, events[i-1].Date, events[i-1].Description)
		}
		if e.Kind == analysis.Sanctioned && e.Entity.ID == "entity-list-2020-12-smic" {
			listed = e.Date == graph.MustDate("2020-12-18") && len(e.Sources) > 0 && e.Relation != nil
		}
		if e.Description == "" || e.Date.IsZero() {
			t.Errorf("event %+v has no description or date", e)
		}
	}
	if !listed {
		t.Error("no SANCTIONED event for entity-list-2020-12-smic on 2020-12-18 with sources")
	}
	for _, k := range []analysis.EventKind{analysis.Sanctioned, analysis.RelationStarted, analysis.RelationEnded, analysis.AttributeDated, analysis.SourcePublished} {
		if kinds[k] == 0 {
			t.Errorf("no %s event", k)
		}
	}

	// A range and a first.
	from, to := graph.MustDate("2020"), graph.MustDate("2021-06")
	in, n, err := a.Timeline(ctx, analysis.TimelineQuery{ID: "smic", From: from, To: to, First: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != min(2, n) || n >= total {
		t.Errorf("range: %d of %d (all: %d)", len(in), n, total)
	}
	for _, e := range in {
		if e.Date.Last() < from.First() || e.Date.First() > to.Last() {
			t.Errorf("%s is outside %s..%s", e.Date, from, to)
		}
	}
	_, _, err = a.Timeline(ctx, analysis.TimelineQuery{ID: "smic", From: to, To: from})
	wantCode(t, err, graph.CodeInvalid, "from")
	_, _, err = a.Timeline(ctx, analysis.TimelineQuery{ID: "nope"})
	wantCode(t, err, graph.CodeNotFound, "id")
}

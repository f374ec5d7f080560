package data_test

import (
	"context"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// endingAttributes name the dates on which a control action stopped
// applying. An action that records one must end what it targeted by then,
// or an asOf query after that date would still show the action in force.
var endingAttributes = []string{"suspended", "rescinded", "lifted", "withdrawn"}

func TestEndedActionsEndTheirTargets(t *testing.T) {
	s, _ := curated(t)
	ctx := context.Background()
	actions, _ := s.Entities(ctx, graph.EntityFilter{Kinds: []graph.Kind{graph.KindSanction, graph.KindRegulation}})
	checked := 0
	for _, e := range actions {
		for _, name := range endingAttributes {
			a, ok := e.Attr(name)
			if !ok {
				continue
			}
			end, err := graph.ParseDate(a.Value)
			if err != nil {
				t.Errorf("%s: attribute %s: %v", e.ID, name, err)
				continue
			}
			checked++
			rels, _ := s.Relations(ctx, graph.RelationFilter{From: e.ID, Types: []graph.RelationType{graph.Targets}})
			for _, r := range rels {
				switch {
				case r.ValidTo.IsZero():
					t.Errorf("%s was %s on %s but TARGETS %s has no validTo", e.ID, name, end, r.To)
				case r.ValidTo.First() > end.Last():
					t.Errorf("%s was %s on %s but TARGETS %s runs to %s", e.ID, name, end, r.To, r.ValidTo)
				case r.Status != graph.StatusEnded:
					t.Errorf("%s was %s on %s but TARGETS %s has status %s, want ended", e.ID, name, end, r.To, r.Status)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no SANCTION or REGULATION records a suspension, rescission, lifting or withdrawal date")
	}
}

// A suspension or rescission is its own dated action: whatever a control
// action TARGETS that is itself a control action was in force on that date.
func TestSuspensionsFollowWhatTheySuspend(t *testing.T) {
	s, _ := curated(t)
	ctx := context.Background()
	rels, _ := s.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.Targets}})
	for _, r := range rels {
		to, err := s.Entity(ctx, r.To)
		if err != nil || (to.Kind != graph.KindSanction && to.Kind != graph.KindRegulation) {
			continue
		}
		from, _ := s.Entity(ctx, r.From)
		fromDate, ok1 := from.Attr("date")
		toDate, ok2 := to.Attr("date")
		if !ok1 || !ok2 {
			t.Errorf("%s TARGETS %s: both need a date attribute", r.From, r.To)
			continue
		}
		fd, _ := graph.ParseDate(fromDate.Value)
		td, _ := graph.ParseDate(toDate.Value)
		if fd.Last() < td.First() {
			t.Errorf("%s (%s) TARGETS %s, which is dated later (%s)", r.From, fd, r.To, td)
		}
		if r.ValidFrom.IsZero() || r.ValidFrom.Last() < td.First() {
			t.Errorf("%s TARGETS %s from %q, before that action's date %s", r.From, r.To, r.ValidFrom, td)
		}
	}
}

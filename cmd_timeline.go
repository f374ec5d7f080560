package main

import (
	"context"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

func cmdTimeline(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "timeline", "[--from DATE] [--to DATE] [--first N] ID", `
List the dated events about entity ID in date order: relations starting and
ending, sanctions taking effect, dated attributes, sources published.`)
	from := f.String("from", "", "only events on or after this date")
	to := f.String("to", "", "only events on or before this date")
	first := f.Int("first", 0, "at most this many events (0: all)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	id, err := oneArg(pos, "entity ID")
	if err != nil {
		return err
	}
	q := analysis.TimelineQuery{ID: id, First: *first}
	if q.From, err = parseDateFlag("from", *from); err != nil {
		return err
	}
	if q.To, err = parseDateFlag("to", *to); err != nil {
		return err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.First() > q.To.Last() {
		return usagef("--from %s is after --to %s", q.From, q.To)
	}
	if *first < 0 {
		return usagef("--first must not be negative, not %d", *first)
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		ids, err := resolveIDs(ctx, s, "ID", q.ID)
		if err != nil {
			return nil, err
		}
		q.ID = ids[0]
		events, _, err := analysis.New(s).Timeline(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"date", "kind", "description", "relation", "entity", "sources"}}
		for _, ev := range events {
			rel, ent := "", ""
			if ev.Relation != nil {
				rel = ev.Relation.ID
			}
			if ev.Entity != nil {
				ent = ev.Entity.ID
			}
			t.add(ev.Date.String(), string(ev.Kind), ev.Description, rel, ent, sourceKeys(ev.Sources))
		}
		return t, nil
	})
}

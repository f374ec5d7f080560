package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

func cmdDiff(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "diff", "[--ids ID,...] [--hops N] [--types T,...] [--first N] FROM TO", `
List the relations added and ended between dates FROM and TO, and the
attributes whose dated value changed, over the whole graph or around
--ids. Added: had not started on FROM and had by TO; ended: held on FROM
and had ended before TO. Dates compare at their own precision.`)
	ids := f.String("ids", "", "only the neighbourhood of these entities (comma-separated)")
	hops := f.Int("hops", 1, fmt.Sprintf("depth of the neighbourhood of --ids (0-%d)", graph.MaxPathHops))
	types := f.String("types", "", "only relations of these types (comma-separated)")
	first := f.Int("first", 0, "at most this many of each list (0: all)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want two dates, FROM and TO; got %d argument(s)", len(pos))
	}
	q := analysis.DiffQuery{IDs: splitList(*ids), Hops: *hops, First: *first}
	if q.From, err = parseDateFlag("FROM", pos[0]); err != nil {
		return usagef("FROM: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", pos[0])
	}
	if q.To, err = parseDateFlag("TO", pos[1]); err != nil {
		return usagef("TO: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", pos[1])
	}
	if q.From.IsZero() || q.To.IsZero() || q.From.First() >= q.To.First() {
		return usagef("FROM %q must be before TO %q", pos[0], pos[1])
	}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if err := checkRange("hops", *hops, 0, graph.MaxPathHops); err != nil {
		return err
	}
	if *first < 0 {
		return usagef("--first must not be negative, not %d", *first)
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		var err error
		if q.IDs, err = resolveIDs(ctx, s, "--ids", q.IDs...); err != nil {
			return nil, err
		}
		d, err := analysis.New(s).Diff(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"change", "date", "id", "type", "from", "to", "status", "before", "after"}}
		for _, r := range d.Added {
			t.add("added", r.ValidFrom.String(), r.ID, string(r.Type), r.From, r.To, string(r.Status), "", "")
		}
		for _, r := range d.Ended {
			t.add("ended", r.ValidTo.String(), r.ID, string(r.Type), r.From, r.To, string(r.Status), "", "")
		}
		for _, c := range d.Changed {
			before := ""
			if c.Before != nil {
				before = c.Before.Value + " " + c.Before.Unit + " (" + c.Before.AsOf.String() + ")"
			}
			after := c.After.Value + " " + c.After.Unit + " (" + c.After.AsOf.String() + ")"
			t.add("attribute", c.After.AsOf.String(), c.Entity.ID, c.Name, "", "", string(c.After.Status), strings.TrimSpace(before), after)
		}
		if d.Truncated {
			fmt.Fprintln(e.stderr, "note: the neighbourhood of --ids was cut at the node limit")
		}
		return t, nil
	})
}

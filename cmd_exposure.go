package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

func cmdExposure(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "exposure", "[--as-of DATE] [--max-hops N] [--types T,...] ID", `
List every sanction or regulation that reaches entity ID through its supply
chain (designer, foundry, components, suppliers, parent, what it buys or
runs on), nearest first, with the path and its weakest status.`)
	asOf := f.String("as-of", "", "only relations valid on this date (YYYY, YYYY-MM or YYYY-MM-DD)")
	maxHops := f.Int("max-hops", 4, fmt.Sprintf("relations on a path, the sanction's TARGETS included (1-%d)", graph.MaxPathHops))
	types := f.String("types", "", "supply-chain types to follow (comma-separated; default all of them)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	id, err := oneArg(pos, "entity ID")
	if err != nil {
		return err
	}
	q := analysis.ExposureQuery{ID: id, MaxHops: *maxHops}
	if q.AsOf, err = parseDateFlag("as-of", *asOf); err != nil {
		return err
	}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if err := checkRange("max-hops", *maxHops, 1, graph.MaxPathHops); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		ids, err := resolveIDs(ctx, s, "ID", q.ID)
		if err != nil {
			return nil, err
		}
		q.ID = ids[0]
		list, err := analysis.New(s).Exposure(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"sanction", "name", "hops", "status", "path"}}
		for _, x := range list {
			t.add(x.Sanction.ID, x.Sanction.Name, strconv.Itoa(x.Hops), string(x.Status), pathText(x.Path))
		}
		return t, nil
	})
}

package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

func cmdChokepoints(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "chokepoints", "[--category C] [--types T,...] [--kinds K,...] [--as-of DATE] [--first N]", `
Rank the entities whose removal cuts off the most of China's AI chips and
systems (a knock-out cascade over the supply subgraph; see the README).`)
	category := f.String("category", "", "follow only SUPPLIES of this category ("+strings.Join(graph.SupplyCategories, ", ")+")")
	types := f.String("types", "", "relation types of the supply subgraph (comma-separated)")
	kinds := f.String("kinds", "", "only chokepoints of these kinds (comma-separated)")
	asOf := f.String("as-of", "", "only relations valid on this date")
	first := f.Int("first", 10, "at most this many (1-1000)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	q := analysis.ChokepointQuery{Category: *category, First: *first}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if q.Kinds, err = parseKindsFlag("kinds", *kinds); err != nil {
		return err
	}
	if q.AsOf, err = parseDateFlag("as-of", *asOf); err != nil {
		return err
	}
	if err := checkRange("first", *first, 1, 1000); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		res, err := analysis.New(s).Chokepoints(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"id", "kind", "name", "score", "dependents", "examples"}}
		for _, c := range res.Chokepoints {
			var ex []string
			for _, d := range c.Dependents[:min(5, len(c.Dependents))] {
				ex = append(ex, d.ID)
			}
			t.add(c.Entity.ID, string(c.Entity.Kind), c.Entity.Name, strconv.FormatFloat(c.Score, 'f', 3, 64),
				strconv.Itoa(len(c.Dependents)), strings.Join(ex, ";"))
		}
		return t, nil
	})
}

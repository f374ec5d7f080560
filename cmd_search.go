package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

func cmdSearch(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "search", "[--kinds K,...] [--first N] TEXT...", `
Full-text search over names, aliases, descriptions, attribute notes, supply
roles and source titles, ranked by BM25; typos and Chinese are handled, and
an entity whose id, name or alias is the whole text comes first. The words
of TEXT are searched together (at most 256 bytes, 16 words).`)
	kinds := f.String("kinds", "", "only entities of these kinds (comma-separated)")
	first := f.Int("first", 10, "at most this many results (1-1000)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(strings.Join(pos, " "))
	if text == "" {
		return usagef("missing TEXT to search for")
	}
	if len(text) > graph.MaxSearchText {
		return usagef("TEXT is %d bytes; at most %d", len(text), graph.MaxSearchText)
	}
	ks, err := parseKindsFlag("kinds", *kinds)
	if err != nil {
		return err
	}
	if err := checkRange("first", *first, 1, 1000); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		ms, err := s.Search(ctx, text, ks, *first)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"id", "kind", "name", "score"}}
		for _, m := range ms {
			t.add(m.Entity.ID, string(m.Entity.Kind), m.Entity.Name, strconv.FormatFloat(m.Score, 'f', 3, 64))
		}
		return t, nil
	})
}

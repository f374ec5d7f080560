package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/chipgraph/chipgraph/graph"
)

type statsJSON struct {
	Entities  int                        `json:"entities"`
	Relations int                        `json:"relations"`
	Sources   int                        `json:"sources"`
	Quads     int                        `json:"quads"`
	ByKind    map[graph.Kind]int         `json:"byKind"`
	ByType    map[graph.RelationType]int `json:"byType"`
	Version   uint64                     `json:"version"`
}

func cmdStats(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "stats", "[--json] [--db DSN]", `
Count entities by kind, relations by type, sources and quads. The store
must exist (stats never creates one); the default in-memory store holds
the curated data, as serve's does.`)
	asJSON := f.Bool("json", false, "print JSON")
	dsn := f.dbFlag()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	store, err := openForReading(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	st, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	if st.ByKind == nil {
		st.ByKind = map[graph.Kind]int{}
	}
	if st.ByType == nil {
		st.ByType = map[graph.RelationType]int{}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statsJSON{st.Entities, st.Relations, st.Sources, st.Quads, st.ByKind, st.ByType, st.Version})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "entities\t%d\nrelations\t%d\nsources\t%d\nquads\t%d\n", st.Entities, st.Relations, st.Sources, st.Quads)
	fmt.Fprintf(tw, "\nentities by kind:\n")
	for _, k := range sortedKeys(st.ByKind, graph.Kinds) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, st.ByKind[k])
	}
	fmt.Fprintf(tw, "\nrelations by type:\n")
	for _, t := range sortedKeys(st.ByType, graph.RelationTypes) {
		fmt.Fprintf(tw, "  %s\t%d\n", t, st.ByType[t])
	}
	return tw.Flush()
}

// sortedKeys returns the keys of m with a non-zero count: those in order
// first, in that order, then any others sorted.
func sortedKeys[K ~string](m map[K]int, order []K) []K {
	var keys, extra []K
	for _, k := range order {
		if m[k] != 0 {
			keys = append(keys, k)
		}
	}
	for k, n := range m {
		if n != 0 && !slices.Contains(order, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(keys, extra...)
}

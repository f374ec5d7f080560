package analysis_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
	"github.com/chipgraph/chipgraph/loaders"
)

var ctx = context.Background()

var (
	curatedOnce  sync.Once
	curatedStore *graph.CayleyStore
	curatedErr   error
)

// curated is a memory store of the curated data, shared by read-only tests.
func curated(t *testing.T) *graph.CayleyStore {
	t.Helper()
	curatedOnce.Do(func() { curatedStore, curatedErr = loaders.OpenCurated(ctx) })
	if curatedErr != nil {
		t.Fatalf("loading curated data: %v", curatedErr)
	}
	return curatedStore
}

// small builds a store from entities "id:KIND[:CC]" and relations.
func small(t *testing.T, entities []string, rels []graph.Relation) *graph.CayleyStore {
	t.Helper()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b := graph.Batch{Sources: []graph.Source{{Key: "s", Title: "S", URL: "https://example.org/s", Publisher: "P", Published: graph.MustDate("2024")}}}
	for _, spec := range entities {
		parts := append(splitColon(spec), "", "")
		b.Entities = append(b.Entities, graph.Entity{ID: parts[0], Kind: graph.Kind(parts[1]), Name: parts[0], Country: parts[2], Sources: []string{"s"}})
	}
	for _, r := range rels {
		if r.Status == "" {
			r.Status = graph.StatusConfirmed
		}
		r.Sources = []string{"s"}
		b.Relations = append(b.Relations, r)
	}
	if _, err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	return s
}

func splitColon(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == ':' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func rel(from string, t graph.RelationType, to string) graph.Relation {
	return graph.Relation{Type: t, From: from, To: to}
}

func wantCode(t *testing.T, err error, code graph.Code, path string) {
	t.Helper()
	if graph.ErrorCode(err) != code {
		t.Fatalf("error %v: code %s, want %s", err, graph.ErrorCode(err), code)
	}
	var ge *graph.Error
	if path != "" {
		if e, ok := err.(*graph.Error); ok {
			ge = e
		}
		if ge == nil || ge.Path != path {
			t.Errorf("error %v: want path %q", err, path)
		}
	}
}

func entityIDs(list []*graph.Entity) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.ID
	}
	return out
}

func relIDs(list []*graph.Relation) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.ID
	}
	return out
}

func contains[T comparable](list []T, x T) bool { return slices.Contains(list, x) }

var _ = analysis.New

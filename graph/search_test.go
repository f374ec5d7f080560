package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
	"github.com/chipgraph/chipgraph/loaders"
)

var (
	curatedOnce  sync.Once
	curatedStore *graph.CayleyStore
	curatedErr   error
)

// curated is a memory store of the curated data, shared by read-only tests.
func curated(t *testing.T) *graph.CayleyStore {
	t.Helper()
	curatedOnce.Do(func() { curatedStore, curatedErr = loaders.OpenCurated(context.Background()) })
	if curatedErr != nil {
		t.Fatalf("loading curated data: %v", curatedErr)
	}
	return curatedStore
}

// TestSearchCurated holds the worked examples of full-text search on the
// curated data: phrases, typos, Chinese, and words spread over names,
// descriptions and supply relations.
func TestSearchCurated(t *testing.T) {
	ctx := context.Background()
	s := curated(t)
	memorySuppliers := map[string]bool{}
	rels, err := s.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.Supplies}, Category: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		memorySuppliers[r.From] = true
	}
	isHBM := func(e *graph.Entity) bool {
		return e.Kind == graph.KindMemory && strings.Contains(strings.ToUpper(e.Name+" "+strings.Join(e.Aliases, " ")), "HBM")
	}
	tests := []struct {
		text  string
		check func(got []*graph.Entity) bool
		want  string
	}{
		{"October 7 2022 rule", firstIs("bis-advanced-computing-rule-2022-10"), "the October 7, 2022 rule first"},
		{"Cambrcon", firstIs("cambricon"), "the company Cambricon first, before its chips"},
		{"华为", firstIs("huawei"), "Huawei first"},
		{"SMIC 7nm", func(got []*graph.Entity) bool {
			return slices.ContainsFunc(got[:min(3, len(got))], func(e *graph.Entity) bool { return e.ID == "smic" || e.ID == "smic-n-plus-2" })
		}, "SMIC or its N+2 node in the top three"},
		{"high bandwidth memory Huawei", func(got []*graph.Entity) bool {
			top := got[:min(5, len(got))]
			return slices.ContainsFunc(top, isHBM) && slices.ContainsFunc(top, func(e *graph.Entity) bool { return memorySuppliers[e.ID] })
		}, "an HBM entity and a memory supplier in the top five"},
		{"HBM supplier Huawei", func(got []*graph.Entity) bool {
			top := got[:min(5, len(got))]
			return slices.ContainsFunc(got[:min(3, len(got))], func(e *graph.Entity) bool { return memorySuppliers[e.ID] }) && slices.ContainsFunc(top, isHBM)
		}, "a memory supplier in the top three and an HBM entity in the top five"},
		{"Mate 60", func(got []*graph.Entity) bool {
			return len(got) > 0 && (strings.Contains(got[0].Name, "Mate 60") || strings.Contains(got[0].Description, "Mate 60"))
		}, "first an entity whose name or description names the Mate 60"},
		{"sk hynex", firstIs("sk-hynix"), "SK hynix first"},
		{"中芯国际", firstIs("smic"), "SMIC first"},
	}
	for _, tt := range tests {
		ms, err := s.Search(ctx, tt.text, nil, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", tt.text, err)
		}
		got := make([]*graph.Entity, len(ms))
		ids := make([]string, len(ms))
		for i, m := range ms {
			got[i], ids[i] = m.Entity, m.Entity.ID
		}
		if !tt.check(got) {
			t.Errorf("Search(%q) = %v, want %s", tt.text, ids, tt.want)
		}
	}

	// Kinds filter the hits, exact matches included.
	ms, err := s.Search(ctx, "Cambricon", []graph.Kind{graph.KindChip}, 10)
	if err != nil || len(ms) == 0 {
		t.Fatalf("Search(Cambricon, CHIP) = %v, %v", ms, err)
	}
	for _, m := range ms {
		if m.Entity.Kind != graph.KindChip {
			t.Errorf("Search(Cambricon, CHIP) returned %s, a %s", m.Entity.ID, m.Entity.Kind)
		}
	}
}

func firstIs(id string) func([]*graph.Entity) bool {
	return func(got []*graph.Entity) bool { return len(got) > 0 && got[0].ID == id }
}

// TestSearchIndexRebuild writes many times (the index is rebuilt every so
// many writes) while searches run, and checks that search never fails and
// ends up with the last write.
func TestSearchIndexRebuild(t *testing.T) {
	ctx := context.Background()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Apply(ctx, graphtest.Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Search(ctx, "smic", nil, 5); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.Search(ctx, "Huawei chips", nil, 5); err != nil {
				errs <- err
				return
			}
		}
	}()
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	for i := range 300 {
		e := graph.Entity{ID: "hisilicon", Kind: graph.KindCompany, Name: "HiSilicon",
			Description: "codeword " + words[i%len(words)] + fmt.Sprint(i), Sources: []string{"s1"}}
		if _, err := s.Apply(ctx, graph.Batch{Entities: []graph.Entity{e}}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatalf("search during writes: %v", err)
	}
	last := words[299%len(words)] + "299" // delta299
	for text, want := range map[string]bool{last: true, "alpha0": false, words[294%len(words)] + "294": false} {
		got, err := s.Search(ctx, text, nil, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := len(got) > 0 && got[0].Entity.ID == "hisilicon"
		if found != want {
			t.Errorf("Search(%q) found hisilicon: %v, want %v", text, found, want)
		}
	}
}

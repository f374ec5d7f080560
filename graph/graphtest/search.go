package graphtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// testSearchFollowsWrites checks that search sees every kind of write as
// soon as Apply returns: a new entity, a changed description, a changed
// source title, a new relation (its product names the supplier), a delete;
// and that over-long text is CodeInvalid with a message saying so.
func testSearchFollowsWrites(t *testing.T, b Backend) {
	s := loaded(t, b)
	found := func(text, id string) bool {
		t.Helper()
		got, err := s.Search(ctx, text, nil, 20)
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		return slices.ContainsFunc(got, func(m graph.Match) bool { return m.Entity.ID == id })
	}
	// The index exists before the writes below (built by the first search).
	if !found("Cambricon", "cambricon") {
		t.Fatal("cambricon not found by name")
	}
	apply := func(batch graph.Batch) {
		t.Helper()
		if _, err := s.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	src := []string{"s1"}
	before := s.View()
	apply(graph.Batch{Entities: []graph.Entity{{ID: "moore-threads", Kind: graph.KindCompany, Name: "Moore Threads",
		Description: "Maker of the zirconium graphics cards", Sources: src}}})
	if !found("Moore Threads", "moore-threads") || !found("zirconium", "moore-threads") {
		t.Error("a new entity is not found by its name or description")
	}
	// A view of the revision before answers from that revision, though
	// the one index already holds the write.
	if got, err := before.Search(ctx, "zirconium", nil, 20); err != nil || len(got) != 0 {
		t.Errorf("a view from before the write: Search(zirconium) = %v, %v; want nothing", got, err)
	}
	apply(graph.Batch{Entities: []graph.Entity{{ID: "moore-threads", Kind: graph.KindCompany, Name: "Moore Threads",
		Description: "Maker of the hafnium graphics cards", Sources: []string{"s2"}}}})
	if found("zirconium", "moore-threads") || !found("hafnium", "moore-threads") {
		t.Error("an updated description is not followed")
	}
	apply(graph.Batch{Sources: []graph.Source{{Key: "s2", Title: "Teardown of the quasar accelerator", URL: "https://example.org/2",
		Publisher: "Example", Published: graph.MustDate("2025")}}})
	if !found("quasar", "moore-threads") {
		t.Error("a changed source title is not followed by the entities citing it")
	}
	apply(graph.Batch{Relations: []graph.Relation{{Type: graph.Supplies, From: "moore-threads", To: "smic", Category: "packaging",
		Product: "Interposers", Status: graph.StatusReported, Sources: src}}})
	if !found("interposer supplier", "moore-threads") {
		t.Error("a new supply relation's product does not find its supplier")
	}
	apply(graph.Batch{DeleteEntities: []string{"moore-threads"}, Cascade: true})
	if found("Moore Threads", "moore-threads") || found("hafnium", "moore-threads") {
		t.Error("a deleted entity is still found")
	}
	if found("interposer", "smic") {
		t.Error("a deleted relation's product still finds its customer")
	}

	for _, text := range []string{strings.Repeat("a", graph.MaxSearchText+1), strings.Repeat("chip ", graph.MaxSearchTerms+1)} {
		_, err := s.Search(ctx, text, nil, 5)
		wantCode(t, err, graph.CodeInvalid)
		if err != nil && !strings.Contains(err.Error(), "too long") {
			t.Errorf("over-long text: %v, want it to say too long", err)
		}
	}
}

package graphtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
)

// testWrite builds one change from several batches (graph.Write): what is
// staged is invisible until Commit, later batches see earlier ones, a bad
// batch stages nothing and the write goes on, Commit counts the net change
// from the base, Abort leaves the store as it was, and a write holds other
// writers back until it ends.
func testWrite(t *testing.T, b Backend) {
	s := loaded(t, b)
	v0 := s.Version()
	src := []string{"s1"}
	ent := func(id, name string) graph.Entity {
		return graph.Entity{ID: id, Kind: graph.KindCompany, Name: name, Sources: src}
	}
	rel := func(from, to string) graph.Relation {
		return graph.Relation{Type: graph.CustomerOf, From: from, To: to, Status: graph.StatusReported, Sources: src}
	}

	w, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w.Base().Revision() != v0 {
		t.Errorf("base revision %d, want %d", w.Base().Revision(), v0)
	}
	res, err := w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("w1", "W1"), ent("w2", "W2")}})
	if err != nil || res.Created != 2 {
		t.Fatalf("Add entities: %+v, %v", res, err)
	}
	// The second batch refers to the first's entities, renames one and
	// deletes a stored relation.
	if _, err := w.Add(ctx, graph.Batch{
		Entities:        []graph.Entity{ent("w1", "W1 renamed")},
		Relations:       []graph.Relation{rel("w1", "w2"), rel("w2", "huawei")},
		DeleteRelations: []string{relationID(t, s, "hisilicon", "huawei")},
	}); err != nil {
		t.Fatalf("Add relations: %v", err)
	}
	// A bad batch stages nothing; the write goes on.
	_, err = w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("w3", "W3")}, Relations: []graph.Relation{rel("w3", "nowhere")}})
	if graph.ErrorCode(err) != graph.CodeInvalid {
		t.Errorf("Add with a dangling relation: %v, want INVALID", err)
	}
	if _, ok := w.StagedEntity("w3"); ok {
		t.Error("a refused batch was staged")
	}
	if e, ok := w.StagedEntity("w1"); !ok || e.Name != "W1 renamed" {
		t.Errorf("StagedEntity(w1) = %+v, %v", e, ok)
	}
	if _, ok := w.StagedRelation(graph.DefaultRelationID("w1", graph.CustomerOf, "w2")); !ok {
		t.Error("StagedRelation misses a staged relation")
	}
	// Nothing is visible before Commit.
	if _, err := s.Entity(ctx, "w1"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("staged entity visible before Commit: %v", err)
	}
	if s.Version() != v0 {
		t.Errorf("version moved before Commit")
	}
	// Another writer waits for the write to end.
	applied := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, graph.Batch{Entities: []graph.Entity{ent("late", "Late")}})
		applied <- err
	}()
	select {
	case err := <-applied:
		t.Fatalf("a concurrent Apply did not wait for the write: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	res, err = w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Net from the base: two entities and two relations created, one
	// relation deleted; w1 counts once, as created.
	if res.Created != 4 || res.Updated != 0 || res.Deleted != 1 {
		t.Errorf("Commit = %+v, want 4 created and 1 deleted", res)
	}
	if err := <-applied; err != nil {
		t.Fatalf("Apply after the write: %v", err)
	}
	if e, err := s.Entity(ctx, "w1"); err != nil || e.Name != "W1 renamed" {
		t.Errorf("after Commit: %+v, %v", e, err)
	}
	if s.Version() != v0+2 {
		t.Errorf("version %d, want %d (the write, then the waiting Apply)", s.Version(), v0+2)
	}
	if _, err := w.Add(ctx, graph.Batch{}); err == nil {
		t.Error("Add after Commit succeeded")
	}

	// Abort leaves nothing behind; a change that nets out to nothing
	// writes nothing.
	before := allQuads(t, s)
	v1 := s.Version()
	w, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("gone", "Gone")}}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort()
	if _, err := s.Entity(ctx, "gone"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("aborted entity visible: %v", err)
	}
	w, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("w2", "Changed")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("w2", "W2")}}); err != nil {
		t.Fatal(err)
	}
	res, err = w.Commit(ctx)
	if err != nil || res.Unchanged != 1 || res.Created+res.Updated+res.Deleted != 0 {
		t.Errorf("a change reverted in a later batch: %+v, %v; want 1 unchanged", res, err)
	}
	if s.Version() != v1 || !reflect.DeepEqual(before, allQuads(t, s)) {
		t.Errorf("nothing should have been written (version %d, was %d)", s.Version(), v1)
	}
	// Cancelled: nothing lands.
	w, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(ctx, graph.Batch{Entities: []graph.Entity{ent("cancelled", "C")}}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Commit(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with a cancelled context: %v", err)
	}
	if _, err := s.Entity(ctx, "cancelled"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("a cancelled write landed: %v", err)
	}
}

// relationID returns the id of the relation from -> to in s.
func relationID(t *testing.T, s graph.Store, from, to string) string {
	t.Helper()
	rels, err := s.Relations(ctx, graph.RelationFilter{From: from, To: to})
	if err != nil || len(rels) == 0 {
		t.Fatalf("no relation %s -> %s: %v", from, to, err)
	}
	return rels[0].ID
}

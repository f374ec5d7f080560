package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
)

// TestProjectionMirrorsBackend checks the invariant Quads relies on: after
// writes, updates and deletes, the quads cayley holds are exactly the quads
// of the records in the projection.
func TestProjectionMirrorsBackend(t *testing.T) {
	dsns := []string{"bolt:" + filepath.Join(t.TempDir(), "m.db")}
	if pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES"); pg != "" {
		dsns = append(dsns, FreshPostgresSchema(t, pg))
	}
	for _, dsn := range dsns {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		src := []string{"s"}
		steps := []Batch{
			{
				Sources: []Source{{Key: "s", Title: "T", URL: "https://example.org/", Publisher: "P", Published: MustDate("2024")}},
				Entities: []Entity{
					{ID: "a", Kind: KindCompany, Name: "A", Aliases: []string{"Alpha"}, Country: "CN", Sources: src},
					{ID: "b", Kind: KindChip, Name: "B", Sources: src},
					{ID: "c", Kind: KindCompany, Name: "C", Sources: src},
				},
				Relations: []Relation{{Type: Designs, From: "a", To: "b", Status: StatusReported, Sources: src}},
			},
			{ // rename, new alias, move a relation
				Entities:  []Entity{{ID: "a", Kind: KindCompany, Name: "A2", Aliases: []string{"Alef"}, Sources: src}},
				Relations: []Relation{{ID: "a--designs--b", Type: Designs, From: "c", To: "b", Status: StatusConfirmed, Sources: src}},
			},
			{DeleteEntities: []string{"c"}, Cascade: true},
			{ // more records removed than written, with a write: shared nodes (the record predicate, a kind) go net negative
				Entities:       []Entity{{ID: "d", Kind: KindChip, Name: "D", Sources: src}},
				DeleteEntities: []string{"a", "b"}, Cascade: true,
			},
		}
		for i, b := range steps {
			if _, err := s.Apply(ctx, b); err != nil {
				t.Fatalf("%s step %d: %v", dsn, i, err)
			}
			var backend, records []string
			err := backendQuads(t, s, func(q quad.Quad) error { backend = append(backend, q.NQuad()); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Quads(ctx, func(q quad.Quad) error { records = append(records, q.NQuad()); return nil }); err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(backend, cmp.Compare)
			slices.SortFunc(records, cmp.Compare)
			if !slices.Equal(backend, records) {
				t.Errorf("%s step %d: backend holds\n%v\nprojection gives\n%v", dsn, i, backend, records)
			}
			if st, _ := s.Stats(ctx); st.Quads != len(backend) {
				t.Errorf("%s step %d: Stats.Quads = %d, backend has %d", dsn, i, st.Quads, len(backend))
			}
		}
		s.Close()
	}
}

// backendQuads calls fn with every quad the backend holds, read through
// cayley's own quad store.
func backendQuads(t *testing.T, s *CayleyStore, fn func(quad.Quad) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	switch be := s.be.(type) {
	case *boltBackend:
		return eachQuad(ctx, be.qs, quad.Subject, nil, fn)
	case *pgBackend:
		// cayley's own reader: chipgraph writes cayley's schema.
		qs, err := cgraph.NewQuadStore("postgres", be.dsn, nil)
		if err != nil {
			return err
		}
		defer qs.Close()
		return eachQuad(ctx, qs, quad.Subject, nil, fn)
	}
	t.Fatalf("no backend quads for %T", s.be)
	return nil
}

var ctx = context.Background()

// TestStagedWriteCrash writes batches larger than a bbolt transaction
// (writeChunk made tiny), simulating a crash before each transaction in
// turn, and checks that reopening the file gives the state before the
// write or after it, never a mixture, with the backend's quads matching
// the projection.
func TestStagedWriteCrash(t *testing.T) {
	defer func(n int) { writeChunk = n }(writeChunk)
	writeChunk = 4
	src := []string{"s"}
	base := Batch{
		Sources: []Source{{Key: "s", Title: "T", URL: "https://example.org/", Publisher: "P", Published: MustDate("2024")}},
	}
	for i := range 8 {
		base.Entities = append(base.Entities, Entity{ID: fmt.Sprintf("e%d", i), Kind: KindCompany, Name: fmt.Sprintf("E%d", i),
			Aliases: []string{fmt.Sprintf("alias %d", i), fmt.Sprintf("other %d", i)}, Sources: src})
	}
	for i := range 7 {
		base.Relations = append(base.Relations, Relation{Type: CustomerOf, From: fmt.Sprintf("e%d", i), To: fmt.Sprintf("e%d", i+1),
			Status: StatusReported, Sources: src})
	}
	// The write: renames dropping aliases (the case cayley's key-value
	// store cannot write in one transaction), new entities and relations,
	// and deletes.
	change := Batch{DeleteEntities: []string{"e7"}, Cascade: true}
	for i := range 6 {
		change.Entities = append(change.Entities, Entity{ID: fmt.Sprintf("e%d", i), Kind: KindCompany, Name: fmt.Sprintf("Renamed %d", i), Sources: src})
		change.Entities = append(change.Entities, Entity{ID: fmt.Sprintf("n%d", i), Kind: KindChip, Name: fmt.Sprintf("N%d", i), Sources: src})
		change.Relations = append(change.Relations, Relation{Type: Designs, From: fmt.Sprintf("e%d", i), To: fmt.Sprintf("n%d", i),
			Status: StatusConfirmed, Sources: src})
	}
	t.Run("update", func(t *testing.T) { crashDuringWrite(t, base, change) })
	// A load into an empty store: undoing it empties the store.
	load := base
	load.Entities = slices.Clone(load.Entities)
	for _, e := range change.Entities {
		if !slices.ContainsFunc(load.Entities, func(x Entity) bool { return x.ID == e.ID }) {
			load.Entities = append(load.Entities, e)
		}
	}
	load.Relations = append(slices.Clone(load.Relations), change.Relations...)
	t.Run("load into an empty store", func(t *testing.T) { crashDuringWrite(t, Batch{}, load) })
}

// crashDuringWrite applies base to a new bolt file, then change to copies
// of it, crashing before each transaction in turn. The old state is the
// old file's cayley buckets, value for value and reference count for
// reference count (dumpCayley), and the new state the new file's.
func crashDuringWrite(t *testing.T, base, change Batch) {
	dir := t.TempDir()
	state := func(s *CayleyStore) (Stats, []string, cayleyDump) {
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var backend, records []string
		backendQuads(t, s, func(q quad.Quad) error { backend = append(backend, q.NQuad()); return nil })
		s.Quads(ctx, func(q quad.Quad) error { records = append(records, q.NQuad()); return nil })
		slices.Sort(backend)
		slices.Sort(records)
		if !slices.Equal(backend, records) {
			t.Errorf("backend holds %d quads, projection %d, and they differ", len(backend), len(records))
		}
		return st, records, dumpCayley(t, boltDB(s))
	}
	// References: the state before and after.
	ref := filepath.Join(dir, "ref.db")
	s, err := Open(ctx, "bolt:"+ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, base); err != nil {
		t.Fatal(err)
	}
	oldStats, oldQuads, oldDump := state(s)
	s.Close()
	baseFile, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = Open(ctx, "bolt:"+ref)
	if _, err := s.Apply(ctx, change); err != nil {
		t.Fatal(err)
	}
	newStats, newQuads, newDump := state(s)
	s.Close()

	outcomes := map[string]int{}
	for crashAt := 1; ; crashAt++ {
		f := filepath.Join(dir, fmt.Sprintf("crash-%d.db", crashAt))
		if err := os.WriteFile(f, baseFile, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, "bolt:"+f)
		if err != nil {
			t.Fatal(err)
		}
		be := s.be.(*boltBackend)
		be.crashAt = crashAt
		_, err = s.Apply(ctx, change)
		crashed := errors.Is(err, errSimulatedCrash)
		if err != nil && !crashed {
			t.Fatalf("crash at %d: %v", crashAt, err)
		}
		be.qs.Close() // as a dead process would: no cleanup
		s, err = Open(ctx, "bolt:"+f)
		if err != nil {
			t.Fatalf("reopen after a crash at transaction %d: %v", crashAt, err)
		}
		st, quads, dump := state(s)
		s.Close()
		switch {
		case reflect.DeepEqual(st, oldStats) && slices.Equal(quads, oldQuads) && reflect.DeepEqual(dump, oldDump):
			outcomes["old"]++
		case reflect.DeepEqual(st, newStats) && slices.Equal(quads, newQuads) && reflect.DeepEqual(dump, newDump):
			outcomes["new"]++
		default:
			t.Errorf("crash at transaction %d: neither the old nor the new state: %+v", crashAt, st)
		}
		if !crashed {
			break
		}
	}
	if outcomes["old"] < 2 || outcomes["new"] < 2 {
		t.Errorf("outcomes %v: want crashes both before and after the switch", outcomes)
	}
	t.Logf("outcomes: %v", outcomes)
}

// TestAdjacencyEnds checks the invariant unfiltered walks rely on: after
// writes that add, move and delete relations and delete entities, each
// node's ends name the other end of each of its edges, in list order.
func TestAdjacencyEnds(t *testing.T) {
	s, err := Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := []string{"s"}
	ents := func(ids ...string) []Entity {
		var es []Entity
		for _, id := range ids {
			es = append(es, Entity{ID: id, Kind: KindCompany, Name: "N " + id, Sources: src})
		}
		return es
	}
	rel := func(id, from, to string) Relation {
		return Relation{ID: id, Type: PartnersWith, From: from, To: to, Status: StatusReported, Sources: src}
	}
	steps := []Batch{
		{
			Sources:   []Source{{Key: "s", Title: "T", URL: "https://example.org/", Publisher: "P", Published: MustDate("2024")}},
			Entities:  ents("a", "b", "c", "d"),
			Relations: []Relation{rel("r1", "a", "b"), rel("r2", "b", "c"), rel("r3", "c", "a"), rel("r4", "a", "d")},
		},
		{Relations: []Relation{rel("r1", "d", "c"), rel("r5", "b", "d")}}, // move r1
		{DeleteRelations: []string{"r3"}, Relations: []Relation{rel("r6", "d", "a")}},
		{DeleteEntities: []string{"b"}, Cascade: true},
		{Entities: ents("e"), Relations: []Relation{rel("r7", "e", "a"), rel("r8", "a", "e")}},
	}
	for i, b := range steps {
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		p := s.cur.Load()
		edges := 0
		for n := range p.nodeSlots {
			rec := p.node(n)
			if rec.entity == nil {
				continue
			}
			var want []int32
			for _, e := range rec.out {
				want = append(want, p.edge(e).to)
			}
			for _, e := range rec.in {
				want = append(want, p.edge(e).from)
			}
			if !slices.Equal(rec.ends, want) {
				t.Errorf("step %d: %s: ends %v, want %v", i, rec.entity.ID, rec.ends, want)
			}
			edges += len(rec.out)
		}
		if st, _ := s.Stats(ctx); edges != st.Relations {
			t.Errorf("step %d: %d edges in the adjacency lists, %d relations", i, edges, st.Relations)
		}
	}
}

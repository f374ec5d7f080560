package graph

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
)

// TestProjectionMirrorsBackend checks the invariant Quads relies on: after
// writes, updates and deletes, the quads cayley holds are exactly the quads
// of the records in the projection.
func TestProjectionMirrorsBackend(t *testing.T) {
	dsns := []string{"memory:", "bolt:" + filepath.Join(t.TempDir(), "m.db")}
	if pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES"); pg != "" {
		dsns = append(dsns, FreshPostgresSchema(t, pg))
	}
	for _, dsn := range dsns {
		ctx := context.Background()
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
			s.writeMu.Lock()
			err := s.eachQuad(ctx, func(q quad.Quad) error { backend = append(backend, q.NQuad()); return nil })
			s.writeMu.Unlock()
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

// TestRecoverInterruptedWrite crashes a two-phase bbolt write after its
// first phase (as a SIGKILL would) and checks that Open completes it.
func TestRecoverInterruptedWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(ctx, "bolt:"+path)
	if err != nil {
		t.Fatal(err)
	}
	src := []string{"s"}
	if _, err := s.Apply(ctx, Batch{
		Sources:  []Source{{Key: "s", Title: "T", URL: "https://example.org/", Publisher: "P", Published: MustDate("2024")}},
		Entities: []Entity{{ID: "a", Kind: KindCompany, Name: "A", Aliases: []string{"Alpha", "Alfa"}, Sources: src}},
	}); err != nil {
		t.Fatal(err)
	}
	updated := Entity{ID: "a", Kind: KindCompany, Name: "A2", Sources: src}
	pl, perr := planBatch(s.proj, &Batch{Entities: []Entity{updated}})
	if perr != nil {
		t.Fatal(perr)
	}
	// Phase one only, as write does it, then "crash".
	var adds, dels []quad.Quad
	for _, d := range pl.deltas {
		if d.Action == cgraph.Add {
			adds = append(adds, d.Quad)
		} else {
			dels = append(dels, d.Quad)
		}
	}
	var list string
	for _, q := range dels {
		list += q.NQuad() + "\n"
	}
	phase1 := []cgraph.Delta{{Quad: quad.Quad{Subject: pendingIRI, Predicate: pendingIRI, Object: quad.String(list)}, Action: cgraph.Add}}
	for _, q := range adds {
		phase1 = append(phase1, cgraph.Delta{Quad: q, Action: cgraph.Add})
	}
	if err := s.qs.ApplyDeltas(phase1, cgraph.IgnoreOpts{}); err != nil {
		t.Fatal(err)
	}
	s.qs.Close()

	s, err = Open(ctx, "bolt:"+path)
	if err != nil {
		t.Fatalf("reopen after an interrupted write: %v", err)
	}
	defer s.Close()
	e, err := s.Entity(ctx, "a")
	if err != nil || e.Name != "A2" || len(e.Aliases) != 0 {
		t.Fatalf("after recovery: %+v, %v; want the updated entity", e, err)
	}
	var n int
	s.eachQuad(ctx, func(q quad.Quad) error {
		if q.Subject == pendingIRI {
			t.Error("the pending quad survived recovery")
		}
		n++
		return nil
	})
	if st, _ := s.Stats(ctx); st.Quads != n {
		t.Errorf("Stats.Quads = %d, backend has %d", st.Quads, n)
	}
}

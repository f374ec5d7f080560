package graph_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

func postgresDSN(tb testing.TB) string {
	dsn := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	return graph.FreshPostgresSchema(tb, dsn)
}

// waitFor waits until s is at revision rev or later; the bound only stops
// a broken test from hanging.
func waitFor(tb testing.TB, s *graph.CayleyStore, rev uint64) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.Version() < rev {
		if time.Now().After(deadline) {
			tb.Fatalf("replica at revision %d, still not at %d after 20s (%+v)", s.Version(), rev, s.SyncStatus())
		}
		time.Sleep(time.Millisecond)
	}
}

// sameGraph fails unless a and b hold the same records at the same revision.
func sameGraph(t *testing.T, a, b *graph.CayleyStore) {
	t.Helper()
	quads := func(s *graph.CayleyStore) []string {
		var out []string
		if err := s.Quads(context.Background(), func(q quad.Quad) error { out = append(out, q.NQuad()); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	sa, _ := a.Stats(context.Background())
	sb, _ := b.Stats(context.Background())
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("replicas differ:\n%+v\n%+v", sa, sb)
	}
	if qa, qb := quads(a), quads(b); !slices.Equal(qa, qb) {
		t.Errorf("replicas hold different quads (%d and %d)", len(qa), len(qb))
	}
}

// finds reports whether searching s for text returns the entity id.
func finds(t *testing.T, s graph.Searcher, text, id string) bool {
	t.Helper()
	ms, err := s.Search(context.Background(), text, nil, 50)
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	return slices.ContainsFunc(ms, func(m graph.Match) bool { return m.Entity.ID == id })
}

func TestReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	a, b := openT(t, dsn), openT(t, dsn)
	defer a.Close()
	defer b.Close()
	if _, err := a.Apply(ctx, graphtest.Fixture()); err != nil {
		t.Fatal(err)
	}
	// Both full-text indexes exist before the writes below, so they must
	// follow them, whichever replica wrote. (The searches below look for
	// words of descriptions: a search for a whole name is answered from
	// the snapshot's name index, not the full-text one.)
	waitFor(t, b, a.Version())
	for _, s := range []*graph.CayleyStore{a, b} {
		if !finds(t, s, "Cambricon", "cambricon") {
			t.Fatal("cambricon not found")
		}
	}
	// B validates against the database, not its copy: a write citing
	// the source A just created lands even before B has heard of it.
	src := graph.Source{Key: "from-a", Title: "T", URL: "https://example.org/a", Publisher: "P", Published: graph.MustDate("2025")}
	if _, err := a.Apply(ctx, graph.Batch{Sources: []graph.Source{src}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Apply(ctx, graph.Batch{Entities: []graph.Entity{{ID: "from-b", Kind: graph.KindCompany, Name: "From B",
		Description: "Maker of tungsten widgets", Sources: []string{"from-a"}}}}); err != nil {
		t.Fatalf("B's write citing A's source: %v", err)
	}
	waitFor(t, a, b.Version())
	if _, err := a.Entity(ctx, "from-b"); err != nil {
		t.Errorf("A does not see B's write: %v", err)
	}
	if !finds(t, a, "tungsten", "from-b") {
		t.Error("A's search does not find B's write")
	}
	sameGraph(t, a, b)

	// Concurrent writers through both replicas: every write lands once,
	// and both end at the same revision with the same graph.
	const n = 15
	var wg sync.WaitGroup
	for i, s := range []*graph.CayleyStore{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n {
				id := fmt.Sprintf("co-%d-%d", i, j)
				if _, err := s.Apply(ctx, graph.Batch{
					Entities: []graph.Entity{{ID: id, Kind: graph.KindCompany, Name: id,
						Description: fmt.Sprintf("lot%d%d", i, j), Sources: []string{"s1"}}},
					Relations: []graph.Relation{{Type: graph.CustomerOf, From: id, To: "huawei", Status: graph.StatusReported, Sources: []string{"s1"}}},
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	// Meanwhile a conflicting pair: A deletes what B updates.
	wg.Wait()
	waitFor(t, a, b.Version())
	waitFor(t, b, a.Version())
	sameGraph(t, a, b)
	rels, _ := b.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.CustomerOf}})
	if len(rels) != 2*n {
		t.Errorf("%d CUSTOMER_OF relations, want %d", len(rels), 2*n)
	}

	// A delete through B of what A wrote; A's later update of it is
	// refused, because A validates against the current state.
	if _, err := b.Apply(ctx, graph.Batch{DeleteEntities: []string{"co-0-0"}, Cascade: true}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Apply(ctx, graph.Batch{Relations: []graph.Relation{{Type: graph.Supplies, From: "co-0-0", To: "huawei", Category: "memory", Status: graph.StatusReported, Sources: []string{"s1"}}}})
	if graph.ErrorCode(err) != graph.CodeInvalid {
		t.Errorf("A's write to an entity B deleted: %v, want INVALID", err)
	}
	waitFor(t, a, b.Version())
	if finds(t, a, "lot00", "co-0-0") || !finds(t, a, "lot01", "co-0-1") || !finds(t, b, "lot13", "co-1-3") {
		t.Error("search does not follow the concurrent writes and B's delete on both replicas")
	}

	// A replica opened later starts at the database's revision.
	c := openT(t, dsn)
	defer c.Close()
	if c.Version() != a.Version() {
		t.Errorf("new replica at revision %d, the database at %d", c.Version(), a.Version())
	}
	sameGraph(t, a, c)
}

// TestReplicaReload writes a change too large for the change log: the
// other replica reads the whole graph again and ends where the writer is.
func TestReplicaReload(t *testing.T) {
	dsn := postgresDSN(t)
	defer graph.SetLogLimit(10)()
	ctx := context.Background()
	a, b := openT(t, dsn), openT(t, dsn)
	defer a.Close()
	defer b.Close()
	// B's index exists, empty, before the reload, which must rebuild it.
	if err := b.BuildTextIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, graphtest.Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, graph.Batch{Entities: []graph.Entity{{ID: "small", Kind: graph.KindCompany, Name: "Small",
		Description: "Vanadium refiner", Sources: []string{"s1"}}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, a.Version())
	sameGraph(t, a, b)
	if !finds(t, b, "Cambricon", "cambricon") || !finds(t, b, "vanadium", "small") {
		t.Error("B's search does not follow the reload")
	}
}

// BenchmarkReplicaPropagation measures how long a write through one
// replica takes to be readable on another over PostgreSQL (LISTEN/NOTIFY
// wakes it, then it reads the change log): p50 and p99.
func BenchmarkReplicaPropagation(b *testing.B) {
	dsn := postgresDSN(b)
	ctx := context.Background()
	w, r := openT(b, dsn), openT(b, dsn)
	defer w.Close()
	defer r.Close()
	if _, err := w.Apply(ctx, graphtest.Fixture()); err != nil {
		b.Fatal(err)
	}
	waitFor(b, r, w.Version())
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench-%d", i)
		if _, err := w.Apply(ctx, graph.Batch{Entities: []graph.Entity{{ID: id, Kind: graph.KindCompany, Name: id, Sources: []string{"s1"}}}}); err != nil {
			b.Fatal(err)
		}
		// Committed (and so visible to any new reader of the database)
		// when Apply returns: time from there until r serves it.
		t0 := time.Now()
		rev := w.Version()
		for r.Version() < rev {
			time.Sleep(50 * time.Microsecond)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

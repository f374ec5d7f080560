package graph_test

// Benchmarks on a generated, ecosystem-shaped graph of about 1M quads
// (graphtest.Generate(100_000)). Every query benchmark runs the projection
// and a plain Go adjacency-map baseline doing the same work on the same
// graph, interleaved in the same loop, and reports both medians and their
// ratio, so the number that matters (the ratio) is robust to machine noise.
//
//	go test -run '^$' -bench . -benchtime 2000x ./graph/
//
// Load rates: BenchmarkLoad (memory and bolt at 1M quads; PostgreSQL at a
// fiftieth of that when CHIPGRAPH_TEST_POSTGRES is set, beside the same
// quads written by cayley's own SQL writer).

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

var benchEntities = flag.Int("bench.entities", 100_000, "entities in the generated benchmark graph (~10 quads each)")

var (
	benchOnce  sync.Once
	benchBatch graph.Batch
	benchStore *graph.CayleyStore
	benchBase  *adjacency
	benchHeap  [3]uint64 // bytes held by the store, the baseline map, the baseline records
)

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func setupBench(b *testing.B) {
	benchOnce.Do(func() {
		benchBatch = graphtest.Generate(*benchEntities, 1)
		h0 := heapInUse()
		s, err := graph.Open(context.Background(), "memory:")
		if err != nil {
			panic(err)
		}
		if _, err := s.Apply(context.Background(), benchBatch); err != nil {
			panic(err)
		}
		benchStore = s
		h1 := heapInUse()
		benchBase = newAdjacency(benchBatch.Relations)
		h2 := heapInUse()
		recs := newRecords(benchBatch)
		h3 := heapInUse()
		runtime.KeepAlive(recs)
		benchHeap = [3]uint64{h1 - h0, h2 - h1, h3 - h2}
	})
	b.ResetTimer()
}

// adjacency is the baseline: the plainest Go adjacency map, both
// directions, with the relation id on each half-edge.
type adjacency struct {
	out, in map[string][]halfEdge
}

type halfEdge struct{ rel, other string }

func newAdjacency(rels []graph.Relation) *adjacency {
	a := &adjacency{out: map[string][]halfEdge{}, in: map[string][]halfEdge{}}
	for _, r := range rels {
		a.out[r.From] = append(a.out[r.From], halfEdge{r.ID, r.To})
		a.in[r.To] = append(a.in[r.To], halfEdge{r.ID, r.From})
	}
	return a
}

// records is the rest of the baseline for memory: every record held once,
// as a plain program would, by id.
type records struct {
	entities  map[string]*graph.Entity
	relations map[string]*graph.Relation
	sources   map[string]*graph.Source
}

// newRecords copies b's records (deeply, as the store does) into maps.
func newRecords(b graph.Batch) *records {
	r := &records{entities: map[string]*graph.Entity{}, relations: map[string]*graph.Relation{}, sources: map[string]*graph.Source{}}
	for _, e := range b.Entities {
		e.Aliases = slices.Clone(e.Aliases)
		e.Sources = slices.Clone(e.Sources)
		e.Attributes = slices.Clone(e.Attributes)
		for i := range e.Attributes {
			e.Attributes[i].Sources = slices.Clone(e.Attributes[i].Sources)
		}
		r.entities[e.ID] = &e
	}
	for _, rel := range b.Relations {
		rel.Sources = slices.Clone(rel.Sources)
		r.relations[rel.ID] = &rel
	}
	for _, s := range b.Sources {
		r.sources[s.Key] = &s
	}
	return r
}

// neighborhood does what Store.Subgraph does for seeds and hops: BFS in both
// directions, then the induced relations, both sorted by id.
func (a *adjacency) neighborhood(seed string, hops int) ([]string, []string) {
	in := map[string]bool{seed: true}
	order := []string{seed}
	frontier := []string{seed}
	for h := 0; h < hops; h++ {
		var next []string
		for _, n := range frontier {
			for _, list := range [][]halfEdge{a.out[n], a.in[n]} {
				for _, e := range list {
					if !in[e.other] {
						in[e.other] = true
						order = append(order, e.other)
						next = append(next, e.other)
					}
				}
			}
		}
		frontier = next
	}
	var rels []string
	for _, n := range order {
		for _, e := range a.out[n] {
			if in[e.other] {
				rels = append(rels, e.rel)
			}
		}
	}
	sort.Strings(order)
	sort.Strings(rels)
	return order, rels
}

// shortestPath is a BFS returning one shortest path's relations.
func (a *adjacency) shortestPath(from, to string, maxHops int) []string {
	type prev struct{ node, rel string }
	seen := map[string]prev{from: {}}
	frontier := []string{from}
	for h := 0; h < maxHops && len(frontier) > 0; h++ {
		var next []string
		for _, n := range frontier {
			for _, list := range [][]halfEdge{a.out[n], a.in[n]} {
				for _, e := range list {
					if _, ok := seen[e.other]; ok {
						continue
					}
					seen[e.other] = prev{n, e.rel}
					if e.other == to {
						var path []string
						for at := to; at != from; at = seen[at].node {
							path = append(path, seen[at].rel)
						}
						slices.Reverse(path)
						return path
					}
					next = append(next, e.other)
				}
			}
		}
		frontier = next
	}
	return nil
}

func seeds(n int) []string {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]string, n)
	for i := range out {
		out[i] = benchBatch.Entities[r.IntN(len(benchBatch.Entities))].ID
	}
	return out
}

func BenchmarkNeighborhood(b *testing.B) {
	for _, hops := range []int{1, 3} {
		b.Run(fmt.Sprintf("hops=%d", hops), func(b *testing.B) {
			setupBench(b)
			ss := seeds(1024)
			ctx := context.Background()
			graphtest.Compare(b, "base", "proj",
				func(i int) { benchBase.neighborhood(ss[i%len(ss)], hops) },
				func(i int) {
					if _, err := benchStore.Subgraph(ctx, graph.Selection{Seeds: []string{ss[i%len(ss)]}, Hops: hops}); err != nil {
						b.Fatal(err)
					}
				})
		})
	}
}

func BenchmarkShortestPath(b *testing.B) {
	setupBench(b)
	from, to := seeds(1024), seeds(1025)[1:]
	ctx := context.Background()
	graphtest.Compare(b, "base", "proj",
		func(i int) { benchBase.shortestPath(from[i%len(from)], to[i%len(to)], 4) },
		func(i int) {
			if _, err := benchStore.Paths(ctx, graph.PathQuery{From: from[i%len(from)], To: to[i%len(to)], MaxHops: 4, K: 1}); err != nil {
				b.Fatal(err)
			}
		})
}

// BenchmarkMemory reports the heap the memory store holds for the graph,
// beside the baseline: the bare adjacency map plus the records, each held
// once in a map by id.
func BenchmarkMemory(b *testing.B) {
	setupBench(b)
	for i := 0; i < b.N; i++ {
	}
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(mib(benchHeap[0]), "store-MiB")
	b.ReportMetric(mib(benchHeap[1]), "map-MiB")
	b.ReportMetric(mib(benchHeap[1]+benchHeap[2]), "base-MiB")
	b.ReportMetric(float64(benchHeap[0])/float64(benchHeap[1]+benchHeap[2]), "ratio")
}

func BenchmarkLoad(b *testing.B) {
	backends := []struct {
		name     string
		entities int
		dsn      func(b *testing.B) string
	}{
		{"memory", *benchEntities, func(*testing.B) string { return "memory:" }},
		{"bolt", *benchEntities, func(b *testing.B) string { return "bolt:" + filepath.Join(b.TempDir(), "bench.db") }},
	}
	if pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES"); pg != "" {
		backends = append(backends, struct {
			name     string
			entities int
			dsn      func(b *testing.B) string
		}{"postgres", *benchEntities / 50, func(b *testing.B) string {
			return graph.FreshPostgresSchema(b, pg)
		}})
	}
	if pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES"); pg != "" {
		// The baseline for PostgreSQL: the same quads through cayley's
		// own writer (one row per statement), into cayley's schema.
		b.Run("postgres-cayley", func(b *testing.B) {
			mem, err := graph.Open(context.Background(), "memory:")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := mem.Apply(context.Background(), graphtest.Generate(*benchEntities/50, 1)); err != nil {
				b.Fatal(err)
			}
			var deltas []cgraph.Delta
			mem.Quads(context.Background(), func(q quad.Quad) error {
				deltas = append(deltas, cgraph.Delta{Quad: q, Action: cgraph.Add})
				return nil
			})
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				dsn := graph.FreshPostgresSchema(b, pg)
				if err := cgraph.InitQuadStore("postgres", dsn, nil); err != nil {
					b.Fatal(err)
				}
				qs, err := cgraph.NewQuadStore("postgres", dsn, nil)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := qs.ApplyDeltas(deltas, cgraph.IgnoreOpts{}); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t0)
				qs.Close()
			}
			b.ReportMetric(float64(len(deltas)*b.N)/elapsed.Seconds(), "quads/s")
			b.ReportMetric(float64(len(deltas)), "quads")
		})
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			batch := graphtest.Generate(be.entities, 1)
			var quads int
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				s, err := graph.Open(context.Background(), be.dsn(b))
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				res, err := s.Apply(context.Background(), batch)
				elapsed += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				quads += res.Quads
				s.Close()
			}
			b.ReportMetric(float64(quads)/elapsed.Seconds(), "quads/s")
			b.ReportMetric(float64(quads/b.N), "quads")
		})
	}
}

package analysis_test

// Benchmarks of the analyses and of full-text search on the generated graph
// of about 1M quads (graphtest.Generate(100_000)), each against a baseline
// in the same loop (graphtest.Compare), so the ratios hold however busy the
// machine is:
//
//	go test -run '^$' -bench . -benchtime 400x -timeout 30m ./graph/analysis/
//
//	exposure     against the 4-hop neighbourhood an analyst would fetch to find it by hand
//	timeline     against the entity's relations, the listing it orders
//	diff         (2-hop neighbourhood) against that neighbourhood itself
//	chokepoints  served from its cache, against a 1-hop neighbourhood; and its recomputation after a write
//	search       (three words) against a linear scan of every name and alias for each word
//	search index build time and heap, on this graph and on the curated data

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
	"github.com/chipgraph/chipgraph/graph/graphtest"
	"github.com/chipgraph/chipgraph/loaders"
)

var benchEntities = flag.Int("bench.entities", 100_000, "entities in the generated benchmark graph (~10 quads each)")

var (
	benchOnce  sync.Once
	benchBatch graph.Batch
	benchStore *graph.CayleyStore
	benchA     *analysis.Analyzer
)

func setupBench(b *testing.B) {
	benchOnce.Do(func() {
		benchBatch = graphtest.Generate(*benchEntities, 1)
		s, err := graph.Open(ctx, "memory:")
		if err != nil {
			panic(err)
		}
		if _, err := s.Apply(ctx, benchBatch); err != nil {
			panic(err)
		}
		benchStore = s
		benchA = analysis.New(s)
	})
	b.ResetTimer()
}

// picks returns n ids of entities of the given kinds, the same each run.
func picks(n int, kinds ...graph.Kind) []string {
	r := rand.New(rand.NewPCG(7, 7))
	var pool []string
	for _, e := range benchBatch.Entities {
		for _, k := range kinds {
			if e.Kind == k {
				pool = append(pool, e.ID)
			}
		}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = pool[r.IntN(len(pool))]
	}
	return out
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkExposure(b *testing.B) {
	setupBench(b)
	ids := picks(1024, graph.KindSystem, graph.KindChip, graph.KindCompany)
	graphtest.Compare(b, "neighborhood4", "exposure",
		func(i int) {
			_, err := benchStore.Subgraph(ctx, graph.Selection{Seeds: []string{ids[i%len(ids)]}, Hops: 4, Limit: 2000})
			must(b, err)
		},
		func(i int) {
			_, err := benchA.Exposure(ctx, analysis.ExposureQuery{ID: ids[i%len(ids)], MaxHops: 4})
			must(b, err)
		})
}

func BenchmarkTimeline(b *testing.B) {
	setupBench(b)
	ids := picks(1024, graph.KindCompany, graph.KindChip, graph.KindSanction)
	graphtest.Compare(b, "relations", "timeline",
		func(i int) {
			_, err := benchStore.Relations(ctx, graph.RelationFilter{Entity: ids[i%len(ids)]})
			must(b, err)
		},
		func(i int) {
			_, _, err := benchA.Timeline(ctx, analysis.TimelineQuery{ID: ids[i%len(ids)], First: 100})
			must(b, err)
		})
}

func BenchmarkDiff2Hops(b *testing.B) {
	setupBench(b)
	ids := picks(1024, graph.KindCompany)
	from, to := graph.MustDate("2018"), graph.MustDate("2025")
	graphtest.Compare(b, "neighborhood2", "diff",
		func(i int) {
			_, err := benchStore.Subgraph(ctx, graph.Selection{Seeds: []string{ids[i%len(ids)]}, Hops: 2, Limit: 2000})
			must(b, err)
		},
		func(i int) {
			_, err := benchA.Diff(ctx, analysis.DiffQuery{From: from, To: to, IDs: []string{ids[i%len(ids)]}, Hops: 2, Limit: 2000, First: 100})
			must(b, err)
		})
}

func BenchmarkChokepointsCached(b *testing.B) {
	setupBench(b)
	t0 := time.Now()
	_, err := analysis.New(benchStore).Chokepoints(ctx, analysis.ChokepointQuery{First: 10}) // a fresh cache
	must(b, err)
	first := time.Since(t0)
	_, err = benchA.Chokepoints(ctx, analysis.ChokepointQuery{First: 10})
	must(b, err)
	ids := picks(1024, graph.KindCompany)
	graphtest.Compare(b, "neighborhood1", "chokepoints",
		func(i int) {
			_, err := benchStore.Subgraph(ctx, graph.Selection{Seeds: []string{ids[i%len(ids)]}, Hops: 1})
			must(b, err)
		},
		func(int) {
			_, err := benchA.Chokepoints(ctx, analysis.ChokepointQuery{First: 10})
			must(b, err)
		})
	b.ReportMetric(first.Seconds(), "first-s")
}

// BenchmarkChokepointsAfterWrite times the recomputation a write causes:
// each iteration changes one relation, then asks for the ranking.
func BenchmarkChokepointsAfterWrite(b *testing.B) {
	setupBench(b)
	_, err := benchA.Chokepoints(ctx, analysis.ChokepointQuery{First: 10})
	must(b, err)
	r := benchBatch.Relations[0]
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		r.Note = fmt.Sprintf("benchmark write %d", i)
		_, err := benchStore.Apply(ctx, graph.Batch{Relations: []graph.Relation{r}})
		must(b, err)
		t0 := time.Now()
		_, err = benchA.Chokepoints(ctx, analysis.ChokepointQuery{First: 10})
		must(b, err)
		total += time.Since(t0)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "recompute-s")
}

// nameScan is the search baseline: every entity whose name or an alias
// contains every word, by a linear scan.
func nameScan(words []string) int {
	n := 0
	for i := range benchBatch.Entities {
		e := &benchBatch.Entities[i]
		text := strings.ToLower(e.Name + " " + strings.Join(e.Aliases, " "))
		ok := true
		for _, w := range words {
			if !strings.Contains(text, w) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return n
}

var (
	indexOnce  sync.Once
	indexBuild time.Duration
	indexHeap  int64
)

func BenchmarkSearch3Words(b *testing.B) {
	setupBench(b)
	indexOnce.Do(func() {
		h0 := heap()
		t0 := time.Now()
		must(b, benchStore.BuildTextIndex(ctx))
		indexBuild, indexHeap = time.Since(t0), heap()-h0
	})
	build, mem := indexBuild, indexHeap
	// Three words naming an entity, one of them misspelt in every other
	// query: "alias company 4711", "alias comapny 4711".
	r := rand.New(rand.NewPCG(3, 3))
	queries := make([]string, 1024)
	want := make([]string, len(queries))
	for i := range queries {
		e := benchBatch.Entities[r.IntN(len(benchBatch.Entities))]
		want[i] = e.ID
		q := e.Aliases[0]
		if i%4 >= 2 {
			f := strings.Fields(q)
			if len(f[1]) > 3 {
				f[1] = f[1][:1] + f[1][2:3] + f[1][1:2] + f[1][3:] // swap two letters
			}
			q = strings.Join(f, " ")
		}
		queries[i] = q
	}
	found := 0
	graphtest.Compare(b, "scan", "search",
		func(i int) { nameScan(strings.Fields(queries[i%len(queries)])) },
		func(i int) {
			hits, err := benchStore.Search(ctx, queries[i%len(queries)], nil, 10)
			must(b, err)
			for _, h := range hits {
				if h.Entity.ID == want[i%len(queries)] {
					found++
					break
				}
			}
		})
	// The entity the words name is among the ten hits: the share of
	// queries where it is.
	b.ReportMetric(float64(found)/float64(b.N), "found")
	b.ReportMetric(build.Seconds(), "index-build-s")
	b.ReportMetric(float64(mem)/(1<<20), "index-MiB")
}

// BenchmarkSearchIndexCurated reports the index build time and heap on
// the curated data.
func BenchmarkSearchIndexCurated(b *testing.B) {
	var build time.Duration
	var mem int64
	for range b.N {
		s, err := loaders.OpenCurated(ctx)
		must(b, err)
		h0 := heap()
		t0 := time.Now()
		must(b, s.BuildTextIndex(ctx))
		build += time.Since(t0)
		mem += heap() - h0
		s.Close()
	}
	b.ReportMetric(build.Seconds()/float64(b.N), "index-build-s")
	b.ReportMetric(float64(mem)/float64(b.N)/(1<<20), "index-MiB")
}

func heap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

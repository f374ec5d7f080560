package schema_test

// Benchmarks of the GraphQL layer on the generated, ecosystem-shaped graph
// of about 1M quads (graphtest.Generate(100_000, 1)) in the memory store.
// Each runs a query through (*schema.Schema).Execute and the raw store call
// the query wraps, with the same arguments, interleaved in the same loop,
// and reports both medians and their ratio (target: ratio <= 1.5), so the
// number that matters is robust to machine noise. Building the graph takes
// about 30 s, once per process.
//
//	go test -run '^$' -bench . -benchtime 2000x ./schema/

import (
	"context"
	"flag"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
	"github.com/chipgraph/chipgraph/schema"
)

var benchEntities = flag.Int("bench.entities", 100_000, "entities in the generated benchmark graph (~10 quads each)")

var (
	benchOnce   sync.Once
	benchBatch  graph.Batch
	benchStore  *graph.CayleyStore
	benchSchema *schema.Schema
)

func setupBench(b *testing.B) {
	benchOnce.Do(func() {
		ctx := context.Background()
		benchBatch = graphtest.Generate(*benchEntities, 1)
		s, err := graph.Open(ctx, "memory:")
		if err != nil {
			panic(err)
		}
		if _, err := s.Apply(ctx, benchBatch); err != nil {
			panic(err)
		}
		benchStore = s
		if benchSchema, err = schema.New(s, schema.Config{}); err != nil {
			panic(err)
		}
	})
	b.ResetTimer()
}

func seeds(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]string, n)
	for i := range out {
		out[i] = benchBatch.Entities[r.IntN(len(benchBatch.Entities))].ID
	}
	return out
}

func execute(b *testing.B, q string, vars map[string]any) {
	res := benchSchema.Execute(context.Background(), schema.Request{Query: q, Variables: vars})
	if len(res.Errors) > 0 {
		b.Fatalf("%s %v: %v", q, vars, res.Errors)
	}
	res.Release() // as the server does once it has the response's bytes
}

// BenchmarkNeighborhood: a 2-hop neighbourhood with its nodes and relations
// against store.Subgraph with the selection the resolver builds (Both
// directions, the default limit 500).
func BenchmarkNeighborhood(b *testing.B) {
	setupBench(b)
	ss := seeds(1024, 7)
	ctx := context.Background()
	const q = `query($id: ID!){neighborhood(ids:[$id], hops: 2){nodes{id} relations{id}}}`
	var entities, relations int
	graphtest.Compare(b, "store", "graphql",
		func(i int) {
			g, err := benchStore.Subgraph(ctx, graph.Selection{Seeds: []string{ss[i%len(ss)]}, Hops: 2, Direction: graph.Both, Limit: 500})
			if err != nil {
				b.Fatal(err)
			}
			entities += len(g.Entities)
			relations += len(g.Relations)
		},
		func(i int) { execute(b, q, map[string]any{"id": ss[i%len(ss)]}) })
	b.ReportMetric(float64(entities)/float64(b.N), "nodes/op")
	b.ReportMetric(float64(relations)/float64(b.N), "relations/op")
}

// BenchmarkPaths: up to 5 (the default first) shortest paths of at most 4
// hops against store.Paths with the same query.
func BenchmarkPaths(b *testing.B) {
	setupBench(b)
	from, to := seeds(1024, 7), seeds(1025, 8)[1:]
	ctx := context.Background()
	const q = `query($a: ID!, $b: ID!){paths(from:$a, to:$b, maxHops: 4){nodes{id}}}`
	graphtest.Compare(b, "store", "graphql",
		func(i int) {
			if _, err := benchStore.Paths(ctx, graph.PathQuery{From: from[i%len(from)], To: to[i%len(to)], MaxHops: 4, K: 5, Direction: graph.Both}); err != nil {
				b.Fatal(err)
			}
		},
		func(i int) { execute(b, q, map[string]any{"a": from[i%len(from)], "b": to[i%len(to)]}) })
}

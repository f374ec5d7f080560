package graph_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

func openT(t *testing.T, dsn string) *graph.CayleyStore {
	t.Helper()
	s, err := graph.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	return s
}

func TestMemory(t *testing.T) {
	graphtest.Run(t, graphtest.Backend{
		Open: func(t *testing.T) graph.Store { return openT(t, "memory:") },
	})
}

func TestBolt(t *testing.T) {
	paths := map[graph.Store]string{}
	graphtest.Run(t, graphtest.Backend{
		Open: func(t *testing.T) graph.Store {
			p := filepath.Join(t.TempDir(), "chipgraph.db")
			s := openT(t, "bolt:"+p)
			paths[s] = p
			return s
		},
		Reopen: func(t *testing.T, s graph.Store) graph.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return openT(t, "bolt:"+paths[s])
		},
	})
}

// TestPostgres runs the suite on PostgreSQL when CHIPGRAPH_TEST_POSTGRES
// holds a DSN; each store gets its own fresh schema, so the role needs no
// CREATEDB privilege.
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	dsns := map[graph.Store]string{}
	graphtest.Run(t, graphtest.Backend{
		Open: func(t *testing.T) graph.Store {
			db := freshSchema(t, dsn)
			s := openT(t, db)
			dsns[s] = db
			return s
		},
		Reopen: func(t *testing.T, s graph.Store) graph.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return openT(t, dsns[s])
		},
	})
}

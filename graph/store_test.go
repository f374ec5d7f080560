package graph_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

func openT(t testing.TB, dsn string) *graph.CayleyStore {
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
func TestPostgres(t *testing.T) { runPostgresSuite(t) }

// TestPostgresBulk runs the suite on PostgreSQL with every write that
// adds at least as many quads as the store holds a bulk write (foreign
// keys and secondary indexes dropped and made again; see
// graph/postgres_bulk.go), as a load of 5,000 quads or more is.
func TestPostgresBulk(t *testing.T) {
	defer graph.SetPostgresBulkMin(1)()
	runPostgresSuite(t)
}

func runPostgresSuite(t *testing.T) {
	dsn := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	dsns := map[graph.Store]string{}
	graphtest.Run(t, graphtest.Backend{
		Open: func(t *testing.T) graph.Store {
			db := graph.FreshPostgresSchema(t, dsn)
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

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@127.0.0.1:5432/db?sslmode=disable": "postgres://u:xxxxx@127.0.0.1:5432/db?sslmode=disable",
		"postgres://127.0.0.1/db":                               "postgres://127.0.0.1/db",
		"postgres://u@127.0.0.1/db":                             "postgres://u@127.0.0.1/db",
		"bolt:/tmp/x.db":                                        "bolt:/tmp/x.db",
	} {
		if got := graph.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		dsn  string
		code graph.Code
	}{
		{"mysql://x", graph.CodeInvalid},
		{"bolt:", graph.CodeInvalid},
		{"postgres://u:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", graph.CodeInternal},
	} {
		_, err := graph.Open(ctx, tc.dsn)
		if graph.ErrorCode(err) != tc.code {
			t.Errorf("Open(%q) = %v, want code %s", tc.dsn, err, tc.code)
		}
		if err != nil && strings.Contains(graph.ErrorMessage(err), "secret") {
			t.Errorf("Open(%q) leaks the password: %v", tc.dsn, err)
		}
	}
}

package graph

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	_ "github.com/lib/pq"
)

var schemaSeq atomic.Int64

// FreshPostgresSchema (a test helper) creates an empty schema in the PostgreSQL database dsn names,
// drops it when tb ends, and returns dsn with its search_path set to it
// (lib/pq passes the parameter to the server), so the role needs no
// CREATEDB privilege.
func FreshPostgresSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("CHIPGRAPH_TEST_POSTGRES: %v", err)
	}
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("chipgraph_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + name); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP SCHEMA IF EXISTS " + name + " CASCADE")
		admin.Close()
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// SetLogLimit (a test helper) sets how many records a change log entry
// may hold before a write is logged as a reload, until restore is called.
func SetLogLimit(n int) (restore func()) {
	old := logLimit
	logLimit = n
	return func() { logLimit = old }
}

// Package pgtest gives tests a PostgreSQL schema of their own.
package pgtest

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

// FreshSchema creates an empty schema in the PostgreSQL database dsn names,
// drops it when tb ends, and returns dsn with its search_path set to it
// (lib/pq passes the parameter to the server), so the role needs no
// CREATEDB privilege.
func FreshSchema(tb testing.TB, dsn string) string {
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

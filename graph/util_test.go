package graph

import (
	"testing"

	"github.com/chipgraph/chipgraph/internal/pgtest"
)

// FreshPostgresSchema (a test helper): see pgtest.FreshSchema.
func FreshPostgresSchema(tb testing.TB, dsn string) string { return pgtest.FreshSchema(tb, dsn) }

// SetLogLimit (a test helper) sets how many records a change log entry
// may hold before a write is logged as a reload, until restore is called.
func SetLogLimit(n int) (restore func()) {
	old := logLimit
	logLimit = n
	return func() { logLimit = old }
}

// SetPostgresBulkMin (a test helper) sets the fewest added quads that make
// a PostgreSQL write a bulk write, until restore is called.
func SetPostgresBulkMin(n int) (restore func()) {
	old := bulkMin
	bulkMin = n
	return func() { bulkMin = old }
}

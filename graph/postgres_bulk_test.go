package graph

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/lib/pq"
)

func testPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	return FreshPostgresSchema(t, dsn)
}

func pgDB(s *CayleyStore) *sql.DB { return s.be.(*pgBackend).db }

// pgDump is what a schema holds in cayley's tables: the rows (without the
// quads' timestamps, which are the time of writing) and the definitions
// of their constraints and indexes.
type pgDump struct {
	Nodes, Quads []string
	Catalog      []string
}

func dumpPostgres(t *testing.T, db *sql.DB) pgDump {
	t.Helper()
	var d pgDump
	d.Nodes = strs(t, db, `SELECT row(n.*)::text FROM nodes n ORDER BY hash`)
	d.Quads = strs(t, db, `SELECT row(horizon, subject_hash, predicate_hash, object_hash, label_hash)::text FROM quads ORDER BY horizon`)
	d.Catalog = catalog(t, db)
	return d
}

// catalog lists the constraints, indexes and triggers of cayley's tables
// as definitions, not object ids.
func catalog(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return slices.Concat(
		strs(t, db, `
SELECT concat_ws(' ', conrelid::regclass, conname, contype, pg_get_constraintdef(oid), convalidated, condeferrable, condeferred)
FROM pg_constraint WHERE conrelid IN ('quads'::regclass, 'nodes'::regclass) ORDER BY 1`),
		strs(t, db, `
SELECT concat_ws(' ', tablename, indexname, replace(indexdef, schemaname || '.', ''))
FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('quads', 'nodes') ORDER BY 1`),
		strs(t, db, `
SELECT concat_ws(' ', tgrelid::regclass, c.conname, tgfoid::regproc, tgtype, tgenabled)
FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint WHERE tgrelid IN ('quads'::regclass, 'nodes'::regclass) ORDER BY 1`),
		strs(t, db, `
SELECT concat_ws(' ', attrelid::regclass, attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid))
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE attrelid IN ('quads'::regclass, 'nodes'::regclass) AND attnum > 0 AND NOT attisdropped ORDER BY 1`))
}

// indexOIDs identifies the quads table's indexes: a bulk write builds them
// again, a write row by row keeps them.
func indexOIDs(t *testing.T, db *sql.DB) []string {
	return strs(t, db, `SELECT indexrelid::text FROM pg_index WHERE indrelid = 'quads'::regclass ORDER BY 1`)
}

func strs(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// grownBatch adds n entities, each with a relation, to bulkBatches'
// update: it deletes and renames, and adds more quads than the loaded
// store holds, so it is a bulk write once bulkMin allows.
func grownBatch(n int) Batch {
	_, b := bulkBatches()
	for i := range n {
		b.Entities = append(b.Entities, Entity{ID: fmt.Sprintf("g%d", i), Kind: KindCompany, Name: fmt.Sprintf("Grown %d", i),
			Aliases: []string{fmt.Sprintf("grown alias %d", i)}, Country: "CN", Sources: []string{"s"}})
		b.Relations = append(b.Relations, Relation{Type: CustomerOf, From: fmt.Sprintf("g%d", i), To: fmt.Sprintf("e%d", i%20),
			Status: StatusReported, Sources: []string{"s"}})
	}
	return b
}

// TestPostgresBulkWriteAsRowWrites writes a load and a large update (with
// deletes and renames) into two schemas, row by row and as bulk writes,
// and checks that the schemas hold the same rows, that both writes of the
// second were bulk writes (their indexes were built again), and that
// cayley reads the bulk-written store as chipgraph wrote it.
func TestPostgresBulkWriteAsRowWrites(t *testing.T) {
	load, _ := bulkBatches()
	write := func(min int) (pgDump, []string, string) {
		defer SetPostgresBulkMin(min)()
		dsn := testPostgres(t)
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i, b := range []Batch{load, grownBatch(150)} {
			before := indexOIDs(t, pgDB(s))
			if _, err := s.Apply(ctx, b); err != nil {
				t.Fatalf("bulkMin %d, batch %d: %v", min, i, err)
			}
			if rebuilt := !slices.Equal(before, indexOIDs(t, pgDB(s))); rebuilt != (min == 1) {
				t.Errorf("bulkMin %d, batch %d: indexes built again: %v", min, i, rebuilt)
			}
		}
		var records []string
		if err := s.Quads(ctx, func(q quad.Quad) error { records = append(records, q.NQuad()); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(records)
		return dumpPostgres(t, pgDB(s)), records, dsn
	}
	rows, records, _ := write(1 << 30)
	bulk, bulkRecords, dsn := write(1)
	if !slices.Equal(records, bulkRecords) {
		t.Fatal("the stores' quads differ")
	}
	if len(rows.Quads) < 500 || len(rows.Nodes) < 500 {
		t.Fatalf("too little written to compare: %d quads, %d nodes", len(rows.Quads), len(rows.Nodes))
	}
	if !reflect.DeepEqual(rows, bulk) {
		for i := range max(len(rows.Catalog), len(bulk.Catalog)) {
			if i >= len(rows.Catalog) || i >= len(bulk.Catalog) || rows.Catalog[i] != bulk.Catalog[i] {
				t.Errorf("catalog %d differs", i)
			}
		}
		t.Fatalf("the schemas differ: %d/%d nodes, %d/%d quads", len(rows.Nodes), len(bulk.Nodes), len(rows.Quads), len(bulk.Quads))
	}

	qs, err := cgraph.NewQuadStore("postgres", dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer qs.Close()
	var got []string
	if err := eachQuad(ctx, qs, quad.Any, nil, func(q quad.Quad) error { got = append(got, q.NQuad()); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, records) {
		t.Fatalf("cayley reads %d quads, chipgraph wrote %d", len(got), len(records))
	}
}

// TestPostgresBulkCatalog checks that a bulk write leaves cayley's tables
// defined as cayley's InitQuadStore made them: the same constraints,
// indexes (fill factor included), triggers and columns.
func TestPostgresBulkCatalog(t *testing.T) {
	defer SetPostgresBulkMin(1)()
	fresh := testPostgres(t)
	if err := cgraph.InitQuadStore("postgres", fresh, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := catalog(t, db)
	if !slices.ContainsFunc(want, func(s string) bool { return strings.Contains(s, "fillfactor='50'") }) ||
		!slices.ContainsFunc(want, func(s string) bool { return strings.Contains(s, "FOREIGN KEY") }) {
		t.Fatalf("cayley's schema has no fill factor or foreign keys to keep: %q", want)
	}
	s, err := Open(ctx, testPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	load, _ := bulkBatches()
	for _, b := range []Batch{load, grownBatch(150)} {
		before := indexOIDs(t, pgDB(s))
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(before, indexOIDs(t, pgDB(s))) {
			t.Fatal("the write was not a bulk write")
		}
		if got := catalog(t, pgDB(s)); !slices.Equal(got, want) {
			t.Fatalf("after a bulk write the catalog says\n%s\nwant (as InitQuadStore made it)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// countdown is a context whose Done channel closes at its n-th call: a
// cancellation at each point of a write in turn.
type countdown struct {
	context.Context
	n    atomic.Int64
	once sync.Once
	done chan struct{}
}

func newCountdown(n int64) *countdown {
	c := &countdown{Context: context.Background(), done: make(chan struct{})}
	c.n.Store(n)
	return c
}

func (c *countdown) Done() <-chan struct{} {
	if c.n.Add(-1) < 0 {
		c.once.Do(func() { close(c.done) })
	}
	return c.done
}

func (c *countdown) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// TestPostgresBulkWriteCancelled cancels a bulk write at each point in
// turn (each time the write or the driver looks at its context): every
// write that fails leaves the schema exactly as before, rows, constraints
// and indexes (the same objects, not rebuilt ones) included, and the store
// as before; the write then succeeds.
func TestPostgresBulkWriteCancelled(t *testing.T) {
	defer SetPostgresBulkMin(1)()
	s := openLoadedPostgres(t)
	want, wantOIDs, wantStats := dumpPostgres(t, pgDB(s)), indexOIDs(t, pgDB(s)), mustStats(t, s)
	failed := 0
	for n := int64(0); ; n++ {
		_, err := s.Apply(newCountdown(n), grownBatch(150))
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
			t.Logf("cancelled at %d: %v", n, err)
		}
		failed++
		if got := dumpPostgres(t, pgDB(s)); !reflect.DeepEqual(got, want) {
			t.Fatalf("cancelled at %d (%v): the schema changed: %d/%d nodes, %d/%d quads, catalog equal: %v",
				n, err, len(got.Nodes), len(want.Nodes), len(got.Quads), len(want.Quads), slices.Equal(got.Catalog, want.Catalog))
		}
		if got := indexOIDs(t, pgDB(s)); !slices.Equal(got, wantOIDs) {
			t.Fatalf("cancelled at %d: the indexes are other objects than before", n)
		}
		if st := mustStats(t, s); !reflect.DeepEqual(st, wantStats) {
			t.Fatalf("cancelled at %d: stats %+v, want %+v", n, st, wantStats)
		}
		if n > 10_000 {
			t.Fatal("the write never succeeds")
		}
	}
	if failed < 10 {
		t.Fatalf("only %d cancellations before the write succeeded: the countdown misses the write", failed)
	}
	if slices.Equal(wantOIDs, indexOIDs(t, pgDB(s))) {
		t.Fatal("the write that succeeded was not a bulk write")
	}
}

// TestPostgresBulkForeignKey checks that restoring the keys validates
// them: a quad that names no node, written while the foreign keys are
// dropped, fails the write, and the rollback brings the keys back.
func TestPostgresBulkForeignKey(t *testing.T) {
	s := openLoadedPostgres(t)
	db := pgDB(s)
	want := dumpPostgres(t, db)
	for _, col := range []string{"subject_hash", "predicate_hash", "object_hash", "label_hash"} {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		keys, err := dropQuadKeys(ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys.foreign) != 4 || len(keys.indexes) != 4 {
			t.Fatalf("set aside %d foreign keys and %d indexes, want 4 and 4", len(keys.foreign), len(keys.indexes))
		}
		// A copy of a quad with one hash replaced by a node's that is not there.
		cols := []string{"subject_hash", "predicate_hash", "object_hash", "label_hash"}
		sel := slices.Clone(cols)
		sel[slices.Index(cols, col)] = `'\xdeadbeef'::bytea`
		if _, err := tx.Exec(`INSERT INTO quads (` + strings.Join(cols, ", ") + `, ts) SELECT ` + strings.Join(sel, ", ") + `, now() FROM quads LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		err = keys.restore(ctx, tx)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23503" {
			t.Errorf("%s naming no node: restore gave %v, want a foreign key violation (23503)", col, err)
		}
		tx.Rollback()
		if got := dumpPostgres(t, db); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: after the rollback the schema is not as before", col)
		}
	}
}

// openLoadedPostgres opens a fresh PostgreSQL store holding bulkBatches'
// load, closed when the test ends.
func openLoadedPostgres(t *testing.T) *CayleyStore {
	t.Helper()
	s, err := Open(ctx, testPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	load, _ := bulkBatches()
	if _, err := s.Apply(ctx, load); err != nil {
		t.Fatal(err)
	}
	return s
}

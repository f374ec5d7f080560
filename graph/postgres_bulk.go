package graph

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// A large write into a small store (a load) is a bulk write, as the
// PostgreSQL manual's "Populating a Database" advises: in the write's own
// transaction, the quads table's foreign keys and its secondary indexes
// are dropped, the quads inserted, then the indexes built again (one sort
// each) and the foreign keys added again (ALTER TABLE validates each in one
// set-based pass). Row by row, each quad costs four foreign-key trigger
// queries and an insertion into each index at a random place; this is most
// of a load's time.
//
// The definitions are read from the catalog and recreated as they were, so
// the schema stays cayley's (TestPostgresBulkCatalog). DDL is
// transactional: an error or a crash before commit leaves the old state,
// its constraints and indexes included. The unique indexes (spo_unique,
// spol_unique) and the primary key stay: they keep refusing a duplicate
// quad as the write goes, and the deletes find quads through them.
//
// Locks: dropping a foreign key takes ACCESS EXCLUSIVE on quads and nodes
// until commit. Writers are serialised by the advisory lock anyway; a
// reader of those tables (a replica reading the whole graph, cayley's own
// tools) waits for the commit, and a bulk write waits for the readers
// already in progress. Replicas following the change log
// (chipgraph_changes) are not blocked.

// bulkMin is the fewest added quads that make a bulk write; the write must
// also add at least as many quads as the store holds, since rebuilding an
// index costs in proportion to the whole table.
var bulkMin = envInt("CHIPGRAPH_PG_BULK_MIN", 5_000)

func isBulk(pl *plan) bool {
	return pl.adds >= bulkMin && pl.adds >= pl.old.quads
}

// quadKeys is what a bulk write set aside, as the catalog defined it.
type quadKeys struct {
	foreign [][2]string // constraint name, definition
	indexes [][2]string // index name, CREATE INDEX statement
}

func dropQuadKeys(ctx context.Context, tx *sql.Tx) (*quadKeys, error) {
	k := &quadKeys{}
	var err error
	if k.foreign, err = pairs(ctx, tx, `
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'quads'::regclass AND contype = 'f' ORDER BY conname`); err != nil {
		return nil, err
	}
	if k.indexes, err = pairs(ctx, tx, `
SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'quads'::regclass AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)
ORDER BY c.relname`); err != nil {
		return nil, err
	}
	if err := alterEach(ctx, tx, "ALTER TABLE quads", k.foreign, func(fk [2]string) string {
		return "DROP CONSTRAINT " + pq.QuoteIdentifier(fk[0])
	}); err != nil {
		return nil, err
	}
	if err := alterEach(ctx, tx, "DROP INDEX", k.indexes, func(ix [2]string) string {
		return pq.QuoteIdentifier(ix[0])
	}); err != nil {
		return nil, err
	}
	return k, nil
}

// restore builds the indexes and adds the foreign keys again; a quad that
// refers to no node fails here, and the write with it.
func (k *quadKeys) restore(ctx context.Context, tx *sql.Tx) error {
	for _, ix := range k.indexes {
		if _, err := tx.ExecContext(ctx, ix[1]); err != nil {
			return fmt.Errorf("bulk write: index %s: %w", ix[0], err)
		}
	}
	if err := alterEach(ctx, tx, "ALTER TABLE quads", k.foreign, func(fk [2]string) string {
		return "ADD CONSTRAINT " + pq.QuoteIdentifier(fk[0]) + " " + fk[1]
	}); err != nil {
		return fmt.Errorf("bulk write: %w", err)
	}
	return nil
}

// alterEach runs one statement, prefix followed by clause of each item,
// comma-separated; none when there are no items.
func alterEach(ctx context.Context, tx *sql.Tx, prefix string, items [][2]string, clause func([2]string) string) error {
	if len(items) == 0 {
		return nil
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = clause(it)
	}
	_, err := tx.ExecContext(ctx, prefix+" "+strings.Join(parts, ", "))
	return err
}

func pairs(ctx context.Context, tx *sql.Tx, query string) ([][2]string, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

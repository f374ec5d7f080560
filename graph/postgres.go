package graph

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/cayley/graph/refs"
	_ "github.com/cayleygraph/cayley/graph/sql/postgres" // registers "postgres", whose schema this writes
	"github.com/cayleygraph/quad"
	"github.com/lib/pq"
)

// pgBackend keeps the quads in PostgreSQL in cayley's own schema (tables
// nodes and quads, values keyed by their SHA-1 as cayley hashes them), so
// cayley's tools read what chipgraph writes. It writes that schema itself,
// with set-based statements of up to writeChunk rows, rather than through
// cayley's writer, for two reasons: cayley inserts one row per statement
// (4,900 quads/s), and a replica's write must land in the same transaction
// as its entry in the change log and the new revision.
//
// Beside cayley's tables it keeps two of its own:
//
//	chipgraph_revision  one row: the revision of the graph
//	chipgraph_changes   the change log: per revision, the records it wrote
//	                    and the keys it deleted (see changeSet)
//	chipgraph_store     one row: the store's random id, made at creation
//
// Every process over the database is a replica. A write takes the writers'
// advisory lock, reads the revision, applies the changes it has not seen
// (so it validates against the current graph, not a stale copy), writes
// the quads, its change and the next revision, and notifies the others
// (LISTEN/NOTIFY, channel chipgraph_<schema>) when it commits. The others
// wake, read the changes after their revision and apply them in order (see
// follower); a poll every second covers a missed notification.
type pgBackend struct {
	db      *sql.DB
	dsn     string
	lockKey int64  // the writers' advisory lock, per schema
	channel string // NOTIFY channel, per schema
	storeID string // chipgraph_store: this store's random identity
}

// logLimit bounds the records a change log entry holds. A larger write
// (a bulk load) is logged as a reload: replicas read the whole graph again,
// which costs about what applying it record by record would.
var logLimit = envInt("CHIPGRAPH_LOG_LIMIT", 20_000)

// keepChanges is how many revisions of the change log writers keep (and
// those of the last hour whatever their number); a replica further behind,
// or restarted without a snapshot file that recent, reads the whole graph.
const keepChanges = 10_000

var errLogPruned = errors.New("the change log no longer holds the changes this replica needs")

func openPostgres(ctx context.Context, dsn string, create bool) (*pgBackend, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	be := &pgBackend{db: db, dsn: dsn}
	if err := be.init(ctx, create); err != nil {
		db.Close()
		return nil, err
	}
	return be, nil
}

// init creates cayley's tables and chipgraph's where missing, one process
// at a time. Without create, a schema without cayley's tables holds no
// store: CodeNotFound, and nothing is created.
func (be *pgBackend) init(ctx context.Context, create bool) error {
	conn, err := be.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `SELECT hashtext('chipgraph:' || current_schema())::bigint`).Scan(&be.lockKey); err != nil {
		return err
	}
	be.channel = "chipgraph_" + schema
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, be.lockKey); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, be.lockKey)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT to_regclass('quads') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	if !exists && !create {
		return &Error{Code: CodeNotFound, Path: "db", Msg: "no chipgraph store in schema " + schema + " of this database"}
	}
	if !exists {
		if err := cgraph.InitQuadStore("postgres", be.dsn, nil); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS chipgraph_revision (
	id int PRIMARY KEY CHECK (id = 1),
	revision bigint NOT NULL
);
INSERT INTO chipgraph_revision VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS chipgraph_changes (
	revision bigint PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	change text NOT NULL
);
CREATE TABLE IF NOT EXISTS chipgraph_store (
	id int PRIMARY KEY CHECK (id = 1),
	store_id text NOT NULL
);`)
	if err != nil {
		return err
	}
	// The store's identity: a snapshot file (snapshotfile.go) applies only
	// to the store it was taken of, not to another database or to this
	// schema dropped and created again.
	id := make([]byte, 16)
	rand.Read(id)
	if _, err := conn.ExecContext(ctx, `INSERT INTO chipgraph_store VALUES (1, $1) ON CONFLICT DO NOTHING`, hex.EncodeToString(id)); err != nil {
		return err
	}
	return conn.QueryRowContext(ctx, `SELECT store_id FROM chipgraph_store`).Scan(&be.storeID)
}

// fingerprint identifies the change log's entry at revision rev (what it
// wrote and when), "" when the log does not hold it: a snapshot file
// carries the fingerprint of its revision, so that a database restored
// from a backup and written to since holds a different history, not the
// one the snapshot was taken of.
func fingerprint(ctx context.Context, q queryer, rev uint64) (string, error) {
	rows, err := q.QueryContext(ctx, `
SELECT md5(change) || '@' || (extract(epoch FROM at) * 1000000)::bigint::text
FROM chipgraph_changes WHERE revision = $1`, rev)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var fp string
	if rows.Next() {
		if err := rows.Scan(&fp); err != nil {
			return "", err
		}
	}
	return fp, rows.Err()
}

func (be *pgBackend) close() error { return be.db.Close() }

var recordHash = hashOf(predRecord)

func hashOf(v quad.Value) []byte {
	h := refs.HashOf(v)
	return h[:]
}

// read streams the record quads and counts the quads at one revision: a
// repeatable-read transaction sees the tables as one commit left them.
func (be *pgBackend) read(ctx context.Context, fn func(quad.Quad) error) (int, uint64, error) {
	tx, err := be.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var rev uint64
	var quads int
	if err := tx.QueryRowContext(ctx, `SELECT revision FROM chipgraph_revision`).Scan(&rev); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM quads`).Scan(&quads); err != nil {
		return 0, 0, err
	}
	rows, err := tx.QueryContext(ctx, `
SELECT s.value_string, o.value_string FROM quads q
JOIN nodes s ON s.hash = q.subject_hash JOIN nodes o ON o.hash = q.object_hash
WHERE q.predicate_hash = $1 AND q.label_hash IS NULL AND s.iri AND o.value_string IS NOT NULL`, recordHash)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var subj, obj string
	for rows.Next() {
		if err := rows.Scan(&subj, &obj); err != nil {
			return 0, 0, err
		}
		q := quad.Quad{Subject: quad.IRI(subj), Predicate: predRecord, Object: quad.String(unescapeNull(obj))}
		if err := fn(q); err != nil {
			return 0, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	return quads, rev, tx.Commit()
}

// cayley stores a NUL byte in text as the four characters \x00; chipgraph
// does the same, so either reads what the other wrote.
func escapeNull(s string) string   { return strings.ReplaceAll(s, "\x00", `\x00`) }
func unescapeNull(s string) string { return strings.ReplaceAll(s, `\x00`, "\x00") }

func (be *pgBackend) begin(ctx context.Context, _ uint64) (txn, error) {
	tx, err := be.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	t := &pgTxn{be: be, tx: tx}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, be.lockKey); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT revision FROM chipgraph_revision`).Scan(&t.rev); err != nil {
		tx.Rollback()
		return nil, err
	}
	return t, nil
}

// pgTxn is a write holding the writers' lock.
type pgTxn struct {
	be   *pgBackend
	tx   *sql.Tx
	rev  uint64
	done bool
}

func (t *pgTxn) latest() uint64 { return t.rev }

func (t *pgTxn) changes(ctx context.Context, after uint64, fn func(uint64, *changeSet) error) error {
	return readChanges(ctx, t.tx, after, fn)
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readChanges calls fn with each change after revision after, in order. A
// gap (the log was pruned, or a change was a reload) is errLogPruned.
func readChanges(ctx context.Context, q queryer, after uint64, fn func(uint64, *changeSet) error) error {
	rows, err := q.QueryContext(ctx, `SELECT revision, change FROM chipgraph_changes WHERE revision > $1 ORDER BY revision`, after)
	if err != nil {
		return err
	}
	defer rows.Close()
	want := after + 1
	for rows.Next() {
		var rev uint64
		var text string
		if err := rows.Scan(&rev, &text); err != nil {
			return err
		}
		if rev != want {
			return errLogPruned
		}
		var c changeLog
		if err := json.Unmarshal([]byte(text), &c); err != nil {
			return fmt.Errorf("change log, revision %d: %w", rev, err)
		}
		if c.Reload {
			return errLogPruned
		}
		if err := fn(rev, &c.changeSet); err != nil {
			return err
		}
		want++
	}
	return rows.Err()
}

// changeLog is one entry of chipgraph_changes.
type changeLog struct {
	changeSet
	// Reload says the change was too large to log: read the whole graph.
	Reload bool `json:"reload,omitempty"`
}

func (t *pgTxn) write(ctx context.Context, pl *plan, rev uint64) error {
	var keys *quadKeys
	if isBulk(pl) {
		var err error
		if keys, err = dropQuadKeys(ctx, t.tx); err != nil {
			return fmt.Errorf("bulk write: %w", err)
		}
	}
	w := &pgWriter{tx: t.tx}
	err := pl.deltas(func(d cgraph.Delta) error {
		w.add(d)
		if len(w.quads) >= writeChunk {
			return w.flush(ctx)
		}
		return nil
	})
	if err == nil {
		err = w.flush(ctx)
	}
	if err == nil && keys != nil {
		err = keys.restore(ctx, t.tx)
	}
	if err != nil {
		return err
	}
	entry := changeLog{changeSet: pl.change}
	if pl.change.size() > logLimit {
		entry = changeLog{Reload: true}
	}
	text, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `
WITH log AS (INSERT INTO chipgraph_changes (revision, change) VALUES ($1, $2)),
     pruned AS (DELETE FROM chipgraph_changes WHERE revision <= $1 - $3::bigint AND at < now() - interval '1 hour')
UPDATE chipgraph_revision SET revision = $1`, rev, string(text), keepChanges)
	if err == nil {
		_, err = t.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, t.be.channel, strconv.FormatUint(rev, 10))
	}
	return err
}

func (t *pgTxn) commit(context.Context) error {
	t.done = true
	return t.tx.Commit()
}

func (t *pgTxn) rollback() {
	if !t.done {
		t.done = true
		t.tx.Rollback()
	}
}

// pgWriter writes quad deltas to cayley's tables a chunk at a time: node
// reference counts up (inserting new nodes), quads in, quads out, counts
// down, nodes no quad uses out. That is cayley's own order, in set-based
// statements.
type pgWriter struct {
	tx    *sql.Tx
	quads []cgraph.Delta
}

func (w *pgWriter) add(d cgraph.Delta) { w.quads = append(w.quads, d) }

type nodeCount struct {
	val quad.Value
	n   int
}

func (w *pgWriter) flush(ctx context.Context) error {
	if len(w.quads) == 0 {
		return nil
	}
	defer func() { w.quads = w.quads[:0] }()
	nodes := map[refs.ValueHash]*nodeCount{}
	var order []refs.ValueHash
	var addS, addP, addO, addL, delS, delP, delO, delL pq.ByteaArray
	for _, d := range w.quads {
		inc := 1
		if d.Action == cgraph.Delete {
			inc = -1
		}
		var hs [4][]byte
		for i, dir := range quad.Directions {
			v := d.Quad.Get(dir)
			if v == nil {
				hs[i] = []byte{}
				continue
			}
			switch v.(type) {
			case quad.IRI, quad.String:
			default:
				return fmt.Errorf("quad %s: chipgraph writes IRIs and strings only, not %T", d.Quad, v)
			}
			h := refs.HashOf(v)
			n := nodes[h]
			if n == nil {
				n = &nodeCount{val: v}
				nodes[h] = n
				order = append(order, h)
			}
			n.n += inc
			hs[i] = n2b(h)
		}
		if inc > 0 {
			addS, addP, addO, addL = append(addS, hs[0]), append(addP, hs[1]), append(addO, hs[2]), append(addL, hs[3])
		} else {
			delS, delP, delO, delL = append(delS, hs[0]), append(delP, hs[1]), append(delO, hs[2]), append(delL, hs[3])
		}
	}
	var upH, downH pq.ByteaArray
	var upN, downN pq.Int64Array
	var upS pq.StringArray
	var upIRI pq.BoolArray
	for _, h := range order {
		n := nodes[h]
		if n.n >= 0 {
			upH, upN = append(upH, n2b(h)), append(upN, int64(n.n))
			_, iri := n.val.(quad.IRI)
			upIRI = append(upIRI, iri)
			upS = append(upS, escapeNull(quadValueString(n.val)))
		} else {
			downH, downN = append(downH, n2b(h)), append(downN, int64(n.n))
		}
	}
	if len(upH) > 0 {
		if _, err := w.tx.ExecContext(ctx, `
INSERT INTO nodes (hash, refs, value_string, iri)
SELECT h, n, s, NULLIF(i, false) FROM unnest($1::bytea[], $2::int[], $3::text[], $4::bool[]) AS t(h, n, s, i)
ON CONFLICT (hash) DO UPDATE SET refs = nodes.refs + EXCLUDED.refs`, upH, upN, upS, upIRI); err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
	}
	if len(addS) > 0 {
		if _, err := w.tx.ExecContext(ctx, `
INSERT INTO quads (subject_hash, predicate_hash, object_hash, label_hash, ts)
SELECT s, p, o, NULLIF(l, '\x'::bytea), now() FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[]) AS t(s, p, o, l)`,
			addS, addP, addO, addL); err != nil {
			return fmt.Errorf("quads: %w", err)
		}
	}
	if len(delS) > 0 {
		res, err := w.tx.ExecContext(ctx, `
DELETE FROM quads q USING unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[]) AS d(s, p, o, l)
WHERE q.subject_hash = d.s AND q.predicate_hash = d.p AND q.object_hash = d.o
  AND q.label_hash IS NOT DISTINCT FROM NULLIF(d.l, '\x'::bytea)`, delS, delP, delO, delL)
		if err != nil {
			return fmt.Errorf("quads: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(delS)) {
			return fmt.Errorf("quads: deleted %d of %d (%v): the store no longer holds what this process read", n, len(delS), err)
		}
	}
	if len(downH) > 0 {
		if _, err := w.tx.ExecContext(ctx, `
UPDATE nodes SET refs = nodes.refs + d.n FROM unnest($1::bytea[], $2::int[]) AS d(h, n) WHERE nodes.hash = d.h`, downH, downN); err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
		if _, err := w.tx.ExecContext(ctx, `DELETE FROM nodes WHERE hash = ANY($1::bytea[]) AND refs <= 0`, downH); err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
	}
	return nil
}

func n2b(h refs.ValueHash) []byte { return append([]byte(nil), h[:]...) }

func quadValueString(v quad.Value) string {
	switch v := v.(type) {
	case quad.IRI:
		return string(v)
	case quad.String:
		return string(v)
	}
	return ""
}

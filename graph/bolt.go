package graph

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	graphlog "github.com/cayleygraph/cayley/graph/log"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"
	"github.com/hidal-go/hidalgo/kv"
	hbolt "github.com/hidal-go/hidalgo/kv/bbolt"
	"github.com/hidal-go/hidalgo/kv/options"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// boltBackend keeps the quads in a bbolt file through cayley's key-value
// store, and beside them, in a bucket of its own, the revision and the
// journal of a write that takes more than one transaction.
//
// A write of more than writeChunk quad deltas is not one bbolt transaction:
// bbolt holds every page a transaction dirties in memory until it commits,
// so one transaction for a million-record load took gigabytes. Such a write
// is staged: its adds are written in bulk (bolt_bulk.go), many
// transactions, the journal recording what an undo needs; its deletes are
// listed in the journal; then one transaction sets the commit marker and
// the new revision (the switch), and the deletes follow in chunks. Open,
// and the next write, finish a switched write a crash interrupted and undo
// one that had not switched, so the file always holds the old state or the
// whole new one. (The journal's "add-" and "undo-all" entries are those of
// staged writes before the bulk writes, still undone as they were.)
//
// The same journal serves the batches cayley's key-value store cannot
// write in one transaction: it resolves the nodes of added quads only
// among nodes whose reference count the batch raises, so in a batch that
// also deletes, an added quad whose subject, predicate or object loses more
// references than it gains is written with that node missing (seen as a
// nil subject after an update that drops an alias).
type boltBackend struct {
	qs   cgraph.QuadStore
	meta *metaKV
	db   *bolt.DB
	// unfinished is set when a switched write could not delete all it
	// should; the next write finishes it first.
	unfinished bool
	// crashAt, set by tests, makes the crashAt-th transaction from then on
	// fail as if the process died before it: nothing after it runs.
	// failAt makes the failAt-th transaction fail with an error the write
	// handles (undoing itself), as a full disk would.
	crashAt, failAt, txns int
}

var (
	errSimulatedCrash   = errors.New("simulated crash")
	errSimulatedFailure = errors.New("simulated failure")
)

// writeChunk bounds the quad deltas of one bbolt transaction, and the rows
// of one PostgreSQL statement; CHIPGRAPH_WRITE_CHUNK overrides it. A bbolt
// transaction holds a copy of every page it dirties until it commits, and
// a chunk's quads touch pages all over cayley's value buckets: at 50,000 a
// transaction held about 900 MB of heap, at 10,000 about a fifth of that,
// for a load no slower (BenchmarkCSVLoad, the README's "Loads").
var writeChunk = envInt("CHIPGRAPH_WRITE_CHUNK", 10_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var (
	boltBucket       = []byte("chipgraph")
	keyRevision      = kv.Key{boltBucket, []byte("revision")}
	journalBucket    = []byte("chipgraph_journal")
	keyJournalCommit = kv.Key{journalBucket, []byte("commit")}
	// keyJournalUndoAll marks a staged write into an empty store: undoing
	// it deletes every quad.
	keyJournalUndoAll = kv.Key{journalBucket, []byte("undo-all")}
)

func journalKey(kind string, n int) kv.Key {
	return kv.Key{journalBucket, fmt.Appendf(nil, "%s-%08d", kind, n)}
}

func openBolt(ctx context.Context, path string) (*boltBackend, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	// Map 1 GiB of address space from the start (not memory: pages are
	// read in as touched), so that a growing file is rarely remapped: a
	// remap inside a write copies every page the write holds.
	db, err := hbolt.Open(path, &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: 1 << 30})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &Error{Code: CodeConflict, Path: path, Msg: "the bolt file is in use by another process"}
	}
	if err != nil {
		return nil, err
	}
	meta := &metaKV{KV: db}
	if err := ckv.Init(meta, nil); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
		db.Close()
		return nil, err
	}
	be := &boltBackend{meta: meta, db: db.DB()}
	if err := be.renewQuadStore(); err != nil {
		db.Close()
		return nil, err
	}
	if err := be.recover(ctx); err != nil {
		be.qs.Close()
		return nil, &Error{Op: "graph.Open", Code: CodeInternal, Msg: "cannot finish an interrupted write to the bolt store", Err: err}
	}
	return be, nil
}

// renewQuadStore opens cayley's quad store over the file (again: it
// caches the ids of IRIs, which a bulk delete or undo may have deleted;
// the old one holds nothing else, and closing it would close the file).
//
// No bloom filters. cayley sizes each for 100M entries (75 MB): one
// of the quads, filled at open by reading every quad in the file, and
// on an empty store three more for a load. chipgraph reads the file
// only at open and writes quads it has checked against its records;
// without the filters cayley asks its indexes instead.
func (be *boltBackend) renewQuadStore() error {
	qs, err := ckv.New(be.meta, cgraph.Options{ckv.OptNoBloom: true})
	if err != nil {
		return err
	}
	be.qs = qs
	return nil
}

func (be *boltBackend) close() error { return be.qs.Close() }

func (be *boltBackend) read(ctx context.Context, fn func(quad.Quad) error) (int, uint64, error) {
	rev, err := be.revision(ctx)
	if err != nil {
		return 0, 0, err
	}
	st, err := be.qs.Stats(ctx, true)
	if errors.Is(err, ckv.ErrNoBucket) { // nothing written yet
		st, err = cgraph.Stats{}, nil
	}
	if err != nil {
		return 0, 0, err
	}
	// Reading touches every page of the file: let them go as it goes.
	defer dropPages(be.db)
	n := 0
	return int(st.Quads.Value), rev, eachQuad(ctx, be.qs, quad.Predicate, predRecord, func(q quad.Quad) error {
		if n++; n%dropEvery == 0 {
			dropPages(be.db)
		}
		return fn(q)
	})
}

// dropEvery is how many records a read takes between dropPages.
const dropEvery = 2048

// eachQuad calls fn with every quad of qs whose direction d is v (every
// quad when v is nil).
func eachQuad(ctx context.Context, qs cgraph.QuadStore, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	var it interface {
		Next(context.Context) bool
		Result() refs.Ref
		Err() error
		Close() error
	}
	if v == nil {
		it = qs.QuadsAllIterator().Iterate()
	} else {
		ref, err := qs.ValueOf(v)
		if err != nil {
			return err
		}
		if ref == nil {
			return nil
		}
		it = qs.QuadIterator(d, ref).Iterate()
	}
	defer it.Close()
	for it.Next(ctx) {
		q, err := qs.Quad(it.Result())
		if err != nil {
			return err
		}
		if err := fn(q); err != nil {
			return err
		}
	}
	return it.Err()
}

func (be *boltBackend) revision(ctx context.Context) (uint64, error) {
	var rev uint64
	err := kv.View(ctx, be.meta.KV, func(tx kv.Tx) error {
		v, err := tx.Get(ctx, keyRevision)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err == nil && len(v) == 8 {
			rev = binary.BigEndian.Uint64(v)
		}
		return err
	})
	return rev, err
}

func (be *boltBackend) begin(ctx context.Context, rev uint64) (txn, error) {
	if be.unfinished {
		if err := be.recover(ctx); err != nil {
			return nil, err
		}
	}
	return &boltTxn{be: be, rev: rev}, nil
}

// boltTxn is a write to bbolt; the file is this process's alone, so the
// store's own lock is the writers' lock.
type boltTxn struct {
	be  *boltBackend
	rev uint64
}

func (t *boltTxn) latest() uint64 { return t.rev }
func (t *boltTxn) changes(context.Context, uint64, func(uint64, *changeSet) error) error {
	return nil
}
func (t *boltTxn) commit(context.Context) error { return nil }
func (t *boltTxn) rollback()                    {}

func u64(n uint64) kv.Value { return binary.BigEndian.AppendUint64(nil, n) }

func (t *boltTxn) write(ctx context.Context, pl *plan, rev uint64) error {
	be := t.be
	setRev := metaOp{keyRevision, u64(rev)}
	if pl.adds+pl.dels <= writeChunk {
		var ds []cgraph.Delta
		if err := pl.deltas(func(d cgraph.Delta) error { ds = append(ds, d); return nil }); err != nil {
			return err
		}
		if !loosesAddedNode(ds) {
			return be.apply(ds, cgraph.IgnoreOpts{}, setRev)
		}
	}
	return be.writeBulk(ctx, pl, rev)
}

// loosesAddedNode reports whether an added quad uses a node the batch
// takes references from on balance: cayley's key-value store writes such a
// batch wrongly (see boltBackend).
func loosesAddedNode(ds []cgraph.Delta) bool {
	split := graphlog.SplitDeltas(ds)
	if len(split.DecNode) == 0 || len(split.QuadAdd) == 0 {
		return false
	}
	dec := make(map[refs.ValueHash]bool, len(split.DecNode))
	for _, n := range split.DecNode {
		dec[n.Hash] = true
	}
	for _, q := range split.QuadAdd {
		for _, d := range quad.Directions {
			if h := q.Quad.Get(d); h.Valid() && dec[h] {
				return true
			}
		}
	}
	return false
}

// crash returns the error a test asked for before this transaction: a
// crash, or a failure.
func (be *boltBackend) crash() error {
	if be.crashAt == 0 && be.failAt == 0 {
		return nil
	}
	be.txns++
	switch {
	case be.crashAt > 0 && be.txns >= be.crashAt:
		return errSimulatedCrash
	case be.txns == be.failAt:
		return errSimulatedFailure
	}
	return nil
}

// recover finishes a switched write (deleting what its journal lists) or
// undoes one that had not switched (deleting what it added), and clears
// the journal. It also finishes a two-phase write of chipgraph before the
// journal, marked by a pending quad inside the graph.
func (be *boltBackend) recover(ctx context.Context) error {
	if err := be.recoverPendingQuad(ctx); err != nil {
		return err
	}
	var keys []kv.Key
	committed, undoAll, bulk := false, false, false
	err := kv.View(ctx, be.meta.KV, func(tx kv.Tx) error {
		return kv.Each(ctx, tx, func(k kv.Key, _ kv.Value) error {
			switch {
			case k.Compare(keyJournalCommit) == 0:
				committed = true
			case k.Compare(keyJournalUndoAll) == 0:
				undoAll = true
			case bytes.Equal(k[1], keyJournalBulk):
				bulk = true
			case bytes.Equal(k[1], keyJournalBulkValues), bytes.Equal(k[1], keyJournalDecDone):
			default:
				keys = append(keys, k.Clone())
			}
			return nil
		}, options.WithPrefixKV(kv.Key{journalBucket, nil}))
	})
	if err != nil || (len(keys) == 0 && !committed && !undoAll && !bulk) {
		return err
	}
	if bulk && !committed {
		if err := be.undoBulk(ctx); err != nil {
			return err
		}
	}
	if undoAll && !committed {
		if err := be.deleteAll(ctx); err != nil {
			return err
		}
	}
	// Finish: delete what the del entries list. Undo: delete what the add
	// entries list (journals of staged writes before the bulk writes).
	// Either way the other kind is dropped.
	if committed {
		if err := be.deleteBulk(ctx); err != nil {
			return err
		}
	}
	var drop []metaOp
	for _, k := range keys {
		name := string(k[1])
		if committed && (strings.HasPrefix(name, "del-") || strings.HasPrefix(name, "dec-")) {
			continue // deleteBulk's
		}
		if committed || !strings.HasPrefix(name, "add-") {
			drop = append(drop, metaOp{key: k})
			continue
		}
		var text kv.Value
		err := kv.View(ctx, be.meta.KV, func(tx kv.Tx) error {
			v, err := tx.Get(ctx, k)
			text = v.Clone()
			return err
		})
		if err != nil {
			return err
		}
		dels, err := parseNQuads(string(text))
		if err != nil {
			return fmt.Errorf("journal %s: %w", k[1], err)
		}
		ds := make([]cgraph.Delta, len(dels))
		for i, q := range dels {
			ds[i] = cgraph.Delta{Quad: q, Action: cgraph.Delete}
		}
		if err := be.apply(ds, cgraph.IgnoreOpts{IgnoreMissing: true}, metaOp{key: k}); err != nil {
			return err
		}
	}
	if committed {
		drop = append(drop, metaOp{key: keyJournalCommit})
	}
	if undoAll {
		drop = append(drop, metaOp{key: keyJournalUndoAll})
	}
	if err := be.putMeta(ctx, drop...); err != nil {
		return err
	}
	be.unfinished = false
	return nil
}

// deleteAll deletes every quad, a chunk per transaction (see
// keyJournalUndoAll).
func (be *boltBackend) deleteAll(ctx context.Context) error {
	errFull := errors.New("chunk full")
	for {
		var ds []cgraph.Delta
		err := eachQuad(ctx, be.qs, quad.Any, nil, func(q quad.Quad) error {
			if ds = append(ds, cgraph.Delta{Quad: q, Action: cgraph.Delete}); len(ds) >= writeChunk {
				return errFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFull) {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		if err := be.apply(ds, cgraph.IgnoreOpts{IgnoreMissing: true}); err != nil {
			return err
		}
	}
}

// pendingIRI marks a two-phase write of chipgraph versions before the
// journal: its object lists, as N-Quads, the quads still to delete.
const pendingIRI = quad.IRI("urn:chipgraph:pending-delete")

func (be *boltBackend) recoverPendingQuad(ctx context.Context) error {
	var pending []quad.Quad
	if err := eachQuad(ctx, be.qs, quad.Subject, pendingIRI, func(q quad.Quad) error {
		pending = append(pending, q)
		return nil
	}); err != nil || len(pending) == 0 {
		return err
	}
	var dels []cgraph.Delta
	for _, p := range pending {
		lit, _ := p.Object.(quad.String)
		list, err := parseNQuads(string(lit))
		if err != nil {
			return fmt.Errorf("pending delete list: %w", err)
		}
		for _, q := range list {
			dels = append(dels, cgraph.Delta{Quad: q, Action: cgraph.Delete})
		}
		dels = append(dels, cgraph.Delta{Quad: p, Action: cgraph.Delete})
	}
	return be.qs.ApplyDeltas(dels, cgraph.IgnoreOpts{IgnoreMissing: true})
}

// apply writes ds to cayley and ops to the bucket in one transaction.
func (be *boltBackend) apply(ds []cgraph.Delta, opts cgraph.IgnoreOpts, ops ...metaOp) error {
	if err := be.crash(); err != nil {
		return err
	}
	be.meta.pending = ops
	defer func() { be.meta.pending = nil }()
	defer dropPages(be.db)
	return be.qs.ApplyDeltas(ds, opts)
}

// putMeta writes ops to the bucket in a transaction of their own.
func (be *boltBackend) putMeta(ctx context.Context, ops ...metaOp) error {
	if len(ops) == 0 {
		return nil
	}
	if err := be.crash(); err != nil {
		return err
	}
	defer dropPages(be.db)
	return kv.Update(ctx, be.meta.KV, func(tx kv.Tx) error { return writeOps(ctx, tx, ops) })
}

func nquadsText(ds []cgraph.Delta) kv.Value {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Quad.NQuad())
		b.WriteByte('\n')
	}
	return kv.Value(b.String())
}

func parseNQuads(text string) ([]quad.Quad, error) {
	r := nquads.NewReader(strings.NewReader(text), false)
	var out []quad.Quad
	for {
		q, err := r.ReadQuad()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
}

// metaKV is the key-value store cayley writes through: it adds chipgraph's
// own keys (pending) to the commit of cayley's next read-write
// transaction, so they land atomically with the quads.
type metaKV struct {
	kv.KV
	pending []metaOp
}

type metaOp struct {
	key kv.Key
	val kv.Value // nil deletes the key
}

func (m *metaKV) Tx(ctx context.Context, rw bool) (kv.Tx, error) {
	tx, err := m.KV.Tx(ctx, rw)
	if err != nil || !rw || len(m.pending) == 0 {
		return tx, err
	}
	return &metaTx{Tx: tx, ops: m.pending}, nil
}

type metaTx struct {
	kv.Tx
	ops []metaOp
}

func (t *metaTx) Commit(ctx context.Context) error {
	if err := writeOps(ctx, t.Tx, t.ops); err != nil {
		t.Tx.Close()
		return err
	}
	return t.Tx.Commit(ctx)
}

func writeOps(ctx context.Context, tx kv.Tx, ops []metaOp) error {
	for _, op := range ops {
		var err error
		if op.val == nil {
			err = tx.Del(ctx, op.key)
		} else {
			err = tx.Put(ctx, op.key, op.val)
		}
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
	}
	return nil
}

package graph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cayleygraph/quad"
)

// CayleyStore is the Store of chipgraph. On bbolt and PostgreSQL a cayley
// quad store holds the graph as quads and is the store of record; reads are
// answered from an in-memory projection (see projection.go) rebuilt from
// the quads at Open and updated after every successful write. Writes go to
// the backend first, so a failed write changes neither.
//
// On memory: the projection is the store of record: nothing persists, so a
// second in-memory copy in cayley's memstore would only be written, never
// read (it took 1.4 GB of 2.1 GB for a 1M-quad graph). Quads derives the
// same quads from the records that cayley would hold.
type CayleyStore struct {
	backend string // "memory", "bolt" or "postgres", for messages
	be      backend

	writeMu sync.Mutex // serialises this process's writers and catch-up
	in      *interner  // under writeMu
	cur     atomic.Pointer[snapshot]
	follow  *follower // PostgreSQL: applies other processes' writes

	start     StartInfo
	snapshots *snapshotter // PostgreSQL with a snapshot file: keeps it
	closeOnce sync.Once

	text textSearch // the full-text index (search.go)
}

var _ Store = (*CayleyStore)(nil)
var _ Lookup = (*CayleyStore)(nil)
var _ View = (*snapshot)(nil)

// backend is where a CayleyStore keeps its quads.
type backend interface {
	// read calls fn with every record quad the backend holds, and returns
	// how many quads it holds in all and the revision they are at.
	read(ctx context.Context, fn func(quad.Quad) error) (quads int, rev uint64, err error)
	// begin starts a write: from then until commit or rollback no other
	// writer, in this process or another, can write.
	// rev is the revision this process has seen last.
	begin(ctx context.Context, rev uint64) (txn, error)
	close() error
}

// txn is one write to a backend.
type txn interface {
	// latest is the revision the backend is at.
	latest() uint64
	// changes calls fn with the changes after revision after, in order
	// (a change may come in several parts); only backends shared between
	// processes have any.
	changes(ctx context.Context, after uint64, fn func(rev uint64, c *changeSet) error) error
	// write writes the plan as revision rev.
	write(ctx context.Context, pl *plan, rev uint64) error
	commit(ctx context.Context) error
	// rollback abandons an uncommitted write; after commit it does nothing.
	rollback()
}

// Open opens the store named by dsn, creating it if needed, and builds the
// projection from its quads:
//
//	memory:             cayley's in-memory store (nothing persists)
//	bolt:PATH           a bbolt file at PATH (created if missing)
//	postgres://...      PostgreSQL through cayley's SQL backend
//	postgresql://...    the same
//
// An empty dsn means memory:. A bad dsn is CodeInvalid; a backend that cannot
// be opened is CodeInternal with the cause in Err.
func Open(ctx context.Context, dsn string) (*CayleyStore, error) {
	return open(ctx, dsn, true, Options{})
}

// OpenWith is Open with options: over PostgreSQL, a snapshot file to start
// from and keep (see snapshotfile.go).
func OpenWith(ctx context.Context, dsn string, o Options) (*CayleyStore, error) {
	return open(ctx, dsn, true, o)
}

// OpenExisting is Open for a store that must already be there: it creates
// nothing. A missing bolt file, or a PostgreSQL schema holding no chipgraph
// store, is CodeNotFound. memory: opens an empty store, as Open does.
func OpenExisting(ctx context.Context, dsn string) (*CayleyStore, error) {
	return open(ctx, dsn, false, Options{})
}

func open(ctx context.Context, dsn string, create bool, o Options) (*CayleyStore, error) {
	const op = "graph.Open"
	var (
		be      backend
		backend string
		err     error
	)
	switch {
	case dsn == "" || dsn == "memory:":
		backend, be = "memory", memoryBackend{}
	case strings.HasPrefix(dsn, "bolt:"):
		backend = "bolt"
		path := strings.TrimPrefix(dsn, "bolt:")
		if path == "" {
			return nil, &Error{Code: CodeInvalid, Path: "db", Msg: "bolt: needs a file path, as in bolt:chipgraph.db"}
		}
		if !create {
			if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
				return nil, &Error{Code: CodeNotFound, Path: path, Msg: "no store there"}
			}
		}
		be, err = openBolt(ctx, path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		backend = "postgres"
		be, err = openPostgres(ctx, dsn, create)
	default:
		return nil, &Error{Code: CodeInvalid, Path: "db",
			Msg: fmt.Sprintf("unknown database %q: want memory:, bolt:PATH or postgres://...", RedactDSN(dsn))}
	}
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, ge
		}
		return nil, &Error{Op: op, Code: CodeInternal, Msg: "cannot open " + backend + " store " + RedactDSN(dsn), Err: err}
	}
	pg, shared := be.(*pgBackend)
	if o.SnapshotFile != "" {
		if !shared {
			be.close()
			return nil, &Error{Code: CodeInvalid, Path: "snapshot",
				Msg: "a snapshot file is for a replica over PostgreSQL; a " + backend + " store has none"}
		}
		if err := checkSnapshotPath(o.SnapshotFile); err != nil {
			be.close()
			return nil, err
		}
	}
	s := &CayleyStore{backend: backend, be: be, in: newInterner()}
	var snap *snapshot
	switch {
	case o.SnapshotFile != "":
		snap, s.start, err = s.openFromSnapshot(ctx, pg, o.SnapshotFile)
	default:
		snap, err = s.rebuild(ctx)
		if err == nil {
			s.start = StartInfo{Revision: snap.rev}
			if shared {
				s.start.Reason = "no snapshot file configured"
			}
		}
	}
	if err != nil {
		be.close()
		return nil, err
	}
	s.cur.Store(snap)
	if shared {
		s.follow = startFollower(s, pg)
		if o.SnapshotFile != "" {
			s.snapshots = startSnapshotter(s, pg, o, s.start)
		}
	}
	return s, nil
}

// Started says how the store got its graph at Open: over PostgreSQL, from
// a snapshot file and the change log after it, or by reading it whole.
func (s *CayleyStore) Started() StartInfo { return s.start }

// RedactDSN hides the password of a DSN so it never reaches a log or a
// client: postgres://user:secret@host/db becomes postgres://user:xxxxx@host/db.
func RedactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return dsn[:scheme+3] + userinfo[:i] + ":xxxxx" + dsn[at:]
	}
	return dsn
}

// rebuild reads every record from the backend into a new snapshot.
func (s *CayleyStore) rebuild(ctx context.Context) (*snapshot, error) {
	l := s.newLoader()
	var bad Errors
	quads, rev, err := s.be.read(ctx, func(q quad.Quad) error {
		rec, err := decodeRecord(q)
		if err != nil {
			if bad = append(bad, err); len(bad) >= 20 {
				return bad
			}
			return nil
		}
		l.add(rec)
		return nil
	})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return nil, &Error{Op: "graph.Open", Code: CodeInternal, Msg: "cannot read the " + s.backend + " store", Err: err}
	}
	b, err := l.finish(quads)
	if err != nil {
		return nil, &Error{Op: "graph.Open", Code: CodeInternal, Msg: "the " + s.backend + " store " + err.Error()}
	}
	return b.finish(rev), nil
}

// loader builds a snapshot from records given in any order: from the
// backend (rebuild) or from a snapshot file (restore).
type loader struct {
	s     *CayleyStore
	b     *builder
	later []*Relation // relations seen before an endpoint
}

func (s *CayleyStore) newLoader() *loader {
	return &loader{s: s, b: newSnapshot(s).edit()}
}

// add adds an *Entity, *Relation or *Source; anything else (nil for a
// structural quad) is skipped.
func (l *loader) add(rec any) {
	switch r := rec.(type) {
	case *Source:
		l.b.putSource(l.s.in.source(r))
	case *Entity:
		l.b.putEntity(l.s.in.adoptEntity(r))
	case *Relation:
		if !l.put(r) {
			l.later = append(l.later, r)
		}
	}
}

// put adds a relation once both its endpoints are in.
func (l *loader) put(r *Relation) bool {
	p := l.b.p
	from, okFrom := p.nodeIDs.get(r.From)
	to, okTo := p.nodeIDs.get(r.To)
	if !okFrom || !okTo {
		return false
	}
	l.b.putRelation(l.s.in.adoptRelation(r, func(id string) string {
		if id == r.From {
			return p.node(from).entity.ID
		}
		return p.node(to).entity.ID
	}))
	return true
}

// finish adds the relations held back and returns the builder, holding
// every record and the count of the backend's quads, for the caller to
// apply changes to or finish at a revision.
func (l *loader) finish(quads int) (*builder, error) {
	for i, r := range l.later {
		if !l.put(r) {
			return nil, fmt.Errorf("holds relation %q with a missing endpoint", r.ID)
		}
		l.later[i] = nil
	}
	l.b.p.quads = quads
	return l.b, nil
}

func (s *CayleyStore) unreachable(op string, err error) error {
	var ge *Error
	if errors.As(err, &ge) {
		return ge
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Error{Op: op, Code: CodeInternal, Msg: "cannot reach the " + s.backend + " store", Err: err}
}

// catchUp applies the changes other processes wrote since the current
// snapshot and returns the snapshot at tx's revision. Callers hold writeMu.
func (s *CayleyStore) catchUp(ctx context.Context, tx txn) (*snapshot, error) {
	cur := s.cur.Load()
	if tx.latest() <= cur.rev {
		return cur, nil
	}
	b := cur.edit()
	tc := s.textChange(cur)
	err := tx.changes(ctx, cur.rev, func(rev uint64, c *changeSet) error {
		c = s.own(c, b.p)
		c.applyTo(b)
		tc.add(c)
		return nil
	})
	if errors.Is(err, errLogPruned) {
		// Nothing can write while tx holds the writers' lock: reading
		// the whole graph gives tx's revision.
		snap, err := s.rebuild(ctx)
		if err != nil {
			return nil, err
		}
		s.publish(snap, nil)
		return snap, nil
	}
	if err != nil {
		return nil, err
	}
	snap := b.finish(tx.latest())
	s.publish(snap, tc)
	return snap, nil
}

// own interns the records of a change read from the log.
func (s *CayleyStore) own(c *changeSet, p *snapshot) *changeSet {
	for i, src := range c.Sources {
		c.Sources[i] = s.in.source(src)
	}
	for i, e := range c.Entities {
		c.Entities[i] = s.in.adoptEntity(e)
	}
	for i, r := range c.Relations {
		c.Relations[i] = s.in.adoptRelation(r, func(id string) string {
			if n, ok := p.nodeIDs.get(id); ok {
				return p.node(n).entity.ID
			}
			return id
		})
	}
	return c
}

// snap returns the snapshot reads through ctx answer from: the one pinned
// in ctx (Pin), else the latest.
func (s *CayleyStore) snap(ctx context.Context) (*snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v, ok := Pinned(ctx, s); ok {
		if p, ok := v.(*snapshot); ok {
			return p, nil
		}
	}
	p := s.cur.Load()
	if p == nil {
		return nil, &Error{Code: CodeInternal, Msg: "store is closed"}
	}
	return p, nil
}

// View implements Store.
func (s *CayleyStore) View() View {
	if p := s.cur.Load(); p != nil {
		return p
	}
	return closedView{}
}

// Version implements Store.
func (s *CayleyStore) Version() uint64 {
	if p := s.cur.Load(); p != nil {
		return p.rev
	}
	return 0
}

// Revision implements Store.
func (s *CayleyStore) Revision(ctx context.Context) uint64 {
	if v, ok := Pinned(ctx, s); ok {
		return v.Revision()
	}
	return s.Version()
}

// SyncStatus implements SyncReporter.
func (s *CayleyStore) SyncStatus() SyncStatus {
	if s.follow != nil {
		st := s.follow.status()
		st.Start = s.start
		if s.snapshots != nil {
			st.SnapshotRevision = s.snapshots.revision()
		}
		return st
	}
	v := s.Version()
	return SyncStatus{Revision: v, Latest: v}
}

// EntityKind implements Lookup.
func (s *CayleyStore) EntityKind(id string) (Kind, bool) {
	if p := s.cur.Load(); p != nil {
		return p.EntityKind(id)
	}
	return "", false
}

// HasSource implements Lookup.
func (s *CayleyStore) HasSource(key string) bool {
	p := s.cur.Load()
	return p != nil && p.HasSource(key)
}

// Entity implements Reader.
func (s *CayleyStore) Entity(ctx context.Context, id string) (*Entity, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.entity(id)
}

// Relation implements Reader.
func (s *CayleyStore) Relation(ctx context.Context, id string) (*Relation, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.relation(id)
}

// Source implements Reader.
func (s *CayleyStore) Source(ctx context.Context, key string) (*Source, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.source(key)
}

// Sources implements Reader.
func (s *CayleyStore) Sources(ctx context.Context) ([]*Source, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.listSources(), nil
}

// Resolve implements Reader.
func (s *CayleyStore) Resolve(ctx context.Context, name string) ([]*Entity, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.resolve(name), nil
}

// Search implements Searcher, with the full-text index (search.go).
func (s *CayleyStore) Search(ctx context.Context, text string, kinds []Kind, limit int) ([]Match, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return s.fullTextSearch(ctx, p, text, kinds, limit)
}

// Entities implements Reader.
func (s *CayleyStore) Entities(ctx context.Context, f EntityFilter) ([]*Entity, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.entities(f), nil
}

// Relations implements Reader.
func (s *CayleyStore) Relations(ctx context.Context, f RelationFilter) ([]*Relation, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.relations(f), nil
}

// Subgraph implements Reader.
func (s *CayleyStore) Subgraph(ctx context.Context, sel Selection) (*Subgraph, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.subgraph(ctx, sel)
}

// Paths implements Reader.
func (s *CayleyStore) Paths(ctx context.Context, q PathQuery) ([]Path, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	return p.paths(ctx, q)
}

// Stats implements Reader.
func (s *CayleyStore) Stats(ctx context.Context) (Stats, error) {
	p, err := s.snap(ctx)
	if err != nil {
		return Stats{}, err
	}
	return p.stats(), nil
}

// Quads implements QuadSource.
func (s *CayleyStore) Quads(ctx context.Context, fn func(quad.Quad) error) error {
	p, err := s.snap(ctx)
	if err != nil {
		return err
	}
	return p.Quads(ctx, fn)
}

// Close implements Store. Views taken before stay readable, but for Search:
// the full-text index is released.
func (s *CayleyStore) Close() error {
	s.closeOnce.Do(func() {
		if s.follow != nil {
			s.follow.stop()
		}
		if s.snapshots != nil {
			s.snapshots.stop()
		}
	})
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.cur.Swap(nil) == nil {
		return nil
	}
	s.closeTextIndex()
	return s.be.close()
}

// The snapshot is a View.

func (p *snapshot) Revision() uint64 { return p.rev }

func (p *snapshot) Entity(ctx context.Context, id string) (*Entity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.entity(id)
}

func (p *snapshot) Relation(ctx context.Context, id string) (*Relation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.relation(id)
}

func (p *snapshot) Source(ctx context.Context, key string) (*Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.source(key)
}

func (p *snapshot) Sources(ctx context.Context) ([]*Source, error) {
	return p.listSources(), ctx.Err()
}

func (p *snapshot) Resolve(ctx context.Context, name string) ([]*Entity, error) {
	return p.resolve(name), ctx.Err()
}

func (p *snapshot) Search(ctx context.Context, text string, kinds []Kind, limit int) ([]Match, error) {
	return p.owner.fullTextSearch(ctx, p, text, kinds, limit)
}

func (p *snapshot) Entities(ctx context.Context, f EntityFilter) ([]*Entity, error) {
	return p.entities(f), ctx.Err()
}

func (p *snapshot) Relations(ctx context.Context, f RelationFilter) ([]*Relation, error) {
	return p.relations(f), ctx.Err()
}

func (p *snapshot) Subgraph(ctx context.Context, sel Selection) (*Subgraph, error) {
	return p.subgraph(ctx, sel)
}

func (p *snapshot) Paths(ctx context.Context, q PathQuery) ([]Path, error) {
	return p.paths(ctx, q)
}

func (p *snapshot) Stats(ctx context.Context) (Stats, error) { return p.stats(), ctx.Err() }

// Quads streams every record's quads (sources, then entities, then
// relations, each by key). They are made from the records: the projection
// mirrors the backend quad for quad (TestProjectionMirrorsBackend), and on
// memory: the records are the store of record.
func (p *snapshot) Quads(ctx context.Context, fn func(quad.Quad) error) error {
	v := p.views()
	emit := func(i int, qs []quad.Quad) error {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for _, q := range qs {
			if err := fn(q); err != nil {
				return err
			}
		}
		return nil
	}
	for i, src := range v.sources {
		if err := emit(i, sourceQuads(src)); err != nil {
			return err
		}
	}
	for i, n := range v.nodes {
		if err := emit(i, entityQuads(p.node(n).entity)); err != nil {
			return err
		}
	}
	for i, e := range v.edges {
		if err := emit(i, relationQuads(p.edge(e).rel)); err != nil {
			return err
		}
	}
	return nil
}

// closedView is the View of a closed store: every read fails.
type closedView struct{}

var errClosed = &Error{Code: CodeInternal, Msg: "store is closed"}

func (closedView) Revision() uint64                                { return 0 }
func (closedView) EntityKind(string) (Kind, bool)                  { return "", false }
func (closedView) HasSource(string) bool                           { return false }
func (closedView) Entity(context.Context, string) (*Entity, error) { return nil, errClosed }
func (closedView) Relation(context.Context, string) (*Relation, error) {
	return nil, errClosed
}
func (closedView) Source(context.Context, string) (*Source, error)    { return nil, errClosed }
func (closedView) Sources(context.Context) ([]*Source, error)         { return nil, errClosed }
func (closedView) Resolve(context.Context, string) ([]*Entity, error) { return nil, errClosed }
func (closedView) Search(context.Context, string, []Kind, int) ([]Match, error) {
	return nil, errClosed
}
func (closedView) Entities(context.Context, EntityFilter) ([]*Entity, error) { return nil, errClosed }
func (closedView) Relations(context.Context, RelationFilter) ([]*Relation, error) {
	return nil, errClosed
}
func (closedView) Subgraph(context.Context, Selection) (*Subgraph, error) { return nil, errClosed }
func (closedView) Paths(context.Context, PathQuery) ([]Path, error)       { return nil, errClosed }
func (closedView) Stats(context.Context) (Stats, error)                   { return Stats{}, errClosed }
func (closedView) Quads(context.Context, func(quad.Quad) error) error     { return errClosed }

// memoryBackend keeps nothing: on memory: the projection is the store.
type memoryBackend struct{}

func (memoryBackend) read(context.Context, func(quad.Quad) error) (int, uint64, error) {
	return 0, 0, nil
}
func (memoryBackend) begin(_ context.Context, rev uint64) (txn, error) { return memoryTxn(rev), nil }
func (memoryBackend) close() error                                     { return nil }

type memoryTxn uint64

func (t memoryTxn) latest() uint64 { return uint64(t) }
func (memoryTxn) changes(context.Context, uint64, func(uint64, *changeSet) error) error {
	return nil
}
func (memoryTxn) write(context.Context, *plan, uint64) error { return nil }
func (memoryTxn) commit(context.Context) error               { return nil }
func (memoryTxn) rollback()                                  {}

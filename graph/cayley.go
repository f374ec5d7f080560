package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	_ "github.com/cayleygraph/cayley/graph/memstore" // registers "memstore"
	_ "github.com/cayleygraph/cayley/graph/sql/postgres"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"
	hbolt "github.com/hidal-go/hidalgo/kv/bbolt"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CayleyStore is the Store backed by a cayley quad store, which holds the
// graph as quads and is the source of truth. Reads are served from an
// in-memory projection rebuilt from the quads at Open and updated after every
// successful write; writes go to cayley first, so a failed write changes
// neither.
type CayleyStore struct {
	backend string // "memory", "bolt" or "postgres", for messages
	// twoPhase writes mixed batches as adds, then deletes (see write).
	twoPhase bool

	writeMu sync.Mutex // serialises writers and every use of qs
	qs      cgraph.QuadStore
	closed  bool

	mu   sync.RWMutex // guards proj
	proj *projection

	text textSearch // the full-text index (search.go)
}

var _ Store = (*CayleyStore)(nil)
var _ Lookup = (*CayleyStore)(nil)

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
	const op = "graph.Open"
	var (
		qs      cgraph.QuadStore
		backend string
		err     error
	)
	switch {
	case dsn == "" || dsn == "memory:":
		backend = "memory"
		qs, err = cgraph.NewQuadStore("memstore", "", nil)
	case strings.HasPrefix(dsn, "bolt:"):
		backend = "bolt"
		path := strings.TrimPrefix(dsn, "bolt:")
		if path == "" {
			return nil, &Error{Op: op, Code: CodeInvalid, Path: "db", Msg: "bolt: needs a file path, as in bolt:chipgraph.db"}
		}
		qs, err = openBolt(path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		backend = "postgres"
		qs, err = openSQL("postgres", dsn)
	default:
		return nil, &Error{Op: op, Code: CodeInvalid, Path: "db",
			Msg: fmt.Sprintf("unknown database %q: want memory:, bolt:PATH or postgres://...", RedactDSN(dsn))}
	}
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, ge
		}
		return nil, &Error{Op: op, Code: CodeInternal, Msg: "cannot open " + backend + " store " + RedactDSN(dsn), Err: err}
	}
	s := &CayleyStore{backend: backend, qs: qs, twoPhase: backend == "bolt"}
	if err := s.recover(ctx); err != nil {
		qs.Close()
		return nil, &Error{Op: op, Code: CodeInternal, Msg: "cannot finish an interrupted write to the " + backend + " store", Err: err}
	}
	if err := s.rebuild(ctx); err != nil {
		qs.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string) (cgraph.QuadStore, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	db, err := hbolt.Open(path, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &Error{Op: "graph.Open", Code: CodeConflict, Path: path, Msg: "the bolt file is in use by another process"}
	}
	if err != nil {
		return nil, err
	}
	if err := ckv.Init(db, nil); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
		db.Close()
		return nil, err
	}
	qs, err := ckv.New(db, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	return qs, nil
}

func openSQL(typ, dsn string) (cgraph.QuadStore, error) {
	if err := cgraph.InitQuadStore(typ, dsn, nil); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
		return nil, err
	}
	return cgraph.NewQuadStore(typ, dsn, nil)
}

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

// rebuild reads every record quad from cayley into a new projection.
func (s *CayleyStore) rebuild(ctx context.Context) error {
	var b Batch
	quads := 0
	var bad Errors
	err := s.eachQuad(ctx, func(q quad.Quad) error {
		quads++
		if err := b.addRecord(q); err != nil {
			bad = append(bad, err)
			if len(bad) >= 20 {
				return bad
			}
		}
		return nil
	})
	if err == nil {
		err = bad.Err()
	}
	if err != nil {
		return &Error{Op: "graph.Open", Code: CodeInternal, Msg: "cannot read the " + s.backend + " store", Err: err}
	}
	p := newProjection()
	for i := range b.Sources {
		p.putSource(&b.Sources[i])
	}
	for i := range b.Entities {
		p.putEntity(&b.Entities[i])
	}
	for i := range b.Relations {
		r := &b.Relations[i]
		if p.nodes[r.From] == nil || p.nodes[r.To] == nil {
			return &Error{Op: "graph.Open", Code: CodeInternal,
				Msg: fmt.Sprintf("the %s store holds relation %q with a missing endpoint", s.backend, r.ID)}
		}
		p.putRelation(r)
	}
	// Adjacency in id order makes traversal order independent of how the
	// backend happened to return the quads.
	for _, n := range p.nodes {
		sortEdges(n.out)
		sortEdges(n.in)
	}
	p.quads = quads
	s.proj = p
	return nil
}

func (s *CayleyStore) eachQuad(ctx context.Context, fn func(quad.Quad) error) error {
	it := s.qs.QuadsAllIterator().Iterate()
	defer it.Close()
	for it.Next(ctx) {
		q, err := s.qs.Quad(it.Result())
		if err != nil {
			return err
		}
		if err := fn(q); err != nil {
			return err
		}
	}
	return it.Err()
}

// Apply implements Store.
func (s *CayleyStore) Apply(ctx context.Context, b Batch) (ApplyResult, error) {
	const op = "store.Apply"
	b = withDefaults(b)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return ApplyResult{}, &Error{Op: op, Code: CodeInternal, Msg: "store is closed"}
	}
	if err := ctx.Err(); err != nil {
		return ApplyResult{}, err
	}
	// Only writers change the projection, and writers hold writeMu, so it
	// can be read here without s.mu.
	p := s.proj
	if errs := Validate(&b, p); len(errs) > 0 {
		for _, e := range errs {
			e.Op = op
		}
		return ApplyResult{}, errs
	}
	plan, err := planBatch(p, &b)
	if err != nil {
		err.Op = op
		return ApplyResult{}, err
	}
	if len(plan.deltas) > 0 {
		if err := s.write(plan.deltas); err != nil {
			return ApplyResult{}, &Error{Op: op, Code: CodeInternal, Msg: "the " + s.backend + " store rejected the write", Err: err}
		}
	}
	res := plan.result
	res.Quads = len(plan.deltas)
	if res.Created+res.Updated+res.Deleted == 0 {
		return res, nil
	}
	touched := s.textTouched(p, plan)
	s.mu.Lock()
	plan.applyTo(p)
	p.changed()
	s.mu.Unlock()
	if err := s.followWrite(p, touched, plan); err != nil {
		return res, &Error{Op: op, Code: CodeInternal, Msg: "the write landed but the full-text index could not follow it", Err: err}
	}
	return res, nil
}

// pendingIRI marks an interrupted two-phase write: its object lists, as
// N-Quads, the quads still to delete.
const pendingIRI = quad.IRI("urn:chipgraph:pending-delete")

// write applies deltas to cayley as one atomic change.
//
// cayley's key-value backend (bbolt) resolves the nodes of added quads only
// among nodes whose reference count the batch raises, so in a batch that
// also deletes, an added quad whose subject, predicate or object loses more
// references than it gains is written with that node missing (seen as a nil
// subject after an update that drops an alias). On that backend a batch with
// both adds and deletes is written in two transactions: first the adds plus
// a pending quad listing the deletes, then the deletes and the pending quad.
// Open finishes a write interrupted between the two (recover), so a reader
// sees the old state or the new one, never a mixture.
func (s *CayleyStore) write(deltas []cgraph.Delta) error {
	var adds, dels []cgraph.Delta
	for _, d := range deltas {
		if d.Action == cgraph.Add {
			adds = append(adds, d)
		} else {
			dels = append(dels, d)
		}
	}
	if !s.twoPhase || len(adds) == 0 || len(dels) == 0 {
		return s.qs.ApplyDeltas(deltas, cgraph.IgnoreOpts{})
	}
	var list strings.Builder
	for _, d := range dels {
		list.WriteString(d.Quad.NQuad())
		list.WriteByte('\n')
	}
	pending := quad.Quad{Subject: pendingIRI, Predicate: pendingIRI, Object: quad.String(list.String())}
	if err := s.qs.ApplyDeltas(append(adds, cgraph.Delta{Quad: pending, Action: cgraph.Add}), cgraph.IgnoreOpts{}); err != nil {
		return err
	}
	err := s.qs.ApplyDeltas(append(dels, cgraph.Delta{Quad: pending, Action: cgraph.Delete}), cgraph.IgnoreOpts{})
	if err == nil {
		return nil
	}
	// Undo the first phase; if that fails too, the pending quad stays and
	// the next Open completes the write instead.
	undo := make([]cgraph.Delta, 0, len(adds)+1)
	for _, d := range adds {
		undo = append(undo, cgraph.Delta{Quad: d.Quad, Action: cgraph.Delete})
	}
	undo = append(undo, cgraph.Delta{Quad: pending, Action: cgraph.Delete})
	if uerr := s.qs.ApplyDeltas(undo, cgraph.IgnoreOpts{IgnoreMissing: true}); uerr != nil {
		return fmt.Errorf("%w (and undoing the first phase failed: %v; reopening the store completes the write)", err, uerr)
	}
	return err
}

// recover completes a two-phase write that a crash interrupted after its
// first phase: it deletes the quads its pending quad lists.
func (s *CayleyStore) recover(ctx context.Context) error {
	var pending []quad.Quad
	err := s.eachQuad(ctx, func(q quad.Quad) error {
		if q.Subject == pendingIRI {
			pending = append(pending, q)
		}
		return nil
	})
	if err != nil || len(pending) == 0 {
		return err
	}
	var dels []cgraph.Delta
	for _, p := range pending {
		lit, _ := p.Object.(quad.String)
		r := nquads.NewReader(strings.NewReader(string(lit)), false)
		for {
			q, err := r.ReadQuad()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("pending delete list: %w", err)
			}
			dels = append(dels, cgraph.Delta{Quad: q, Action: cgraph.Delete})
		}
		dels = append(dels, cgraph.Delta{Quad: p, Action: cgraph.Delete})
	}
	return s.qs.ApplyDeltas(dels, cgraph.IgnoreOpts{IgnoreMissing: true})
}

// withDefaults returns b with default relation ids filled in, without
// touching the caller's slices.
func withDefaults(b Batch) Batch {
	cloned := false
	for i, r := range b.Relations {
		if r.ID != "" {
			continue
		}
		if !cloned {
			b.Relations, cloned = slices.Clone(b.Relations), true
		}
		b.Relations[i].ID = DefaultRelationID(r.From, r.Type, r.To)
	}
	return b
}

// plan is the effect of a validated batch: the quad deltas for cayley and the
// records to put into and remove from the projection.
type plan struct {
	deltas    []cgraph.Delta
	result    ApplyResult
	sources   []*Source
	entities  []*Entity
	relations []*Relation
	delRels   []string
	delEnts   []string
	delSrcs   []string
}

func planBatch(p *projection, b *Batch) (*plan, *Error) {
	pl := &plan{}
	// Deletes first: they decide what the upserts may still refer to.
	delRels := toSet(b.DeleteRelations)
	for _, id := range b.DeleteRelations {
		if _, ok := p.edges[id]; !ok {
			return nil, Errorf(CodeNotFound, "deleteRelations", "no relation %q", id)
		}
	}
	for _, id := range b.DeleteEntities {
		n, ok := p.nodes[id]
		if !ok {
			return nil, Errorf(CodeNotFound, "deleteEntities", "no entity %q", id)
		}
		for _, e := range slices.Concat(n.out, n.in) {
			if delRels[e.rel.ID] {
				continue
			}
			if !b.Cascade {
				return nil, Errorf(CodeConflict, "deleteEntities", "entity %q still has relation %q (delete it too, or cascade)", id, e.rel.ID)
			}
			delRels[e.rel.ID] = true
		}
	}
	for _, key := range b.DeleteSources {
		if _, ok := p.sources[key]; !ok {
			return nil, Errorf(CodeNotFound, "deleteSources", "no source %q", key)
		}
	}
	if len(b.DeleteSources) > 0 {
		if err := checkUncited(p, b, delRels); err != nil {
			return nil, err
		}
	}
	for _, r := range b.Relations {
		if delRels[r.ID] {
			return nil, Errorf(CodeConflict, "relations", "relation %q is upserted but deleted by the cascade", r.ID)
		}
	}

	for i := range b.Sources {
		src := &b.Sources[i]
		var old []quad.Quad
		if o, ok := p.sources[src.Key]; ok {
			old = sourceQuads(o)
		}
		if pl.diff(old, sourceQuads(src)) {
			pl.sources = append(pl.sources, src)
		}
	}
	for i := range b.Entities {
		e := &b.Entities[i]
		var old []quad.Quad
		if n, ok := p.nodes[e.ID]; ok {
			old = entityQuads(n.entity)
		}
		if pl.diff(old, entityQuads(e)) {
			pl.entities = append(pl.entities, e)
		}
	}
	for i := range b.Relations {
		r := &b.Relations[i]
		var old []quad.Quad
		if e, ok := p.edges[r.ID]; ok {
			old = relationQuads(e.rel)
		}
		if pl.diff(old, relationQuads(r)) {
			pl.relations = append(pl.relations, r)
		}
	}
	ids := make([]string, 0, len(delRels))
	for id := range delRels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		pl.diff(relationQuads(p.edges[id].rel), nil)
		pl.delRels = append(pl.delRels, id)
	}
	for _, id := range b.DeleteEntities {
		pl.diff(entityQuads(p.nodes[id].entity), nil)
		pl.delEnts = append(pl.delEnts, id)
	}
	for _, key := range b.DeleteSources {
		pl.diff(sourceQuads(p.sources[key]), nil)
		pl.delSrcs = append(pl.delSrcs, key)
	}
	return pl, nil
}

// diff adds the deltas turning old into new quads and counts the record; it
// reports whether the record changed.
func (pl *plan) diff(old, new []quad.Quad) bool {
	switch {
	case len(old) > 0 && slices.Equal(old, new):
		pl.result.Unchanged++
		return false
	case len(old) == 0:
		pl.result.Created++
	case len(new) == 0:
		pl.result.Deleted++
	default:
		pl.result.Updated++
	}
	for _, q := range old {
		if !slices.Contains(new, q) {
			pl.deltas = append(pl.deltas, cgraph.Delta{Quad: q, Action: cgraph.Delete})
		}
	}
	for _, q := range new {
		if !slices.Contains(old, q) {
			pl.deltas = append(pl.deltas, cgraph.Delta{Quad: q, Action: cgraph.Add})
		}
	}
	return true
}

// applyTo updates the projection with a plan cayley has accepted.
func (pl *plan) applyTo(p *projection) {
	for _, d := range pl.deltas {
		if d.Action == cgraph.Add {
			p.quads++
		} else {
			p.quads--
		}
	}
	for _, s := range pl.sources {
		p.putSource(s)
	}
	for _, id := range pl.delRels {
		p.deleteRelation(id)
	}
	for _, e := range pl.entities {
		p.putEntity(e)
	}
	for _, r := range pl.relations {
		p.putRelation(r)
	}
	for _, id := range pl.delEnts {
		p.deleteEntity(id)
	}
	for _, key := range pl.delSrcs {
		p.deleteSource(key)
	}
}

// checkUncited fails when a source to be deleted is still cited by a record
// that stays.
func checkUncited(p *projection, b *Batch, delRels map[string]bool) *Error {
	del := toSet(b.DeleteSources)
	replacedEnt := map[string]bool{}
	for _, e := range b.Entities {
		replacedEnt[e.ID] = true
	}
	for _, id := range b.DeleteEntities {
		replacedEnt[id] = true
	}
	replacedRel := map[string]bool{}
	for _, r := range b.Relations {
		replacedRel[r.ID] = true
	}
	check := func(what string, keys []string, attrs []Attribute) *Error {
		for _, k := range keys {
			if del[k] {
				return Errorf(CodeConflict, "deleteSources", "source %q is still cited by %s", k, what)
			}
		}
		for _, a := range attrs {
			for _, k := range a.Sources {
				if del[k] {
					return Errorf(CodeConflict, "deleteSources", "source %q is still cited by %s", k, what)
				}
			}
		}
		return nil
	}
	for id, n := range p.nodes {
		if !replacedEnt[id] {
			if err := check("entity "+id, n.entity.Sources, n.entity.Attributes); err != nil {
				return err
			}
		}
	}
	for id, e := range p.edges {
		if !replacedRel[id] && !delRels[id] {
			if err := check("relation "+id, e.rel.Sources, e.rel.Properties); err != nil {
				return err
			}
		}
	}
	return nil
}

// read runs fn under the read lock.
func (s *CayleyStore) read(ctx context.Context, fn func(p *projection) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.proj == nil {
		return &Error{Code: CodeInternal, Msg: "store is closed"}
	}
	return fn(s.proj)
}

// EntityKind implements Lookup.
func (s *CayleyStore) EntityKind(id string) (Kind, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.proj == nil {
		return "", false
	}
	return s.proj.EntityKind(id)
}

// HasSource implements Lookup.
func (s *CayleyStore) HasSource(key string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.proj != nil && s.proj.HasSource(key)
}

// Entity implements Store.
func (s *CayleyStore) Entity(ctx context.Context, id string) (e *Entity, err error) {
	err = s.read(ctx, func(p *projection) error { e, err = p.entity(id); return err })
	return e, err
}

// Relation implements Store.
func (s *CayleyStore) Relation(ctx context.Context, id string) (r *Relation, err error) {
	err = s.read(ctx, func(p *projection) error { r, err = p.relation(id); return err })
	return r, err
}

// Source implements Store.
func (s *CayleyStore) Source(ctx context.Context, key string) (src *Source, err error) {
	err = s.read(ctx, func(p *projection) error { src, err = p.source(key); return err })
	return src, err
}

// Sources implements Store.
func (s *CayleyStore) Sources(ctx context.Context) (out []*Source, err error) {
	err = s.read(ctx, func(p *projection) error { out = p.listSources(); return nil })
	return out, err
}

// Resolve implements Store.
func (s *CayleyStore) Resolve(ctx context.Context, name string) (out []*Entity, err error) {
	err = s.read(ctx, func(p *projection) error { out = p.resolve(name); return nil })
	return out, err
}

// Search implements Store.
func (s *CayleyStore) Search(ctx context.Context, text string, kinds []Kind, limit int) (out []Match, err error) {
	return s.fullTextSearch(ctx, text, kinds, limit)
}

// Entities implements Store.
func (s *CayleyStore) Entities(ctx context.Context, f EntityFilter) (out []*Entity, err error) {
	err = s.read(ctx, func(p *projection) error { out = p.entities(f); return nil })
	return out, err
}

// Relations implements Store.
func (s *CayleyStore) Relations(ctx context.Context, f RelationFilter) (out []*Relation, err error) {
	err = s.read(ctx, func(p *projection) error { out = p.relations(f); return nil })
	return out, err
}

// Subgraph implements Store.
func (s *CayleyStore) Subgraph(ctx context.Context, sel Selection) (g *Subgraph, err error) {
	err = s.read(ctx, func(p *projection) error { g, err = p.subgraph(ctx, sel); return err })
	return g, err
}

// Paths implements Store.
func (s *CayleyStore) Paths(ctx context.Context, q PathQuery) (out []Path, err error) {
	err = s.read(ctx, func(p *projection) error { out, err = p.paths(ctx, q); return err })
	return out, err
}

// Stats implements Store.
func (s *CayleyStore) Stats(ctx context.Context) (st Stats, err error) {
	err = s.read(ctx, func(p *projection) error { st = p.stats(); return nil })
	return st, err
}

// Version implements Store.
func (s *CayleyStore) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.proj == nil {
		return 0
	}
	return s.proj.version
}

// Quads implements Store. It streams every record's quads (sources, then
// entities, then relations, each by key) from the projection, so memory
// stays flat however large the graph, and a slow reader of the export holds
// no lock. The projection mirrors the backend quad for quad (see
// TestProjectionMirrorsBackend); reading cayley itself would mean holding
// the writer lock and sorting every quad in memory.
func (s *CayleyStore) Quads(ctx context.Context, fn func(quad.Quad) error) error {
	var (
		sources   []*Source
		entities  []*Entity
		relations []*Relation
	)
	err := s.read(ctx, func(p *projection) error {
		sources = p.listSources()
		v := p.sorted()
		entities = make([]*Entity, len(v.nodes))
		for i, n := range v.nodes {
			entities[i] = n.entity
		}
		relations = make([]*Relation, len(v.edges))
		for i, e := range v.edges {
			relations[i] = e.rel
		}
		return nil
	})
	if err != nil {
		return err
	}
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
	for i, src := range sources {
		if err := emit(i, sourceQuads(src)); err != nil {
			return err
		}
	}
	for i, e := range entities {
		if err := emit(i, entityQuads(e)); err != nil {
			return err
		}
	}
	for i, r := range relations {
		if err := emit(i, relationQuads(r)); err != nil {
			return err
		}
	}
	return nil
}

// Close implements Store.
func (s *CayleyStore) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeTextIndex()
	s.mu.Lock()
	s.proj = nil
	s.mu.Unlock()
	return s.qs.Close()
}

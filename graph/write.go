package graph

import (
	"context"
	"maps"
	"math/bits"
	"reflect"
	"slices"
)

// write is the Write of a CayleyStore. Each Add validates its batch against
// the staged snapshot (a builder from the base), plans it and applies it to
// the builder, so the caller's batch can go as soon as Add returns: what a
// large write holds is the records it stages, which become the next
// snapshot anyway. Commit works out the net change from the base, record by
// record, for the slots the batches touched, and writes that to the backend
// in one go (on bbolt, staged behind a commit marker; on PostgreSQL, in the
// transaction Begin opened, under the writers' lock), then publishes the
// builder's snapshot.
type write struct {
	s    *CayleyStore
	op   string
	tx   txn
	base *snapshot
	b    *builder
	// The slots, in the base's or the staged numbering, of every record
	// a batch gave, put or deleted; Commit compares the base and the
	// staged snapshot only there. Sources are few and keyed by name.
	nodes, edges slotSet
	sources      map[string]bool
	done         bool
}

var _ Write = (*write)(nil)

var errWriteOver = &Error{Code: CodeInternal, Msg: "the write is already committed or aborted"}

// Begin implements Writer.
func (s *CayleyStore) Begin(ctx context.Context) (Write, error) {
	w, err := s.begin(ctx, "store.Write")
	if err != nil {
		return nil, err
	}
	return w, nil
}

// begin takes the writer lock, starts a backend write and catches up with
// what other processes wrote, for the write to validate against.
func (s *CayleyStore) begin(ctx context.Context, op string) (*write, error) {
	s.writeMu.Lock()
	if s.cur.Load() == nil {
		s.writeMu.Unlock()
		return nil, &Error{Op: op, Code: CodeInternal, Msg: "store is closed"}
	}
	if err := ctx.Err(); err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	tx, err := s.be.begin(ctx, s.cur.Load().rev)
	if err != nil {
		s.writeMu.Unlock()
		return nil, s.unreachable(op, err)
	}
	cur, err := s.catchUp(ctx, tx)
	if err != nil {
		tx.rollback()
		s.writeMu.Unlock()
		return nil, s.unreachable(op, err)
	}
	return &write{s: s, op: op, tx: tx, base: cur, b: cur.edit(),
		nodes: slotSet{}, edges: slotSet{}, sources: map[string]bool{}}, nil
}

// Apply implements Writer.
func (s *CayleyStore) Apply(ctx context.Context, b Batch) (ApplyResult, error) {
	w, err := s.begin(ctx, "store.Apply")
	if err != nil {
		return ApplyResult{}, err
	}
	defer w.Abort()
	if _, err := w.Add(ctx, b); err != nil {
		return ApplyResult{}, err
	}
	return w.Commit(ctx)
}

func (w *write) Base() View { return w.base }

func (w *write) StagedEntity(id string) (*Entity, bool) {
	if w.done {
		return nil, false
	}
	p := w.b.p
	if n, ok := p.nodeIDs.get(id); ok {
		return p.node(n).entity, true
	}
	return nil, false
}

func (w *write) StagedRelation(id string) (*Relation, bool) {
	if w.done {
		return nil, false
	}
	p := w.b.p
	if e, ok := p.edgeIDs.get(id); ok {
		return p.edge(e).rel, true
	}
	return nil, false
}

func (w *write) Add(ctx context.Context, b Batch) (ApplyResult, error) {
	if w.done {
		return ApplyResult{}, errWriteOver
	}
	if err := ctx.Err(); err != nil {
		return ApplyResult{}, err
	}
	staged := w.b.p
	if len(b.DeleteEntities) > 0 {
		// Cascades read the adjacency lists.
		w.b.settle()
	}
	if errs := Validate(&b, staged); len(errs) > 0 {
		return ApplyResult{}, errs
	}
	pl, perr := planBatch(staged, &b, w.s.in)
	if perr != nil {
		return ApplyResult{}, perr
	}
	w.mark(&b, &pl.change) // where the records were
	pl.change.applyTo(w.b)
	w.mark(&b, &pl.change) // where they are now
	return pl.result, nil
}

// mark notes the staged slots of the records b gives and c deletes.
func (w *write) mark(b *Batch, c *changeSet) {
	p := w.b.p
	node := func(id string) {
		if n, ok := p.nodeIDs.get(id); ok {
			w.nodes.add(n)
		}
	}
	edge := func(id string) {
		if e, ok := p.edgeIDs.get(id); ok {
			w.edges.add(e)
		}
	}
	for i := range b.Entities {
		node(b.Entities[i].ID)
	}
	for _, id := range c.DeleteEntities {
		node(id)
	}
	for i := range b.Relations {
		edge(relationID(&b.Relations[i]))
	}
	for _, id := range c.DeleteRelations {
		edge(id)
	}
	for i := range b.Sources {
		w.sources[b.Sources[i].Key] = true
	}
	for _, key := range c.DeleteSources {
		w.sources[key] = true
	}
}

func (w *write) Commit(ctx context.Context) (ApplyResult, error) {
	if w.done {
		return ApplyResult{}, errWriteOver
	}
	defer w.Abort()
	s := w.s
	if err := ctx.Err(); err != nil {
		return ApplyResult{}, err
	}
	pl := w.net()
	if pl.change.empty() {
		return pl.result, nil
	}
	rev := w.tx.latest() + 1
	if err := w.tx.write(ctx, pl, rev); err != nil {
		if ctx.Err() != nil {
			return ApplyResult{}, ctx.Err()
		}
		return ApplyResult{}, &Error{Op: w.op, Code: CodeInternal, Msg: "the " + s.backend + " store rejected the write", Err: err}
	}
	if err := w.tx.commit(ctx); err != nil {
		return ApplyResult{}, &Error{Op: w.op, Code: CodeInternal, Msg: "the " + s.backend + " store did not commit the write", Err: err}
	}
	snap := w.b.finish(rev)
	tc := s.textChange(w.base)
	tc.add(&pl.change)
	s.publish(snap, tc)
	advancePin(ctx, s, snap)
	return pl.result, nil
}

func (w *write) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.tx.rollback()
	w.b = nil
	w.s.writeMu.Unlock()
}

// net plans the change from the base to the staged snapshot: the records
// at the marked slots that differ, each counted once.
func (w *write) net() *plan {
	base, cur := w.base, w.b.p
	pl := &plan{old: base}
	c := &pl.change
	for _, key := range slices.Sorted(maps.Keys(w.sources)) {
		old, had := base.sources.get(key)
		now, has := cur.sources.get(key)
		switch {
		case has:
			if pl.count(had, had && reflect.DeepEqual(old, now), nil, nil) {
				c.Sources = append(c.Sources, now)
			}
		case had:
			c.DeleteSources = append(c.DeleteSources, key)
			pl.countDelete(nil)
		}
	}
	w.edges.each(func(i int32) {
		if i < base.edgeSlots {
			if old := base.edge(i).rel; old != nil {
				if _, ok := cur.edgeIDs.get(old.ID); !ok {
					c.DeleteRelations = append(c.DeleteRelations, old.ID)
					pl.countDelete(relationStruct(old))
				}
			}
		}
		if i < cur.edgeSlots {
			if now := cur.edge(i).rel; now != nil {
				var old *Relation
				if j, ok := base.edgeIDs.get(now.ID); ok {
					old = base.edge(j).rel
				}
				if pl.count(old != nil, old != nil && reflect.DeepEqual(old, now), relationStruct(old), relationStruct(now)) {
					c.Relations = append(c.Relations, now)
				}
			}
		}
	})
	w.nodes.each(func(i int32) {
		if i < base.nodeSlots {
			if old := base.node(i).entity; old != nil {
				if _, ok := cur.nodeIDs.get(old.ID); !ok {
					c.DeleteEntities = append(c.DeleteEntities, old.ID)
					pl.countDelete(entityStruct(old))
				}
			}
		}
		if i < cur.nodeSlots {
			if now := cur.node(i).entity; now != nil {
				var old *Entity
				if j, ok := base.nodeIDs.get(now.ID); ok {
					old = base.node(j).entity
				}
				if pl.count(old != nil, old != nil && reflect.DeepEqual(old, now), entityStruct(old), entityStruct(now)) {
					c.Entities = append(c.Entities, now)
				}
			}
		}
	})
	c.Quads = pl.adds - pl.dels
	pl.result.Quads = pl.adds + pl.dels
	return pl
}

// slotSet is a set of slots, as bits in words keyed by slot/64: small for
// a write of a few records, an eighth of a byte a slot for a load.
type slotSet map[int32]uint64

func (s slotSet) add(i int32) { s[i>>6] |= 1 << (i & 63) }

// each calls fn with every slot in the set, in increasing order.
func (s slotSet) each(fn func(int32)) {
	for _, k := range slices.Sorted(maps.Keys(s)) {
		for word := s[k]; word != 0; word &= word - 1 {
			fn(k<<6 | int32(bits.TrailingZeros64(word)))
		}
	}
}

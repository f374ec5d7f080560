package graph

import (
	"cmp"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// The projection is the in-memory read model of the graph: records,
// adjacency and indexes built from the backend at open and updated after
// every successful write. cayley answers neither fast enough nor safely
// under concurrency for serving (see README, "Storage"), so every read is
// answered here.
//
// It is held as immutable snapshots, one per revision. A write builds the
// next snapshot from the current one, copying only the chunks of the tables
// and the shards of the maps it touches, and publishes it with one atomic
// store; a reader takes the current snapshot with one atomic load and keeps
// it for as long as it likes. Readers never wait for writers, writers never
// wait for readers, and a reader never sees half of a write.
//
// Entities and relations are numbered (int32 slots in chunked tables), the
// adjacency lists hold slot numbers, and the maps from ids and names to
// slots are sharded, so a write that changes one record copies a few
// kilobytes however large the graph.

const (
	chunkBits  = 10
	chunkLen   = 1 << chunkBits
	shardBits  = 8
	shardCount = 1 << shardBits
)

// gens numbers builders: a chunk or shard stamped with a builder's gen was
// copied by that builder and may be changed in place by it.
var gens atomic.Uint64

// table is a copy-on-write array of T in chunks.
type table[T any] struct {
	chunks []*chunk[T]
}

type chunk[T any] struct {
	gen   uint64
	items [chunkLen]T
}

func (t *table[T]) at(i int32) *T { return &t.chunks[i>>chunkBits].items[i&(chunkLen-1)] }

// mut returns slot i for writing, copying its chunk first unless this
// builder (gen) already did.
func (t *table[T]) mut(i int32, gen uint64) *T {
	ci := int(i >> chunkBits)
	for ci >= len(t.chunks) {
		t.chunks = append(t.chunks, &chunk[T]{gen: gen})
	}
	c := t.chunks[ci]
	if c.gen != gen {
		nc := new(chunk[T])
		*nc = *c
		nc.gen = gen
		t.chunks[ci] = nc
		c = nc
	}
	return &c.items[i&(chunkLen-1)]
}

// cmap is a copy-on-write map from strings, in shards.
type cmap[V any] struct {
	shards *[shardCount]*shard[V]
	n      int
}

type shard[V any] struct {
	gen uint64
	m   map[string]V
}

var shardSeed = maphash.MakeSeed()

func shardOf(k string) int { return int(maphash.String(shardSeed, k) >> (64 - shardBits)) }

func newCmap[V any]() cmap[V] {
	m := cmap[V]{shards: new([shardCount]*shard[V])}
	for i := range m.shards {
		m.shards[i] = &shard[V]{}
	}
	return m
}

func (m *cmap[V]) get(k string) (V, bool) {
	v, ok := m.shards[shardOf(k)].m[k]
	return v, ok
}

// each calls fn for every entry until it returns false.
func (m *cmap[V]) each(fn func(string, V) bool) {
	for _, s := range m.shards {
		for k, v := range s.m {
			if !fn(k, v) {
				return
			}
		}
	}
}

// own returns a copy sharing every shard, for a builder to change.
func (m cmap[V]) own() cmap[V] {
	arr := *m.shards
	m.shards = &arr
	return m
}

func (m *cmap[V]) shardFor(k string, gen uint64) *shard[V] {
	i := shardOf(k)
	s := m.shards[i]
	if s.gen != gen {
		s = &shard[V]{gen: gen, m: maps.Clone(s.m)}
		if s.m == nil {
			s.m = map[string]V{}
		}
		m.shards[i] = s
	}
	return s
}

func (m *cmap[V]) set(k string, v V, gen uint64) {
	s := m.shardFor(k, gen)
	if _, ok := s.m[k]; !ok {
		m.n++
	}
	s.m[k] = v
}

func (m *cmap[V]) del(k string, gen uint64) {
	if _, ok := m.get(k); !ok {
		return
	}
	delete(m.shardFor(k, gen).m, k)
	m.n--
}

// snapshot is the graph at one revision. It is never changed once
// published.
type snapshot struct {
	owner *CayleyStore
	rev   uint64

	nodes     table[nodeRec]
	edges     table[edgeRec]
	nodeSlots int32   // slots used so far, free or not
	edgeSlots int32   //
	freeNodes []int32 // slots of deleted records, for reuse
	freeEdges []int32

	nodeIDs cmap[int32]   // entity id -> node slot
	edgeIDs cmap[int32]   // relation id -> edge slot
	sources cmap[*Source] // key -> source
	names   cmap[[]int32] // Normalize(id, name or alias) -> node slots

	byKind map[Kind]int
	byType map[RelationType]int
	quads  int

	sortOnce sync.Once
	sorted   *views
}

type nodeRec struct {
	entity  *Entity
	out, in []int32 // edge slots, sorted by relation id
	// ends holds the node at the other end of each edge of out, then of
	// in: a walk that filters no edge reads its neighbours from here,
	// without visiting each edge's record (a cache miss apiece on a large
	// graph).
	ends []int32
}

type edgeRec struct {
	rel      *Relation
	from, to int32
}

// views are sorted listings derived from the maps, built on first use in
// each snapshot so that paginated listings do not sort on every request.
type views struct {
	nodes   []int32
	edges   []int32
	byType  map[RelationType][]int32
	sources []*Source
}

func newSnapshot(owner *CayleyStore) *snapshot {
	return &snapshot{
		owner:   owner,
		nodeIDs: newCmap[int32](),
		edgeIDs: newCmap[int32](),
		sources: newCmap[*Source](),
		names:   newCmap[[]int32](),
		byKind:  map[Kind]int{},
		byType:  map[RelationType]int{},
	}
}

func (p *snapshot) node(i int32) *nodeRec { return p.nodes.at(i) }
func (p *snapshot) edge(i int32) *edgeRec { return p.edges.at(i) }

func (p *snapshot) nodeOf(id string) (int32, bool) { return p.nodeIDs.get(id) }

// EntityKind implements Lookup.
func (p *snapshot) EntityKind(id string) (Kind, bool) {
	i, ok := p.nodeIDs.get(id)
	if !ok {
		return "", false
	}
	return p.node(i).entity.Kind, true
}

// HasSource implements Lookup.
func (p *snapshot) HasSource(key string) bool { _, ok := p.sources.get(key); return ok }

// views returns the sorted views, building them on first use.
func (p *snapshot) views() *views {
	p.sortOnce.Do(func() {
		v := &views{byType: map[RelationType][]int32{}}
		v.nodes = make([]int32, 0, p.nodeIDs.n)
		p.nodeIDs.each(func(_ string, i int32) bool { v.nodes = append(v.nodes, i); return true })
		slices.SortFunc(v.nodes, func(a, b int32) int { return cmp.Compare(p.node(a).entity.ID, p.node(b).entity.ID) })
		v.edges = make([]int32, 0, p.edgeIDs.n)
		p.edgeIDs.each(func(_ string, i int32) bool { v.edges = append(v.edges, i); return true })
		p.sortEdges(v.edges)
		for _, e := range v.edges {
			t := p.edge(e).rel.Type
			v.byType[t] = append(v.byType[t], e)
		}
		v.sources = make([]*Source, 0, p.sources.n)
		p.sources.each(func(_ string, s *Source) bool { v.sources = append(v.sources, s); return true })
		slices.SortFunc(v.sources, func(a, b *Source) int { return cmp.Compare(a.Key, b.Key) })
		p.sorted = v
	})
	return p.sorted
}

func (p *snapshot) relLess(a, b int32) int { return cmp.Compare(p.edge(a).rel.ID, p.edge(b).rel.ID) }

func (p *snapshot) sortEdges(list []int32) { slices.SortFunc(list, p.relLess) }

// builder makes the next snapshot from the current one. Only the store's
// one writer uses it; nothing it changes is visible until finish.
type builder struct {
	p   *snapshot
	gen uint64
	// owned are the node slots whose adjacency lists, and the name keys
	// whose lists, this builder copied and may change in place.
	ownedAdj   map[int32]bool
	ownedNames map[string]bool
	// dirty nodes get their adjacency cleaned of deleted edges and sorted
	// at finish; slots freed now are reusable only by the next builder.
	dirty                  map[int32]bool
	freedNodes, freedEdges []int32
}

func (p *snapshot) edit() *builder {
	n := &snapshot{
		owner:     p.owner,
		rev:       p.rev,
		nodes:     table[nodeRec]{chunks: slices.Clone(p.nodes.chunks)},
		edges:     table[edgeRec]{chunks: slices.Clone(p.edges.chunks)},
		nodeSlots: p.nodeSlots,
		edgeSlots: p.edgeSlots,
		freeNodes: p.freeNodes,
		freeEdges: p.freeEdges,
		nodeIDs:   p.nodeIDs.own(),
		edgeIDs:   p.edgeIDs.own(),
		sources:   p.sources.own(),
		names:     p.names.own(),
		byKind:    maps.Clone(p.byKind),
		byType:    maps.Clone(p.byType),
		quads:     p.quads,
	}
	return &builder{p: n, gen: gens.Add(1),
		ownedAdj: map[int32]bool{}, ownedNames: map[string]bool{}, dirty: map[int32]bool{}}
}

func (b *builder) putSource(s *Source) { b.p.sources.set(s.Key, s, b.gen) }

func (b *builder) deleteSource(key string) { b.p.sources.del(key, b.gen) }

// putEntity adds or replaces an entity, keeping its relations.
func (b *builder) putEntity(e *Entity) {
	p := b.p
	i, ok := p.nodeIDs.get(e.ID)
	if ok {
		rec := p.nodes.mut(i, b.gen)
		b.unindexNames(i, rec.entity)
		count(p.byKind, rec.entity.Kind, -1)
		rec.entity = e
	} else {
		i = b.alloc(&p.freeNodes, &p.nodeSlots)
		*p.nodes.mut(i, b.gen) = nodeRec{entity: e}
		p.nodeIDs.set(e.ID, i, b.gen)
	}
	count(p.byKind, e.Kind, +1)
	b.indexNames(i, e)
}

// deleteEntity removes an entity; its relations must be gone already.
func (b *builder) deleteEntity(id string) {
	p := b.p
	i, ok := p.nodeIDs.get(id)
	if !ok {
		return
	}
	rec := p.nodes.mut(i, b.gen)
	b.unindexNames(i, rec.entity)
	count(p.byKind, rec.entity.Kind, -1)
	*rec = nodeRec{}
	p.nodeIDs.del(id, b.gen)
	delete(b.dirty, i)
	b.freedNodes = append(b.freedNodes, i)
}

// putRelation adds or replaces a relation; both endpoints must exist.
func (b *builder) putRelation(r *Relation) {
	p := b.p
	from, _ := p.nodeIDs.get(r.From)
	to, _ := p.nodeIDs.get(r.To)
	if i, ok := p.edgeIDs.get(r.ID); ok {
		old := p.edge(i)
		if old.from == from && old.to == to {
			count(p.byType, old.rel.Type, -1)
			count(p.byType, r.Type, +1)
			p.edges.mut(i, b.gen).rel = r
			return
		}
		b.deleteRelation(r.ID)
	}
	i := b.alloc(&p.freeEdges, &p.edgeSlots)
	*p.edges.mut(i, b.gen) = edgeRec{rel: r, from: from, to: to}
	p.edgeIDs.set(r.ID, i, b.gen)
	b.adjacency(from).out = append(b.adjacency(from).out, i)
	b.adjacency(to).in = append(b.adjacency(to).in, i)
	count(p.byType, r.Type, +1)
}

func (b *builder) deleteRelation(id string) {
	p := b.p
	i, ok := p.edgeIDs.get(id)
	if !ok {
		return
	}
	rec := p.edges.mut(i, b.gen)
	count(p.byType, rec.rel.Type, -1)
	// The endpoints' lists drop the slot at finish.
	b.dirty[rec.from], b.dirty[rec.to] = true, true
	*rec = edgeRec{}
	p.edgeIDs.del(id, b.gen)
	b.freedEdges = append(b.freedEdges, i)
}

// adjacency returns node i's record with lists this builder owns.
func (b *builder) adjacency(i int32) *nodeRec {
	rec := b.p.nodes.mut(i, b.gen)
	if !b.ownedAdj[i] {
		b.ownedAdj[i] = true
		rec.out = slices.Clone(rec.out)
		rec.in = slices.Clone(rec.in)
	}
	b.dirty[i] = true
	return rec
}

func (b *builder) alloc(free *[]int32, slots *int32) int32 {
	if n := len(*free); n > 0 {
		i := (*free)[n-1]
		*free = (*free)[:n-1]
		return i
	}
	i := *slots
	*slots++
	return i
}

// count adds d to m[k], dropping the key at zero.
func count[K comparable](m map[K]int, k K, d int) {
	if m[k] += d; m[k] == 0 {
		delete(m, k)
	}
}

func nameKeys(e *Entity) []string {
	keys := make([]string, 0, 2+len(e.Aliases))
	for _, s := range append([]string{e.ID, e.Name}, e.Aliases...) {
		if k := Normalize(s); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func (b *builder) indexNames(i int32, e *Entity) {
	for _, k := range nameKeys(e) {
		list, _ := b.p.names.get(k)
		if !b.ownedNames[k] {
			b.ownedNames[k] = true
			list = slices.Clone(list)
		}
		b.p.names.set(k, append(list, i), b.gen)
	}
}

func (b *builder) unindexNames(i int32, e *Entity) {
	for _, k := range nameKeys(e) {
		list, _ := b.p.names.get(k)
		if !b.ownedNames[k] {
			b.ownedNames[k] = true
			list = slices.Clone(list)
		}
		list = slices.DeleteFunc(list, func(m int32) bool { return m == i })
		if len(list) == 0 {
			b.p.names.del(k, b.gen)
			delete(b.ownedNames, k)
		} else {
			b.p.names.set(k, list, b.gen)
		}
	}
}

// finish cleans and sorts the adjacency lists the write touched and returns
// the snapshot at revision rev. The builder must not be used again.
func (b *builder) finish(rev uint64) *snapshot {
	p := b.p
	b.settle()
	// Clip: the lists may share their arrays with the parent snapshot.
	p.freeNodes = append(slices.Clip(p.freeNodes), b.freedNodes...)
	p.freeEdges = append(slices.Clip(p.freeEdges), b.freedEdges...)
	p.rev = rev
	b.p = nil
	return p
}

// settle cleans and sorts the adjacency lists changed so far, so that the
// builder's snapshot reads as a finished one (for the next batch of a
// write to be planned against).
func (b *builder) settle() {
	for i := range b.dirty {
		rec := b.adjacency(i)
		rec.out = b.clean(rec.out, i, true)
		rec.in = b.clean(rec.in, i, false)
		rec.ends = make([]int32, 0, len(rec.out)+len(rec.in))
		for _, e := range rec.out {
			rec.ends = append(rec.ends, b.p.edge(e).to)
		}
		for _, e := range rec.in {
			rec.ends = append(rec.ends, b.p.edge(e).from)
		}
	}
	clear(b.dirty)
}

// clean drops deleted edges from node n's list and sorts it by relation id.
func (b *builder) clean(list []int32, n int32, out bool) []int32 {
	p := b.p
	list = slices.DeleteFunc(list, func(e int32) bool {
		r := p.edge(e)
		if r.rel == nil {
			return true
		}
		if out {
			return r.from != n
		}
		return r.to != n
	})
	// Usually a sorted list with a few slots appended: insert those.
	end := 1
	for end < len(list) && p.relLess(list[end-1], list[end]) <= 0 {
		end++
	}
	if end >= len(list) {
		return slices.Clip(list)
	}
	if len(list)-end <= 32 {
		for j := end; j < len(list); j++ {
			e := list[j]
			at, _ := slices.BinarySearchFunc(list[:j], e, p.relLess)
			copy(list[at+1:j+1], list[at:j])
			list[at] = e
		}
	} else {
		p.sortEdges(list)
	}
	return slices.Clip(list)
}

package graph

import (
	"cmp"
	"context"
	"maps"
	"runtime"
	"slices"
	"sync"
)

// Read algorithms over one snapshot of the projection.

func (p *snapshot) entity(id string) (*Entity, error) {
	if i, ok := p.nodeIDs.get(id); ok {
		return p.node(i).entity, nil
	}
	return nil, Errorf(CodeNotFound, "", "no entity %q", id)
}

func (p *snapshot) relation(id string) (*Relation, error) {
	if i, ok := p.edgeIDs.get(id); ok {
		return p.edge(i).rel, nil
	}
	return nil, Errorf(CodeNotFound, "", "no relation %q", id)
}

func (p *snapshot) source(key string) (*Source, error) {
	if s, ok := p.sources.get(key); ok {
		return s, nil
	}
	return nil, Errorf(CodeNotFound, "", "no source %q", key)
}

func (p *snapshot) listSources() []*Source { return slices.Clone(p.views().sources) }

func (p *snapshot) resolve(name string) []*Entity {
	list, _ := p.names.get(Normalize(name))
	out := make([]*Entity, len(list))
	for i, n := range list {
		out[i] = p.node(n).entity
	}
	slices.SortFunc(out, func(a, b *Entity) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (p *snapshot) entities(f EntityFilter) []*Entity {
	var out []*Entity
	for _, n := range p.views().nodes {
		if e := p.node(n).entity; entityMatches(e, f.Kinds, f.Countries) {
			out = append(out, e)
		}
	}
	return out
}

func entityMatches(e *Entity, kinds []Kind, countries []string) bool {
	return (len(kinds) == 0 || slices.Contains(kinds, e.Kind)) &&
		(len(countries) == 0 || slices.Contains(countries, e.Country))
}

// edgeFilter is the part of a relation filter that tests one edge.
type edgeFilter struct {
	types    []RelationType
	category string
	statuses []Status
	asOf     Date
}

// all says f lets every edge through, so its relation need not be read.
func (f *edgeFilter) all() bool {
	return len(f.types) == 0 && f.category == "" && len(f.statuses) == 0 && f.asOf.IsZero()
}

func (f *edgeFilter) match(r *Relation) bool {
	return (len(f.types) == 0 || slices.Contains(f.types, r.Type)) &&
		(f.category == "" || r.Category == f.category) &&
		(len(f.statuses) == 0 || slices.Contains(f.statuses, r.Status)) &&
		r.ValidAt(f.asOf)
}

func (p *snapshot) relations(f RelationFilter) []*Relation {
	ef := edgeFilter{types: f.Types, category: f.Category, statuses: f.Statuses, asOf: f.AsOf}
	var candidates []int32
	switch {
	case f.Entity != "" || f.From != "" || f.To != "":
		// Start from the smallest adjacency list among the fixed ends.
		var lists [][]int32
		if n, ok := p.endpoint(f.From); ok {
			lists = append(lists, p.node(n).out)
		}
		if n, ok := p.endpoint(f.To); ok {
			lists = append(lists, p.node(n).in)
		}
		if n, ok := p.endpoint(f.Entity); ok {
			rec := p.node(n)
			switch f.Direction {
			case Out:
				lists = append(lists, rec.out)
			case In:
				lists = append(lists, rec.in)
			default:
				both := slices.Concat(rec.out, rec.in)
				p.sortEdges(both)
				lists = append(lists, both)
			}
		}
		if len(lists) == 0 || p.missing(f.From) || p.missing(f.To) || p.missing(f.Entity) {
			return nil
		}
		// Each list is sorted by relation id already.
		candidates = slices.MinFunc(lists, func(a, b []int32) int { return cmp.Compare(len(a), len(b)) })
	case len(f.Types) == 1:
		candidates = p.views().byType[f.Types[0]]
	default:
		candidates = p.views().edges
	}
	var out []*Relation
	for _, e := range candidates {
		r := p.edge(e).rel
		if (f.From != "" && r.From != f.From) || (f.To != "" && r.To != f.To) {
			continue
		}
		if f.Entity != "" && !touches(r, f.Entity, f.Direction) {
			continue
		}
		if ef.match(r) {
			out = append(out, r)
		}
	}
	return out
}

func (p *snapshot) endpoint(id string) (int32, bool) {
	if id == "" {
		return 0, false
	}
	return p.nodeIDs.get(id)
}

func (p *snapshot) missing(id string) bool {
	_, ok := p.nodeIDs.get(id)
	return id != "" && !ok
}

func touches(r *Relation, id string, d Direction) bool {
	switch d {
	case Out:
		return r.From == id
	case In:
		return r.To == id
	}
	return r.From == id || r.To == id
}

// steps calls fn for each edge of n that the direction and filter allow,
// with the node at its other end.
func (p *snapshot) steps(n int32, d Direction, f *edgeFilter, fn func(e, next int32) bool) bool {
	rec := p.node(n)
	if f.all() {
		if d != In {
			for i, e := range rec.out {
				if !fn(e, rec.ends[i]) {
					return false
				}
			}
		}
		if d != Out {
			for i, e := range rec.in {
				if !fn(e, rec.ends[len(rec.out)+i]) {
					return false
				}
			}
		}
		return true
	}
	if d != In {
		for _, e := range rec.out {
			if r := p.edge(e); f.match(r.rel) && !fn(e, r.to) {
				return false
			}
		}
	}
	if d != Out {
		for _, e := range rec.in {
			if r := p.edge(e); f.match(r.rel) && !fn(e, r.from) {
				return false
			}
		}
	}
	return true
}

func (p *snapshot) subgraph(ctx context.Context, s Selection) (*Subgraph, error) {
	if s.Hops < 0 {
		return nil, Errorf(CodeInvalid, "hops", "hops must not be negative")
	}
	if s.Limit < 0 {
		return nil, Errorf(CodeInvalid, "limit", "limit must not be negative")
	}
	if s.Direction == "" {
		s.Direction = Both
	} else if !s.Direction.Valid() {
		return nil, Errorf(CodeInvalid, "direction", "unknown direction %q", s.Direction)
	}
	f := edgeFilter{types: s.Types, asOf: s.AsOf}
	keep := func(int32) bool { return true }
	if len(s.Kinds) > 0 || len(s.Countries) > 0 {
		// Only a filter reads the record: without one the walk touches no
		// node but its marks and adjacency.
		keep = func(n int32) bool { return entityMatches(p.node(n).entity, s.Kinds, s.Countries) }
	}
	marks := p.marks()
	defer marks.release()
	// order lists the nodes reached, hop by hop: the nodes one hop added
	// are the next hop's frontier. (Its array is the pooled marks'.)
	order := marks.order[:0]
	defer func() { marks.order = order[:0] }()
	truncated := false
	add := func(n int32) bool {
		if s.Limit > 0 && len(order) >= s.Limit {
			truncated = true
			return false
		}
		marks.set(n)
		order = append(order, n)
		return true
	}

	if len(s.Seeds) == 0 {
		for _, n := range p.views().nodes {
			if keep(n) && !add(n) {
				break
			}
		}
	} else {
		for _, id := range s.Seeds {
			n, ok := p.nodeIDs.get(id)
			if !ok {
				return nil, Errorf(CodeNotFound, "seeds", "no entity %q", id)
			}
			if !marks.has(n) {
				add(n)
			}
		}
		start := 0
		for hop := 0; hop < s.Hops && start < len(order) && !truncated; hop++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			end := len(order)
			p.warmAdjacency(order[start:end])
			for _, n := range order[start:end] {
				p.steps(n, s.Direction, &f, func(_, m int32) bool {
					return marks.has(m) || !keep(m) || add(m)
				})
				if truncated {
					break
				}
			}
			start = end
		}
	}

	g := &Subgraph{Truncated: truncated, Entities: make([]*Entity, len(order))}
	for i, n := range order {
		g.Entities[i] = p.node(n).entity
	}
	if s.NoRelations {
		warm(g)
		return g, nil
	}
	// The induced relations, each once: from the out-edges of every node,
	// or from the in-edges, whichever lists are shorter in all (a hub with
	// thousands of edges out and a few in costs those few).
	outs, ins := 0, 0
	for _, n := range order {
		rec := p.node(n)
		outs += len(rec.out)
		ins += len(rec.in)
	}
	for _, n := range order {
		if rec := p.node(n); outs <= ins {
			for _, e := range rec.out {
				if r := p.edge(e); marks.has(r.to) && f.match(r.rel) {
					g.Relations = append(g.Relations, r.rel)
				}
			}
		} else {
			for _, e := range rec.in {
				if r := p.edge(e); marks.has(r.from) && f.match(r.rel) {
					g.Relations = append(g.Relations, r.rel)
				}
			}
		}
	}
	if len(s.Seeds) == 0 {
		// The whole graph, or all of it the filters keep: by id, as every
		// listing. (Entities already are.)
		slices.SortFunc(g.Relations, func(a, b *Relation) int { return cmp.Compare(a.ID, b.ID) })
	}
	// With seeds, the order reached is kept: sorting by id took half the
	// time of a 2-hop neighbourhood, and the walk is deterministic.
	warm(g)
	return g, nil
}

// nodeMarks is a set of node slots for one traversal: a slot is in it when
// its stamp is the current epoch, so clearing it is one increment.
type nodeMarks struct {
	stamp []uint32
	epoch uint32
	order []int32 // a buffer for the traversal's own use
}

var marksPool = sync.Pool{New: func() any { return &nodeMarks{} }}

// marks returns an empty set that can hold every node slot of p.
func (p *snapshot) marks() *nodeMarks {
	m := marksPool.Get().(*nodeMarks)
	if n := int(p.nodeSlots); len(m.stamp) < n {
		m.stamp = make([]uint32, n+n/8)
		m.epoch = 0
	}
	if m.epoch++; m.epoch == 0 { // wrapped: old stamps could match
		clear(m.stamp)
		m.epoch = 1
	}
	return m
}

func (m *nodeMarks) set(n int32)      { m.stamp[n] = m.epoch }
func (m *nodeMarks) has(n int32) bool { return m.stamp[n] == m.epoch }
func (m *nodeMarks) release()         { marksPool.Put(m) }

func (p *snapshot) paths(ctx context.Context, q PathQuery) ([]Path, error) {
	if q.MaxHops < 1 || q.MaxHops > MaxPathHops {
		return nil, Errorf(CodeInvalid, "maxHops", "maxHops must be between 1 and %d", MaxPathHops)
	}
	if q.K < 1 {
		return nil, Errorf(CodeInvalid, "first", "the number of paths must be at least 1")
	}
	if q.Direction == "" {
		q.Direction = Both
	} else if !q.Direction.Valid() {
		return nil, Errorf(CodeInvalid, "direction", "unknown direction %q", q.Direction)
	}
	from, ok := p.nodeIDs.get(q.From)
	if !ok {
		return nil, Errorf(CodeNotFound, "from", "no entity %q", q.From)
	}
	to, ok := p.nodeIDs.get(q.To)
	if !ok {
		return nil, Errorf(CodeNotFound, "to", "no entity %q", q.To)
	}
	if from == to {
		return []Path{{Entities: []*Entity{p.node(from).entity}}}, nil
	}
	f := edgeFilter{types: q.Types, asOf: q.AsOf}

	// Distances to the target, walking edges backwards, bound the search:
	// a step to m is taken only if a path through m can still be short
	// enough.
	back := map[Direction]Direction{Out: In, In: Out, Both: Both}[q.Direction]
	dist := map[int32]int{to: 0}
	frontier := []int32{to}
	for d := 1; d <= q.MaxHops && len(frontier) > 0; d++ {
		var next []int32
		for _, n := range frontier {
			p.steps(n, back, &f, func(_, m int32) bool {
				if _, seen := dist[m]; !seen {
					dist[m] = d
					next = append(next, m)
				}
				return true
			})
		}
		frontier = next
	}
	shortest, ok := dist[from]
	if !ok {
		return []Path{}, nil
	}

	var out []Path
	onPath := map[int32]bool{from: true}
	nodes := []int32{from}
	var rels []int32
	visits := 0
	var walk func(n int32, length int) error
	walk = func(n int32, length int) error {
		if visits++; visits%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		depth := len(rels)
		type step struct{ e, next int32 }
		var cands []step
		p.steps(n, q.Direction, &f, func(e, m int32) bool {
			if d, ok := dist[m]; ok && !onPath[m] && depth+1+d <= length {
				cands = append(cands, step{e, m})
			}
			return true
		})
		slices.SortFunc(cands, func(a, b step) int {
			if c := cmp.Compare(p.node(a.next).entity.ID, p.node(b.next).entity.ID); c != 0 {
				return c
			}
			return p.relLess(a.e, b.e)
		})
		for _, c := range cands {
			rels = append(rels, c.e)
			nodes = append(nodes, c.next)
			if c.next == to {
				if len(rels) == length {
					out = append(out, p.makePath(nodes, rels))
				}
			} else {
				onPath[c.next] = true
				if err := walk(c.next, length); err != nil {
					return err
				}
				onPath[c.next] = false
			}
			rels = rels[:len(rels)-1]
			nodes = nodes[:len(nodes)-1]
			if len(out) >= q.K {
				return nil
			}
		}
		return nil
	}
	for length := shortest; length <= q.MaxHops && len(out) < q.K; length++ {
		if err := walk(from, length); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *snapshot) makePath(nodes, rels []int32) Path {
	out := Path{Entities: make([]*Entity, len(nodes)), Relations: make([]*Relation, len(rels))}
	for i, n := range nodes {
		out.Entities[i] = p.node(n).entity
	}
	for i, e := range rels {
		out.Relations[i] = p.edge(e).rel
	}
	return out
}

func (p *snapshot) stats() Stats {
	return Stats{
		Entities: p.nodeIDs.n, Relations: p.edgeIDs.n, Sources: p.sources.n,
		Quads: p.quads, Version: p.rev,
		ByKind: maps.Clone(p.byKind), ByType: maps.Clone(p.byType),
	}
}

// warmAdjacency reads the first neighbour of each node of a frontier in one
// loop of independent loads, for the reason warm does.
func (p *snapshot) warmAdjacency(frontier []int32) {
	n := int32(0)
	for _, i := range frontier {
		if ends := p.node(i).ends; len(ends) > 0 {
			n += ends[0]
		}
	}
	runtime.KeepAlive(n)
}

// warm reads the id of each entity and relation of g, and each entity's
// kind (which gives its GraphQL type), in tight loops of independent loads:
// the records, then the first and last bytes of their ids. The processor
// then overlaps the cache misses that a caller would otherwise take one at
// a time, each behind a resolver's worth of dependent work: on a large
// graph the records a walk returns are scattered, and the first read of
// their ids was a fifth of a neighbourhood request's CPU. The sum of what
// it read is kept alive so that the compiler cannot drop the loads.
func warm(g *Subgraph) {
	n := 0
	for _, e := range g.Entities {
		n += len(e.ID) + len(e.Kind) // a record can straddle two cache lines
	}
	for _, r := range g.Relations {
		n += len(r.ID)
	}
	for _, e := range g.Entities {
		if e.ID != "" {
			n += int(e.ID[0]) + int(e.ID[len(e.ID)-1])
		}
	}
	for _, r := range g.Relations {
		if r.ID != "" {
			n += int(r.ID[0]) + int(r.ID[len(r.ID)-1])
		}
	}
	runtime.KeepAlive(n)
}

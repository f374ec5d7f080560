package graph

import (
	"cmp"
	"context"
	"slices"
)

// Read algorithms over the projection. Callers hold the store's read lock.

func (p *projection) entity(id string) (*Entity, error) {
	if n, ok := p.nodes[id]; ok {
		return n.entity, nil
	}
	return nil, Errorf(CodeNotFound, "", "no entity %q", id)
}

func (p *projection) relation(id string) (*Relation, error) {
	if e, ok := p.edges[id]; ok {
		return e.rel, nil
	}
	return nil, Errorf(CodeNotFound, "", "no relation %q", id)
}

func (p *projection) source(key string) (*Source, error) {
	if s, ok := p.sources[key]; ok {
		return s, nil
	}
	return nil, Errorf(CodeNotFound, "", "no source %q", key)
}

func (p *projection) listSources() []*Source {
	out := make([]*Source, 0, len(p.sources))
	for _, s := range p.sources {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Source) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

func (p *projection) resolve(name string) []*Entity {
	list := p.names[Normalize(name)]
	out := make([]*Entity, len(list))
	for i, n := range list {
		out[i] = n.entity
	}
	slices.SortFunc(out, func(a, b *Entity) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (p *projection) entities(f EntityFilter) []*Entity {
	var out []*Entity
	for _, n := range p.sorted().nodes {
		if entityMatches(n.entity, f.Kinds, f.Countries) {
			out = append(out, n.entity)
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

func (f *edgeFilter) match(r *Relation) bool {
	return (len(f.types) == 0 || slices.Contains(f.types, r.Type)) &&
		(f.category == "" || r.Category == f.category) &&
		(len(f.statuses) == 0 || slices.Contains(f.statuses, r.Status)) &&
		r.ValidAt(f.asOf)
}

func (p *projection) relations(f RelationFilter) []*Relation {
	ef := edgeFilter{types: f.Types, category: f.Category, statuses: f.Statuses, asOf: f.AsOf}
	var candidates []*edge
	switch {
	case f.Entity != "" || f.From != "" || f.To != "":
		// Start from the smallest adjacency list among the fixed ends.
		var lists [][]*edge
		if n, ok := p.endpoint(f.From); ok {
			lists = append(lists, n.out)
		}
		if n, ok := p.endpoint(f.To); ok {
			lists = append(lists, n.in)
		}
		if n, ok := p.endpoint(f.Entity); ok {
			switch f.Direction {
			case Out:
				lists = append(lists, n.out)
			case In:
				lists = append(lists, n.in)
			default:
				lists = append(lists, slices.Concat(n.out, n.in))
			}
		}
		if len(lists) == 0 || p.missing(f.From) || p.missing(f.To) || p.missing(f.Entity) {
			return nil
		}
		candidates = slices.MinFunc(lists, func(a, b []*edge) int { return cmp.Compare(len(a), len(b)) })
		candidates = slices.Clone(candidates)
		sortEdges(candidates)
	case len(f.Types) == 1:
		candidates = p.sorted().byType[f.Types[0]]
	default:
		candidates = p.sorted().edges
	}
	var out []*Relation
	for _, e := range candidates {
		r := e.rel
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

func (p *projection) endpoint(id string) (*node, bool) {
	if id == "" {
		return nil, false
	}
	n, ok := p.nodes[id]
	return n, ok
}

func (p *projection) missing(id string) bool {
	_, ok := p.nodes[id]
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
func steps(n *node, d Direction, f *edgeFilter, fn func(e *edge, next *node) bool) bool {
	if d != In {
		for _, e := range n.out {
			if f.match(e.rel) && !fn(e, e.to) {
				return false
			}
		}
	}
	if d != Out {
		for _, e := range n.in {
			if f.match(e.rel) && !fn(e, e.from) {
				return false
			}
		}
	}
	return true
}

func (p *projection) subgraph(ctx context.Context, s Selection) (*Subgraph, error) {
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
	keep := func(n *node) bool { return entityMatches(n.entity, s.Kinds, s.Countries) }
	in := map[*node]struct{}{}
	var order []*node
	truncated := false
	add := func(n *node) bool {
		if s.Limit > 0 && len(order) >= s.Limit {
			truncated = true
			return false
		}
		in[n] = struct{}{}
		order = append(order, n)
		return true
	}

	if len(s.Seeds) == 0 {
		for _, n := range p.sorted().nodes {
			if keep(n) && !add(n) {
				break
			}
		}
	} else {
		frontier := make([]*node, 0, len(s.Seeds))
		for _, id := range s.Seeds {
			n, ok := p.nodes[id]
			if !ok {
				return nil, Errorf(CodeNotFound, "seeds", "no entity %q", id)
			}
			if _, dup := in[n]; !dup && add(n) {
				frontier = append(frontier, n)
			}
		}
		for hop := 0; hop < s.Hops && len(frontier) > 0 && !truncated; hop++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var next []*node
			for _, n := range frontier {
				steps(n, s.Direction, &f, func(_ *edge, m *node) bool {
					if _, seen := in[m]; seen || !keep(m) {
						return true
					}
					if !add(m) {
						return false
					}
					next = append(next, m)
					return true
				})
				if truncated {
					break
				}
			}
			frontier = next
		}
	}

	g := &Subgraph{Truncated: truncated, Entities: make([]*Entity, len(order))}
	for i, n := range order {
		g.Entities[i] = n.entity
	}
	// Induced relations: each counted once, from its From end.
	for _, n := range order {
		for _, e := range n.out {
			if _, ok := in[e.to]; ok && f.match(e.rel) {
				g.Relations = append(g.Relations, e.rel)
			}
		}
	}
	slices.SortFunc(g.Entities, func(a, b *Entity) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Relations, func(a, b *Relation) int { return cmp.Compare(a.ID, b.ID) })
	return g, nil
}

func (p *projection) paths(ctx context.Context, q PathQuery) ([]Path, error) {
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
	from, ok := p.nodes[q.From]
	if !ok {
		return nil, Errorf(CodeNotFound, "from", "no entity %q", q.From)
	}
	to, ok := p.nodes[q.To]
	if !ok {
		return nil, Errorf(CodeNotFound, "to", "no entity %q", q.To)
	}
	if from == to {
		return []Path{{Entities: []*Entity{from.entity}}}, nil
	}
	f := edgeFilter{types: q.Types, asOf: q.AsOf}

	// Distances to the target, walking edges backwards, bound the search:
	// a step to m is taken only if a path through m can still be short
	// enough.
	back := map[Direction]Direction{Out: In, In: Out, Both: Both}[q.Direction]
	dist := map[*node]int{to: 0}
	frontier := []*node{to}
	for d := 1; d <= q.MaxHops && len(frontier) > 0; d++ {
		var next []*node
		for _, n := range frontier {
			steps(n, back, &f, func(_ *edge, m *node) bool {
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
	onPath := map[*node]bool{from: true}
	nodes := []*node{from}
	var rels []*edge
	visits := 0
	var walk func(n *node, length int) error
	walk = func(n *node, length int) error {
		if visits++; visits%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		depth := len(rels)
		type step struct {
			e    *edge
			next *node
		}
		var cands []step
		steps(n, q.Direction, &f, func(e *edge, m *node) bool {
			if d, ok := dist[m]; ok && !onPath[m] && depth+1+d <= length {
				cands = append(cands, step{e, m})
			}
			return true
		})
		slices.SortFunc(cands, func(a, b step) int {
			if c := cmp.Compare(a.next.entity.ID, b.next.entity.ID); c != 0 {
				return c
			}
			return cmp.Compare(a.e.rel.ID, b.e.rel.ID)
		})
		for _, c := range cands {
			rels = append(rels, c.e)
			nodes = append(nodes, c.next)
			if c.next == to {
				if len(rels) == length {
					out = append(out, makePath(nodes, rels))
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

func makePath(nodes []*node, rels []*edge) Path {
	p := Path{Entities: make([]*Entity, len(nodes)), Relations: make([]*Relation, len(rels))}
	for i, n := range nodes {
		p.Entities[i] = n.entity
	}
	for i, e := range rels {
		p.Relations[i] = e.rel
	}
	return p
}

func (p *projection) stats() Stats {
	s := Stats{
		Entities: len(p.nodes), Relations: len(p.edges), Sources: len(p.sources),
		Quads: p.quads, Version: p.version,
		ByKind: make(map[Kind]int, len(p.byKind)), ByType: make(map[RelationType]int, len(p.byType)),
	}
	for k, n := range p.byKind {
		s.ByKind[k] = n
	}
	for t, n := range p.byType {
		s.ByType[t] = n
	}
	return s
}

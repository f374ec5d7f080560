package graph

import (
	"cmp"
	"slices"
	"sync"
)

// projection is the in-memory read model of the graph: adjacency lists and
// indexes built from the backend at open and updated after every successful
// write. cayley answers neither fast enough nor safely under concurrency for
// serving (see README, "Storage"), so every read is answered here.
//
// The projection is not synchronised itself: CayleyStore guards it.
type projection struct {
	nodes   map[string]*node
	edges   map[string]*edge
	sources map[string]*Source
	names   map[string][]*node // Normalize(id, name or alias) -> entities
	byType  map[RelationType]int
	byKind  map[Kind]int
	quads   int
	version uint64
	viewsMu sync.Mutex
	views   *views // sorted views, built lazily, dropped on write
}

type node struct {
	entity  *Entity
	out, in []*edge
}

type edge struct {
	rel      *Relation
	from, to *node
}

// views are sorted slices derived from the maps, built on first use after a
// write so that paginated listings do not sort on every request.
type views struct {
	nodes  []*node
	edges  []*edge
	byType map[RelationType][]*edge
}

func newProjection() *projection {
	return &projection{
		nodes:   map[string]*node{},
		edges:   map[string]*edge{},
		sources: map[string]*Source{},
		names:   map[string][]*node{},
		byType:  map[RelationType]int{},
		byKind:  map[Kind]int{},
	}
}

// EntityKind implements Lookup.
func (p *projection) EntityKind(id string) (Kind, bool) {
	n, ok := p.nodes[id]
	if !ok {
		return "", false
	}
	return n.entity.Kind, true
}

// HasSource implements Lookup.
func (p *projection) HasSource(key string) bool { _, ok := p.sources[key]; return ok }

func (p *projection) changed() {
	p.version++
	p.viewsMu.Lock()
	p.views = nil
	p.viewsMu.Unlock()
}

func (p *projection) putSource(s *Source) { p.sources[s.Key] = s }

func (p *projection) deleteSource(key string) { delete(p.sources, key) }

// putEntity adds or replaces an entity, keeping its relations.
func (p *projection) putEntity(e *Entity) {
	n, ok := p.nodes[e.ID]
	if ok {
		p.unindexNames(n)
		p.byKind[n.entity.Kind]--
		n.entity = e
	} else {
		n = &node{entity: e}
		p.nodes[e.ID] = n
	}
	p.byKind[e.Kind]++
	p.indexNames(n)
}

// deleteEntity removes an entity; its relations must be gone already.
func (p *projection) deleteEntity(id string) {
	n := p.nodes[id]
	if n == nil {
		return
	}
	p.unindexNames(n)
	p.byKind[n.entity.Kind]--
	if p.byKind[n.entity.Kind] == 0 {
		delete(p.byKind, n.entity.Kind)
	}
	delete(p.nodes, id)
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

func (p *projection) indexNames(n *node) {
	for _, k := range nameKeys(n.entity) {
		p.names[k] = append(p.names[k], n)
	}
}

func (p *projection) unindexNames(n *node) {
	for _, k := range nameKeys(n.entity) {
		list := slices.DeleteFunc(p.names[k], func(m *node) bool { return m == n })
		if len(list) == 0 {
			delete(p.names, k)
		} else {
			p.names[k] = list
		}
	}
}

// putRelation adds or replaces a relation; both endpoints must exist.
func (p *projection) putRelation(r *Relation) {
	if old, ok := p.edges[r.ID]; ok {
		if old.rel.From == r.From && old.rel.To == r.To && old.rel.Type == r.Type {
			old.rel = r
			return
		}
		p.deleteRelation(r.ID)
	}
	e := &edge{rel: r, from: p.nodes[r.From], to: p.nodes[r.To]}
	e.from.out = append(e.from.out, e)
	e.to.in = append(e.to.in, e)
	p.edges[r.ID] = e
	p.byType[r.Type]++
}

func (p *projection) deleteRelation(id string) {
	e := p.edges[id]
	if e == nil {
		return
	}
	e.from.out = removeEdge(e.from.out, e)
	e.to.in = removeEdge(e.to.in, e)
	if p.byType[e.rel.Type]--; p.byType[e.rel.Type] == 0 {
		delete(p.byType, e.rel.Type)
	}
	delete(p.edges, id)
}

// removeEdge deletes e from list in place. Order is not kept: readers sort.
func removeEdge(list []*edge, e *edge) []*edge {
	i := slices.Index(list, e)
	if i < 0 {
		return list
	}
	last := len(list) - 1
	list[i] = list[last]
	list[last] = nil
	return list[:last]
}

// sorted returns the sorted views, building them if a write dropped them.
func (p *projection) sorted() *views {
	p.viewsMu.Lock()
	defer p.viewsMu.Unlock()
	if p.views != nil {
		return p.views
	}
	v := &views{byType: map[RelationType][]*edge{}}
	v.nodes = make([]*node, 0, len(p.nodes))
	for _, n := range p.nodes {
		v.nodes = append(v.nodes, n)
	}
	slices.SortFunc(v.nodes, func(a, b *node) int { return cmp.Compare(a.entity.ID, b.entity.ID) })
	v.edges = make([]*edge, 0, len(p.edges))
	for _, e := range p.edges {
		v.edges = append(v.edges, e)
	}
	sortEdges(v.edges)
	for _, e := range v.edges {
		v.byType[e.rel.Type] = append(v.byType[e.rel.Type], e)
	}
	p.views = v
	return v
}

func sortEdges(list []*edge) {
	slices.SortFunc(list, func(a, b *edge) int { return cmp.Compare(a.rel.ID, b.rel.ID) })
}

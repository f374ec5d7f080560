package graph

import (
	"reflect"
	"slices"
	"strings"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
)

// changeSet is the effect of one write on the records, in the order it is
// applied: what the projection applies after the backend accepted the
// write, and what replicas read from the change log. Records are the
// store's own copies.
type changeSet struct {
	Sources         []*Source   `json:"sources,omitempty"`
	DeleteRelations []string    `json:"deleteRelations,omitempty"`
	Entities        []*Entity   `json:"entities,omitempty"`
	Relations       []*Relation `json:"relations,omitempty"`
	DeleteEntities  []string    `json:"deleteEntities,omitempty"`
	DeleteSources   []string    `json:"deleteSources,omitempty"`
	// Quads is the change in the number of quads the backend holds.
	Quads int `json:"quads"`
}

func (c *changeSet) empty() bool {
	return len(c.Sources)+len(c.DeleteRelations)+len(c.Entities)+len(c.Relations)+
		len(c.DeleteEntities)+len(c.DeleteSources) == 0
}

func (c *changeSet) size() int {
	return len(c.Sources) + len(c.DeleteRelations) + len(c.Entities) + len(c.Relations) +
		len(c.DeleteEntities) + len(c.DeleteSources)
}

// applyTo applies c to a builder. Deletes of relations come before the
// entities and relations written (a relation may move), deletes of entities
// and sources after them.
func (c *changeSet) applyTo(b *builder) {
	for _, s := range c.Sources {
		b.putSource(s)
	}
	for _, id := range c.DeleteRelations {
		b.deleteRelation(id)
	}
	for _, e := range c.Entities {
		b.putEntity(e)
	}
	for _, r := range c.Relations {
		b.putRelation(r)
	}
	for _, id := range c.DeleteEntities {
		b.deleteEntity(id)
	}
	for _, key := range c.DeleteSources {
		b.deleteSource(key)
	}
	b.p.quads += c.Quads
}

// split cuts c into pieces of at most n records each, keeping the order,
// so that applying the pieces in turn equals applying c.
func (c *changeSet) split(n int) []*changeSet {
	if c.size() <= n {
		return []*changeSet{c}
	}
	sp := &splitter{n: n, room: n, cur: &changeSet{}}
	splitList(sp, c.Sources, func(c *changeSet) *[]*Source { return &c.Sources })
	splitList(sp, c.DeleteRelations, func(c *changeSet) *[]string { return &c.DeleteRelations })
	splitList(sp, c.Entities, func(c *changeSet) *[]*Entity { return &c.Entities })
	splitList(sp, c.Relations, func(c *changeSet) *[]*Relation { return &c.Relations })
	splitList(sp, c.DeleteEntities, func(c *changeSet) *[]string { return &c.DeleteEntities })
	splitList(sp, c.DeleteSources, func(c *changeSet) *[]string { return &c.DeleteSources })
	if !sp.cur.empty() {
		sp.out = append(sp.out, sp.cur)
	}
	sp.out[len(sp.out)-1].Quads = c.Quads
	return sp.out
}

type splitter struct {
	n, room int
	cur     *changeSet
	out     []*changeSet
}

func splitList[T any](sp *splitter, list []T, field func(*changeSet) *[]T) {
	for len(list) > 0 {
		k := min(sp.room, len(list))
		f := field(sp.cur)
		*f, list = append(*f, list[:k]...), list[k:]
		if sp.room -= k; sp.room == 0 {
			sp.out, sp.cur, sp.room = append(sp.out, sp.cur), &changeSet{}, sp.n
		}
	}
}

// plan is a validated batch: the change set, the records it replaces (for
// the quad deltas) and the counts Apply reports.
type plan struct {
	change     changeSet
	old        *snapshot
	result     ApplyResult
	adds, dels int // quad deltas
}

// planBatch turns a validated batch into a plan against p, copying every
// record it keeps (interned by in), so the store never points into b.
func planBatch(p *snapshot, b *Batch, in *interner) (*plan, *Error) {
	pl := &plan{old: p}
	c := &pl.change
	// Deletes first: they decide what the upserts may still refer to.
	delRels := toSet(b.DeleteRelations)
	for _, id := range b.DeleteRelations {
		if _, ok := p.edgeIDs.get(id); !ok {
			return nil, Errorf(CodeNotFound, "deleteRelations", "no relation %q", id)
		}
	}
	var cascaded []string
	for _, id := range b.DeleteEntities {
		n, ok := p.nodeIDs.get(id)
		if !ok {
			return nil, Errorf(CodeNotFound, "deleteEntities", "no entity %q", id)
		}
		rec := p.node(n)
		for _, e := range slices.Concat(rec.out, rec.in) {
			rid := p.edge(e).rel.ID
			if delRels[rid] {
				continue
			}
			if !b.Cascade {
				return nil, Errorf(CodeConflict, "deleteEntities", "entity %q still has relation %q (delete it too, or cascade)", id, rid)
			}
			delRels[rid] = true
			cascaded = append(cascaded, rid)
		}
	}
	for _, key := range b.DeleteSources {
		if _, ok := p.sources.get(key); !ok {
			return nil, Errorf(CodeNotFound, "deleteSources", "no source %q", key)
		}
	}
	if len(b.DeleteSources) > 0 {
		if err := checkUncited(p, b, delRels); err != nil {
			return nil, err
		}
	}
	for i := range b.Relations {
		if delRels[relationID(&b.Relations[i])] {
			return nil, Errorf(CodeConflict, "relations", "relation %q is upserted but deleted by the cascade", relationID(&b.Relations[i]))
		}
	}

	for i := range b.Sources {
		src := in.source(&b.Sources[i])
		old, _ := p.sources.get(src.Key)
		if pl.count(old != nil, old != nil && reflect.DeepEqual(old, src), nil, nil) {
			c.Sources = append(c.Sources, src)
		}
	}
	for i := range b.Entities {
		e := in.entity(&b.Entities[i])
		var old *Entity
		if n, ok := p.nodeIDs.get(e.ID); ok {
			old = p.node(n).entity
		}
		if pl.count(old != nil, old != nil && reflect.DeepEqual(old, e), entityStruct(old), entityStruct(e)) {
			c.Entities = append(c.Entities, e)
		}
	}
	// Relations point at their endpoints' own id strings.
	var created map[string]string
	endpoint := func(id string) string {
		if n, ok := p.nodeIDs.get(id); ok {
			return p.node(n).entity.ID
		}
		if created == nil {
			created = make(map[string]string, len(c.Entities))
			for _, e := range c.Entities {
				created[e.ID] = e.ID
			}
		}
		if own, ok := created[id]; ok {
			return own
		}
		return id
	}
	for i := range b.Relations {
		r := in.relation(&b.Relations[i], endpoint)
		var old *Relation
		if e, ok := p.edgeIDs.get(r.ID); ok {
			old = p.edge(e).rel
		}
		if pl.count(old != nil, old != nil && reflect.DeepEqual(old, r), relationStruct(old), relationStruct(r)) {
			c.Relations = append(c.Relations, r)
		}
	}
	c.DeleteRelations = append(slices.Clone(b.DeleteRelations), cascaded...)
	slices.Sort(c.DeleteRelations)
	c.DeleteRelations = slices.Compact(c.DeleteRelations)
	for _, id := range c.DeleteRelations {
		pl.countDelete(relationStruct(p.edge(mustGet(p.edgeIDs.get(id))).rel))
	}
	c.DeleteEntities = slices.Clone(b.DeleteEntities)
	for _, id := range c.DeleteEntities {
		pl.countDelete(entityStruct(p.node(mustGet(p.nodeIDs.get(id))).entity))
	}
	c.DeleteSources = slices.Clone(b.DeleteSources)
	for range c.DeleteSources {
		pl.countDelete(nil)
	}
	c.Quads = pl.adds - pl.dels
	pl.result.Quads = pl.adds + pl.dels
	return pl, nil
}

// countDelete tallies a deleted record with its structural quads.
func (pl *plan) countDelete(oldQ []quad.Quad) {
	pl.result.Deleted++
	pl.dels += 1 + len(oldQ)
}

func mustGet(i int32, ok bool) int32 {
	if !ok {
		panic("graph: planned record vanished")
	}
	return i
}

func relationID(r *Relation) string {
	if r.ID != "" {
		return r.ID
	}
	return DefaultRelationID(r.From, r.Type, r.To)
}

// count tallies one record: existed says whether an old one was stored,
// same whether the new one equals it; oldQ and newQ are their structural
// quads (each record also has its record quad, which changes whenever the
// record does). It reports whether the record changes.
func (pl *plan) count(existed, same bool, oldQ, newQ []quad.Quad) bool {
	switch {
	case same:
		pl.result.Unchanged++
		return false
	case !existed:
		pl.result.Created++
	default:
		pl.result.Updated++
	}
	if existed {
		pl.dels++
	}
	pl.adds++
	for _, q := range oldQ {
		if !slices.Contains(newQ, q) {
			pl.dels++
		}
	}
	for _, q := range newQ {
		if !slices.Contains(oldQ, q) {
			pl.adds++
		}
	}
	return true
}

// deltas calls fn with the quad deltas of the plan, record by record, in
// the change set's order. The quads are made as they are needed, so a
// large plan is never held as quads.
func (pl *plan) deltas(fn func(cgraph.Delta) error) error {
	p, c := pl.old, &pl.change
	diff := func(old, new []quad.Quad) error {
		for _, q := range old {
			if !slices.Contains(new, q) {
				if err := fn(cgraph.Delta{Quad: q, Action: cgraph.Delete}); err != nil {
					return err
				}
			}
		}
		for _, q := range new {
			if !slices.Contains(old, q) {
				if err := fn(cgraph.Delta{Quad: q, Action: cgraph.Add}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, s := range c.Sources {
		old, _ := p.sources.get(s.Key)
		if err := diff(sourceQuads(old), sourceQuads(s)); err != nil {
			return err
		}
	}
	for _, id := range c.DeleteRelations {
		if err := diff(relationQuads(p.edge(mustGet(p.edgeIDs.get(id))).rel), nil); err != nil {
			return err
		}
	}
	for _, e := range c.Entities {
		var old *Entity
		if n, ok := p.nodeIDs.get(e.ID); ok {
			old = p.node(n).entity
		}
		if err := diff(entityQuads(old), entityQuads(e)); err != nil {
			return err
		}
	}
	for _, r := range c.Relations {
		var old *Relation
		if e, ok := p.edgeIDs.get(r.ID); ok {
			old = p.edge(e).rel
		}
		if err := diff(relationQuads(old), relationQuads(r)); err != nil {
			return err
		}
	}
	for _, id := range c.DeleteEntities {
		if err := diff(entityQuads(p.node(mustGet(p.nodeIDs.get(id))).entity), nil); err != nil {
			return err
		}
	}
	for _, key := range c.DeleteSources {
		old, _ := p.sources.get(key)
		if err := diff(sourceQuads(old), nil); err != nil {
			return err
		}
	}
	return nil
}

// checkUncited fails when a source to be deleted is still cited by a record
// that stays.
func checkUncited(p *snapshot, b *Batch, delRels map[string]bool) *Error {
	del := toSet(b.DeleteSources)
	replacedEnt := map[string]bool{}
	for _, e := range b.Entities {
		replacedEnt[e.ID] = true
	}
	for _, id := range b.DeleteEntities {
		replacedEnt[id] = true
	}
	replacedRel := map[string]bool{}
	for i := range b.Relations {
		replacedRel[relationID(&b.Relations[i])] = true
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
	var err *Error
	p.nodeIDs.each(func(id string, n int32) bool {
		if !replacedEnt[id] {
			e := p.node(n).entity
			err = check("entity "+id, e.Sources, e.Attributes)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	p.edgeIDs.each(func(id string, i int32) bool {
		if !replacedRel[id] && !delRels[id] {
			r := p.edge(i).rel
			err = check("relation "+id, r.Sources, r.Properties)
		}
		return err == nil
	})
	return err
}

// interner makes the store's own copies of records, sharing the strings
// and source lists that recur across records (kinds, types, statuses,
// source keys, units, dataset names), so a large graph holds each once.
// Only the store's writer uses it.
type interner struct {
	strs  map[string]string
	lists map[string][]string
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, lists: map[string][]string{}}
}

func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.strs[s]; ok {
		return v
	}
	in.strs[s] = s
	return s
}

// keys interns a short list of keys (sources cited): records citing the
// same sources share one slice. Nil for an empty list.
func (in *interner) keys(list []string) []string {
	switch len(list) {
	case 0:
		return nil
	case 1:
		if v, ok := in.lists[list[0]]; ok {
			return v
		}
	}
	k := strings.Join(list, "\x00")
	if v, ok := in.lists[k]; ok {
		return v
	}
	v := make([]string, len(list))
	for i, s := range list {
		v[i] = in.str(s)
	}
	in.lists[k] = v
	return v
}

// attrs interns the strings of list in place; nil for an empty list.
func (in *interner) attrs(list []Attribute) []Attribute {
	if len(list) == 0 {
		return nil
	}
	for i := range list {
		a := &list[i]
		a.Name, a.Type, a.Unit = in.str(a.Name), AttrType(in.str(string(a.Type))), in.str(a.Unit)
		a.Status, a.Sources = Status(in.str(string(a.Status))), in.keys(a.Sources)
	}
	return list
}

func (in *interner) origins(list []Origin) []Origin {
	if len(list) == 0 {
		return nil
	}
	for i := range list {
		list[i].Dataset, list[i].Edition = in.str(list[i].Dataset), in.str(list[i].Edition)
	}
	return list
}

// entity returns the store's own copy of e. Records are copied whole and
// then what is interned or shared is replaced, so a field added to a
// record is kept without a change here.
func (in *interner) entity(e *Entity) *Entity {
	c := *e
	c.Attributes, c.Origins = slices.Clone(e.Attributes), slices.Clone(e.Origins)
	c.Aliases, c.ExternalIDs = slices.Clone(e.Aliases), slices.Clone(e.ExternalIDs)
	return in.adoptEntity(&c)
}

// adoptEntity interns, in place, the strings of e, a record nothing else
// holds (decoded from the backend, or copied by entity).
func (in *interner) adoptEntity(e *Entity) *Entity {
	e.Kind, e.Country = Kind(in.str(string(e.Kind))), in.str(e.Country)
	e.Attributes, e.Sources, e.Origins = in.attrs(e.Attributes), in.keys(e.Sources), in.origins(e.Origins)
	if len(e.Aliases) == 0 {
		e.Aliases = nil
	}
	if len(e.ExternalIDs) == 0 {
		e.ExternalIDs = nil
	}
	for i := range e.ExternalIDs {
		e.ExternalIDs[i].Scheme = in.str(e.ExternalIDs[i].Scheme)
	}
	return e
}

// relation returns the store's own copy of r, with its default id filled
// in and its endpoints as endpoint gives them.
func (in *interner) relation(r *Relation, endpoint func(string) string) *Relation {
	c := *r
	c.Properties, c.Origins = slices.Clone(r.Properties), slices.Clone(r.Origins)
	return in.adoptRelation(&c, endpoint)
}

// adoptRelation is relation for a record nothing else holds, in place.
func (in *interner) adoptRelation(r *Relation, endpoint func(string) string) *Relation {
	r.ID, r.Type = relationID(r), RelationType(in.str(string(r.Type)))
	r.From, r.To = endpoint(r.From), endpoint(r.To)
	r.Category, r.Product, r.Status = in.str(r.Category), in.str(r.Product), Status(in.str(string(r.Status)))
	r.Properties, r.Sources, r.Origins = in.attrs(r.Properties), in.keys(r.Sources), in.origins(r.Origins)
	return r
}

func (in *interner) source(s *Source) *Source {
	c := *s
	c.Publisher = in.str(s.Publisher)
	return &c
}

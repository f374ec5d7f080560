package loaders

import (
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"github.com/chipgraph/chipgraph/graph"
)

// IRI prefixes of the store's quads (graph/quads.go documents them).
const (
	iriEntity   = "urn:chipgraph:entity:"
	iriRelation = "urn:chipgraph:relation:"
	iriSource   = "urn:chipgraph:source:"
)

// nquads writes the store's quads of the selection: every quad about a
// selected entity or relation (record and structural), the edge quads of
// the selected relations, the records of the sources they cite and of the
// PROCESS_NODE entities their process_node properties name (so the export
// loads into an empty store), in the store's order.
func (x *exporter) nquads() error {
	ents, rels, srcs, _, err := x.closure()
	if err != nil {
		return err
	}
	st, err := x.store.Stats(x.ctx)
	if err != nil {
		return err
	}
	if exportSmallSelection(len(ents), st.Entities) {
		return x.nquadsSmall(ents, rels, srcs)
	}
	keep := func(q quad.Quad) bool {
		if l, ok := q.Label.(quad.IRI); ok && q.Label != nil {
			id, isRel := strings.CutPrefix(string(l), iriRelation)
			return isRel && rels[id]
		}
		s, ok := q.Subject.(quad.IRI)
		if !ok {
			return false
		}
		switch v := string(s); {
		case strings.HasPrefix(v, iriEntity):
			return ents[v[len(iriEntity):]]
		case strings.HasPrefix(v, iriRelation):
			return rels[v[len(iriRelation):]]
		case strings.HasPrefix(v, iriSource):
			return srcs[v[len(iriSource):]]
		}
		return false
	}
	enc := nquads.NewWriter(x.w)
	err = x.store.Quads(x.ctx, func(q quad.Quad) error {
		if !keep(q) {
			return nil
		}
		if err := enc.WriteQuad(q); err != nil {
			return err
		}
		return x.tick()
	})
	if err != nil {
		return err
	}
	return enc.Close()
}

// closure returns what an export of the selection needs to load into an
// empty store as it is: the ids of the selected entities and relations and
// of the PROCESS_NODE entities their relations' process_node properties
// name (extra holds those not selected, in order of first mention), and the
// keys of every source these records and their attributes cite.
func (x *exporter) closure() (ents, rels, srcs map[string]bool, extra []*graph.Entity, err error) {
	ents = make(map[string]bool, len(x.g.Entities))
	rels = make(map[string]bool, len(x.g.Relations))
	srcs = map[string]bool{}
	cite := func(keys []string) {
		for _, k := range keys {
			srcs[k] = true
		}
	}
	citeAttrs := func(list []graph.Attribute) {
		for _, a := range list {
			cite(a.Sources)
		}
	}
	for _, e := range x.g.Entities {
		ents[e.ID] = true
		cite(e.Sources)
		citeAttrs(e.Attributes)
	}
	for _, r := range x.g.Relations {
		rels[r.ID] = true
		cite(r.Sources)
		citeAttrs(r.Properties)
	}
	// A relation's process_node property must name a PROCESS_NODE entity
	// of the store it loads into: take those entities along.
	for _, r := range x.g.Relations {
		for _, a := range r.Properties {
			if a.Name != "process_node" || ents[a.Value] {
				continue
			}
			e, err := x.store.Entity(x.ctx, a.Value)
			if graph.ErrorCode(err) == graph.CodeNotFound {
				continue
			}
			if err != nil {
				return nil, nil, nil, nil, err
			}
			ents[e.ID] = true
			extra = append(extra, e)
			cite(e.Sources)
			citeAttrs(e.Attributes)
		}
	}
	return ents, rels, srcs, extra, nil
}

// exportSmallSelection reports whether a selection of n entities out of
// total is small enough for nquadsSmall (a variable for tests).
var exportSmallSelection = func(n, total int) bool { return n*10 < total }

// nquadsSmall writes the quads of a selection much smaller than the store
// without reading every quad of the store: the selected records go into an
// empty memory store, whose quads (the same the big store holds for them,
// in the same order) are written.
func (x *exporter) nquadsSmall(ents, rels, srcs map[string]bool) error {
	var b graph.Batch
	for _, e := range x.g.Entities {
		b.Entities = append(b.Entities, *e)
	}
	for _, r := range x.g.Relations {
		b.Relations = append(b.Relations, *r)
	}
	selected := make(map[string]bool, len(x.g.Entities))
	for _, e := range x.g.Entities {
		selected[e.ID] = true
	}
	for id := range ents {
		if selected[id] {
			continue
		}
		e, err := x.store.Entity(x.ctx, id)
		if err != nil {
			return err
		}
		b.Entities = append(b.Entities, *e)
	}
	for key := range srcs {
		so, err := x.store.Source(x.ctx, key)
		if graph.ErrorCode(err) == graph.CodeNotFound {
			continue
		}
		if err != nil {
			return err
		}
		b.Sources = append(b.Sources, *so)
	}
	tmp, err := graph.Open(x.ctx, "memory:")
	if err != nil {
		return err
	}
	defer tmp.Close()
	if _, err := tmp.Apply(x.ctx, b); err != nil {
		return err
	}
	enc := nquads.NewWriter(x.w)
	err = tmp.Quads(x.ctx, func(q quad.Quad) error {
		if err := enc.WriteQuad(q); err != nil {
			return err
		}
		return x.tick()
	})
	if err != nil {
		return err
	}
	return enc.Close()
}

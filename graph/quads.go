package graph

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"
)

// How records become quads. Every entity, relation and source has one
// record quad (subject, urn:chipgraph:record, its JSON) that is the lossless
// form read back at open. Entities and relations also get structural quads
// (kind, name, aliases, the edge itself labelled with the relation id) so the
// cayley graph is navigable by cayley's own query languages and by RDF tools.
const (
	entityPrefix   = "urn:chipgraph:entity:"
	relationPrefix = "urn:chipgraph:relation:"
	sourcePrefix   = "urn:chipgraph:source:"
	kindPrefix     = "urn:chipgraph:kind:"
	relTypePrefix  = "urn:chipgraph:rel:"

	predRecord  = quad.IRI("urn:chipgraph:record")
	predKind    = quad.IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
	predName    = quad.IRI("http://schema.org/name")
	predAlias   = quad.IRI("http://schema.org/alternateName")
	predCountry = quad.IRI("urn:chipgraph:country")
)

func entityIRI(id string) quad.IRI       { return quad.IRI(entityPrefix + id) }
func relationIRI(id string) quad.IRI     { return quad.IRI(relationPrefix + id) }
func sourceIRI(key string) quad.IRI      { return quad.IRI(sourcePrefix + key) }
func relTypeIRI(t RelationType) quad.IRI { return quad.IRI(relTypePrefix + string(t)) }

func recordQuad(subject quad.IRI, v any) (quad.Quad, string) {
	b, err := json.Marshal(v)
	if err != nil {
		// The domain types hold only strings, numbers and slices of them.
		panic(fmt.Sprintf("graph: encoding %s: %v", subject, err))
	}
	return quad.Quad{Subject: subject, Predicate: predRecord, Object: quad.String(b)}, string(b)
}

// entityQuads, relationQuads and sourceQuads give a record's quads: its
// record quad, then its structural quads. A nil record has none.
func entityQuads(e *Entity) []quad.Quad {
	if e == nil {
		return nil
	}
	rec, _ := recordQuad(entityIRI(e.ID), e)
	return append([]quad.Quad{rec}, entityStruct(e)...)
}

func relationQuads(r *Relation) []quad.Quad {
	if r == nil {
		return nil
	}
	rec, _ := recordQuad(relationIRI(r.ID), r)
	return append([]quad.Quad{rec}, relationStruct(r)...)
}

func sourceQuads(s *Source) []quad.Quad {
	if s == nil {
		return nil
	}
	rec, _ := recordQuad(sourceIRI(s.Key), s)
	return []quad.Quad{rec}
}

// entityStruct and relationStruct are a record's structural quads, which
// change only when the fields they show do.
func entityStruct(e *Entity) []quad.Quad {
	if e == nil {
		return nil
	}
	s := entityIRI(e.ID)
	qs := make([]quad.Quad, 0, 3+len(e.Aliases))
	qs = append(qs,
		quad.Quad{Subject: s, Predicate: predKind, Object: quad.IRI(kindPrefix + string(e.Kind))},
		quad.Quad{Subject: s, Predicate: predName, Object: quad.String(e.Name)})
	if e.Country != "" {
		qs = append(qs, quad.Quad{Subject: s, Predicate: predCountry, Object: quad.String(e.Country)})
	}
	for i, a := range e.Aliases {
		if a != e.Name && !slices.Contains(e.Aliases[:i], a) {
			qs = append(qs, quad.Quad{Subject: s, Predicate: predAlias, Object: quad.String(a)})
		}
	}
	return qs
}

func relationStruct(r *Relation) []quad.Quad {
	if r == nil {
		return nil
	}
	return []quad.Quad{{
		Subject: entityIRI(r.From), Predicate: relTypeIRI(r.Type),
		Object: entityIRI(r.To), Label: relationIRI(r.ID),
	}}
}

// BatchFromQuads rebuilds records from their record quads (as written by a
// Store and exported by Store.Quads); structural quads are derived and are
// skipped. A record quad with a subject or JSON that is not chipgraph's is
// CodeInvalid, with the index of the quad in the path.
func BatchFromQuads(quads []quad.Quad) (Batch, error) {
	var b Batch
	var errs Errors
	for i, q := range quads {
		if err := b.addRecord(q); err != nil {
			err.Path = fmt.Sprintf("quads[%d]", i)
			errs = append(errs, err)
		}
	}
	return b, errs.Err()
}

// addRecord appends the record of q to b when q is a record quad.
func (b *Batch) addRecord(q quad.Quad) *Error {
	rec, err := decodeRecord(q)
	switch r := rec.(type) {
	case *Entity:
		b.Entities = append(b.Entities, *r)
	case *Relation:
		b.Relations = append(b.Relations, *r)
	case *Source:
		b.Sources = append(b.Sources, *r)
	}
	return err
}

// decodeRecord returns the *Entity, *Relation or *Source a record quad
// holds, or nil for a structural quad.
func decodeRecord(q quad.Quad) (any, *Error) {
	if q.Predicate != predRecord {
		return nil, nil
	}
	subj, ok := q.Subject.(quad.IRI)
	if !ok {
		return nil, Errorf(CodeInvalid, "", "record subject %v is not an IRI", q.Subject)
	}
	lit, ok := q.Object.(quad.String)
	if !ok {
		return nil, Errorf(CodeInvalid, "", "record of %s is not a string literal", subj)
	}
	s := string(subj)
	var err error
	var rec any
	switch {
	case strings.HasPrefix(s, entityPrefix):
		var e Entity
		if err = json.Unmarshal([]byte(lit), &e); err == nil && e.ID != strings.TrimPrefix(s, entityPrefix) {
			err = fmt.Errorf("id %q does not match subject", e.ID)
		}
		rec = &e
	case strings.HasPrefix(s, relationPrefix):
		var r Relation
		if err = json.Unmarshal([]byte(lit), &r); err == nil && r.ID != strings.TrimPrefix(s, relationPrefix) {
			err = fmt.Errorf("id %q does not match subject", r.ID)
		}
		rec = &r
	case strings.HasPrefix(s, sourcePrefix):
		var src Source
		if err = json.Unmarshal([]byte(lit), &src); err == nil && src.Key != strings.TrimPrefix(s, sourcePrefix) {
			err = fmt.Errorf("key %q does not match subject", src.Key)
		}
		rec = &src
	default:
		return nil, Errorf(CodeInvalid, "", "record subject %s is not a chipgraph entity, relation or source", s)
	}
	if err != nil {
		return rec, Errorf(CodeInvalid, "", "record of %s: %v", s, err)
	}
	return rec, nil
}

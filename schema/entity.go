package schema

import (
	"context"
	"slices"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
)

// entityFields returns the fields every Entity type has, fresh on each call.
func (s *Schema) entityFields(relationsArgs graphql.FieldConfigArgument) graphql.Fields {
	t := s.types
	return graphql.Fields{
		"id":          {Type: nn(graphql.ID), Resolve: entityLeaves["id"].resolve()},
		"kind":        {Type: nn(t.kind), Resolve: entityLeaves["kind"].resolve()},
		"name":        {Type: nn(graphql.String), Resolve: entityLeaves["name"].resolve()},
		"aliases":     {Type: listOf(graphql.String), Resolve: entField(func(e *graph.Entity) any { return nonNil(e.Aliases) })},
		"country":     {Type: graphql.String, Description: "ISO 3166-1 alpha-2 code.", Resolve: entField(func(e *graph.Entity) any { return strOrNil(e.Country) })},
		"description": {Type: graphql.String, Resolve: entField(func(e *graph.Entity) any { return strOrNil(e.Description) })},
		"attributes": {
			Type: listOf(t.attribute),
			Args: graphql.FieldConfigArgument{"name": {Type: graphql.String, Description: "Only attributes of that name."}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				e := p.Source.(*graph.Entity)
				name := argString(p, "name")
				if name == "" {
					return nonNil(e.Attributes), nil
				}
				var out []graph.Attribute
				for _, a := range e.Attributes {
					if a.Name == name {
						out = append(out, a)
					}
				}
				return nonNil(out), nil
			},
		},
		"externalIds": {Type: listOf(t.externalID), Resolve: entField(func(e *graph.Entity) any { return nonNil(e.ExternalIDs) })},
		"sources": {Type: listOf(t.source), Resolve: func(p graphql.ResolveParams) (any, error) {
			return s.sourcesOf(p.Context, p.Source.(*graph.Entity).Sources)
		}},
		"relations": {
			Type:        nn(t.relConn),
			Description: "Relations at this entity, sorted by id.",
			Args:        relationsArgs,
			Resolve: func(p graphql.ResolveParams) (any, error) {
				e := p.Source.(*graph.Entity)
				first, err := bounded(p, "first", 50, 0, s.cfg.MaxPageSize)
				if err != nil {
					return nil, err
				}
				rels, err := s.store.Relations(p.Context, graph.RelationFilter{
					Entity:    e.ID,
					Direction: argDirection(p),
					Types:     argTypes(p, "types"),
					AsOf:      argDate(p, "asOf"),
				})
				if err != nil {
					return nil, err
				}
				return paginate(rels, relationID, first, argString(p, "after"))
			},
		},
	}
}

// kindFields returns the convenience fields of kind k's object type.
// Fields whose edge carries facts (category, product, amount, dates,
// process node) return Relations; the others return the entities at the far
// end.
func (s *Schema) kindFields(k graph.Kind) graphql.Fields {
	t := s.types
	categoryArg := graphql.FieldConfigArgument{"category": {Type: graphql.String, Description: "Only SUPPLIES relations of this category (memory, foundry, equipment, eda, ip, packaging, materials, software)."}}
	rels := func(desc string, dir graph.Direction, types ...graph.RelationType) *graphql.Field {
		return &graphql.Field{Type: listOf(t.relation), Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
			return s.rels(p.Context, p.Source.(*graph.Entity).ID, dir, types...)
		}}
	}
	ents := func(desc string, dir graph.Direction, types ...graph.RelationType) *graphql.Field {
		return &graphql.Field{Type: listOf(t.entity), Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
			e := p.Source.(*graph.Entity)
			rs, err := s.rels(p.Context, e.ID, dir, types...)
			if err != nil {
				return nil, err
			}
			return s.others(p.Context, e.ID, rs, "")
		}}
	}
	one := func(desc string, dir graph.Direction, typ graph.RelationType) *graphql.Field {
		return &graphql.Field{Type: t.entity, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
			e := p.Source.(*graph.Entity)
			rs, err := s.rels(p.Context, e.ID, dir, typ)
			if err != nil || len(rs) == 0 {
				return nil, err
			}
			return s.entityOrNil(p.Context, current(rs).Other(e.ID))
		}}
	}
	supply := func(desc string, supplier bool) *graphql.Field {
		return &graphql.Field{Type: listOf(t.relation), Description: desc, Args: categoryArg, Resolve: func(p graphql.ResolveParams) (any, error) {
			e := p.Source.(*graph.Entity)
			cat := argString(p, "category")
			// supplier side: SUPPLIES x -> e, CUSTOMER_OF e -> x.
			dirSupplies, dirCustomer := graph.In, graph.Out
			if !supplier {
				dirSupplies, dirCustomer = graph.Out, graph.In
			}
			out, err := s.store.Relations(p.Context, graph.RelationFilter{Entity: e.ID, Direction: dirSupplies, Types: []graph.RelationType{graph.Supplies}, Category: cat})
			if err != nil {
				return nil, err
			}
			if cat == "" {
				more, err := s.store.Relations(p.Context, graph.RelationFilter{Entity: e.ID, Direction: dirCustomer, Types: []graph.RelationType{graph.CustomerOf}})
				if err != nil {
					return nil, err
				}
				out = append(slices.Clone(out), more...)
				slices.SortFunc(out, func(a, b *graph.Relation) int { return compareStrings(a.ID, b.ID) })
			}
			return nonNil(out), nil
		}}
	}
	attrDate := func(desc string, names ...string) *graphql.Field {
		return &graphql.Field{Type: t.date, Description: desc, Resolve: entField(func(e *graph.Entity) any {
			for _, n := range names {
				if a, ok := e.Attr(n); ok {
					if d, err := graph.ParseDate(a.Value); err == nil && !d.IsZero() {
						return d
					}
				}
			}
			return nil
		})}
	}
	attrString := func(desc string, names ...string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Description: desc, Resolve: entField(func(e *graph.Entity) any {
			for _, n := range names {
				if a, ok := e.Attr(n); ok {
					return a.Value
				}
			}
			return nil
		})}
	}
	investments := rels("INVESTS_IN relations from this entity (to is the investee; properties amount, stake).", graph.Out, graph.InvestsIn)

	switch k {
	case graph.KindCompany:
		return graphql.Fields{
			"suppliers":    supply("Who supplies this company: SUPPLIES relations ending here (from is the supplier) and, without a category, CUSTOMER_OF relations starting here (to is the supplier).", true),
			"customers":    supply("Whom this company supplies: SUPPLIES relations starting here (to is the customer) and, without a category, CUSTOMER_OF relations ending here (from is the customer).", false),
			"designs":      ents("What this company designs (DESIGNS targets).", graph.Out, graph.Designs),
			"fabricates":   rels("FABRICATES relations from this company (to is the chip; property process_node).", graph.Out, graph.Fabricates),
			"investors":    rels("INVESTS_IN relations ending here (from is the investor; properties amount, stake).", graph.In, graph.InvestsIn),
			"investments":  investments,
			"sanctions":    rels("TARGETS relations ending here (from is the sanction or regulation; validFrom/validTo date them).", graph.In, graph.Targets),
			"parent":       one("The parent company (SUBSIDIARY_OF target), preferring a current relation.", graph.Out, graph.SubsidiaryOf),
			"subsidiaries": ents("Companies that are SUBSIDIARY_OF this one.", graph.In, graph.SubsidiaryOf),
		}
	case graph.KindChip:
		return graphql.Fields{
			"designer":  one("Who designs the chip (DESIGNS source), preferring a current relation.", graph.In, graph.Designs),
			"foundries": rels("FABRICATES relations ending here (from is the foundry; property process_node).", graph.In, graph.Fabricates),
			"processNode": {Type: t.entity, Description: "The PROCESS_NODE of the current fabrication (FABRICATES property process_node), or the chip's process_node attribute.", Resolve: func(p graphql.ResolveParams) (any, error) {
				return s.processNode(p.Context, p.Source.(*graph.Entity))
			}},
			"memory": {Type: listOf(t.entity), Description: "MEMORY entities the chip uses (USES_COMPONENT targets of kind MEMORY).", Resolve: func(p graphql.ResolveParams) (any, error) {
				e := p.Source.(*graph.Entity)
				rs, err := s.rels(p.Context, e.ID, graph.Out, graph.UsesComponent)
				if err != nil {
					return nil, err
				}
				return s.others(p.Context, e.ID, rs, graph.KindMemory)
			}},
			"usedIn":        ents("What uses the chip as a component (USES_COMPONENT sources), e.g. systems.", graph.In, graph.UsesComponent),
			"exportControl": s.exportControlField(),
		}
	case graph.KindSanction, graph.KindRegulation:
		return graphql.Fields{
			"date":          attrDate("The date of the measure (attribute date, effective_date or announced).", "date", "effective_date", "announced", "published"),
			"legalCitation": attrString("Its legal citation (attribute legal_citation or citation), e.g. a Federal Register reference.", "legal_citation", "citation"),
			"targets":       ents("What the measure targets (TARGETS targets).", graph.Out, graph.Targets),
			"issuedBy":      one("The government body that issued it (ISSUED_BY target).", graph.Out, graph.IssuedBy),
		}
	case graph.KindFund:
		return graphql.Fields{"investments": investments}
	}
	return graphql.Fields{}
}

func (s *Schema) rels(ctx context.Context, id string, dir graph.Direction, types ...graph.RelationType) ([]*graph.Relation, error) {
	rs, err := s.store.Relations(ctx, graph.RelationFilter{Entity: id, Direction: dir, Types: types})
	return nonNil(rs), err
}

// others returns the far ends of rs seen from id, each once, in rs order,
// keeping only kind when it is not empty.
func (s *Schema) others(ctx context.Context, id string, rs []*graph.Relation, kind graph.Kind) ([]*graph.Entity, error) {
	out := []*graph.Entity{}
	seen := map[string]bool{}
	for _, r := range rs {
		o := r.Other(id)
		if seen[o] {
			continue
		}
		seen[o] = true
		e, err := s.store.Entity(ctx, o)
		if err != nil {
			if graph.ErrorCode(err) == graph.CodeNotFound {
				continue
			}
			return nil, err
		}
		if kind == "" || e.Kind == kind {
			out = append(out, e)
		}
	}
	return out, nil
}

// current picks the relation that holds now: not ended and without validTo,
// else the first.
func current(rs []*graph.Relation) *graph.Relation {
	for _, r := range rs {
		if r.Status != graph.StatusEnded && r.ValidTo.IsZero() {
			return r
		}
	}
	return rs[0]
}

func (s *Schema) processNode(ctx context.Context, e *graph.Entity) (any, error) {
	rs, err := s.rels(ctx, e.ID, graph.In, graph.Fabricates)
	if err != nil {
		return nil, err
	}
	var withNode []*graph.Relation
	for _, r := range rs {
		if _, ok := r.Prop("process_node"); ok {
			withNode = append(withNode, r)
		}
	}
	if len(withNode) > 0 {
		a, _ := current(withNode).Prop("process_node")
		return s.entityOrNil(ctx, a.Value)
	}
	if a, ok := e.Attr("process_node"); ok {
		return s.entityOrNil(ctx, a.Value)
	}
	return nil, nil
}

// entityOrNil returns the entity, or an untyped nil when there is none.
func (s *Schema) entityOrNil(ctx context.Context, id string) (any, error) {
	if id == "" {
		return nil, nil
	}
	e, err := s.store.Entity(ctx, id)
	if err != nil {
		if graph.ErrorCode(err) == graph.CodeNotFound {
			return nil, nil
		}
		return nil, err
	}
	return e, nil
}

// sourcesOf resolves source keys; a key the store no longer has is skipped.
func (s *Schema) sourcesOf(ctx context.Context, keys []string) ([]*graph.Source, error) {
	out := make([]*graph.Source, 0, len(keys))
	for _, k := range keys {
		src, err := s.store.Source(ctx, k)
		if err != nil {
			if graph.ErrorCode(err) == graph.CodeNotFound {
				continue
			}
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

func (s *Schema) attrSources(p graphql.ResolveParams) (any, error) {
	return s.sourcesOf(p.Context, p.Source.(graph.Attribute).Sources)
}

func (s *Schema) relSources(p graphql.ResolveParams) (any, error) {
	return s.sourcesOf(p.Context, p.Source.(*graph.Relation).Sources)
}

func (s *Schema) relEnd(from bool) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		r := p.Source.(*graph.Relation)
		id := r.To
		if from {
			id = r.From
		}
		return s.store.Entity(p.Context, id)
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

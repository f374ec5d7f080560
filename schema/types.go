package schema

import (
	"fmt"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/chipgraph/chipgraph/graph"
)

// types holds the named GraphQL types of one Schema.
type types struct {
	date       *graphql.Scalar
	kind       *graphql.Enum
	relType    *graphql.Enum
	direction  *graphql.Enum
	status     *graphql.Enum
	attrType   *graphql.Enum
	entity     *graphql.Interface
	objects    map[graph.Kind]*graphql.Object
	relation   *graphql.Object
	source     *graphql.Object
	attribute  *graphql.Object
	externalID *graphql.Object
	pageInfo   *graphql.Object
	entityConn *graphql.Object
	relConn    *graphql.Object
	sourceConn *graphql.Object
	path       *graphql.Object
	subgraph   *graphql.Object
	stats      *graphql.Object
	enums      []*graphql.Enum

	// exportcontrol.go
	exportControl   *graphql.Object
	exportThreshold *graphql.Enum
	thresholdAnswer *graphql.Enum
}

// objectNames maps each kind to its GraphQL object type name.
var objectNames = map[graph.Kind]string{
	graph.KindCompany:        "Company",
	graph.KindChip:           "Chip",
	graph.KindMemory:         "Memory",
	graph.KindSystem:         "System",
	graph.KindSoftware:       "Software",
	graph.KindModel:          "Model",
	graph.KindEquipment:      "Equipment",
	graph.KindProcessNode:    "ProcessNode",
	graph.KindFund:           "Fund",
	graph.KindGovernmentBody: "GovernmentBody",
	graph.KindResearchOrg:    "ResearchOrg",
	graph.KindSanction:       "Sanction",
	graph.KindRegulation:     "Regulation",
	graph.KindCountry:        "Country",
}

func nn(t graphql.Type) *graphql.NonNull { return graphql.NewNonNull(t) }

func listOf(t graphql.Type) *graphql.NonNull { return nn(graphql.NewList(nn(t))) }

func (s *Schema) build() error {
	t := &types{objects: map[graph.Kind]*graphql.Object{}}
	s.types = t
	t.date = dateScalar()

	enum := func(name, desc string, values graphql.EnumValueConfigMap) *graphql.Enum {
		e := graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: values})
		t.enums = append(t.enums, e)
		return e
	}
	kinds := graphql.EnumValueConfigMap{}
	for _, k := range graph.Kinds {
		kinds[string(k)] = &graphql.EnumValueConfig{Value: k, Description: "Entities of type " + objectNames[k] + "."}
	}
	t.kind = enum("EntityKind", "The kind of an entity; each has its own object type.", kinds)
	rtypes := graphql.EnumValueConfigMap{}
	for _, rt := range graph.RelationTypes {
		rtypes[string(rt)] = &graphql.EnumValueConfig{Value: rt, Description: relTypeDocs[rt]}
	}
	t.relType = enum("RelationType", "The type of a relation, read from -> to.", rtypes)
	t.direction = enum("Direction", "Which relations of an entity to follow.", graphql.EnumValueConfigMap{
		"OUT":  {Value: graph.Out, Description: "Relations whose from is the entity."},
		"IN":   {Value: graph.In, Description: "Relations whose to is the entity."},
		"BOTH": {Value: graph.Both, Description: "Either."},
	})
	statuses := graphql.EnumValueConfigMap{}
	for _, st := range graph.Statuses {
		statuses[strings.ToUpper(string(st))] = &graphql.EnumValueConfig{Value: st}
	}
	t.status = enum("RelationStatus", "How well a relation or attribute is established.", statuses)
	attrTypes := graphql.EnumValueConfigMap{}
	for _, at := range graph.AttrTypes {
		attrTypes[strings.ToUpper(string(at))] = &graphql.EnumValueConfig{Value: at}
	}
	t.attrType = enum("AttributeType", "The value type of an attribute; value holds its canonical text.", attrTypes)

	t.source = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Source",
		Description: "A public document that facts cite by key.",
		Fields: graphql.Fields{
			"key":       {Type: nn(graphql.ID), Resolve: srcField(func(x *graph.Source) any { return x.Key })},
			"title":     {Type: nn(graphql.String), Resolve: srcField(func(x *graph.Source) any { return x.Title })},
			"url":       {Type: nn(graphql.String), Resolve: srcField(func(x *graph.Source) any { return x.URL })},
			"publisher": {Type: nn(graphql.String), Resolve: srcField(func(x *graph.Source) any { return x.Publisher })},
			"published": {Type: t.date, Description: "As the document shows it; null when it shows none (undated).", Resolve: srcField(func(x *graph.Source) any { return dateOrNil(x.Published) })},
			"undated":   {Type: nn(graphql.Boolean), Description: "The document shows no publication date: cite it n.d., retrieved on retrieved.", Resolve: srcField(func(x *graph.Source) any { return x.Undated })},
			"retrieved": {Type: t.date, Resolve: srcField(func(x *graph.Source) any { return dateOrNil(x.Retrieved) })},
			"quote":     {Type: graphql.String, Resolve: srcField(func(x *graph.Source) any { return strOrNil(x.Quote) })},
		},
	})
	t.attribute = graphql.NewObject(graphql.ObjectConfig{
		Name: "Attribute",
		Description: "A typed, dated, sourced fact. Two attributes may share a name when sources " +
			"disagree; status then tells which is disputed.",
		Fields: graphql.Fields{
			"name":    {Type: nn(graphql.String), Resolve: attrField(func(a graph.Attribute) any { return a.Name })},
			"type":    {Type: nn(t.attrType), Resolve: attrField(func(a graph.Attribute) any { return a.Type })},
			"value":   {Type: nn(graphql.String), Description: "Canonical text: a decimal number, a Date, true/false or a string.", Resolve: attrField(func(a graph.Attribute) any { return a.Value })},
			"unit":    {Type: graphql.String, Resolve: attrField(func(a graph.Attribute) any { return strOrNil(a.Unit) })},
			"asOf":    {Type: t.date, Resolve: attrField(func(a graph.Attribute) any { return dateOrNil(a.AsOf) })},
			"status":  {Type: t.status, Resolve: attrField(func(a graph.Attribute) any { return statusOrNil(a.Status) })},
			"note":    {Type: graphql.String, Resolve: attrField(func(a graph.Attribute) any { return strOrNil(a.Note) })},
			"sources": {Type: listOf(t.source), Resolve: s.attrSources},
		},
	})
	t.externalID = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ExternalId",
		Description: "An identifier of the entity in another system (wikidata, ticker, lei, ...).",
		Fields: graphql.Fields{
			"scheme": {Type: nn(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(graph.ExternalID).Scheme, nil }},
			"value":  {Type: nn(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(graph.ExternalID).Value, nil }},
		},
	})
	t.pageInfo = graphql.NewObject(graphql.ObjectConfig{
		Name: "PageInfo",
		Fields: graphql.Fields{
			"hasNextPage":     {Type: nn(graphql.Boolean), Resolve: pageField(func(pi pageInfo) any { return pi.hasNext })},
			"hasPreviousPage": {Type: nn(graphql.Boolean), Resolve: pageField(func(pi pageInfo) any { return pi.hasPrev })},
			"startCursor":     {Type: graphql.String, Resolve: pageField(func(pi pageInfo) any { return strOrNil(pi.start) })},
			"endCursor":       {Type: graphql.String, Resolve: pageField(func(pi pageInfo) any { return strOrNil(pi.end) })},
		},
	})

	// Entity and Relation refer to each other: their fields are thunks.
	relationsArgs := graphql.FieldConfigArgument{
		"types":     {Type: graphql.NewList(nn(t.relType)), Description: "Only relations of these types."},
		"direction": {Type: t.direction, DefaultValue: graph.Both},
		"asOf":      {Type: t.date, Description: asOfDescription},
		"first":     {Type: graphql.Int, DefaultValue: 50},
		"after":     {Type: graphql.String, Description: "An endCursor of a previous page."},
	}
	t.entity = graphql.NewInterface(graphql.InterfaceConfig{
		Name:        "Entity",
		Description: "A node of the graph. Each EntityKind has its own object type implementing Entity.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := s.entityFields(relationsArgs)
			for _, fd := range f {
				fd.Resolve = nil
			}
			return f
		}),
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			if e, ok := p.Value.(*graph.Entity); ok {
				return t.objects[e.Kind]
			}
			return nil
		},
	})
	t.relation = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Relation",
		Description: "A typed, dated, sourced edge from -> to.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":         {Type: nn(graphql.ID), Resolve: relationLeaves["id"].resolve()},
				"type":       {Type: nn(t.relType), Resolve: relationLeaves["type"].resolve()},
				"from":       {Type: nn(t.entity), Resolve: s.relEnd(true)},
				"to":         {Type: nn(t.entity), Resolve: s.relEnd(false)},
				"fromId":     {Type: nn(graphql.ID), Description: "from's id, without fetching the entity.", Resolve: relationLeaves["fromId"].resolve()},
				"toId":       {Type: nn(graphql.ID), Description: "to's id, without fetching the entity.", Resolve: relationLeaves["toId"].resolve()},
				"category":   {Type: graphql.String, Description: "On SUPPLIES: memory, foundry, equipment, eda, ip, packaging, materials or software.", Resolve: relField(func(r *graph.Relation) any { return strOrNil(r.Category) })},
				"product":    {Type: graphql.String, Resolve: relField(func(r *graph.Relation) any { return strOrNil(r.Product) })},
				"properties": {Type: listOf(t.attribute), Resolve: relField(func(r *graph.Relation) any { return r.Properties })},
				"validFrom":  {Type: t.date, Resolve: relField(func(r *graph.Relation) any { return dateOrNil(r.ValidFrom) })},
				"validTo":    {Type: t.date, Resolve: relField(func(r *graph.Relation) any { return dateOrNil(r.ValidTo) })},
				"firstReported": {Type: nn(graphql.Boolean), Description: "True when validFrom is only the date the relation was first reported (its earliest source, or a dataset's edition), not a known start.",
					Resolve: relField(func(r *graph.Relation) any { return r.FirstReported })},
				"status":  {Type: nn(t.status), Resolve: relField(func(r *graph.Relation) any { return r.Status })},
				"note":    {Type: graphql.String, Resolve: relField(func(r *graph.Relation) any { return strOrNil(r.Note) })},
				"sources": {Type: listOf(t.source), Resolve: s.relSources},
			}
		}),
	})
	conn := func(name string, node graphql.Output, desc string) *graphql.Object {
		edgeType := graphql.NewObject(graphql.ObjectConfig{
			Name: name + "Edge",
			Fields: graphql.Fields{
				"cursor": {Type: nn(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(edge).cursor, nil }},
				"node":   {Type: nn(node), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(edge).node, nil }},
			},
		})
		return graphql.NewObject(graphql.ObjectConfig{
			Name:        name + "Connection",
			Description: desc,
			Fields: graphql.Fields{
				"edges": {Type: listOf(edgeType), Resolve: func(p graphql.ResolveParams) (any, error) {
					return p.Source.(*connection).edges, nil
				}},
				"nodes": {Type: listOf(node), Description: "The edges' nodes, for clients that need no cursors.", Resolve: func(p graphql.ResolveParams) (any, error) {
					c := p.Source.(*connection)
					out := make([]any, len(c.edges))
					for i, e := range c.edges {
						out[i] = e.node
					}
					return out, nil
				}},
				"pageInfo": {Type: nn(t.pageInfo), Resolve: func(p graphql.ResolveParams) (any, error) {
					return p.Source.(*connection).info, nil
				}},
				"totalCount": {Type: nn(graphql.Int), Description: "Items on all pages.", Resolve: func(p graphql.ResolveParams) (any, error) {
					return p.Source.(*connection).total, nil
				}},
			},
		})
	}
	t.entityConn = conn("Entity", t.entity, "A page of entities, sorted by id.")
	t.relConn = conn("Relation", t.relation, "A page of relations, sorted by id.")
	t.sourceConn = conn("Source", t.source, "A page of sources, sorted by key.")
	s.buildExportControlTypes()

	for _, k := range graph.Kinds {
		k := k
		t.objects[k] = graphql.NewObject(graphql.ObjectConfig{
			Name:        objectNames[k],
			Description: fmt.Sprintf("An entity of kind %s.", k),
			Interfaces:  []*graphql.Interface{t.entity},
			Fields: graphql.FieldsThunk(func() graphql.Fields {
				f := s.entityFields(relationsArgs)
				for name, fd := range s.kindFields(k) {
					f[name] = fd
				}
				return f
			}),
			IsTypeOf: func(p graphql.IsTypeOfParams) bool {
				e, ok := p.Value.(*graph.Entity)
				return ok && e.Kind == k
			},
		})
	}

	t.path = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Path",
		Description: "A walk through the graph: relations[i] joins nodes[i] and nodes[i+1], in either direction when the query followed BOTH.",
		Fields: graphql.Fields{
			"nodes":     {Type: listOf(t.entity), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(graph.Path).Entities, nil }},
			"relations": {Type: listOf(t.relation), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(graph.Path).Relations, nil }},
			"length":    {Type: nn(graphql.Int), Description: "The number of relations.", Resolve: func(p graphql.ResolveParams) (any, error) { return len(p.Source.(graph.Path).Relations), nil }},
		},
	})
	t.subgraph = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Subgraph",
		Description: "A set of entities and the relations among them.",
		Fields: graphql.Fields{
			"nodes":     {Type: listOf(t.entity), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*graph.Subgraph).Entities, nil }},
			"relations": {Type: listOf(t.relation), Description: "Relations among nodes only.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*graph.Subgraph).Relations, nil }},
			"truncated": {Type: nn(graphql.Boolean), Description: "True when limit cut the selection short.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*graph.Subgraph).Truncated, nil }},
		},
	})
	kindCountT := graphql.NewObject(graphql.ObjectConfig{
		Name: "KindCount",
		Fields: graphql.Fields{
			"kind":  {Type: nn(t.kind), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(kindCount).kind, nil }},
			"count": {Type: nn(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(kindCount).count, nil }},
		},
	})
	typeCountT := graphql.NewObject(graphql.ObjectConfig{
		Name: "TypeCount",
		Fields: graphql.Fields{
			"type":  {Type: nn(t.relType), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(typeCount).typ, nil }},
			"count": {Type: nn(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(typeCount).count, nil }},
		},
	})
	t.stats = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Stats",
		Description: "What the store holds.",
		Fields: graphql.Fields{
			"entities":  {Type: nn(graphql.Int), Resolve: statsField(func(st graph.Stats) any { return st.Entities })},
			"relations": {Type: nn(graphql.Int), Resolve: statsField(func(st graph.Stats) any { return st.Relations })},
			"sources":   {Type: nn(graphql.Int), Resolve: statsField(func(st graph.Stats) any { return st.Sources })},
			"byKind": {Type: listOf(kindCountT), Description: "Entities per kind, every kind in a stable order.", Resolve: statsField(func(st graph.Stats) any {
				out := make([]kindCount, 0, len(graph.Kinds))
				for _, k := range graph.Kinds {
					out = append(out, kindCount{k, st.ByKind[k]})
				}
				return out
			})},
			"byType": {Type: listOf(typeCountT), Description: "Relations per type, every type in a stable order.", Resolve: statsField(func(st graph.Stats) any {
				out := make([]typeCount, 0, len(graph.RelationTypes))
				for _, rt := range graph.RelationTypes {
					out = append(out, typeCount{rt, st.ByType[rt]})
				}
				return out
			})},
			"version": {Type: nn(graphql.String), Description: "Changes on every write that changed something (a decimal uint64).", Resolve: statsField(func(st graph.Stats) any { return fmt.Sprint(st.Version) })},
		},
	})

	objs := make([]graphql.Type, 0, len(graph.Kinds))
	for _, k := range graph.Kinds {
		objs = append(objs, t.objects[k])
	}
	cfg := graphql.SchemaConfig{
		Query: s.queryType(),
		Types: objs,
	}
	cfg.Mutation = s.mutationType()
	gs, err := graphql.NewSchema(cfg)
	if err != nil {
		return err
	}
	s.gql = gs
	if s.as, s.sdl, err = validationSchema(gs); err != nil {
		return err
	}
	s.rules = s.validationRules()
	s.intro = newIntrospection(s.as)
	s.leaves = s.leafGetters()
	s.finish()
	for _, k := range graph.Kinds {
		s.kindObjects = append(s.kindObjects, kindObject{k, s.types.objects[k]})
	}
	return nil
}

type kindObject struct {
	kind graph.Kind
	obj  *graphql.Object
}

// finish wraps every resolver of our types with safe, warms graphql-go's
// lazily built lookups so that concurrent requests do not race on them, and
// records which objects implement each interface (graphql-go's
// IsPossibleType writes a cache on every call).
func (s *Schema) finish() {
	for _, o := range s.intro.objects {
		s.wrapResolvers(o)
	}
	for _, fd := range []*graphql.FieldDefinition{s.intro.schemaField, s.intro.typeField} {
		fd.Resolve = s.safe(fd.Resolve)
	}
	s.possible = map[string]map[string]bool{}
	s.implements = map[*graphql.Interface]map[*graphql.Object]bool{}
	for name, typ := range s.gql.TypeMap() {
		if strings.HasPrefix(name, "__") {
			continue
		}
		switch t := typ.(type) {
		case *graphql.Object:
			s.wrapResolvers(t)
		case *graphql.Interface:
			t.Fields()
			s.possible[name] = map[string]bool{}
			s.implements[t] = map[*graphql.Object]bool{}
			for _, o := range s.gql.PossibleTypes(t) {
				s.possible[name][o.Name()] = true
				s.implements[t][o] = true
				s.gql.IsPossibleType(t, o) // fills graphql-go's cache for its executor's copies
			}
		case *graphql.InputObject:
			t.Fields()
		case *graphql.Enum:
			for _, v := range t.Values() {
				t.Serialize(v.Value)
				t.ParseLiteral(&ast.EnumValue{Value: v.Name})
				t.ParseValue(v.Name)
			}
		}
	}
}

// A leaf is a non-null string or enum field read straight off its source.
// The executor writes it without calling a resolver (execution.field): on
// a large subgraph such fields are most of the response, and the resolver
// machinery (parameters, boxing the string, panic guard) cost more than
// the traversal itself. The resolver stays for anything else that asks.
type leaf[T any] func(T) string

func (l leaf[T]) resolve() graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return l(p.Source.(T)), nil }
}

func (l leaf[T]) get(source any) (string, bool) {
	v, ok := source.(T)
	if !ok {
		return "", false
	}
	return l(v), true
}

// Enum leaves return the enum value's name, which is the Go value's text
// for EntityKind and RelationType.
var (
	entityLeaves = map[string]leaf[*graph.Entity]{
		"id":   func(e *graph.Entity) string { return e.ID },
		"name": func(e *graph.Entity) string { return e.Name },
		"kind": func(e *graph.Entity) string { return string(e.Kind) },
	}
	relationLeaves = map[string]leaf[*graph.Relation]{
		"id":     func(r *graph.Relation) string { return r.ID },
		"type":   func(r *graph.Relation) string { return string(r.Type) },
		"fromId": func(r *graph.Relation) string { return r.From },
		"toId":   func(r *graph.Relation) string { return r.To },
	}
)

// leafGetters indexes the leaves by object type and field for the
// executor.
func (s *Schema) leafGetters() map[*graphql.Object]map[string]func(any) (string, bool) {
	m := map[*graphql.Object]map[string]func(any) (string, bool){}
	for _, k := range graph.Kinds {
		m[s.types.objects[k]] = map[string]func(any) (string, bool){}
		for name, l := range entityLeaves {
			m[s.types.objects[k]][name] = l.get
		}
	}
	m[s.types.relation] = map[string]func(any) (string, bool){}
	for name, l := range relationLeaves {
		m[s.types.relation][name] = l.get
	}
	return m
}

// wrapResolvers wraps every resolver of t with safe.
func (s *Schema) wrapResolvers(t *graphql.Object) {
	for _, fd := range t.Fields() {
		r := fd.Resolve
		if r == nil {
			r = graphql.DefaultResolveFn
		}
		fd.Resolve = s.safe(r)
	}
}

type kindCount struct {
	kind  graph.Kind
	count int
}

type typeCount struct {
	typ   graph.RelationType
	count int
}

var relTypeDocs = map[graph.RelationType]string{
	graph.Designs:       "designer -> chip/system/software",
	graph.Fabricates:    "foundry -> chip; property process_node names a PROCESS_NODE entity",
	graph.Supplies:      "supplier -> customer; with category and product",
	graph.UsesComponent: "product -> component",
	graph.CustomerOf:    "customer -> supplier",
	graph.InvestsIn:     "investor -> investee; properties amount, stake",
	graph.SubsidiaryOf:  "child -> parent",
	graph.PartnersWith:  "symmetric in meaning",
	graph.CompetesWith:  "symmetric in meaning",
	graph.Targets:       "sanction/regulation -> entity",
	graph.IssuedBy:      "sanction/regulation -> government body",
	graph.RunsOn:        "model/software -> chip/system",
	graph.LocatedIn:     "entity -> country",
}

func srcField(f func(*graph.Source) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*graph.Source)), nil }
}

func attrField(f func(graph.Attribute) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(graph.Attribute)), nil }
}

func relField(f func(*graph.Relation) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*graph.Relation)), nil }
}

func entField(f func(*graph.Entity) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*graph.Entity)), nil }
}

func pageField(f func(pageInfo) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(pageInfo)), nil }
}

func statsField(f func(graph.Stats) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(graph.Stats)), nil }
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func dateOrNil(d graph.Date) any {
	if d.IsZero() {
		return nil
	}
	return d
}

func statusOrNil(st graph.Status) any {
	if st == "" {
		return nil
	}
	return st
}

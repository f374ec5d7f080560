package schema

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
)

// mutationType builds the writes. Each builds one graph.Batch and calls
// store.Apply, which validates it exactly like the loader and applies it
// atomically; validation problems come back as BAD_USER_INPUT with every
// problem under extensions.errors.
func (s *Schema) mutationType() *graphql.Object {
	t := s.types
	attrInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "AttributeInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":    {Type: nn(graphql.String), Description: "lowercase snake_case"},
			"type":    {Type: nn(t.attrType)},
			"value":   {Type: nn(graphql.String), Description: "Canonical text of the value."},
			"unit":    {Type: graphql.String},
			"asOf":    {Type: t.date},
			"status":  {Type: t.status},
			"note":    {Type: graphql.String},
			"sources": {Type: listOf(graphql.String), Description: "Keys of cited sources; at least one."},
		},
	})
	extInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "ExternalIdInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"scheme": {Type: nn(graphql.String)},
			"value":  {Type: nn(graphql.String)},
		},
	})
	entityInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "EntityInput",
		Description: "A whole entity: an upsert replaces the stored record with the same id.",
		Fields: graphql.InputObjectConfigFieldMap{
			"id":          {Type: nn(graphql.ID), Description: "lowercase letters, digits and single hyphens"},
			"kind":        {Type: nn(t.kind)},
			"name":        {Type: nn(graphql.String)},
			"aliases":     {Type: graphql.NewList(nn(graphql.String))},
			"country":     {Type: graphql.String},
			"description": {Type: graphql.String},
			"attributes":  {Type: graphql.NewList(nn(attrInput))},
			"externalIds": {Type: graphql.NewList(nn(extInput))},
			"sources":     {Type: listOf(graphql.String)},
		},
	})
	relationInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "RelationInput",
		Description: "A whole relation: an upsert replaces the stored record with the same id.",
		Fields: graphql.InputObjectConfigFieldMap{
			"id":            {Type: graphql.ID, Description: "Defaults to from--type--to, e.g. sk-hynix--supplies--huawei."},
			"type":          {Type: nn(t.relType)},
			"from":          {Type: nn(graphql.ID)},
			"to":            {Type: nn(graphql.ID)},
			"category":      {Type: graphql.String, Description: "Required on SUPPLIES, forbidden elsewhere."},
			"product":       {Type: graphql.String},
			"properties":    {Type: graphql.NewList(nn(attrInput))},
			"validFrom":     {Type: t.date},
			"validTo":       {Type: t.date, Description: "Required when status is ended."},
			"firstReported": {Type: graphql.Boolean, Description: "True when validFrom is only the date of the first report, not a known start; needs validFrom."},
			"status":        {Type: nn(t.status)},
			"note":          {Type: graphql.String},
			"sources":       {Type: listOf(graphql.String)},
		},
	})
	sourceInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "SourceInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"key":       {Type: nn(graphql.ID)},
			"title":     {Type: nn(graphql.String)},
			"url":       {Type: nn(graphql.String)},
			"publisher": {Type: nn(graphql.String)},
			"published": {Type: t.date, Description: "As the document shows it; omit, with undated: true, when it shows none."},
			"undated":   {Type: graphql.Boolean, Description: "The document shows no date (cited n.d. with retrieved)."},
			"retrieved": {Type: t.date},
			"quote":     {Type: graphql.String},
		},
	})
	deleteResult := graphql.NewObject(graphql.ObjectConfig{
		Name: "DeleteResult",
		Fields: graphql.Fields{
			"id":      {Type: nn(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(deleted).id, nil }},
			"deleted": {Type: nn(graphql.Int), Description: "Records deleted, counting relations a cascade removed.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(deleted).n, nil }},
		},
	})

	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Mutation",
		Description: "Writes. They need an authorised request (Authorization: Bearer <token>); otherwise UNAUTHENTICATED.",
		Fields: graphql.Fields{
			"upsertEntity": {
				Type: nn(t.entity), Args: graphql.FieldConfigArgument{"input": {Type: nn(entityInput)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					in, _ := p.Args["input"].(map[string]any)
					e := entityFromInput(in)
					if err := s.apply(p.Context, graph.Batch{Entities: []graph.Entity{e}}); err != nil {
						return nil, err
					}
					return s.store.Entity(p.Context, e.ID)
				},
			},
			"upsertRelation": {
				Type: nn(t.relation), Args: graphql.FieldConfigArgument{"input": {Type: nn(relationInput)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					in, _ := p.Args["input"].(map[string]any)
					r := relationFromInput(in)
					if err := s.apply(p.Context, graph.Batch{Relations: []graph.Relation{r}}); err != nil {
						return nil, err
					}
					return s.store.Relation(p.Context, r.ID)
				},
			},
			"upsertSource": {
				Type: nn(t.source), Args: graphql.FieldConfigArgument{"input": {Type: nn(sourceInput)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					in, _ := p.Args["input"].(map[string]any)
					src := graph.Source{
						Key: str(in, "key"), Title: str(in, "title"), URL: str(in, "url"),
						Publisher: str(in, "publisher"), Published: date(in, "published"),
						Undated: in["undated"] == true, Retrieved: date(in, "retrieved"), Quote: str(in, "quote"),
					}
					if err := s.apply(p.Context, graph.Batch{Sources: []graph.Source{src}}); err != nil {
						return nil, err
					}
					return s.store.Source(p.Context, src.Key)
				},
			},
			"deleteEntity": {
				Type:        nn(deleteResult),
				Description: "Deletes an entity. Without cascade an entity that still has relations is a CONFLICT; with it those relations go too.",
				Args: graphql.FieldConfigArgument{
					"id":      {Type: nn(graphql.ID)},
					"cascade": {Type: graphql.Boolean, DefaultValue: false},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					id := argString(p, "id")
					return s.del(p.Context, id, graph.Batch{DeleteEntities: []string{id}, Cascade: argBool(p, "cascade")})
				},
			},
			"deleteRelation": {
				Type: nn(deleteResult), Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					id := argString(p, "id")
					return s.del(p.Context, id, graph.Batch{DeleteRelations: []string{id}})
				},
			},
			"deleteSource": {
				Type: nn(deleteResult), Description: "Deletes a source; one still cited is a CONFLICT.",
				Args: graphql.FieldConfigArgument{"key": {Type: nn(graphql.ID)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					key := argString(p, "key")
					return s.del(p.Context, key, graph.Batch{DeleteSources: []string{key}})
				},
			},
		},
	})
}

type deleted struct {
	id string
	n  int
}

// writeRefusal is why a request may not write, or nil: one answer for
// Execute's check and the resolvers' second line of defence. A request
// without a valid token is UNAUTHENTICATED; any request to a read-only
// server is FORBIDDEN.
func (s *Schema) writeRefusal(authorized bool) *apiError {
	switch {
	case !authorized:
		return &apiError{code: CodeUnauthenticated, msg: "mutations need an authorised request: send Authorization: Bearer <token>"}
	case !s.cfg.AllowWrites:
		return &apiError{code: CodeForbidden, msg: "this server is read-only"}
	}
	return nil
}

// apply runs a batch after re-checking, as a second line of defence, that
// the request may write.
func (s *Schema) apply(ctx context.Context, b graph.Batch) error {
	if e := s.writeRefusal(info(ctx).authorized); e != nil {
		return e
	}
	_, err := s.store.Apply(ctx, b)
	return err
}

func (s *Schema) del(ctx context.Context, id string, b graph.Batch) (any, error) {
	if e := s.writeRefusal(info(ctx).authorized); e != nil {
		return nil, e
	}
	res, err := s.store.Apply(ctx, b)
	if err != nil {
		return nil, err
	}
	return deleted{id: id, n: res.Deleted}, nil
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func date(m map[string]any, k string) graph.Date {
	d, _ := m[k].(graph.Date)
	return d
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func status(m map[string]any, k string) graph.Status {
	st, _ := m[k].(graph.Status)
	return st
}

func attrsFromInput(v any) []graph.Attribute {
	list, _ := v.([]any)
	var out []graph.Attribute
	for _, x := range list {
		m, _ := x.(map[string]any)
		at, _ := m["type"].(graph.AttrType)
		out = append(out, graph.Attribute{
			Name: str(m, "name"), Type: at, Value: str(m, "value"), Unit: str(m, "unit"),
			AsOf: date(m, "asOf"), Status: status(m, "status"), Note: str(m, "note"),
			Sources: toStrings(m["sources"]),
		})
	}
	return out
}

func entityFromInput(in map[string]any) graph.Entity {
	kind, _ := in["kind"].(graph.Kind)
	e := graph.Entity{
		ID: str(in, "id"), Kind: kind, Name: str(in, "name"),
		Country: str(in, "country"), Description: str(in, "description"),
		Attributes: attrsFromInput(in["attributes"]),
		Sources:    toStrings(in["sources"]),
	}
	if a := toStrings(in["aliases"]); len(a) > 0 {
		e.Aliases = a
	}
	list, _ := in["externalIds"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		e.ExternalIDs = append(e.ExternalIDs, graph.ExternalID{Scheme: str(m, "scheme"), Value: str(m, "value")})
	}
	return e
}

func relationFromInput(in map[string]any) graph.Relation {
	typ, _ := in["type"].(graph.RelationType)
	r := graph.Relation{
		ID: str(in, "id"), Type: typ, From: str(in, "from"), To: str(in, "to"),
		Category: str(in, "category"), Product: str(in, "product"),
		Properties: attrsFromInput(in["properties"]),
		ValidFrom:  date(in, "validFrom"), ValidTo: date(in, "validTo"),
		FirstReported: boolean(in, "firstReported"),
		Status:        status(in, "status"), Note: str(in, "note"),
		Sources: toStrings(in["sources"]),
	}
	if r.ID == "" {
		r.ID = graph.DefaultRelationID(r.From, r.Type, r.To)
	}
	return r
}

package schema

import (
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
)

func (s *Schema) queryType() *graphql.Object {
	t := s.types
	q := graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"entity": {
				Type:        t.entity,
				Description: "One entity by id, or by name (or alias, ignoring case, width, punctuation and spacing). Give exactly one. Null when none matches; an ambiguous name is an error listing the candidates.",
				Args: graphql.FieldConfigArgument{
					"id":   {Type: graphql.ID},
					"name": {Type: graphql.String},
				},
				Resolve: s.resolveEntity,
			},
			"search": {
				Type:        listOf(t.entity),
				Description: "Full-text search over names, aliases, descriptions, attribute notes, supply roles and source titles, ranked by BM25: several words, typos and Chinese (CJK bigrams) are handled; an entity whose id, name or alias is the whole text comes first. text is at most 256 bytes and 16 words.",
				Args: graphql.FieldConfigArgument{
					"text":  {Type: nn(graphql.String)},
					"kinds": {Type: graphql.NewList(nn(t.kind))},
					"first": {Type: graphql.Int, DefaultValue: 10},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					first, err := bounded(p, "first", 10, 1, s.cfg.MaxPageSize)
					if err != nil {
						return nil, err
					}
					text := strings.TrimSpace(argString(p, "text"))
					if text == "" {
						return nil, userError("text must not be empty")
					}
					ms, err := s.store.Search(p.Context, text, argKinds(p, "kinds"), first)
					if err != nil {
						return nil, err
					}
					out := make([]*graph.Entity, 0, len(ms))
					for _, m := range ms {
						out = append(out, m.Entity)
					}
					return out, nil
				},
			},
			"entities": {
				Type:        nn(t.entityConn),
				Description: "Entities sorted by id, optionally of one kind and country.",
				Args: graphql.FieldConfigArgument{
					"kind":    {Type: t.kind},
					"country": {Type: graphql.String, Description: "ISO 3166-1 alpha-2 code, e.g. CN."},
					"first":   {Type: graphql.Int, DefaultValue: 50},
					"after":   {Type: graphql.String},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					first, err := bounded(p, "first", 50, 0, s.cfg.MaxPageSize)
					if err != nil {
						return nil, err
					}
					f := graph.EntityFilter{Kinds: argKinds(p, "kind")}
					if c := argString(p, "country"); c != "" {
						f.Countries = []string{strings.ToUpper(c)}
					}
					list, err := s.store.Entities(p.Context, f)
					if err != nil {
						return nil, err
					}
					return paginate(list, entityID, first, argString(p, "after"))
				},
			},
			"chips": s.chipsField(),
			"relations": {
				Type:        nn(t.relConn),
				Description: "Relations sorted by id, filtered by type, endpoints, SUPPLIES category and date.",
				Args: graphql.FieldConfigArgument{
					"types":    {Type: graphql.NewList(nn(t.relType))},
					"from":     {Type: graphql.ID},
					"to":       {Type: graphql.ID},
					"category": {Type: graphql.String},
					"asOf":     {Type: t.date, Description: asOfDescription},
					"first":    {Type: graphql.Int, DefaultValue: 50},
					"after":    {Type: graphql.String},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					first, err := bounded(p, "first", 50, 0, s.cfg.MaxPageSize)
					if err != nil {
						return nil, err
					}
					list, err := s.store.Relations(p.Context, graph.RelationFilter{
						Types:    argTypes(p, "types"),
						From:     argString(p, "from"),
						To:       argString(p, "to"),
						Category: argString(p, "category"),
						AsOf:     argDate(p, "asOf"),
					})
					if err != nil {
						return nil, err
					}
					return paginate(list, relationID, first, argString(p, "after"))
				},
			},
			"paths": {
				Type:        listOf(t.path),
				Description: "Up to first shortest simple paths from -> to of at most maxHops relations, shortest first.",
				Args: graphql.FieldConfigArgument{
					"from":      {Type: nn(graphql.ID)},
					"to":        {Type: nn(graphql.ID)},
					"maxHops":   {Type: graphql.Int, DefaultValue: 4},
					"types":     {Type: graphql.NewList(nn(t.relType))},
					"direction": {Type: t.direction, DefaultValue: graph.Both},
					"asOf":      {Type: t.date, Description: asOfDescription},
					"first":     {Type: graphql.Int, DefaultValue: 5},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					hops, err := bounded(p, "maxHops", 4, 1, s.cfg.MaxHops)
					if err != nil {
						return nil, err
					}
					k, err := bounded(p, "first", 5, 1, min(100, s.cfg.MaxPageSize))
					if err != nil {
						return nil, err
					}
					paths, err := s.store.Paths(p.Context, graph.PathQuery{
						From: argString(p, "from"), To: argString(p, "to"),
						MaxHops: hops, K: k,
						Types: argTypes(p, "types"), Direction: argDirection(p), AsOf: argDate(p, "asOf"),
					})
					return nonNil(paths), err
				},
			},
			"neighborhood": {
				Type:        nn(t.subgraph),
				Description: "The entities within hops relations of ids, and the relations among them. Nodes come in the order reached: the seeds, then hop by hop along relations in id order; relations in the order found. Deterministic, not sorted.",
				Args: graphql.FieldConfigArgument{
					"ids":       {Type: listOf(graphql.ID)},
					"hops":      {Type: graphql.Int, DefaultValue: 1},
					"types":     {Type: graphql.NewList(nn(t.relType))},
					"kinds":     {Type: graphql.NewList(nn(t.kind)), Description: "Keep only entities of these kinds (the seeds are always kept)."},
					"direction": {Type: t.direction, DefaultValue: graph.Both},
					"asOf":      {Type: t.date, Description: asOfDescription},
					"limit":     {Type: graphql.Int, DefaultValue: 500, Description: "At most this many entities; truncated tells when reached."},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					ids := argStrings(p, "ids")
					if len(ids) == 0 {
						return nil, userError("ids must not be empty")
					}
					return s.subgraph(p, ids, nil)
				},
			},
			"subgraph": {
				Type:        nn(t.subgraph),
				Description: "Like neighborhood, but seeds are optional (none selects the whole graph under the filters) and countries filter too.",
				Args: graphql.FieldConfigArgument{
					"seeds":     {Type: graphql.NewList(nn(graphql.ID))},
					"hops":      {Type: graphql.Int, DefaultValue: 1},
					"types":     {Type: graphql.NewList(nn(t.relType))},
					"kinds":     {Type: graphql.NewList(nn(t.kind))},
					"countries": {Type: graphql.NewList(nn(graphql.String))},
					"direction": {Type: t.direction, DefaultValue: graph.Both},
					"asOf":      {Type: t.date, Description: asOfDescription},
					"limit":     {Type: graphql.Int, DefaultValue: 500},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					countries := argStrings(p, "countries")
					for i, c := range countries {
						countries[i] = strings.ToUpper(c)
					}
					return s.subgraph(p, argStrings(p, "seeds"), countries)
				},
			},
			"stats": {
				Type:        nn(t.stats),
				Description: "What the store holds.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return s.store.Stats(p.Context)
				},
			},
			"sources": {
				Type:        nn(t.sourceConn),
				Description: "Sources sorted by key.",
				Args: graphql.FieldConfigArgument{
					"first": {Type: graphql.Int, DefaultValue: 50},
					"after": {Type: graphql.String},
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					first, err := bounded(p, "first", 50, 0, s.cfg.MaxPageSize)
					if err != nil {
						return nil, err
					}
					list, err := s.store.Sources(p.Context)
					if err != nil {
						return nil, err
					}
					return paginate(list, sourceKey, first, argString(p, "after"))
				},
			},
			"source": {
				Type:        t.source,
				Description: "One source by key; null when there is none.",
				Args:        graphql.FieldConfigArgument{"key": {Type: nn(graphql.ID)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					src, err := s.store.Source(p.Context, argString(p, "key"))
					if err != nil {
						if graph.ErrorCode(err) == graph.CodeNotFound {
							return nil, nil
						}
						return nil, err
					}
					return src, nil
				},
			},
		},
	})
	for name, f := range s.analysisFields() { // analysis.go
		q.AddFieldConfig(name, f)
	}
	return q
}

func (s *Schema) resolveEntity(p graphql.ResolveParams) (any, error) {
	id, name := argString(p, "id"), argString(p, "name")
	switch {
	case id != "" && name != "":
		return nil, userError("give id or name, not both")
	case id != "":
		return s.entityOrNil(p.Context, id)
	case strings.TrimSpace(name) == "":
		return nil, userError("give id or name")
	}
	list, err := s.store.Resolve(p.Context, name)
	if err != nil {
		return nil, err
	}
	switch len(list) {
	case 0:
		return nil, nil
	case 1:
		return list[0], nil
	}
	ids := make([]any, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	return nil, &apiError{
		code: CodeBadUserInput,
		msg:  "name " + quote(name) + " is ambiguous: it matches " + joinAny(ids) + "; ask by id",
		ext:  map[string]any{"candidates": ids},
	}
}

func (s *Schema) subgraph(p graphql.ResolveParams, seeds, countries []string) (any, error) {
	hops, err := bounded(p, "hops", 1, 0, s.cfg.MaxHops)
	if err != nil {
		return nil, err
	}
	limit, err := bounded(p, "limit", 500, 1, s.cfg.MaxNeighborhood)
	if err != nil {
		return nil, err
	}
	return s.store.Subgraph(p.Context, graph.Selection{
		Seeds:     seeds,
		Hops:      hops,
		Types:     argTypes(p, "types"),
		Kinds:     argKinds(p, "kinds"),
		Countries: countries,
		Direction: argDirection(p),
		AsOf:      argDate(p, "asOf"),
		Limit:     limit,
		// Most clients that ask only for nodes draw them or list them:
		// finding the relations among them is most of the walk's cost.
		NoRelations: !selects(p, "relations"),
	})
}

func quote(s string) string { return `"` + truncate(s, 100) + `"` }

func joinAny(list []any) string {
	var b strings.Builder
	for i, x := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.(string))
	}
	return b.String()
}

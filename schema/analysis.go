package schema

import (
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// The analyst's fields: exposure, chokepoints, timeline and diff, answered
// by graph/analysis. Each bounds its work by its arguments (hops at most
// Config.MaxHops, first at most Config.MaxPageSize, neighbourhoods at most
// Config.MaxNeighborhood) and stops when the request's context is done.

// analysisCosts are the lists of these types that their parent field's
// first already sizes (see limits.go): diff's first bounds each of its
// lists.
var analysisCosts = []string{"GraphDiff.added", "GraphDiff.ended", "GraphDiff.changedAttributes"}

func init() {
	for _, f := range analysisCosts {
		presized[f] = true
	}
}

// analysisFields returns the Query fields of the analyses, with their types.
func (s *Schema) analysisFields() graphql.Fields {
	t := s.types
	a := analysis.New(s.store)

	kinds := graphql.EnumValueConfigMap{}
	for _, k := range analysis.EventKinds {
		kinds[string(k)] = &graphql.EnumValueConfig{Value: k, Description: eventKindDocs[k]}
	}
	eventKind := graphql.NewEnum(graphql.EnumConfig{Name: "EventKind", Description: "What a timeline event is.", Values: kinds})
	t.enums = append(t.enums, eventKind)

	exposureT := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Exposure",
		Description: "A sanction or regulation reaching an entity through its supply chain.",
		Fields: graphql.Fields{
			"sanction": {Type: nn(t.entity), Description: "The SANCTION or REGULATION.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Exposure).Sanction, nil }},
			"hops":     {Type: nn(graphql.Int), Description: "Relations on the path, the sanction's TARGETS included.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Exposure).Hops, nil }},
			"path":     {Type: nn(t.path), Description: "From the entity to the sanction: the shortest, then the best established.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Exposure).Path, nil }},
			"status":   {Type: nn(t.status), Description: "The weakest status on the path: DISPUTED if any link is disputed, then ENDED, REPORTED, CONFIRMED.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Exposure).Status, nil }},
		},
	})
	chokepointT := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Chokepoint",
		Description: "An entity whose removal cuts off some of China's AI chips and systems (a knock-out cascade over the supply subgraph; see the README).",
		Fields: graphql.Fields{
			"entity":         {Type: nn(t.entity), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Chokepoint).Entity, nil }},
			"score":          {Type: nn(graphql.Float), Description: "The share of China's AI chips and systems cut off, 0 to 1.", Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(analysis.Chokepoint).Score, nil }},
			"dependentCount": {Type: nn(graphql.Int), Description: "How many chips and systems are cut off.", Resolve: func(p graphql.ResolveParams) (any, error) { return len(p.Source.(analysis.Chokepoint).Dependents), nil }},
			"dependents": {
				Type:        listOf(t.entity),
				Description: "The chips and systems cut off, by id.",
				Args:        graphql.FieldConfigArgument{"first": {Type: graphql.Int, DefaultValue: 20}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					first, err := bounded(p, "first", 20, 0, s.cfg.MaxPageSize)
					if err != nil {
						return nil, err
					}
					deps := p.Source.(analysis.Chokepoint).Dependents
					return deps[:min(first, len(deps))], nil
				},
			},
		},
	})
	eventT := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Event",
		Description: "A dated event about an entity.",
		Fields: graphql.Fields{
			"date":        {Type: nn(t.date), Description: "As precise as its source.", Resolve: evField(func(e *analysis.Event) any { return e.Date })},
			"kind":        {Type: nn(eventKind), Resolve: evField(func(e *analysis.Event) any { return e.Kind })},
			"description": {Type: nn(graphql.String), Resolve: evField(func(e *analysis.Event) any { return e.Description })},
			"relation":    {Type: t.relation, Description: "The relation that started or ended, or the sanction's TARGETS.", Resolve: evField(func(e *analysis.Event) any { return nilIfNil(e.Relation) })},
			"entity":      {Type: t.entity, Description: "The entity at the relation's other end, or the sanction.", Resolve: evField(func(e *analysis.Event) any { return nilIfNil(e.Entity) })},
			"attribute":   {Type: t.attribute, Description: "The dated attribute.", Resolve: evField(func(e *analysis.Event) any { return attrOrNil(e.Attribute) })},
			"sources":     {Type: listOf(t.source), Resolve: evField(func(e *analysis.Event) any { return nonNil(e.Sources) })},
		},
	})
	changeT := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AttributeChange",
		Description: "An attribute whose dated value changed between two dates.",
		Fields: graphql.Fields{
			"entity": {Type: nn(t.entity), Resolve: chField(func(c analysis.AttributeChange) any { return c.Entity })},
			"name":   {Type: nn(graphql.String), Resolve: chField(func(c analysis.AttributeChange) any { return c.Name })},
			"before": {Type: t.attribute, Description: "The value as of from; null when there was none.", Resolve: chField(func(c analysis.AttributeChange) any { return attrOrNil(c.Before) })},
			"after":  {Type: nn(t.attribute), Description: "The value as of to.", Resolve: chField(func(c analysis.AttributeChange) any { return *c.After })},
		},
	})
	diffT := graphql.NewObject(graphql.ObjectConfig{
		Name: "GraphDiff",
		Description: "What changed between two dates. added: relations that had not started on from and had by to; " +
			"ended: relations that held on from and had ended before to (a relation may be in both); dates compare at their own precision, as asOf does.",
		Fields: graphql.Fields{
			"added":             {Type: listOf(t.relation), Description: "By validFrom, then id; at most first.", Resolve: diffField(func(d *analysis.Diff) any { return nonNil(d.Added) })},
			"ended":             {Type: listOf(t.relation), Description: "By validTo, then id; at most first.", Resolve: diffField(func(d *analysis.Diff) any { return nonNil(d.Ended) })},
			"changedAttributes": {Type: listOf(changeT), Description: "By entity id, then name; at most first.", Resolve: diffField(func(d *analysis.Diff) any { return nonNil(d.Changed) })},
			"addedCount":        {Type: nn(graphql.Int), Resolve: diffField(func(d *analysis.Diff) any { return d.AddedCount })},
			"endedCount":        {Type: nn(graphql.Int), Resolve: diffField(func(d *analysis.Diff) any { return d.EndedCount })},
			"changedCount":      {Type: nn(graphql.Int), Resolve: diffField(func(d *analysis.Diff) any { return d.ChangedCount })},
			"truncated":         {Type: nn(graphql.Boolean), Description: "True when the neighbourhood of ids reached the server's node limit.", Resolve: diffField(func(d *analysis.Diff) any { return d.Truncated })},
		},
	})

	return graphql.Fields{
		"exposure": {
			Type: listOf(exposureT),
			Description: "Every SANCTION or REGULATION that reaches the entity through its supply chain (designer, foundry, components, " +
				"suppliers, parent, what it buys or runs on), nearest first, each by its shortest and then best-established path.",
			Args: graphql.FieldConfigArgument{
				"id":      {Type: nn(graphql.ID)},
				"asOf":    {Type: t.date, Description: "Only relations valid on that date."},
				"maxHops": {Type: graphql.Int, DefaultValue: 4, Description: "Relations on a path, the sanction's TARGETS included."},
				"types":   {Type: graphql.NewList(nn(t.relType)), Description: "Supply-chain types to follow (default: DESIGNS, FABRICATES, SUPPLIES, USES_COMPONENT, SUBSIDIARY_OF, CUSTOMER_OF, RUNS_ON)."},
				"first":   {Type: graphql.Int, DefaultValue: 50},
			},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				hops, err := bounded(p, "maxHops", 4, 1, s.cfg.MaxHops)
				if err != nil {
					return nil, err
				}
				first, err := bounded(p, "first", 50, 1, s.cfg.MaxPageSize)
				if err != nil {
					return nil, err
				}
				list, err := a.Exposure(p.Context, analysis.ExposureQuery{ID: argString(p, "id"), AsOf: argDate(p, "asOf"), MaxHops: hops, Types: argTypes(p, "types")})
				if err != nil {
					return nil, err
				}
				return nonNil(list[:min(first, len(list))]), nil
			},
		},
		"chokepoints": {
			Type: listOf(chokepointT),
			Description: "The entities whose removal cuts off the most of China's AI chips and systems (a knock-out cascade over the " +
				"supply subgraph), most first. Computed once per store version and arguments, then served from a cache.",
			Args: graphql.FieldConfigArgument{
				"category": {Type: graphql.String, Description: "Follow only SUPPLIES of this category (memory, foundry, equipment, eda, ip, packaging, materials, software)."},
				"types":    {Type: graphql.NewList(nn(t.relType)), Description: "Relation types of the supply subgraph (default: DESIGNS, FABRICATES, SUPPLIES, USES_COMPONENT; also CUSTOMER_OF, RUNS_ON)."},
				"kinds":    {Type: graphql.NewList(nn(t.kind)), Description: "Only chokepoints of these kinds."},
				"asOf":     {Type: t.date, Description: "Only relations valid on that date."},
				"first":    {Type: graphql.Int, DefaultValue: 10},
			},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				first, err := bounded(p, "first", 10, 1, s.cfg.MaxPageSize)
				if err != nil {
					return nil, err
				}
				res, err := a.Chokepoints(p.Context, analysis.ChokepointQuery{
					Category: strings.ToLower(strings.TrimSpace(argString(p, "category"))),
					Types:    argTypes(p, "types"), Kinds: argKinds(p, "kinds"), AsOf: argDate(p, "asOf"), First: first,
				})
				if err != nil {
					return nil, err
				}
				return nonNil(res.Chokepoints), nil
			},
		},
		"timeline": {
			Type:        listOf(eventT),
			Description: "The dated events about an entity in date order: relations starting and ending, sanctions taking effect, dated attributes, sources published.",
			Args: graphql.FieldConfigArgument{
				"id":    {Type: nn(graphql.ID)},
				"from":  {Type: t.date, Description: "Only events on or after this date."},
				"to":    {Type: t.date, Description: "Only events on or before this date."},
				"first": {Type: graphql.Int, DefaultValue: 100},
			},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				first, err := bounded(p, "first", 100, 1, s.cfg.MaxPageSize)
				if err != nil {
					return nil, err
				}
				events, _, err := a.Timeline(p.Context, analysis.TimelineQuery{ID: argString(p, "id"), From: argDate(p, "from"), To: argDate(p, "to"), First: first})
				if err != nil {
					return nil, err
				}
				out := make([]*analysis.Event, len(events))
				for i := range events {
					out[i] = &events[i]
				}
				return out, nil
			},
		},
		"diff": {
			Type:        nn(diffT),
			Description: "The relations added and ended between two dates, and the attributes whose dated value changed: over the whole graph, or around ids.",
			Args: graphql.FieldConfigArgument{
				"from":  {Type: nn(t.date)},
				"to":    {Type: nn(t.date)},
				"types": {Type: graphql.NewList(nn(t.relType)), Description: "Only relations of these types (also the ones the neighbourhood of ids follows)."},
				"ids":   {Type: graphql.NewList(nn(graphql.ID)), Description: "Only the neighbourhood of these entities (at most the server's node limit)."},
				"hops":  {Type: graphql.Int, DefaultValue: 1, Description: "Depth of the neighbourhood of ids."},
				"first": {Type: graphql.Int, DefaultValue: 100, Description: "At most this many of each list."},
			},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				hops, err := bounded(p, "hops", 1, 0, s.cfg.MaxHops)
				if err != nil {
					return nil, err
				}
				first, err := bounded(p, "first", 100, 1, s.cfg.MaxPageSize)
				if err != nil {
					return nil, err
				}
				return a.Diff(p.Context, analysis.DiffQuery{
					From: argDate(p, "from"), To: argDate(p, "to"), Types: argTypes(p, "types"),
					IDs: argStrings(p, "ids"), Hops: hops, Limit: s.cfg.MaxNeighborhood, First: first,
				})
			},
		},
	}
}

var eventKindDocs = map[analysis.EventKind]string{
	analysis.RelationStarted: "A relation's validFrom.",
	analysis.RelationEnded:   "A relation's validTo.",
	analysis.Sanctioned:      "A sanction or regulation targeting the entity took effect (its date attribute).",
	analysis.AttributeDated:  "A dated attribute: a figure as of its date, or a date-valued fact.",
	analysis.SourcePublished: "A source the entity cites was published.",
}

func evField(f func(*analysis.Event) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*analysis.Event)), nil }
}

func chField(f func(analysis.AttributeChange) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(analysis.AttributeChange)), nil }
}

func diffField(f func(*analysis.Diff) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*analysis.Diff)), nil }
}

// nilIfNil turns a typed nil pointer into an untyped nil, which graphql-go
// writes as null.
func nilIfNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

func attrOrNil(a *graph.Attribute) any {
	if a == nil {
		return nil
	}
	return *a
}

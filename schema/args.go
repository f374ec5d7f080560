package schema

import (
	"encoding/base64"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/chipgraph/chipgraph/graph"
)

// dateScalar is the Date scalar: YYYY, YYYY-MM or YYYY-MM-DD (graph.ParseDate).
func dateScalar() *graphql.Scalar {
	parse := func(s string) any {
		d, err := graph.ParseDate(s)
		if err != nil || d.IsZero() {
			return nil
		}
		return d
	}
	return graphql.NewScalar(graphql.ScalarConfig{
		Name: "Date",
		Description: "A calendar date as precise as its source: YYYY, YYYY-MM or YYYY-MM-DD. " +
			"Anything else is rejected. On input a bare 4-digit year (2024) is accepted too.",
		Serialize: func(v any) any {
			switch d := v.(type) {
			case graph.Date:
				if d.IsZero() {
					return nil
				}
				return d.String()
			case *graph.Date:
				if d == nil || d.IsZero() {
					return nil
				}
				return d.String()
			case string:
				if d == "" {
					return nil
				}
				return d
			}
			return nil
		},
		ParseValue: func(v any) any {
			switch x := v.(type) {
			case string:
				return parse(x)
			case float64:
				if x == math.Trunc(x) && x >= 1000 && x <= 9999 {
					return graph.Date{Year: int(x)}
				}
			case int:
				if x >= 1000 && x <= 9999 {
					return graph.Date{Year: x}
				}
			}
			return nil
		},
		ParseLiteral: func(v ast.Value) any {
			switch x := v.(type) {
			case *ast.StringValue:
				return parse(x.Value)
			case *ast.IntValue:
				if len(x.Value) == 4 {
					return parse(x.Value)
				}
			}
			return nil
		},
	})
}

// Argument helpers. graphql-go hands arguments over as any: lists as []any,
// enums as their Go value, Date as graph.Date.

func argString(p graphql.ResolveParams, name string) string {
	s, _ := p.Args[name].(string)
	return s
}

func argBool(p graphql.ResolveParams, name string) bool {
	b, _ := p.Args[name].(bool)
	return b
}

func argInt(p graphql.ResolveParams, name string, def int) (int, bool) {
	v, ok := p.Args[name]
	if !ok || v == nil {
		return def, false
	}
	n, ok := v.(int)
	if !ok {
		return def, false
	}
	return n, true
}

func argDate(p graphql.ResolveParams, name string) graph.Date {
	d, _ := p.Args[name].(graph.Date)
	return d
}

func argStrings(p graphql.ResolveParams, name string) []string {
	return toStrings(p.Args[name])
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func argKinds(p graphql.ResolveParams, name string) []graph.Kind {
	var out []graph.Kind
	switch v := p.Args[name].(type) {
	case graph.Kind:
		out = append(out, v)
	case []any:
		for _, x := range v {
			if k, ok := x.(graph.Kind); ok {
				out = append(out, k)
			}
		}
	}
	return out
}

func argTypes(p graphql.ResolveParams, name string) []graph.RelationType {
	var out []graph.RelationType
	if list, ok := p.Args[name].([]any); ok {
		for _, x := range list {
			if t, ok := x.(graph.RelationType); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

func argDirection(p graphql.ResolveParams) graph.Direction {
	if d, ok := p.Args["direction"].(graph.Direction); ok {
		return d
	}
	return graph.Both
}

// bounded reads an Int argument that must lie in [lo, hi].
func bounded(p graphql.ResolveParams, name string, def, lo, hi int) (int, error) {
	n, _ := argInt(p, name, def)
	if n < lo || n > hi {
		return 0, userError("%s must be between %d and %d, not %d", name, lo, hi, n)
	}
	return n, nil
}

// Cursors are opaque to clients: base64 of the record's id.

func encodeCursor(id string) string { return base64.StdEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || !graph.ValidRelationID(string(b)) {
		return "", userError("malformed cursor %q: pass an endCursor from a previous page", truncate(c, 60))
	}
	return string(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type edge struct {
	cursor string
	node   any
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

type connection struct {
	edges []edge
	info  pageInfo
	total int
}

// paginate returns the page of items (sorted by id) after the cursor.
func paginate[T any](items []T, id func(T) string, first int, after string) (*connection, error) {
	if !slices.IsSortedFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) }) {
		items = slices.Clone(items)
		slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	}
	start := 0
	if after != "" {
		key, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		start = sort.Search(len(items), func(i int) bool { return strings.Compare(id(items[i]), key) > 0 })
	}
	end := min(start+first, len(items))
	c := &connection{total: len(items)}
	for _, it := range items[start:end] {
		c.edges = append(c.edges, edge{cursor: encodeCursor(id(it)), node: it})
	}
	c.info.hasPrev = start > 0
	c.info.hasNext = end < len(items)
	if len(c.edges) > 0 {
		c.info.start = c.edges[0].cursor
		c.info.end = c.edges[len(c.edges)-1].cursor
	}
	return c, nil
}

func entityID(e *graph.Entity) string     { return e.ID }
func relationID(r *graph.Relation) string { return r.ID }
func sourceKey(s *graph.Source) string    { return s.Key }

// asOfDescription documents every asOf argument: the rule is
// graph.Relation.ValidAt.
const asOfDescription = "Only relations that held on this date (YYYY, YYYY-MM or YYYY-MM-DD): " +
	"validFrom, taken at its precision, is not after it and validTo is not before it. " +
	"A relation with no validFrom holds on no given date. A firstReported validFrom is the " +
	"date of the first report, so the relation counts from then."

package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// Complexity estimates how many objects an operation may produce. It is
// checked per request, after validation (it needs the fields' types) and
// before execution (it needs the variables). Scalar fields cost 0. A field
// returning objects costs
//   - 1 + n × (its selection's cost) when it has a first or limit argument
//     whose value (the literal, the variable's value, or the default) is n:
//     connections, search, paths, neighborhood, subgraph;
//   - 1 + its selection's cost for a single object, and for the lists such
//     a page holds (connection edges and nodes, subgraph nodes and
//     relations), which its n already counts;
//   - defaultListSize × (1 + its selection's cost) for any other list of
//     objects (sources, attributes, suppliers, ...).
//
// Introspection fields count too. Their lists have exact sizes that a
// static estimate would multiply far beyond what they hold (every type ×
// every field × every argument), so they are counted exactly instead: each
// costs 1 here, and the executor counts the objects introspection actually
// produces against what is left of the limit (execution.introBudget).
//
// Depth, aliases, operations and sizes are structural and checked before
// validation (bounds.go).

const (
	defaultListSize = 10
	costCap         = math.MaxInt32
)

// presized lists are sized by an argument of their parent field.
var presized = map[string]bool{
	"EntityConnection.edges":   true,
	"EntityConnection.nodes":   true,
	"RelationConnection.edges": true,
	"RelationConnection.nodes": true,
	"SourceConnection.edges":   true,
	"SourceConnection.nodes":   true,
	"Subgraph.nodes":           true,
	"Subgraph.relations":       true,
}

type coster struct {
	s        *Schema
	frags    map[string]*gqlast.FragmentDefinition
	vars     map[string]any
	memo     map[string]int
	readVars bool // some size argument was a variable
}

// complexity returns the cost of d's operation op with vars (coerced), and
// whether it depends on them.
func (s *Schema) complexity(d *document, op *gqlast.OperationDefinition, vars map[string]any) (int, bool) {
	c := &coster{s: s, vars: vars, frags: d.fragments}
	return c.set(op.SelectionSet), c.readVars
}

func (c *coster) set(set gqlast.SelectionSet) int {
	cost := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *gqlast.Field:
			cost = satAdd(cost, c.field(sel))
		case *gqlast.InlineFragment:
			cost = satAdd(cost, c.set(sel.SelectionSet))
		case *gqlast.FragmentSpread:
			n, ok := c.memo[sel.Name]
			if !ok {
				if f := c.frags[sel.Name]; f != nil {
					if c.memo == nil {
						c.memo = map[string]int{}
					}
					c.memo[sel.Name] = 0 // cycles were refused before validation
					n = c.set(f.SelectionSet)
					c.memo[sel.Name] = n
				}
			}
			cost = satAdd(cost, n)
		}
	}
	return cost
}

func (c *coster) field(f *gqlast.Field) int {
	if f.Definition == nil || f.Definition.Type == nil {
		return 0
	}
	def := c.s.as.Types[f.Definition.Type.Name()]
	if def == nil || !def.IsCompositeType() {
		return 0
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	if f.Name == "__schema" || f.Name == "__type" || strings.HasPrefix(parent, "__") {
		return 1 // counted exactly as it runs
	}
	child := c.set(f.SelectionSet)
	if n, ok := c.sizeArg(f); ok {
		return satAdd(1, satMul(n, child)) // a page: one object holding n
	}
	if f.Definition.Type.Elem != nil && !presized[parent+"."+f.Name] {
		return satMul(defaultListSize, satAdd(1, child))
	}
	return satAdd(1, child)
}

// sizeArg returns the value of the field's first or limit argument: the
// literal, the variable's value, or the argument's default.
func (c *coster) sizeArg(f *gqlast.Field) (int, bool) {
	for _, name := range []string{"first", "limit"} {
		def := f.Definition.Arguments.ForName(name)
		if def == nil {
			continue
		}
		if a := f.Arguments.ForName(name); a != nil {
			switch a.Value.Kind {
			case gqlast.IntValue:
				return parseCount(a.Value.Raw), true
			case gqlast.Variable:
				c.readVars = true
				if n, ok := c.vars[a.Value.Raw].(int); ok {
					return max(n, 0), true
				}
			}
		}
		if def.DefaultValue != nil && def.DefaultValue.Kind == gqlast.IntValue {
			return parseCount(def.DefaultValue.Raw), true
		}
		return defaultListSize, true
	}
	return 0, false
}

func parseCount(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return costCap
	}
	return max(min(n, costCap), 0)
}

// checkComplexity returns the error when op costs more than the limit, and
// otherwise what is left of it for introspection.
func (s *Schema) checkComplexity(d *document, op *gqlast.OperationDefinition, vars map[string]any) (int, *Error) {
	var cost int
	if c, ok := d.costs.Load(op); ok {
		cost = c.(int)
	} else {
		var readVars bool
		if cost, readVars = s.complexity(d, op, vars); !readVars {
			d.costs.Store(op, cost) // the same for every request
		}
	}
	if cost > s.cfg.MaxComplexity {
		return 0, limitError(CodeTooComplex, cost, s.cfg.MaxComplexity, fmt.Sprintf("the query's complexity is %d; at most %d is allowed (lower first/limit or select fewer nested lists)", cost, s.cfg.MaxComplexity))
	}
	return s.cfg.MaxComplexity - cost, nil
}

func satAdd(a, b int) int {
	if a > costCap-b {
		return costCap
	}
	return a + b
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > costCap/b {
		return costCap
	}
	return a * b
}

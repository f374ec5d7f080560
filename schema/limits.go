package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Query limits are checked on the parsed document before validation and
// execution, so an expensive query costs neither.
//
// Depth is the deepest nesting of fields in the operation, following
// fragments; introspection (__schema, __type) is not counted.
//
// Complexity estimates how many objects the operation may fetch. Scalar
// fields cost 0. A field returning objects costs
//   - 1 + n × (its selection's cost) when it has a first or limit argument
//     whose value (the literal, the variable's value, or the default) is n:
//     connections, search, paths, neighborhood, subgraph;
//   - 1 + its selection's cost for a single object, and for the lists such a
//     page holds (connection edges and nodes, subgraph nodes and relations),
//     which its n already counts;
//   - defaultListSize × (1 + its selection's cost) for any other list of
//     objects (sources, attributes, suppliers, ...).
//
// Aliases counts aliased fields in the whole document, operations the
// operation definitions.

const (
	defaultListSize = 10
	// maxWalk bounds the work of the walk itself: fragments spread many
	// times can make a small document a huge tree.
	maxWalk = 100_000
	costCap = math.MaxInt32
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

type walker struct {
	s        *Schema
	frags    map[string]*ast.FragmentDefinition
	vars     map[string]any
	varDefs  map[string]ast.Value
	maxDepth int
	steps    int
	tooBig   bool
	visiting map[string]bool
}

func (s *Schema) checkLimits(doc *ast.Document, op *ast.OperationDefinition, vars map[string]any) []Error {
	w := &walker{
		s:        s,
		frags:    map[string]*ast.FragmentDefinition{},
		vars:     vars,
		varDefs:  map[string]ast.Value{},
		visiting: map[string]bool{},
	}
	aliases := 0
	for _, def := range doc.Definitions {
		switch d := def.(type) {
		case *ast.FragmentDefinition:
			if d.Name != nil {
				w.frags[d.Name.Value] = d
			}
			aliases += countAliases(d.SelectionSet)
		case *ast.OperationDefinition:
			aliases += countAliases(d.SelectionSet)
		}
	}
	for _, vd := range op.VariableDefinitions {
		if vd.Variable != nil && vd.Variable.Name != nil && vd.DefaultValue != nil {
			w.varDefs[vd.Variable.Name.Value] = vd.DefaultValue
		}
	}
	var errs []Error
	limitErr := func(code, msg string, actual, limit int) {
		e := newError(code, msg)
		e.Extensions["actual"] = actual
		e.Extensions["limit"] = limit
		errs = append(errs, e)
	}
	if aliases > s.cfg.MaxAliases {
		limitErr(CodeTooManyAliases, fmt.Sprintf("the document has %d aliases; at most %d are allowed", aliases, s.cfg.MaxAliases), aliases, s.cfg.MaxAliases)
	}
	var root graphql.Type = s.gql.QueryType()
	if op.Operation == ast.OperationTypeMutation {
		root = s.gql.MutationType()
	}
	cost := w.selectionSet(op.SelectionSet, root, 0, false)
	if w.tooBig {
		limitErr(CodeTooComplex, "the query is too complex", costCap, s.cfg.MaxComplexity)
		return errs
	}
	if w.maxDepth > s.cfg.MaxDepth {
		limitErr(CodeTooDeep, fmt.Sprintf("the query is %d fields deep; at most %d are allowed", w.maxDepth, s.cfg.MaxDepth), w.maxDepth, s.cfg.MaxDepth)
	}
	if cost > s.cfg.MaxComplexity {
		limitErr(CodeTooComplex, fmt.Sprintf("the query's complexity is %d; at most %d is allowed (lower first/limit or select fewer nested lists)", cost, s.cfg.MaxComplexity), cost, s.cfg.MaxComplexity)
	}
	return errs
}

func countAliases(ss *ast.SelectionSet) int {
	if ss == nil {
		return 0
	}
	n := 0
	for _, sel := range ss.Selections {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Alias != nil && x.Alias.Value != "" {
				n++
			}
			n += countAliases(x.SelectionSet)
		case *ast.InlineFragment:
			n += countAliases(x.SelectionSet)
		}
	}
	return n
}

func (w *walker) selectionSet(ss *ast.SelectionSet, parent graphql.Type, depth int, introspection bool) int {
	if ss == nil || w.tooBig {
		return 0
	}
	cost := 0
	for _, sel := range ss.Selections {
		w.steps++
		if w.steps > maxWalk {
			w.tooBig = true
			return costCap
		}
		switch x := sel.(type) {
		case *ast.Field:
			cost = satAdd(cost, w.field(x, parent, depth, introspection))
		case *ast.InlineFragment:
			t := parent
			if x.TypeCondition != nil && x.TypeCondition.Name != nil {
				t = w.s.gql.Type(x.TypeCondition.Name.Value)
			}
			cost = satAdd(cost, w.selectionSet(x.SelectionSet, t, depth, introspection))
		case *ast.FragmentSpread:
			if x.Name == nil {
				continue
			}
			name := x.Name.Value
			f := w.frags[name]
			if f == nil || w.visiting[name] {
				continue // unknown or cyclic: validation reports it
			}
			t := parent
			if f.TypeCondition != nil && f.TypeCondition.Name != nil {
				t = w.s.gql.Type(f.TypeCondition.Name.Value)
			}
			w.visiting[name] = true
			cost = satAdd(cost, w.selectionSet(f.SelectionSet, t, depth, introspection))
			delete(w.visiting, name)
		}
	}
	return cost
}

func (w *walker) field(f *ast.Field, parent graphql.Type, depth int, introspection bool) int {
	if f.Name == nil {
		return 0
	}
	name := f.Name.Value
	if name == "__schema" || name == "__type" {
		introspection = true
	}
	if !introspection {
		depth++
		w.maxDepth = max(w.maxDepth, depth)
	}
	var def *graphql.FieldDefinition
	parentName := ""
	switch p := parent.(type) {
	case *graphql.Object:
		def = p.Fields()[name]
		parentName = p.Name()
	case *graphql.Interface:
		def = p.Fields()[name]
		parentName = p.Name()
	}
	if name == "__schema" {
		def = graphql.SchemaMetaFieldDef
	} else if name == "__type" {
		def = graphql.TypeMetaFieldDef
	}
	var named graphql.Type
	list := false
	if def != nil {
		named, list = unwrap(def.Type)
	}
	composite := false
	switch named.(type) {
	case *graphql.Object, *graphql.Interface, *graphql.Union:
		composite = true
	}
	child := w.selectionSet(f.SelectionSet, named, depth, introspection)
	if !composite && f.SelectionSet == nil {
		return 0
	}
	if introspection {
		return satAdd(1, child)
	}
	if n, ok := w.sizeArg(f, def); ok {
		return satAdd(1, satMul(n, child)) // a page: one object holding n
	}
	if list && !presized[parentName+"."+f.Name.Value] {
		return satMul(defaultListSize, satAdd(1, child))
	}
	return satAdd(1, child)
}

// sizeArg returns the value of the field's first or limit argument: the
// literal, the variable's value, or the argument's default.
func (w *walker) sizeArg(f *ast.Field, def *graphql.FieldDefinition) (int, bool) {
	if def == nil {
		return 0, false
	}
	for _, argName := range []string{"first", "limit"} {
		for _, a := range def.Args {
			if a.Name() != argName {
				continue
			}
			if n, ok := w.argValue(f, argName); ok {
				return max(n, 0), true
			}
			if n, ok := a.DefaultValue.(int); ok {
				return max(n, 0), true
			}
			return defaultListSize, true
		}
	}
	return 0, false
}

// argValue reads an Int argument from the literal or the variables.
func (w *walker) argValue(f *ast.Field, name string) (int, bool) {
	for _, a := range f.Arguments {
		if a.Name == nil || a.Name.Value != name {
			continue
		}
		switch v := a.Value.(type) {
		case *ast.IntValue:
			n, err := strconv.Atoi(v.Value)
			if err != nil {
				return costCap, true
			}
			return n, true
		case *ast.Variable:
			if v.Name == nil {
				return 0, false
			}
			if val, ok := w.vars[v.Name.Value]; ok && val != nil {
				return toInt(val)
			}
			if d, ok := w.varDefs[v.Name.Value].(*ast.IntValue); ok {
				n, err := strconv.Atoi(d.Value)
				return n, err == nil
			}
		}
	}
	return 0, false
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(min(x, costCap)), true
	case float64:
		if x > costCap {
			return costCap, true
		}
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return 0, false
		}
		return int(min(n, costCap)), true
	}
	return 0, false
}

// unwrap strips NonNull and List, reporting whether there was a list.
func unwrap(t graphql.Type) (graphql.Type, bool) {
	list := false
	for {
		switch x := t.(type) {
		case *graphql.NonNull:
			t = x.OfType
		case *graphql.List:
			list = true
			t = x.OfType
		default:
			return t, list
		}
	}
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

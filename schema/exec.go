package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// The direct executor runs a validated query whose execution raises no
// error, writing the JSON of its data as it goes. graphql-go's executor
// spends about 5 µs on every returned object (maps for the collected
// fields, a map per result object, a ResolveInfo and an argument map per
// field, a result tree to marshal afterwards); that made a 2-hop
// neighbourhood several times slower than the traversal under it. This one
// collects the fields of each selection set once per runtime type and
// request, coerces each field's arguments once per request, and writes the
// response in one buffer, in the query's field order.
//
// It gives up (errDirectUnsupported) on anything beyond the happy path: a
// resolver error, a null in a non-null position, a failed type resolution,
// a variable that does not coerce, introspection, a mutation. The caller
// then runs graphql-go's executor on the same request, which produces the
// errors and partial data the GraphQL specification asks for. Queries have
// no side effects, so running one twice changes nothing but its cost, and
// only requests that fail pay it. TestDirectExecutorMatchesGraphQLGo and
// TestDirectExecutorRandomQueries hold the two executors to the same data
// on hand-written, README and generated queries.
//
// Resolvers see the ResolveParams graphql-go would give them except
// Info.Path, which is nil here: no resolver of this package reads it.

var errDirectUnsupported = errors.New("schema: left to graphql-go's executor")

// giveUp wraps errDirectUnsupported with the reason, for tests and
// debugging; only requests that fail pay for the formatting.
func giveUp(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errDirectUnsupported}, args...)...)
}

// fieldPlan is one response key of a selection set collected for one
// object type: the fields merged under the key, its definition and its
// arguments, computed once per request.
type fieldPlan struct {
	key      string
	asts     []*ast.Field
	def      *graphql.FieldDefinition // nil for __typename
	resolve  graphql.FieldResolveFn
	args     map[string]any
	info     graphql.ResolveInfo
	children map[*graphql.Object][]*fieldPlan // sub-selections by runtime type, built on first use
}

type directExec struct {
	ctx       context.Context
	schema    *graphql.Schema
	possible  map[string]map[string]bool // Schema.possible
	op        *ast.OperationDefinition
	fragments map[string]ast.Definition
	vars      map[string]any
	buf       []byte
}

// executeDirect runs op of doc and returns its data as JSON, or
// errDirectUnsupported when graphql-go's executor must run it instead.
func (s *Schema) executeDirect(ctx context.Context, doc *ast.Document, op *ast.OperationDefinition, variables map[string]any) (data json.RawMessage, err error) {
	if op.Operation != ast.OperationTypeQuery {
		return nil, giveUp("a %s", op.Operation)
	}
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, giveUp("panic: %v", r)
		}
	}()
	x := &directExec{ctx: ctx, schema: &s.gql, possible: s.possible, op: op, fragments: map[string]ast.Definition{}}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok && f.Name != nil {
			x.fragments[f.Name.Value] = f
		}
	}
	if x.vars, err = x.coerceVariables(variables); err != nil {
		return nil, err
	}
	root := s.gql.QueryType()
	plans, err := x.collect(root, []*ast.SelectionSet{op.SelectionSet})
	if err != nil {
		return nil, err
	}
	x.buf = make([]byte, 0, 4096)
	if err := x.object(root, plans, nil); err != nil {
		return nil, err
	}
	return x.buf, nil
}

// collect gathers the fields of sets that apply to obj, in order, merging
// fields with the same response key, as the specification's CollectFields.
func (x *directExec) collect(obj *graphql.Object, sets []*ast.SelectionSet) ([]*fieldPlan, error) {
	var plans []*fieldPlan
	byKey := map[string]*fieldPlan{}
	visited := map[string]bool{}
	var walk func(set *ast.SelectionSet) error
	walk = func(set *ast.SelectionSet) error {
		for _, sel := range set.Selections {
			switch sel := sel.(type) {
			case *ast.Field:
				if !x.included(sel.Directives) {
					continue
				}
				key := sel.Name.Value
				if sel.Alias != nil && sel.Alias.Value != "" {
					key = sel.Alias.Value
				}
				if p := byKey[key]; p != nil {
					p.asts = append(p.asts, sel)
					continue
				}
				p, err := x.newPlan(obj, key, sel)
				if err != nil {
					return err
				}
				byKey[key] = p
				plans = append(plans, p)
			case *ast.InlineFragment:
				if x.included(sel.Directives) && x.applies(sel.TypeCondition, obj) {
					if err := walk(sel.SelectionSet); err != nil {
						return err
					}
				}
			case *ast.FragmentSpread:
				name := sel.Name.Value
				if visited[name] || !x.included(sel.Directives) {
					continue
				}
				visited[name] = true
				f, ok := x.fragments[name].(*ast.FragmentDefinition)
				if ok && x.applies(f.TypeCondition, obj) {
					if err := walk(f.SelectionSet); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	for _, set := range sets {
		if set == nil {
			continue
		}
		if err := walk(set); err != nil {
			return nil, err
		}
	}
	for _, p := range plans {
		p.info.FieldASTs = p.asts // the merged list, now complete
	}
	return plans, nil
}

func (x *directExec) newPlan(obj *graphql.Object, key string, f *ast.Field) (*fieldPlan, error) {
	p := &fieldPlan{key: key, asts: []*ast.Field{f}}
	switch f.Name.Value {
	case "__typename":
		return p, nil
	case "__schema", "__type":
		return nil, giveUp("introspection")
	}
	p.def = obj.Fields()[f.Name.Value]
	if p.def == nil {
		return nil, giveUp("no field %s.%s", obj.Name(), f.Name.Value)
	}
	p.resolve = p.def.Resolve
	if p.resolve == nil {
		p.resolve = graphql.DefaultResolveFn
	}
	args, err := x.argumentValues(p.def.Args, f.Arguments)
	if err != nil {
		return nil, err
	}
	p.args = args
	p.info = graphql.ResolveInfo{
		FieldName:      f.Name.Value,
		FieldASTs:      p.asts,
		ReturnType:     p.def.Type,
		ParentType:     obj,
		Schema:         *x.schema,
		Fragments:      x.fragments,
		Operation:      x.op,
		VariableValues: x.vars,
	}
	return p, nil
}

// children returns the plans of p's sub-selections for runtime type obj.
func (x *directExec) children(p *fieldPlan, obj *graphql.Object) ([]*fieldPlan, error) {
	if c, ok := p.children[obj]; ok {
		return c, nil
	}
	sets := make([]*ast.SelectionSet, 0, len(p.asts))
	for _, f := range p.asts {
		sets = append(sets, f.SelectionSet)
	}
	c, err := x.collect(obj, sets)
	if err != nil {
		return nil, err
	}
	if p.children == nil {
		p.children = map[*graphql.Object][]*fieldPlan{}
	}
	p.children[obj] = c
	return c, nil
}

// included evaluates @skip and @include (skip wins).
func (x *directExec) included(dirs []*ast.Directive) bool {
	for _, d := range dirs {
		var dir *graphql.Directive
		switch d.Name.Value {
		case graphql.SkipDirective.Name:
			dir = graphql.SkipDirective
		case graphql.IncludeDirective.Name:
			dir = graphql.IncludeDirective
		default:
			continue
		}
		want := dir == graphql.IncludeDirective
		args, err := x.argumentValues(dir.Args, d.Arguments)
		if b, ok := args["if"].(bool); err == nil && ok && b != want {
			return false
		}
	}
	return true
}

// applies reports whether a fragment with type condition cond applies to obj.
func (x *directExec) applies(cond *ast.Named, obj *graphql.Object) bool {
	if cond == nil {
		return true
	}
	switch t := x.schema.Type(cond.Name.Value).(type) {
	case *graphql.Object:
		return t == obj || t.Name() == obj.Name()
	case *graphql.Interface:
		return x.possible[t.Name()][obj.Name()]
	}
	return false // unions: the schema has none
}

// object writes obj's selected fields of source.
func (x *directExec) object(obj *graphql.Object, plans []*fieldPlan, source any) error {
	x.buf = append(x.buf, '{')
	for i, p := range plans {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		x.buf = append(x.buf, '"')
		x.buf = append(x.buf, p.key...) // a GraphQL name: nothing to escape
		x.buf = append(x.buf, '"', ':')
		if p.def == nil {
			x.buf = appendJSONString(x.buf, obj.Name())
			continue
		}
		v, err := p.resolve(graphql.ResolveParams{Source: source, Args: p.args, Info: p.info, Context: x.ctx})
		if err != nil {
			return giveUp("%s.%s: %v", obj.Name(), p.info.FieldName, err)
		}
		if err := x.value(p.def.Type, p, v, false); err != nil {
			return err
		}
	}
	x.buf = append(x.buf, '}')
	return nil
}

// value writes v completed as type t, as graphql-go's completeValue.
func (x *directExec) value(t graphql.Type, p *fieldPlan, v any, nonNull bool) error {
	if nn, ok := t.(*graphql.NonNull); ok {
		return x.value(nn.OfType, p, v, true)
	}
	if v != nil && reflect.TypeOf(v).Kind() == reflect.Func {
		return giveUp("%s: a thunk", p.info.FieldName)
	}
	if isNullish(v) {
		if nonNull {
			return giveUp("%s: null for non-null %s", p.info.FieldName, t)
		}
		x.buf = append(x.buf, "null"...)
		return nil
	}
	switch t := t.(type) {
	case *graphql.List:
		return x.list(t.OfType, p, v)
	case graphql.Leaf:
		var out any
		if str, ok := v.(string); ok && (t == graphql.String || t == graphql.ID) {
			out = str // what their Serialize gives, without its fmt.Sprintf
		} else {
			out = t.Serialize(v)
		}
		if isNullish(out) {
			if nonNull {
				return giveUp("%s: %s serialized %v to null", p.info.FieldName, t, v)
			}
			x.buf = append(x.buf, "null"...)
			return nil
		}
		return x.leaf(out)
	case *graphql.Interface:
		return x.interfaceValue(t, p, v)
	case *graphql.Object:
		return x.objectValue(t, p, v)
	}
	return giveUp("%s: type %s", p.info.FieldName, t)
}

// interfaceValue writes v as the object type t's ResolveType gives (unions:
// the schema has none).
func (x *directExec) interfaceValue(t *graphql.Interface, p *fieldPlan, v any) error {
	var rt *graphql.Object
	if t.ResolveType != nil {
		rt = t.ResolveType(graphql.ResolveTypeParams{Value: v, Info: p.info, Context: x.ctx})
	}
	if rt == nil || !x.possible[t.Name()][rt.Name()] {
		return giveUp("%s: %T is no %s", p.info.FieldName, v, t)
	}
	return x.objectValue(rt, p, v)
}

func (x *directExec) objectValue(obj *graphql.Object, p *fieldPlan, v any) error {
	if obj.IsTypeOf != nil && !obj.IsTypeOf(graphql.IsTypeOfParams{Value: v, Info: p.info, Context: x.ctx}) {
		return giveUp("%s: %T is no %s", p.info.FieldName, v, obj)
	}
	plans, err := x.children(p, obj)
	if err != nil {
		return err
	}
	return x.object(obj, plans, v)
}

func (x *directExec) list(item graphql.Type, p *fieldPlan, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return giveUp("%s: %T is not a list", p.info.FieldName, v)
	}
	x.buf = append(x.buf, '[')
	for i := range rv.Len() {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		if err := x.value(item, p, rv.Index(i).Interface(), false); err != nil {
			return err
		}
	}
	x.buf = append(x.buf, ']')
	return nil
}

// leaf writes a serialized scalar or enum value as encoding/json would.
func (x *directExec) leaf(v any) error {
	switch v := v.(type) {
	case string:
		x.buf = appendJSONString(x.buf, v)
	case bool:
		x.buf = strconv.AppendBool(x.buf, v)
	case int:
		x.buf = strconv.AppendInt(x.buf, int64(v), 10)
	case int32:
		x.buf = strconv.AppendInt(x.buf, int64(v), 10)
	case int64:
		x.buf = strconv.AppendInt(x.buf, v, 10)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return giveUp("%v", err)
		}
		x.buf = append(x.buf, b...)
	}
	return nil
}

// appendJSONString appends s quoted exactly as json.Marshal quotes it
// (HTML-safe escapes included): plain ASCII directly, anything else
// through json.Marshal.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// coerceVariables coerces the request's variables to the operation's
// variable types as graphql-go does, giving up on any it would reject.
func (x *directExec) coerceVariables(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(x.op.VariableDefinitions))
	for _, d := range x.op.VariableDefinitions {
		name := d.Variable.Name.Value
		t := x.typeOf(d.Type)
		if t == nil {
			return nil, giveUp("$%s: not an input type", name)
		}
		v, ok := coerceInput(t, in[name])
		if !ok {
			return nil, giveUp("$%s: does not coerce to %s", name, t)
		}
		if v == nil && d.DefaultValue != nil {
			if v, ok = x.literal(d.DefaultValue, t, nil); !ok {
				return nil, giveUp("$%s: default", name)
			}
		}
		out[name] = v
	}
	return out, nil
}

func (x *directExec) typeOf(t ast.Type) graphql.Input {
	switch t := t.(type) {
	case *ast.NonNull:
		if in := x.typeOf(t.Type); in != nil {
			return graphql.NewNonNull(in)
		}
	case *ast.List:
		if in := x.typeOf(t.Type); in != nil {
			return graphql.NewList(in)
		}
	case *ast.Named:
		if in, ok := x.schema.Type(t.Name.Value).(graphql.Input); ok {
			return in
		}
	}
	return nil
}

// coerceInput is graphql-go's isValidInputValue and coerceValue for a
// variable's value: ok is false where graphql-go reports an error.
func coerceInput(t graphql.Input, v any) (any, bool) {
	if isNullish(v) {
		_, required := t.(*graphql.NonNull)
		return nil, !required
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return coerceInput(t.OfType, v)
	case *graphql.List:
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			item, ok := coerceInput(t.OfType, v)
			return []any{item}, ok
		}
		out := make([]any, 0, rv.Len())
		for i := range rv.Len() {
			item, ok := coerceInput(t.OfType, rv.Index(i).Interface())
			if !ok {
				return nil, false
			}
			out = append(out, item)
		}
		return out, true
	case *graphql.Scalar:
		out := t.ParseValue(v)
		return out, !isNullish(out)
	case *graphql.Enum:
		out := t.ParseValue(v)
		return out, !isNullish(out)
	}
	return nil, false // input objects: not in queries
}

// argumentValues is graphql-go's getArgumentValues: each argument from
// the AST or the variables, else its default; absent when both are null.
func (x *directExec) argumentValues(defs []*graphql.Argument, asts []*ast.Argument) (map[string]any, error) {
	out := make(map[string]any, len(defs))
	for _, def := range defs {
		var v any
		for _, a := range asts {
			if a.Name.Value == def.PrivateName {
				var ok bool
				if v, ok = x.literal(a.Value, def.Type, x.vars); !ok {
					return nil, giveUp("argument %s", def.PrivateName)
				}
				break
			}
		}
		if isNullish(v) {
			v = def.DefaultValue
		}
		if !isNullish(v) {
			out[def.PrivateName] = v
		}
	}
	return out, nil
}

// literal is graphql-go's valueFromAST for the input types of queries.
func (x *directExec) literal(v ast.Value, t graphql.Input, vars map[string]any) (any, bool) {
	if v == nil {
		return nil, true
	}
	if variable, ok := v.(*ast.Variable); ok {
		return vars[variable.Name.Value], true
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return x.literal(v, t.OfType, vars)
	case *graphql.List:
		items, ok := v.(*ast.ListValue)
		if !ok {
			item, ok := x.literal(v, t.OfType, vars)
			return []any{item}, ok
		}
		out := make([]any, 0, len(items.Values))
		for _, iv := range items.Values {
			item, ok := x.literal(iv, t.OfType, vars)
			if !ok {
				return nil, false
			}
			out = append(out, item)
		}
		return out, true
	case *graphql.Scalar:
		return t.ParseLiteral(v), true
	case *graphql.Enum:
		return t.ParseLiteral(v), true
	}
	return nil, false
}

// isNullish is graphql-go's test for a null result: nil, a nil pointer or
// a NaN.
func isNullish(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return true
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.IsNaN(rv.Float())
	}
	return false
}

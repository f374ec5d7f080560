package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	goast "github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/kinds"
	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// Input coercion as the specification defines it (sections 3.5 and 6.4.1),
// and as graphql-js 16 does it: variables are coerced strictly (no "2" for
// an Int, no 1.5 for an Int, no number for a String), an explicit null is
// kept as null and only an absent value takes the default. Values come out
// as graphql-go hands arguments to resolvers: Int as int, Float as float64,
// ID and String as string, enums as their Go value, lists as []any, input
// objects as map[string]any, custom scalars as their ParseValue gives.

// coercionError is a value that does not coerce; path is where inside it.
type coercionError struct {
	path []any
	msg  string
}

func (e *coercionError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	var b strings.Builder
	b.WriteString("at ")
	for i, p := range e.path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, p)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.msg)
	return b.String()
}

func badValue(path []any, format string, args ...any) error {
	return &coercionError{path: append([]any(nil), path...), msg: fmt.Sprintf(format, args...)}
}

// coerceVariables coerces the request's variables to the variable
// definitions of op, an operation of the valid document d. A variable
// neither given nor defaulted is absent from the result, which is not the
// same as null.
func (s *Schema) coerceVariables(d *document, op *gqlast.OperationDefinition, in map[string]any) (map[string]any, []Error) {
	out := make(map[string]any, len(op.VariableDefinitions))
	var errs []Error
	for _, vd := range op.VariableDefinitions {
		name := vd.Variable
		t := d.varTypes[vd]
		if t == nil {
			continue // validation rejected the document already
		}
		v, given := in[name]
		var err error
		switch {
		case !given && vd.DefaultValue != nil:
			out[name], err = s.coerceLiteral(vd.DefaultValue, t, nil, nil)
		case !given && vd.Type.NonNull:
			err = fmt.Errorf("of required type %q was not provided", vd.Type.String())
		case !given:
			continue
		case v == nil && vd.Type.NonNull:
			err = fmt.Errorf("of non-null type %q must not be null", vd.Type.String())
		default:
			out[name], err = s.coerceValue(v, t, nil)
			if err != nil {
				err = fmt.Errorf("got an invalid value: %v", err)
			}
		}
		if err != nil {
			e := newError(CodeBadUserInput, fmt.Sprintf("Variable \"$%s\" %v", name, err))
			e.Locations = locationsOf(vd.Position)
			errs = append(errs, e)
		}
	}
	return out, errs
}

// inputType is the graphql-go input type of a type reference in the
// document, or nil when the document names no such input type.
func (s *Schema) inputType(t *gqlast.Type) graphql.Input {
	var in graphql.Input
	if t.Elem != nil {
		elem := s.inputType(t.Elem)
		if elem == nil {
			return nil
		}
		in = graphql.NewList(elem)
	} else {
		var ok bool
		if in, ok = s.gql.Type(t.NamedType).(graphql.Input); !ok {
			return nil
		}
	}
	if t.NonNull {
		return graphql.NewNonNull(in)
	}
	return in
}

// coerceValue coerces v, decoded from JSON, to type t.
func (s *Schema) coerceValue(v any, t graphql.Input, path []any) (any, error) {
	if nn, ok := t.(*graphql.NonNull); ok {
		if v == nil {
			return nil, badValue(path, "expected a non-null %s, found null", nn.OfType)
		}
		t = nn.OfType
	}
	if v == nil {
		return nil, nil
	}
	switch t := t.(type) {
	case *graphql.List:
		items, ok := v.([]any)
		if !ok {
			item, err := s.coerceValue(v, t.OfType, path)
			if err != nil {
				return nil, err
			}
			return []any{item}, nil
		}
		out := make([]any, len(items))
		for i, item := range items {
			c, err := s.coerceValue(item, t.OfType, append(path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case *graphql.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, badValue(path, "expected an object of type %s, found %s", t.Name(), describeJSON(v))
		}
		fields := t.Fields()
		for name := range obj {
			if fields[name] == nil {
				return nil, badValue(path, "field %q is not defined by type %s", name, t.Name())
			}
		}
		out := make(map[string]any, len(fields))
		for name, f := range fields {
			fv, given := obj[name]
			switch {
			case !given && f.DefaultValue != nil:
				out[name] = f.DefaultValue
			case !given:
				if _, required := f.Type.(*graphql.NonNull); required {
					return nil, badValue(path, "field %q of required type %s was not provided", name, f.Type)
				}
			default:
				c, err := s.coerceValue(fv, f.Type, append(path, name))
				if err != nil {
					return nil, err
				}
				out[name] = c
			}
		}
		return out, nil
	case *graphql.Enum:
		name, ok := v.(string)
		if ok {
			for _, ev := range t.Values() {
				if ev.Name == name {
					return ev.Value, nil
				}
			}
		}
		return nil, badValue(path, "value %s does not exist in enum %s", describeJSON(v), t.Name())
	case *graphql.Scalar:
		return coerceScalarValue(v, t, path)
	}
	return nil, badValue(path, "%s is not an input type", t)
}

func coerceScalarValue(v any, t *graphql.Scalar, path []any) (any, error) {
	switch t {
	case graphql.Int:
		f, ok := jsonNumber(v)
		if !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
			return nil, badValue(path, "Int cannot represent non-integer value: %s", describeJSON(v))
		}
		if f > math.MaxInt32 || f < math.MinInt32 {
			return nil, badValue(path, "Int cannot represent non 32-bit signed integer value: %s", describeJSON(v))
		}
		return int(f), nil
	case graphql.Float:
		f, ok := jsonNumber(v)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, badValue(path, "Float cannot represent non numeric value: %s", describeJSON(v))
		}
		return f, nil
	case graphql.String: // v itself, not re-boxed
		if _, ok := v.(string); !ok {
			return nil, badValue(path, "String cannot represent a non string value: %s", describeJSON(v))
		}
		return v, nil
	case graphql.Boolean:
		if _, ok := v.(bool); !ok {
			return nil, badValue(path, "Boolean cannot represent a non boolean value: %s", describeJSON(v))
		}
		return v, nil
	case graphql.ID:
		switch x := v.(type) {
		case string:
			return v, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
				return strconv.FormatInt(int64(x), 10), nil
			}
		case json.Number:
			if n, err := x.Int64(); err == nil {
				return strconv.FormatInt(n, 10), nil
			}
		}
		return nil, badValue(path, "ID cannot represent value: %s", describeJSON(v))
	}
	out := t.ParseValue(v)
	if isNullish(out) {
		return nil, badValue(path, "expected a value of type %s, found %s%s", t.Name(), describeJSON(v), scalarHint(t))
	}
	return out, nil
}

func jsonNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	}
	return 0, false
}

// describeJSON prints v as JSON, shortened, for error messages.
func describeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return truncate(string(b), 100)
}

func scalarHint(t *graphql.Scalar) string {
	if t.Name() == "Date" {
		return "; a Date is YYYY, YYYY-MM or YYYY-MM-DD"
	}
	return ""
}

// absent marks a literal that coerces to no value at all: a variable that
// was neither given nor defaulted.
type absentValue struct{}

var absent any = absentValue{}

// coerceLiteral coerces a literal of the document to type t. vars are the
// coerced variables; a variable missing from them gives absent (the caller
// decides what that means where it is). path is for messages.
func (s *Schema) coerceLiteral(v *gqlast.Value, t graphql.Input, vars map[string]any, path []any) (any, error) {
	if v.Kind == gqlast.Variable {
		if x, ok := vars[v.Raw]; ok {
			if _, required := t.(*graphql.NonNull); required && x == nil {
				return nil, badValue(path, "variable $%s is null where a non-null value is required", v.Raw)
			}
			return x, nil
		}
		return absent, nil
	}
	if nn, ok := t.(*graphql.NonNull); ok {
		if v.Kind == gqlast.NullValue {
			return nil, badValue(path, "expected a non-null %s, found null", nn.OfType)
		}
		t = nn.OfType
	}
	if v.Kind == gqlast.NullValue {
		return nil, nil
	}
	switch t := t.(type) {
	case *graphql.List:
		if v.Kind != gqlast.ListValue {
			item, err := s.coerceLiteral(v, t.OfType, vars, path)
			if err != nil {
				return nil, err
			}
			if item == absent {
				item = nil
			}
			return []any{item}, nil
		}
		out := make([]any, len(v.Children))
		for i, c := range v.Children {
			item, err := s.coerceLiteral(c.Value, t.OfType, vars, append(path, i))
			if err != nil {
				return nil, err
			}
			if item == absent {
				if _, required := t.OfType.(*graphql.NonNull); required {
					return nil, badValue(append(path, i), "variable $%s was not provided for a non-null list item", c.Value.Raw)
				}
				item = nil
			}
			out[i] = item
		}
		return out, nil
	case *graphql.InputObject:
		if v.Kind != gqlast.ObjectValue {
			return nil, badValue(path, "expected an object of type %s, found %s", t.Name(), v.String())
		}
		fields := t.Fields()
		out := make(map[string]any, len(fields))
		for name, f := range fields {
			var fv *gqlast.Value
			for _, c := range v.Children {
				if c.Name == name {
					fv = c.Value
					break
				}
			}
			var x any = absent
			if fv != nil {
				var err error
				if x, err = s.coerceLiteral(fv, f.Type, vars, append(path, name)); err != nil {
					return nil, err
				}
			}
			switch {
			case x != absent:
				out[name] = x
			case f.DefaultValue != nil:
				out[name] = f.DefaultValue
			default:
				if _, required := f.Type.(*graphql.NonNull); required {
					return nil, badValue(path, "field %q of required type %s was not provided", name, f.Type)
				}
			}
		}
		return out, nil
	case *graphql.Enum:
		if v.Kind == gqlast.EnumValue {
			for _, ev := range t.Values() {
				if ev.Name == v.Raw {
					return ev.Value, nil
				}
			}
		}
		return nil, badValue(path, "value %s does not exist in enum %s", v.String(), t.Name())
	case *graphql.Scalar:
		return coerceScalarLiteral(v, t, path)
	}
	return nil, badValue(path, "%s is not an input type", t)
}

func coerceScalarLiteral(v *gqlast.Value, t *graphql.Scalar, path []any) (any, error) {
	switch t {
	case graphql.Int:
		if v.Kind == gqlast.IntValue {
			if n, err := strconv.ParseInt(v.Raw, 10, 32); err == nil {
				return int(n), nil
			}
			return nil, badValue(path, "Int cannot represent non 32-bit signed integer value: %s", v.Raw)
		}
	case graphql.Float:
		if v.Kind == gqlast.IntValue || v.Kind == gqlast.FloatValue {
			if f, err := strconv.ParseFloat(v.Raw, 64); err == nil && !math.IsInf(f, 0) {
				return f, nil
			}
		}
	case graphql.String:
		if v.Kind == gqlast.StringValue || v.Kind == gqlast.BlockValue {
			return v.Raw, nil
		}
	case graphql.Boolean:
		if v.Kind == gqlast.BooleanValue {
			return v.Raw == "true", nil
		}
	case graphql.ID:
		if v.Kind == gqlast.StringValue || v.Kind == gqlast.BlockValue || v.Kind == gqlast.IntValue {
			return v.Raw, nil
		}
	default:
		if out := t.ParseLiteral(goLiteral(v)); !isNullish(out) {
			return out, nil
		}
		return nil, badValue(path, "expected a value of type %s, found %s%s", t.Name(), truncate(v.String(), 100), scalarHint(t))
	}
	return nil, badValue(path, "%s cannot represent %s", t.Name(), truncate(v.String(), 100))
}

// goLiteral gives a scalar literal in graphql-go's AST, for the
// ParseLiteral of our custom scalars (graphql-go's type system holds them).
func goLiteral(v *gqlast.Value) goast.Value {
	switch v.Kind {
	case gqlast.IntValue:
		return &goast.IntValue{Kind: kinds.IntValue, Value: v.Raw}
	case gqlast.FloatValue:
		return &goast.FloatValue{Kind: kinds.FloatValue, Value: v.Raw}
	case gqlast.StringValue, gqlast.BlockValue:
		return &goast.StringValue{Kind: kinds.StringValue, Value: v.Raw}
	case gqlast.BooleanValue:
		return &goast.BooleanValue{Kind: kinds.BooleanValue, Value: v.Raw == "true"}
	case gqlast.EnumValue:
		return &goast.EnumValue{Kind: kinds.EnumValue, Value: v.Raw}
	}
	return &goast.ObjectValue{Kind: kinds.ObjectValue} // no custom scalar takes lists, objects or null
}

// coerceArguments gives a field's (or directive's) arguments as a
// resolver receives them: a default for an argument absent (or given a
// variable that is absent), and nothing for a null, as graphql-go's
// executor hands them over.
func (s *Schema) coerceArguments(defs []*graphql.Argument, args gqlast.ArgumentList, vars map[string]any) (map[string]any, error) {
	if len(defs) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(defs))
	for _, def := range defs {
		if err := s.coerceArgument(out, def, args.ForName(def.PrivateName), vars); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// varArg is an argument that reads a variable, and its definition.
type varArg struct {
	def *graphql.Argument
	arg *gqlast.Argument
}

// splitArguments coerces the arguments that read no variable, as
// coerceArguments does, and returns those that do, to be coerced into a
// copy of the rest by coerceArgument once the variables are known.
func (s *Schema) splitArguments(defs []*graphql.Argument, args gqlast.ArgumentList) (map[string]any, []varArg, error) {
	if len(defs) == 0 {
		return nil, nil, nil
	}
	out := map[string]any{} // unsized: most hold a few, and a small map clones fast
	var vars []varArg
	for _, def := range defs {
		a := args.ForName(def.PrivateName)
		if a != nil && readsVariable(a.Value) {
			vars = append(vars, varArg{def, a})
			continue
		}
		if err := s.coerceArgument(out, def, a, nil); err != nil {
			return nil, nil, err
		}
	}
	return out, vars, nil
}

// coerceArgument sets out's entry of def to a (nil when absent) coerced,
// or to def's default, or removes it (null, or absent with no default).
func (s *Schema) coerceArgument(out map[string]any, def *graphql.Argument, a *gqlast.Argument, vars map[string]any) error {
	var v any = absent
	if a != nil {
		var err error
		if v, err = s.coerceLiteral(a.Value, def.Type, vars, nil); err != nil {
			return fmt.Errorf("argument %q: %w", def.PrivateName, err)
		}
	}
	switch {
	case v == absent && def.DefaultValue != nil:
		out[def.PrivateName] = def.DefaultValue
	case v == absent:
		if _, required := def.Type.(*graphql.NonNull); required {
			return fmt.Errorf("argument %q of required type %s was not provided", def.PrivateName, def.Type)
		}
		delete(out, def.PrivateName)
	case v == nil:
		delete(out, def.PrivateName)
	default:
		out[def.PrivateName] = v
	}
	return nil
}

func locationsOf(p *gqlast.Position) []Location {
	if p == nil {
		return nil
	}
	return []Location{{Line: p.Line, Column: p.Column}}
}

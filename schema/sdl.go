package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/vektah/gqlparser/v2"
	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// The type system is graphql-go's (types.go, query.go, mutation.go): it
// holds the resolvers. Parsing and validation are gqlparser's, which follows
// the October 2021 specification and runs graphql-js's own validation tests;
// it validates against an ast.Schema made from graphql-go's types by printing
// them as SDL and loading that. The same ast.Schema answers introspection
// (introspection.go), so what clients are told and what the validator checks
// cannot drift apart.

// printSDL writes the schema's named types, other than the built-in scalars
// and graphql-go's introspection types, in the schema definition language,
// sorted by name (graphql-go keeps fields in maps, so there is no
// declaration order to keep).
func printSDL(s graphql.Schema) (string, error) {
	var b strings.Builder
	names := make([]string, 0, len(s.TypeMap()))
	for name := range s.TypeMap() {
		if strings.HasPrefix(name, "__") || builtinScalar(name) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		var err error
		switch t := s.TypeMap()[name].(type) {
		case *graphql.Object:
			printDescription(&b, "", t.Description())
			fmt.Fprintf(&b, "type %s", name)
			if ifs := t.Interfaces(); len(ifs) > 0 {
				b.WriteString(" implements ")
				for i, it := range ifs {
					if i > 0 {
						b.WriteString(" & ")
					}
					b.WriteString(it.Name())
				}
			}
			err = printFields(&b, t.Fields())
		case *graphql.Interface:
			printDescription(&b, "", t.Description())
			fmt.Fprintf(&b, "interface %s", name)
			err = printFields(&b, t.Fields())
		case *graphql.Enum:
			printDescription(&b, "", t.Description())
			fmt.Fprintf(&b, "enum %s {\n", name)
			for _, v := range t.Values() {
				printDescription(&b, "  ", v.Description)
				b.WriteString("  " + v.Name)
				printDeprecated(&b, v.DeprecationReason)
				b.WriteString("\n")
			}
			b.WriteString("}\n")
		case *graphql.Scalar:
			printDescription(&b, "", t.Description())
			fmt.Fprintf(&b, "scalar %s\n", name)
		case *graphql.InputObject:
			printDescription(&b, "", t.Description())
			fmt.Fprintf(&b, "input %s {\n", name)
			fields := t.Fields()
			for _, fn := range sortedKeys(fields) {
				f := fields[fn]
				printDescription(&b, "  ", f.Description())
				fmt.Fprintf(&b, "  %s: %s", fn, f.Type)
				if f.DefaultValue != nil {
					lit, err := literalOf(f.DefaultValue, f.Type)
					if err != nil {
						return "", fmt.Errorf("%s.%s: %w", name, fn, err)
					}
					b.WriteString(" = " + lit)
				}
				b.WriteString("\n")
			}
			b.WriteString("}\n")
		case *graphql.Union:
			return "", fmt.Errorf("%s: unions are not supported", name)
		}
		if err != nil {
			return "", fmt.Errorf("%s.%w", name, err)
		}
	}
	return b.String(), nil
}

func printFields(b *strings.Builder, fields graphql.FieldDefinitionMap) error {
	b.WriteString(" {\n")
	for _, name := range sortedKeys(fields) {
		f := fields[name]
		printDescription(b, "  ", f.Description)
		b.WriteString("  " + name)
		if len(f.Args) > 0 {
			b.WriteString("(\n")
			args := slices.Clone(f.Args)
			slices.SortFunc(args, func(x, y *graphql.Argument) int { return strings.Compare(x.Name(), y.Name()) })
			for _, a := range args {
				printDescription(b, "    ", a.Description())
				fmt.Fprintf(b, "    %s: %s", a.Name(), a.Type)
				if a.DefaultValue != nil {
					lit, err := literalOf(a.DefaultValue, a.Type)
					if err != nil {
						return fmt.Errorf("%s(%s): %w", name, a.Name(), err)
					}
					b.WriteString(" = " + lit)
				}
				b.WriteString("\n")
			}
			b.WriteString("  )")
		}
		fmt.Fprintf(b, ": %s", f.Type)
		printDeprecated(b, f.DeprecationReason)
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return nil
}

func printDescription(b *strings.Builder, indent, desc string) {
	if desc != "" {
		b.WriteString(indent + quoteGraphQL(desc) + "\n")
	}
}

func printDeprecated(b *strings.Builder, reason string) {
	if reason != "" {
		b.WriteString(" @deprecated(reason: " + quoteGraphQL(reason) + ")")
	}
}

// literalOf prints v, a Go value of input type t as graphql-go holds
// defaults, as a GraphQL literal.
func literalOf(v any, t graphql.Input) (string, error) {
	if v == nil {
		return "null", nil
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return literalOf(v, t.OfType)
	case *graphql.List:
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return literalOf(v, t.OfType)
		}
		items := make([]string, rv.Len())
		for i := range items {
			lit, err := literalOf(rv.Index(i).Interface(), t.OfType)
			if err != nil {
				return "", err
			}
			items[i] = lit
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	case *graphql.Enum:
		for _, ev := range t.Values() {
			if ev.Value == v {
				return ev.Name, nil
			}
		}
		return "", fmt.Errorf("default %v is no value of %s", v, t.Name())
	case *graphql.Scalar:
		switch x := t.Serialize(v).(type) {
		case string:
			return quoteGraphQL(x), nil
		case bool:
			return strconv.FormatBool(x), nil
		case int:
			return strconv.Itoa(x), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	}
	return "", fmt.Errorf("cannot print default %v of %s", v, t)
}

// quoteGraphQL quotes s as a GraphQL string value: UTF-8 kept, quotes,
// backslashes and control characters escaped.
func quoteGraphQL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func builtinScalar(name string) bool {
	switch name {
	case "Int", "Float", "String", "Boolean", "ID":
		return true
	}
	return false
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validationSchema loads the SDL of s with gqlparser's prelude (built-in
// scalars, directives and the introspection types). @defer is dropped: the
// prelude declares it for gqlgen, but the October 2021 specification has no
// incremental delivery and this executor does not defer.
func validationSchema(s graphql.Schema) (*gqlast.Schema, string, error) {
	sdl, err := printSDL(s)
	if err != nil {
		return nil, "", err
	}
	as, gerr := gqlparser.LoadSchema(&gqlast.Source{Name: "chipgraph.graphql", Input: sdl})
	if gerr != nil {
		return nil, sdl, fmt.Errorf("loading the printed schema: %w", gerr)
	}
	delete(as.Directives, "defer")
	return as, sdl, nil
}

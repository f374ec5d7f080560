package schema

import (
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// Introspection answers from the ast.Schema the validator checks against
// (sdl.go), in the current form: __Type.specifiedByURL and isOneOf,
// __Directive.isRepeatable, includeDeprecated on args and input fields,
// __InputValue.isDeprecated, __Schema.description. Its types are graphql-go
// objects like the rest of the schema, so the one executor runs them, and
// they count toward depth and complexity like any other field (limits.go).
//
// The values behind them:
//   - __Schema: *gqlast.Schema
//   - __Type: *introType
//   - __Field: *gqlast.FieldDefinition
//   - __InputValue: inputValue
//   - __EnumValue: *gqlast.EnumValueDefinition
//   - __Directive: *gqlast.DirectiveDefinition

// introType is a named type or a LIST / NON_NULL wrapper of one.
type introType struct {
	kind string             // __TypeKind
	def  *gqlast.Definition // named types
	of   *introType         // wrappers
}

// inputValue is an argument or an input field.
type inputValue struct {
	name, desc string
	typ        *gqlast.Type
	def        *gqlast.Value
	dirs       gqlast.DirectiveList
}

// introspection holds the introspection types of one schema and the
// __schema and __type root fields.
type introspection struct {
	as          *gqlast.Schema
	named       map[string]*introType
	schemaField *graphql.FieldDefinition
	typeField   *graphql.FieldDefinition
	objects     map[string]*graphql.Object // by name, for the limits' exact costing
}

func newIntrospection(as *gqlast.Schema) *introspection {
	in := &introspection{as: as, named: map[string]*introType{}}
	for name, def := range as.Types {
		in.named[name] = &introType{kind: string(def.Kind), def: def}
	}

	typeKind := graphql.NewEnum(graphql.EnumConfig{Name: "__TypeKind", Values: enumValuesOf(as.Types["__TypeKind"])})
	location := graphql.NewEnum(graphql.EnumConfig{Name: "__DirectiveLocation", Values: enumValuesOf(as.Types["__DirectiveLocation"])})
	includeDeprecated := graphql.FieldConfigArgument{"includeDeprecated": {Type: graphql.Boolean, DefaultValue: false}}

	var typeT, fieldT, inputT, enumT, dirT *graphql.Object
	typeT = graphql.NewObject(graphql.ObjectConfig{
		Name: "__Type",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"kind": {Type: nn(typeKind), Resolve: typeField(func(t *introType) any { return t.kind })},
				"name": {Type: graphql.String, Resolve: typeField(func(t *introType) any { return namedOr(t, func(d *gqlast.Definition) any { return d.Name }) })},
				"description": {Type: graphql.String, Resolve: typeField(func(t *introType) any {
					return namedOr(t, func(d *gqlast.Definition) any { return strOrNil(d.Description) })
				})},
				"specifiedByURL": {Type: graphql.String, Resolve: typeField(func(t *introType) any {
					return namedOr(t, func(d *gqlast.Definition) any {
						if dir := d.Directives.ForName("specifiedBy"); dir != nil {
							if a := dir.Arguments.ForName("url"); a != nil {
								return a.Value.Raw
							}
						}
						return nil
					})
				})},
				"fields": {Type: graphql.NewList(nn(fieldT)), Args: includeDeprecated, Resolve: func(p graphql.ResolveParams) (any, error) {
					t := p.Source.(*introType)
					if t.def == nil || (t.def.Kind != gqlast.Object && t.def.Kind != gqlast.Interface) {
						return nil, nil
					}
					out := []*gqlast.FieldDefinition{}
					for _, f := range t.def.Fields {
						if strings.HasPrefix(f.Name, "__") || (!argBool(p, "includeDeprecated") && deprecated(f.Directives)) {
							continue
						}
						out = append(out, f)
					}
					return out, nil
				}},
				"interfaces": {Type: graphql.NewList(nn(typeT)), Resolve: func(p graphql.ResolveParams) (any, error) {
					t := p.Source.(*introType)
					if t.def == nil || (t.def.Kind != gqlast.Object && t.def.Kind != gqlast.Interface) {
						return nil, nil
					}
					out := []*introType{}
					for _, name := range t.def.Interfaces {
						out = append(out, in.named[name])
					}
					return out, nil
				}},
				"possibleTypes": {Type: graphql.NewList(nn(typeT)), Resolve: func(p graphql.ResolveParams) (any, error) {
					t := p.Source.(*introType)
					if t.def == nil || !t.def.IsAbstractType() {
						return nil, nil
					}
					out := []*introType{}
					for _, d := range in.as.GetPossibleTypes(t.def) {
						out = append(out, in.named[d.Name])
					}
					slices.SortFunc(out, func(a, b *introType) int { return strings.Compare(a.def.Name, b.def.Name) })
					return out, nil
				}},
				"enumValues": {Type: graphql.NewList(nn(enumT)), Args: includeDeprecated, Resolve: func(p graphql.ResolveParams) (any, error) {
					t := p.Source.(*introType)
					if t.def == nil || t.def.Kind != gqlast.Enum {
						return nil, nil
					}
					out := []*gqlast.EnumValueDefinition{}
					for _, v := range t.def.EnumValues {
						if argBool(p, "includeDeprecated") || !deprecated(v.Directives) {
							out = append(out, v)
						}
					}
					return out, nil
				}},
				"inputFields": {Type: graphql.NewList(nn(inputT)), Args: includeDeprecated, Resolve: func(p graphql.ResolveParams) (any, error) {
					t := p.Source.(*introType)
					if t.def == nil || t.def.Kind != gqlast.InputObject {
						return nil, nil
					}
					out := []inputValue{}
					for _, f := range t.def.Fields {
						if argBool(p, "includeDeprecated") || !deprecated(f.Directives) {
							out = append(out, inputValue{f.Name, f.Description, f.Type, f.DefaultValue, f.Directives})
						}
					}
					return out, nil
				}},
				"ofType": {Type: typeT, Resolve: typeField(func(t *introType) any {
					if t.of == nil {
						return nil
					}
					return t.of
				})},
				"isOneOf": {Type: graphql.Boolean, Resolve: typeField(func(t *introType) any {
					if t.def == nil || t.def.Kind != gqlast.InputObject {
						return nil
					}
					return t.def.Directives.ForName("oneOf") != nil
				})},
			}
		}),
	})
	inputT = graphql.NewObject(graphql.ObjectConfig{
		Name: "__InputValue",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"name":        {Type: nn(graphql.String), Resolve: inputField(func(v inputValue) any { return v.name })},
				"description": {Type: graphql.String, Resolve: inputField(func(v inputValue) any { return strOrNil(v.desc) })},
				"type":        {Type: nn(typeT), Resolve: inputField(func(v inputValue) any { return in.typeOf(v.typ) })},
				"defaultValue": {Type: graphql.String, Resolve: inputField(func(v inputValue) any {
					if v.def == nil {
						return nil
					}
					return v.def.String()
				})},
				"isDeprecated":      {Type: nn(graphql.Boolean), Resolve: inputField(func(v inputValue) any { return deprecated(v.dirs) })},
				"deprecationReason": {Type: graphql.String, Resolve: inputField(func(v inputValue) any { return deprecationReason(v.dirs) })},
			}
		}),
	})
	argsOf := func(p graphql.ResolveParams, args gqlast.ArgumentDefinitionList) []inputValue {
		out := []inputValue{}
		for _, a := range args {
			if argBool(p, "includeDeprecated") || !deprecated(a.Directives) {
				out = append(out, inputValue{a.Name, a.Description, a.Type, a.DefaultValue, a.Directives})
			}
		}
		return out
	}
	fieldT = graphql.NewObject(graphql.ObjectConfig{
		Name: "__Field",
		Fields: graphql.Fields{
			"name":        {Type: nn(graphql.String), Resolve: fieldDefField(func(f *gqlast.FieldDefinition) any { return f.Name })},
			"description": {Type: graphql.String, Resolve: fieldDefField(func(f *gqlast.FieldDefinition) any { return strOrNil(f.Description) })},
			"args": {Type: listOf(inputT), Args: includeDeprecated, Resolve: func(p graphql.ResolveParams) (any, error) {
				return argsOf(p, p.Source.(*gqlast.FieldDefinition).Arguments), nil
			}},
			"type":              {Type: nn(typeT), Resolve: fieldDefField(func(f *gqlast.FieldDefinition) any { return in.typeOf(f.Type) })},
			"isDeprecated":      {Type: nn(graphql.Boolean), Resolve: fieldDefField(func(f *gqlast.FieldDefinition) any { return deprecated(f.Directives) })},
			"deprecationReason": {Type: graphql.String, Resolve: fieldDefField(func(f *gqlast.FieldDefinition) any { return deprecationReason(f.Directives) })},
		},
	})
	enumT = graphql.NewObject(graphql.ObjectConfig{
		Name: "__EnumValue",
		Fields: graphql.Fields{
			"name":              {Type: nn(graphql.String), Resolve: enumDefField(func(v *gqlast.EnumValueDefinition) any { return v.Name })},
			"description":       {Type: graphql.String, Resolve: enumDefField(func(v *gqlast.EnumValueDefinition) any { return strOrNil(v.Description) })},
			"isDeprecated":      {Type: nn(graphql.Boolean), Resolve: enumDefField(func(v *gqlast.EnumValueDefinition) any { return deprecated(v.Directives) })},
			"deprecationReason": {Type: graphql.String, Resolve: enumDefField(func(v *gqlast.EnumValueDefinition) any { return deprecationReason(v.Directives) })},
		},
	})
	dirT = graphql.NewObject(graphql.ObjectConfig{
		Name: "__Directive",
		Fields: graphql.Fields{
			"name":         {Type: nn(graphql.String), Resolve: dirDefField(func(d *gqlast.DirectiveDefinition) any { return d.Name })},
			"description":  {Type: graphql.String, Resolve: dirDefField(func(d *gqlast.DirectiveDefinition) any { return strOrNil(d.Description) })},
			"isRepeatable": {Type: nn(graphql.Boolean), Resolve: dirDefField(func(d *gqlast.DirectiveDefinition) any { return d.IsRepeatable })},
			"locations": {Type: listOf(location), Resolve: dirDefField(func(d *gqlast.DirectiveDefinition) any {
				out := make([]string, len(d.Locations))
				for i, l := range d.Locations {
					out[i] = string(l)
				}
				return out
			})},
			"args": {Type: listOf(inputT), Args: includeDeprecated, Resolve: func(p graphql.ResolveParams) (any, error) {
				return argsOf(p, p.Source.(*gqlast.DirectiveDefinition).Arguments), nil
			}},
		},
	})
	schemaT := graphql.NewObject(graphql.ObjectConfig{
		Name: "__Schema",
		Fields: graphql.Fields{
			"description": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return strOrNil(as.Description), nil }},
			"types": {Type: listOf(typeT), Resolve: func(graphql.ResolveParams) (any, error) {
				out := make([]*introType, 0, len(in.named))
				for _, name := range sortedKeys(in.named) {
					out = append(out, in.named[name])
				}
				return out, nil
			}},
			"queryType":        {Type: nn(typeT), Resolve: func(graphql.ResolveParams) (any, error) { return in.named[as.Query.Name], nil }},
			"mutationType":     {Type: typeT, Resolve: func(graphql.ResolveParams) (any, error) { return in.rootType(as.Mutation), nil }},
			"subscriptionType": {Type: typeT, Resolve: func(graphql.ResolveParams) (any, error) { return in.rootType(as.Subscription), nil }},
			"directives": {Type: listOf(dirT), Resolve: func(graphql.ResolveParams) (any, error) {
				out := make([]*gqlast.DirectiveDefinition, 0, len(as.Directives))
				for _, name := range sortedKeys(as.Directives) {
					out = append(out, as.Directives[name])
				}
				return out, nil
			}},
		},
	})
	in.schemaField = &graphql.FieldDefinition{
		Name:    "__schema",
		Type:    nn(schemaT),
		Resolve: func(graphql.ResolveParams) (any, error) { return as, nil },
	}
	in.typeField = &graphql.FieldDefinition{
		Name: "__type",
		Type: typeT,
		Args: []*graphql.Argument{{PrivateName: "name", Type: nn(graphql.String)}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			if t, ok := in.named[argString(p, "name")]; ok {
				return t, nil
			}
			return nil, nil
		},
	}
	in.objects = map[string]*graphql.Object{}
	for _, o := range []*graphql.Object{schemaT, typeT, fieldT, inputT, enumT, dirT} {
		in.objects[o.Name()] = o
	}
	return in
}

// typeOf gives the introspection value of a type reference.
func (in *introspection) typeOf(t *gqlast.Type) *introType {
	var it *introType
	if t.Elem != nil {
		it = &introType{kind: "LIST", of: in.typeOf(t.Elem)}
	} else {
		it = in.named[t.NamedType]
	}
	if t.NonNull {
		return &introType{kind: "NON_NULL", of: it}
	}
	return it
}

func (in *introspection) rootType(d *gqlast.Definition) any {
	if d == nil {
		return nil
	}
	return in.named[d.Name]
}

// namedOr applies f to a named type and gives null for wrappers.
func namedOr(t *introType, f func(*gqlast.Definition) any) any {
	if t.def == nil {
		return nil
	}
	return f(t.def)
}

func deprecated(dirs gqlast.DirectiveList) bool { return dirs.ForName("deprecated") != nil }

func deprecationReason(dirs gqlast.DirectiveList) any {
	d := dirs.ForName("deprecated")
	if d == nil {
		return nil
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil && a.Value.Kind != gqlast.NullValue {
		return a.Value.Raw
	}
	return "No longer supported" // the argument's default in the specification
}

func enumValuesOf(d *gqlast.Definition) graphql.EnumValueConfigMap {
	m := graphql.EnumValueConfigMap{}
	for _, v := range d.EnumValues {
		m[v.Name] = &graphql.EnumValueConfig{Value: v.Name, Description: v.Description}
	}
	return m
}

func typeField(f func(*introType) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*introType)), nil }
}

func inputField(f func(inputValue) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(inputValue)), nil }
}

func fieldDefField(f func(*gqlast.FieldDefinition) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*gqlast.FieldDefinition)), nil }
}

func enumDefField(f func(*gqlast.EnumValueDefinition) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*gqlast.EnumValueDefinition)), nil }
}

func dirDefField(f func(*gqlast.DirectiveDefinition) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*gqlast.DirectiveDefinition)), nil }
}

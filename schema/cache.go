package schema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/graphql-go/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// The document cache keeps, per query text, the parsed document with the
// errors that stop it before validation (parse errors and the structural
// bounds of bounds.go) and, once asked for, its validation result. Clients
// repeat the same query texts with different variables, so a cached
// document costs no parsing, bounding or validation per request. What
// depends on variables (complexity, coercion) is done per request.
//
// A cached document is shared by concurrent requests. Validation writes
// its type annotations into the AST; it runs once, under validateOnce,
// before anyone executes the document.
const (
	docCacheEntries = 512
	// docCacheMaxQuery is the longest query text cached: a bounded number
	// of entries must not mean an unbounded amount of memory.
	docCacheMaxQuery = 32 << 10
	// maxValidationErrors bounds the errors reported for one document.
	maxValidationErrors = 100
)

// document is one query text.
type document struct {
	doc  *ast.QueryDocument
	errs []Error // parse or structural errors; nil when doc may be validated

	fragments map[string]*ast.FragmentDefinition
	// varDirectives: some @skip or @include reads a variable, so which
	// fields are collected depends on the request and plans are built per
	// request; otherwise they are built once and shared (exec.go).
	varDirectives bool
	planMu        sync.Mutex // serialises building the shared plans
	rootPlans     atomic.Pointer[[]opPlans]
	varSlots      int // slots given to shared plans with varArgs, under planMu

	validateOnce sync.Once
	validation   []Error // CodeValidationFailed errors; nil when valid
	// varTypes are the input types of the variables of a valid document,
	// made once with it.
	varTypes map[*ast.VariableDefinition]graphql.Input

	// costs holds the complexity of each operation whose cost reads no
	// variable (*ast.OperationDefinition -> int).
	costs sync.Map
}

// validate returns the validation errors of d's document, validating it
// the first time only.
func (d *document) validate(s *Schema) []Error {
	d.validateOnce.Do(func() {
		s.validations.Add(1)
		errs := validator.ValidateWithRules(s.as, d.doc, s.rules)
		for i, ge := range errs {
			if i == maxValidationErrors {
				// As graphql-js's validate does with its maxErrors option.
				d.validation = append(d.validation, newError(CodeValidationFailed, "Too many validation errors, error limit reached. Validation aborted."))
				break
			}
			d.validation = append(d.validation, gqlError(CodeValidationFailed, ge))
		}
		if d.validation == nil {
			d.varTypes = map[*ast.VariableDefinition]graphql.Input{}
			for _, op := range d.doc.Operations {
				for _, vd := range op.VariableDefinitions {
					d.varTypes[vd] = s.inputType(vd.Type)
				}
			}
		}
	})
	return d.validation
}

// parse parses query and checks its structure (never nil).
func (s *Schema) parse(query string) *document {
	if at := loneSurrogate(query); at >= 0 {
		line := 1 + strings.Count(query[:at], "\n")
		col := 1 + utf8.RuneCountInString(query[strings.LastIndexByte(query[:at], '\n')+1:at])
		e := newError(CodeParseFailed, fmt.Sprintf("Syntax Error: Invalid Unicode escape sequence: %q.", query[at:at+6]))
		e.Locations = []Location{{Line: line, Column: col}}
		return &document{errs: []Error{e}}
	}
	query = escapeControls(query)
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Name: "GraphQL request", Input: query}, s.cfg.MaxTokens)
	if err != nil {
		ge, ok := err.(*gqlerror.Error)
		if !ok {
			ge = gqlerror.Wrap(err)
		}
		e := gqlError(parseErrorCode(ge.Message), ge)
		if e.Code() == CodeParseFailed {
			e.Message = "Syntax Error: " + e.Message
		}
		return &document{errs: []Error{e}}
	}
	fixBlockStrings(doc, query)
	d := &document{doc: doc, errs: s.checkStructure(doc), fragments: map[string]*ast.FragmentDefinition{}}
	for _, f := range doc.Fragments {
		if _, dup := d.fragments[f.Name]; !dup {
			d.fragments[f.Name] = f
		}
	}
	d.varDirectives = conditionalOnVariables(doc)
	return d
}

// opPlans are the shared plans of one operation's root selection set.
type opPlans struct {
	op    *ast.OperationDefinition
	plans []*fieldPlan
}

// conditionalOnVariables reports whether a @skip or @include of doc reads a
// variable.
func conditionalOnVariables(doc *ast.QueryDocument) bool {
	found := false
	check := func(dirs ast.DirectiveList) {
		for _, d := range dirs {
			if (d.Name == "skip" || d.Name == "include") && readsVariables(d.Arguments) {
				found = true
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(ss ast.SelectionSet) {
		for _, sel := range ss {
			switch sel := sel.(type) {
			case *ast.Field:
				check(sel.Directives)
				set(sel.SelectionSet)
			case *ast.InlineFragment:
				check(sel.Directives)
				set(sel.SelectionSet)
			case *ast.FragmentSpread:
				check(sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		set(f.SelectionSet)
	}
	return found
}

func gqlError(code string, ge *gqlerror.Error) Error {
	e := newError(code, cleanMessage(ge.Message))
	for _, l := range ge.Locations {
		e.Locations = append(e.Locations, Location{Line: l.Line, Column: l.Column})
	}
	return e
}

// document returns the document of query, from the cache when it is there.
func (s *Schema) document(query string) *document {
	if len(query) > docCacheMaxQuery {
		return s.parse(query)
	}
	if d, ok := s.docs.Get(query); ok {
		return d
	}
	// Two requests missing at once both parse; both then use the one
	// added first, so it is validated once.
	return s.docs.AddIfAbsent(query, s.parse(query))
}

// validationRules are the specification's rules (graphql-js's
// specifiedRules, in gqlparser's port) without the "Did you mean"
// suggestions, which would let clients probe the schema with introspection
// off, plus scalarLiterals.
func (s *Schema) validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, pair := range [][2]core.Rule{
		{rules.FieldsOnCorrectTypeRule, rules.FieldsOnCorrectTypeRuleWithoutSuggestions},
		{rules.KnownArgumentNamesRule, rules.KnownArgumentNamesRuleWithoutSuggestions},
		{rules.KnownTypeNamesRule, rules.KnownTypeNamesRuleWithoutSuggestions},
		{rules.ScalarLeafsRule, rules.ScalarLeafsRuleWithoutSuggestions},
		{rules.ValuesOfCorrectTypeRule, rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
	} {
		r.RemoveRule(pair[0].Name)
		r.AddRule(pair[1].Name, pair[1].RuleFunc)
	}
	r.AddRule("ScalarLiterals", s.scalarLiterals())
	return r
}

// scalarLiterals checks what gqlparser's ValuesOfCorrectType leaves out
// and graphql-js checks: an Int literal must fit in 32 bits, and a literal
// of a custom scalar (Date) must parse with the scalar's own ParseLiteral.
// Messages name the argument, or the variable whose default it is.
func (s *Schema) scalarLiterals() core.RuleFunc {
	gs := &s.gql
	return func(observers *core.Events, addError core.AddErrFunc) {
		var check func(where string, v *ast.Value)
		check = func(where string, v *ast.Value) {
			if v == nil {
				return
			}
			for _, c := range v.Children {
				check(where, c.Value)
			}
			if v.Definition == nil || v.Definition.Kind != ast.Scalar {
				return
			}
			switch v.Kind {
			case ast.Variable, ast.NullValue:
				return
			case ast.ListValue, ast.ObjectValue:
				if v.ExpectedType != nil && v.ExpectedType.Elem != nil {
					return // a list where a list goes: its items were checked
				}
			}
			switch name := v.Definition.Name; {
			case name == "Int" && v.Kind == ast.IntValue:
				if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
					addError(core.Message(`%s has an invalid value: Int cannot represent non 32-bit signed integer value: %s`, where, truncate(v.Raw, 100)), core.At(v.Position))
				}
			case builtinScalar(name):
			default:
				sc, ok := gs.Type(name).(*graphql.Scalar)
				if !ok {
					return
				}
				if _, err := coerceScalarLiteral(v, sc, nil); err != nil {
					addError(core.Message(`%s has an invalid value: expected a value of type "%s", found %s%s.`, where, name, truncate(v.String(), 100), scalarHint(sc)), core.At(v.Position))
				}
			}
		}
		arguments := func(args ast.ArgumentList) {
			for _, a := range args {
				check(fmt.Sprintf("Argument %q", a.Name), a.Value)
			}
		}
		observers.OnField(func(_ *core.Walker, f *ast.Field) { arguments(f.Arguments) })
		observers.OnDirective(func(_ *core.Walker, d *ast.Directive) { arguments(d.Arguments) })
		observers.OnVariable(func(_ *core.Walker, vd *ast.VariableDefinition) {
			// Defaults are not annotated with their types: coerce them whole
			// when they are of a custom scalar, which gqlparser skips.
			if vd.DefaultValue == nil || builtinScalar(vd.Type.Name()) {
				return
			}
			if _, ok := gs.Type(vd.Type.Name()).(*graphql.Scalar); !ok {
				return
			}
			if t := s.inputType(vd.Type); t != nil {
				if _, err := s.coerceLiteral(vd.DefaultValue, t, nil, nil); err != nil {
					addError(core.Message("The default of $%s has an invalid value: %v.", vd.Variable, err), core.At(vd.DefaultValue.Position))
				}
			}
		})
	}
}

// cloneErrors copies cached errors, so a caller changing a Result's errors
// (their Locations or Extensions) does not change the cache.
func cloneErrors(errs []Error) []Error {
	out := make([]Error, len(errs))
	for i, e := range errs {
		e.Locations = slices.Clone(e.Locations)
		e.Path = slices.Clone(e.Path)
		e.Extensions = maps.Clone(e.Extensions)
		out[i] = e
	}
	return out
}

package schema

import (
	"fmt"
	"math"
	"strings"

	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// Every request is bounded before any work that grows faster than its
// size. The document's bytes and tokens are bounded before parsing (the
// parser also refuses nesting deeper than gqlparser's MaxNestingDepth, the
// guard against exhausting the stack). Then, on the parsed document and in
// time linear in its size (fragments are measured once each):
//   - operations, variables per operation, directives per location,
//     arguments per field, fields per object literal;
//   - nesting of list and object values;
//   - fragment cycles (reported as the validation error graphql-js gives);
//   - depth of fields and the number of fields after fragment expansion,
//     per operation and per selection set.
//
// Only a document within all of them is validated: validation's rule for
// overlapping fields compares the fields of a selection set pairwise, and
// these bounds keep that quadratic term small. The complexity limit
// (limits.go) depends on variables and is checked per request after
// validation. Variables are bounded before they are coerced (checkVariables).

// checkStructure returns the errors that stop doc before validation.
func (s *Schema) checkStructure(doc *gqlast.QueryDocument) []Error {
	c := &structure{
		cfg:   &s.cfg,
		frags: make(map[string]*gqlast.FragmentDefinition, len(doc.Fragments)),
		memo:  make(map[string]*fragSize, len(doc.Fragments)),
	}
	for _, f := range doc.Fragments {
		if _, dup := c.frags[f.Name]; !dup {
			c.frags[f.Name] = f
		}
	}
	if n := len(doc.Operations); n > s.cfg.MaxOperations {
		c.limit(CodeTooManyOperations, nil, n, s.cfg.MaxOperations, "the document has %d operations; at most %d are allowed", n, s.cfg.MaxOperations)
		return c.errs
	}
	for _, op := range doc.Operations {
		if op.Description != "" {
			c.syntax(op.Position, "Unexpected description before an operation")
		}
		if n := len(op.VariableDefinitions); n > s.cfg.MaxVariables {
			c.limit(CodeTooLarge, op.Position, n, s.cfg.MaxVariables, "the operation declares %d variables; at most %d are allowed", n, s.cfg.MaxVariables)
		}
		for _, vd := range op.VariableDefinitions {
			if vd.Description != "" {
				c.syntax(vd.Position, "Unexpected description before a variable definition")
			}
			c.value(vd.DefaultValue, 1)
			c.directives(vd.Directives)
		}
		c.directives(op.Directives)
	}
	for _, f := range doc.Fragments {
		if f.Description != "" {
			c.syntax(f.Position, "Unexpected description before a fragment")
		}
		if len(f.VariableDefinition) > 0 {
			c.syntax(f.Position, "Unexpected \"(\": fragments take no variables")
		}
		c.directives(f.Directives)
	}
	if len(c.errs) > 0 {
		return c.errs
	}
	for _, f := range doc.Fragments {
		c.fragment(f.Name)
	}
	for _, op := range doc.Operations {
		size := c.set(op.SelectionSet)
		if size.depth > s.cfg.MaxDepth {
			c.limit(CodeTooDeep, op.Position, size.depth, s.cfg.MaxDepth, "the query is %d fields deep; at most %d are allowed", size.depth, s.cfg.MaxDepth)
		}
		if size.fields > s.cfg.MaxFields {
			c.limit(CodeTooLarge, op.Position, size.fields, s.cfg.MaxFields, "the operation selects %s fields once fragments are expanded; at most %d are allowed", count(size.fields), s.cfg.MaxFields)
		}
	}
	if c.aliases > s.cfg.MaxAliases {
		c.limit(CodeTooManyAliases, nil, c.aliases, s.cfg.MaxAliases, "the document has %d aliases; at most %d are allowed", c.aliases, s.cfg.MaxAliases)
	}
	return c.errs
}

type structure struct {
	cfg     *Config
	frags   map[string]*gqlast.FragmentDefinition
	memo    map[string]*fragSize // nil entry: being measured (a cycle if met again)
	aliases int
	errs    []Error
	onError map[string]bool // one error per kind of limit and place
}

// fragSize measures a selection set with its fragments expanded.
type fragSize struct {
	fields int // fields in all, saturating
	width  int // fields of the set itself (merged by CollectFields), saturating
	depth  int
}

func (c *structure) limit(code string, pos *gqlast.Position, actual, limit int, format string, args ...any) {
	e := newError(code, fmt.Sprintf(format, args...))
	e.Locations = locationsOf(pos)
	e.Extensions["actual"] = actual
	e.Extensions["limit"] = limit
	c.add(format, e)
}

func (c *structure) syntax(pos *gqlast.Position, msg string) {
	e := newError(CodeParseFailed, "Syntax Error: "+msg+".")
	e.Locations = locationsOf(pos)
	c.add(msg, e)
}

// add keeps the first error of each kind: a bound broken at many places
// (every level of a fragment bomb) is reported once.
func (c *structure) add(kind string, e Error) {
	if c.onError == nil {
		c.onError = map[string]bool{}
	}
	if c.onError[kind] || len(c.errs) >= 20 {
		return
	}
	c.onError[kind] = true
	c.errs = append(c.errs, e)
}

func (c *structure) directives(dirs gqlast.DirectiveList) {
	if n := len(dirs); n > c.cfg.MaxDirectives {
		c.limit(CodeTooLarge, dirs[0].Position, n, c.cfg.MaxDirectives, "%d directives in one place; at most %d are allowed", n, c.cfg.MaxDirectives)
		return
	}
	for _, d := range dirs {
		c.arguments(d.Arguments, d.Position)
	}
}

func (c *structure) arguments(args gqlast.ArgumentList, pos *gqlast.Position) {
	if n := len(args); n > c.cfg.MaxArguments {
		c.limit(CodeTooLarge, pos, n, c.cfg.MaxArguments, "%d arguments in one place; at most %d are allowed", n, c.cfg.MaxArguments)
		return
	}
	for _, a := range args {
		c.value(a.Value, 1)
	}
}

// value checks the nesting and size of a literal.
func (c *structure) value(v *gqlast.Value, depth int) {
	if v == nil {
		return
	}
	if depth > c.cfg.MaxValueDepth {
		c.limit(CodeTooLarge, v.Position, depth, c.cfg.MaxValueDepth, "a value nests %d levels deep; at most %d are allowed", depth, c.cfg.MaxValueDepth)
		return
	}
	if v.Kind == gqlast.ObjectValue && len(v.Children) > c.cfg.MaxArguments {
		c.limit(CodeTooLarge, v.Position, len(v.Children), c.cfg.MaxArguments, "an object value has %d fields; at most %d are allowed", len(v.Children), c.cfg.MaxArguments)
		return
	}
	for _, ch := range v.Children {
		c.value(ch.Value, depth+1)
	}
}

// fragment measures a fragment once; a fragment met again while it is
// being measured is a cycle.
func (c *structure) fragment(name string) fragSize {
	if m, seen := c.memo[name]; seen {
		if m == nil {
			return fragSize{}
		}
		return *m
	}
	f := c.frags[name]
	if f == nil {
		return fragSize{} // unknown: validation reports it
	}
	c.memo[name] = nil
	size := c.set(f.SelectionSet)
	c.memo[name] = &size
	return size
}

func (c *structure) set(set gqlast.SelectionSet) fragSize {
	var size fragSize
	for _, sel := range set {
		switch sel := sel.(type) {
		case *gqlast.Field:
			if sel.Alias != "" && sel.Alias != sel.Name {
				c.aliases++
			}
			c.arguments(sel.Arguments, sel.Position)
			c.directives(sel.Directives)
			child := c.set(sel.SelectionSet)
			size.fields = satAdd(size.fields, satAdd(1, child.fields))
			size.width = satAdd(size.width, 1)
			size.depth = max(size.depth, 1+child.depth)
		case *gqlast.InlineFragment:
			c.directives(sel.Directives)
			child := c.set(sel.SelectionSet)
			size.fields = satAdd(size.fields, child.fields)
			size.width = satAdd(size.width, child.width)
			size.depth = max(size.depth, child.depth)
		case *gqlast.FragmentSpread:
			c.directives(sel.Directives)
			if m, seen := c.memo[sel.Name]; seen && m == nil {
				e := newError(CodeValidationFailed, fmt.Sprintf("Cannot spread fragment %q within itself.", sel.Name))
				e.Locations = locationsOf(sel.Position)
				c.add(e.Message, e)
				continue
			}
			child := c.fragment(sel.Name)
			size.fields = satAdd(size.fields, child.fields)
			size.width = satAdd(size.width, child.width)
			size.depth = max(size.depth, child.depth)
		}
	}
	if size.width > c.cfg.MaxSelectionWidth {
		c.limit(CodeTooLarge, set[0].GetPosition(), size.width, c.cfg.MaxSelectionWidth, "a selection set has %s fields once fragments are expanded; at most %d are allowed", count(size.width), c.cfg.MaxSelectionWidth)
	}
	return size
}

// count prints a saturated count as "more than ...".
func count(n int) string {
	if n >= costCap {
		return fmt.Sprintf("more than %d", math.MaxInt32-1)
	}
	return fmt.Sprint(n)
}

// checkVariables bounds the request's variables before they are coerced:
// their number, nesting and string sizes.
func (s *Schema) checkVariables(vars map[string]any) *Error {
	if n := len(vars); n > s.cfg.MaxVariables {
		return limitError(CodeTooLarge, n, s.cfg.MaxVariables, fmt.Sprintf("the request has %d variables; at most %d are allowed", n, s.cfg.MaxVariables))
	}
	var walk func(v any, depth int) *Error
	walk = func(v any, depth int) *Error {
		if depth > s.cfg.MaxValueDepth {
			return limitError(CodeTooLarge, depth, s.cfg.MaxValueDepth, fmt.Sprintf("a variable nests %d levels deep; at most %d are allowed", depth, s.cfg.MaxValueDepth))
		}
		switch v := v.(type) {
		case string:
			if len(v) > s.cfg.MaxStringBytes {
				return limitError(CodeTooLarge, len(v), s.cfg.MaxStringBytes, fmt.Sprintf("a variable holds a string of %d bytes; at most %d are allowed", len(v), s.cfg.MaxStringBytes))
			}
		case []any:
			for _, x := range v {
				if e := walk(x, depth+1); e != nil {
					return e
				}
			}
		case map[string]any:
			for _, x := range v {
				if e := walk(x, depth+1); e != nil {
					return e
				}
			}
		}
		return nil
	}
	for _, v := range vars {
		if e := walk(v, 1); e != nil {
			return e
		}
	}
	return nil
}

func limitError(code string, actual, limit int, msg string) *Error {
	e := newError(code, msg)
	e.Extensions["actual"] = actual
	e.Extensions["limit"] = limit
	return &e
}

// parseErrorCode tells a document refused for its size by the parser from
// one that is not GraphQL.
func parseErrorCode(msg string) string {
	switch {
	case strings.HasPrefix(msg, "exceeded token limit"):
		return CodeTooLarge
	case strings.HasPrefix(msg, "exceeded maximum nesting depth"):
		return CodeTooDeep
	}
	return CodeParseFailed
}

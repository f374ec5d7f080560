package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	gqlast "github.com/vektah/gqlparser/v2/ast"

	"github.com/chipgraph/chipgraph/graph"
)

// The executor runs every validated operation: queries, mutations (their
// root fields one after another, as the specification asks), introspection,
// and requests whose fields fail, with the specification's errors, paths
// and null propagation. It writes the response's JSON in one buffer as it
// goes, in the query's field order (section 7.2.2: "the order of fields in
// the response map is the order in which they were requested").
//
// The fields of each selection set are collected once per runtime type and
// request (CollectFields, section 6.3.2), with their arguments coerced
// once. A field that resolves to null in a non-null position makes its
// parent null (section 6.4.4); the parent's JSON is cut back to where it
// started and null written instead.
//
// Resolvers are graphql-go field resolvers; they get the ResolveParams
// graphql-go would give them, except Info.FieldASTs, Info.Operation and
// Info.Path, which are graphql-go AST values no resolver of this package
// reads. A resolver that can skip work nobody asked for looks ahead with
// selects instead.

// errNull is returned up the tree when a non-null position got null: the
// nearest nullable ancestor becomes null. The error itself was recorded
// where it happened.
var errNull = errors.New("schema: null in a non-null position")

// errAborted stops execution: the request's context is done.
var errAborted = errors.New("schema: execution aborted")

// errExecutorPanic is a bug of the executor, logged with its stack.
var errExecutorPanic = errors.New("schema: panic in the executor")

// errIntrospectionTooComplex stops execution: introspection produced more
// objects than the complexity limit left for it.
var errIntrospectionTooComplex = errors.New("schema: introspection too complex")

const ctxCheckEvery = 64

// pathElem is a response key, or with key "" a list index: an error's
// path is built from them only when there is an error.
type pathElem struct {
	key   string
	index int
}

func (x *execution) responsePath() []any {
	out := make([]any, len(x.path))
	for i, e := range x.path {
		if e.key != "" {
			out[i] = e.key
		} else {
			out[i] = e.index
		}
	}
	return out
}

// fieldPlan is one response key of a selection set collected for one
// object type: the fields merged under the key, their definition and
// their coerced arguments.
//
// Plans depend on the document and the operation, and on the variables
// only through @skip/@include and arguments. When no @skip or @include
// reads a variable they are built once per document and shared by every
// request (planned.go); arguments that read variables are then coerced
// per request (execution.argsOf).
type fieldPlan struct {
	key    string
	member string // the key as the JSON object member's start, "key":
	fields []*gqlast.Field
	def    *graphql.FieldDefinition // nil for __typename
	leaf   func(any) (string, bool) // the field is a leaf (types.go)
	// args are the coerced arguments; with varArgs, those that read no
	// variable, and the defaults.
	args    map[string]any
	argsErr error // the arguments do not coerce: a field error
	// varArgs are the arguments that read variables, in a shared plan:
	// argsOf coerces them once per request and keeps the result in the
	// execution's slot.
	varArgs []varArg
	slot    int
	info    graphql.ResolveInfo

	// children are the plans of the sub-selections by runtime type, built
	// on first use; copy on write, so concurrent requests read them
	// without a lock.
	children atomic.Pointer[[]childPlans]
}

type childPlans struct {
	obj   *graphql.Object
	plans []*fieldPlan
}

type execution struct {
	s    *Schema
	ctx  requestContext // what resolvers get, as &x.ctx
	d    *document
	vars map[string]any
	reqInfo
	// shared: the plans are the document's, built under d.planMu.
	shared bool
	// varArgs holds this request's arguments of the plans with varArgs,
	// by their slot; varArgsArr is its first array.
	varArgs    []argsResult
	varArgsArr [2]argsResult
	buf        []byte
	errs       []Error
	path       []pathElem
	pathArr    [8]pathElem // path's first array, allocated with x

	fields  int        // resolved so far
	current *fieldPlan // the field being resolved, for selects

	// introBudget is what the complexity limit leaves for the objects
	// introspection produces (limits.go); introObjects counts them.
	introBudget, introObjects int
}

// execute runs op under ctx and deadline (zero: ctx's) and returns its
// data (JSON; "null" when a null reached the root) and its field errors,
// or the context's error when it ended first.
//
// The data is written in buf, a pooled buffer: releaseBuffer (called by
// Result.Release) returns it to the pool, once the data is no longer used.
// buf is nil after a panic, whose buffer is released at once.
func (s *Schema) execute(ctx context.Context, deadline time.Time, ri reqInfo, d *document, op *gqlast.OperationDefinition, vars map[string]any, introBudget int) (data json.RawMessage, errs []Error, buf *[]byte, err error) {
	buf = bufPool.Get().(*[]byte)
	x := &execution{
		s: s, d: d, vars: vars, reqInfo: ri, introBudget: introBudget,
		shared: !d.varDirectives,
		buf:    (*buf)[:0],
	}
	x.ctx = requestContext{parent: ctx, deadline: deadline, x: x}
	defer x.ctx.finish()
	x.path, x.varArgs = x.pathArr[:0], x.varArgsArr[:0]
	defer func() {
		// The resolvers recover their own panics (safe); this is for the
		// executor's.
		if r := recover(); r != nil {
			releaseBuffer(buf)
			s.cfg.Logger.ErrorContext(ctx, "graphql: panic in the executor", "request_id", ri.requestID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			data, errs, buf, err = nil, nil, nil, errExecutorPanic
		}
	}()
	root := s.gql.QueryType()
	if op.Operation == gqlast.Mutation {
		root = s.gql.MutationType()
	}
	plans, err := x.rootPlans(root, op)
	if err != nil {
		// A directive's argument failed at the root: no data at all, as
		// graphql-js's executeOperation gives.
		x.errs = append(x.errs, x.s.errorOf(err, ri.requestID))
		return json.RawMessage("null"), x.errs, buf, nil
	}
	err = x.object(root, plans, nil)
	*buf = x.buf // keep the grown buffer for the next request
	switch {
	case errors.Is(err, errAborted):
		return nil, nil, buf, x.ctx.Err()
	case errors.Is(err, errIntrospectionTooComplex):
		return nil, nil, buf, err
	case errors.Is(err, errNull):
		return json.RawMessage("null"), x.errs, buf, nil
	case err != nil:
		return nil, nil, buf, err
	}
	return x.buf, x.errs, buf, nil
}

// Responses are written into pooled buffers: answers of one query vary
// widely (a hub's neighbourhood and a leaf's), and growing a fresh buffer
// each time cost more than the traversal's own allocations.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledBuffer keeps a rare huge response's buffer out of the pool.
const maxPooledBuffer = 1 << 20

// releaseBuffer returns buf to the pool; call it once only, as a buffer
// twice in the pool would be shared.
func releaseBuffer(buf *[]byte) {
	if cap(*buf) <= maxPooledBuffer {
		bufPool.Put(buf)
	}
}

// collect gathers the fields of sets that apply to obj, in order, merging
// fields with the same response key (CollectFields).
func (x *execution) collect(obj *graphql.Object, sets []gqlast.SelectionSet) ([]*fieldPlan, error) {
	var plans []*fieldPlan
	var byKey map[string]*fieldPlan
	var firstErr error
	var visited map[string]bool // fragments spread, made on the first
	include := func(dirs gqlast.DirectiveList) bool {
		ok, err := x.included(dirs)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return ok && err == nil
	}
	var walk func(set gqlast.SelectionSet)
	walk = func(set gqlast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *gqlast.Field:
				if !include(sel.Directives) {
					continue
				}
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				if p := findPlan(plans, byKey, key); p != nil {
					p.fields = append(p.fields, sel)
					continue
				}
				p := x.newPlan(obj, key, sel)
				plans = append(plans, p)
				if len(plans) > 8 {
					if byKey == nil {
						byKey = make(map[string]*fieldPlan, 16)
						for _, q := range plans {
							byKey[q.key] = q
						}
					}
					byKey[key] = p
				}
			case *gqlast.InlineFragment:
				if include(sel.Directives) && x.applies(sel.TypeCondition, obj) {
					walk(sel.SelectionSet)
				}
			case *gqlast.FragmentSpread:
				if visited[sel.Name] || !include(sel.Directives) {
					continue
				}
				if visited == nil {
					visited = map[string]bool{}
				}
				visited[sel.Name] = true
				if f := x.d.fragments[sel.Name]; f != nil && x.applies(f.TypeCondition, obj) {
					walk(f.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return plans, firstErr
}

// findPlan finds the plan of key: a scan while there are few, the map
// after.
func findPlan(plans []*fieldPlan, byKey map[string]*fieldPlan, key string) *fieldPlan {
	if byKey != nil {
		return byKey[key]
	}
	for _, p := range plans {
		if p.key == key {
			return p
		}
	}
	return nil
}

func (x *execution) newPlan(obj *graphql.Object, key string, f *gqlast.Field) *fieldPlan {
	p := &fieldPlan{key: key, member: `"` + key + `":`, fields: []*gqlast.Field{f}} // a GraphQL name: nothing to escape
	if f.Name == "__typename" {
		return p
	}
	p.def = x.s.fieldDef(obj, f.Name)
	if p.def == nil {
		// Validation checked every field against the type; the only way
		// here is a schema and validator that disagree.
		p.argsErr = fmt.Errorf("no field %s.%s", obj.Name(), f.Name)
		return p
	}
	if len(f.Arguments) == 0 && len(p.def.Args) == 0 {
		p.leaf = x.s.leaves[obj][f.Name]
	}
	if x.shared {
		p.args, p.varArgs, p.argsErr = x.s.splitArguments(p.def.Args, f.Arguments)
		if p.varArgs != nil {
			p.slot = x.d.varSlots
			x.d.varSlots++
		}
	} else {
		p.args, p.argsErr = x.s.coerceArguments(p.def.Args, f.Arguments, x.vars)
	}
	p.info = graphql.ResolveInfo{FieldName: f.Name, ReturnType: p.def.Type, ParentType: obj}
	return p
}

type argsResult struct {
	done bool
	args map[string]any
	err  error
}

// argsOf gives p's arguments in this request.
func (x *execution) argsOf(p *fieldPlan) (map[string]any, error) {
	if p.varArgs == nil || p.argsErr != nil {
		return p.args, p.argsErr
	}
	for len(x.varArgs) <= p.slot {
		x.varArgs = append(x.varArgs, argsResult{})
	}
	r := &x.varArgs[p.slot]
	if !r.done {
		r.done = true
		r.args = maps.Clone(p.args) // a small map's groups copied whole
		if r.args == nil {
			r.args = map[string]any{}
		}
		for _, a := range p.varArgs {
			if r.err = x.s.coerceArgument(r.args, a.def, a.arg, x.vars); r.err != nil {
				r.args = nil
				break
			}
		}
	}
	return r.args, r.err
}

// readsVariables reports whether any argument's value is or holds a
// variable.
func readsVariables(args gqlast.ArgumentList) bool {
	for _, a := range args {
		if readsVariable(a.Value) {
			return true
		}
	}
	return false
}

func readsVariable(v *gqlast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == gqlast.Variable {
		return true
	}
	for _, c := range v.Children {
		if readsVariable(c.Value) {
			return true
		}
	}
	return false
}

// fieldDef finds a field of obj, including the introspection fields of
// the query root.
func (s *Schema) fieldDef(obj *graphql.Object, name string) *graphql.FieldDefinition {
	if obj == s.gql.QueryType() {
		switch name {
		case "__schema":
			return s.intro.schemaField
		case "__type":
			return s.intro.typeField
		}
	}
	return obj.Fields()[name]
}

// children returns the plans of p's sub-selections for runtime type obj.
func (x *execution) children(p *fieldPlan, obj *graphql.Object) ([]*fieldPlan, error) {
	if c := findChildren(p, obj); c != nil {
		return c, nil
	}
	if x.shared {
		x.d.planMu.Lock()
		defer x.d.planMu.Unlock()
		if c := findChildren(p, obj); c != nil {
			return c, nil // built by another request meanwhile
		}
	}
	sets := make([]gqlast.SelectionSet, len(p.fields))
	for i, f := range p.fields {
		sets[i] = f.SelectionSet
	}
	c, err := x.collect(obj, sets)
	if err != nil {
		return nil, err
	}
	var next []childPlans
	if old := p.children.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, childPlans{obj, c})
	p.children.Store(&next)
	return c, nil
}

// findChildren finds p's plans for obj among those built: a few runtime
// types at most, compared by pointer.
func findChildren(p *fieldPlan, obj *graphql.Object) []*fieldPlan {
	if cs := p.children.Load(); cs != nil {
		for _, c := range *cs {
			if c.obj == obj {
				return c.plans
			}
		}
	}
	return nil
}

// rootPlans returns the plans of op's selection set on root: the
// document's shared ones when it has them.
func (x *execution) rootPlans(root *graphql.Object, op *gqlast.OperationDefinition) ([]*fieldPlan, error) {
	if !x.shared {
		return x.collect(root, []gqlast.SelectionSet{op.SelectionSet})
	}
	if c := x.d.rootPlans.Load(); c != nil {
		for _, r := range *c {
			if r.op == op {
				return r.plans, nil
			}
		}
	}
	x.d.planMu.Lock()
	defer x.d.planMu.Unlock()
	var next []opPlans
	if c := x.d.rootPlans.Load(); c != nil {
		for _, r := range *c {
			if r.op == op {
				return r.plans, nil
			}
		}
		next = append(next, *c...)
	}
	plans, err := x.collect(root, []gqlast.SelectionSet{op.SelectionSet})
	if err != nil {
		return nil, err // not reached: only variables make collection fail
	}
	next = append(next, opPlans{op, plans})
	x.d.rootPlans.Store(&next)
	return plans, nil
}

// included evaluates @skip and @include. An if that does not coerce (a
// variable given null) is an error, as in graphql-js's getDirectiveValues.
func (x *execution) included(dirs gqlast.DirectiveList) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v, err := x.s.coerceLiteral(a.Value, nonNullBoolean, x.vars, nil)
		b, ok := v.(bool)
		if err != nil || !ok {
			return false, userError("argument \"if\" of @%s: %v", d.Name, errOr(err, "no value"))
		}
		if (d.Name == "skip") == b {
			return false, nil
		}
	}
	return true, nil
}

var nonNullBoolean = graphql.NewNonNull(graphql.Boolean)

func errOr(err error, msg string) any {
	if err != nil {
		return err
	}
	return msg
}

// applies reports whether a fragment with type condition cond applies to obj.
func (x *execution) applies(cond string, obj *graphql.Object) bool {
	return cond == "" || cond == obj.Name() || x.s.possible[cond][obj.Name()]
}

// object writes obj's selected fields of source.
func (x *execution) object(obj *graphql.Object, plans []*fieldPlan, source any) error {
	if name := obj.PrivateName; len(name) > 1 && name[0] == '_' && name[1] == '_' { // an introspection type
		if x.introObjects++; x.introObjects > x.introBudget {
			return errIntrospectionTooComplex
		}
	}
	x.buf = append(x.buf, '{')
	for i, p := range plans {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		x.buf = append(x.buf, p.member...)
		if p.leaf != nil { // a plain field read straight from the record
			if v, ok := p.leaf(source); ok {
				x.buf = appendJSONString(x.buf, v)
				continue
			}
		}
		if err := x.field(obj, p, source); err != nil {
			return err
		}
	}
	x.buf = append(x.buf, '}')
	return nil
}

// field resolves and writes one field.
func (x *execution) field(obj *graphql.Object, p *fieldPlan, source any) error {
	if p.def == nil && p.argsErr == nil {
		x.buf = appendJSONString(x.buf, obj.Name()) // __typename
		return nil
	}
	// The context is checked every ctxCheckEvery fields: often enough to
	// stop within a fraction of a millisecond, rarely enough to cost
	// nothing. Resolvers that do real work check it themselves.
	if x.fields++; x.fields%ctxCheckEvery == 0 {
		if x.ctx.Err() != nil {
			return errAborted
		}
	}
	x.path = append(x.path, pathElem{key: p.key})
	defer func() { x.path = x.path[:len(x.path)-1] }()
	args, argsErr := x.argsOf(p)
	if argsErr != nil {
		x.fieldError(p, userError("%v", argsErr))
		return x.null(p.def)
	}
	x.current = p
	v, err := p.def.Resolve(graphql.ResolveParams{Source: source, Args: args, Info: p.info, Context: &x.ctx})
	if err != nil {
		if x.ctx.Err() != nil {
			return errAborted
		}
		x.fieldError(p, err)
		return x.null(p.def)
	}
	return x.value(p.def.Type, p, v)
}

// selects reports whether the selection set of the field p resolves names
// a field called name, directly or through fragments. It errs on the side
// of true: a field under @skip or in a fragment for another type counts,
// and outside the executor the answer is always true. Resolvers use it to
// skip work whose result no one asked for.
func selects(p graphql.ResolveParams, name string) bool {
	x := requestOf(p.Context)
	if x == nil || x.current == nil {
		return true
	}
	for _, f := range x.current.fields {
		if selectionNames(f.SelectionSet, name) {
			return true
		}
	}
	return false
}

// selectionNames: validation has rejected fragment cycles and bounded the
// depth, so the walk ends.
func selectionNames(set gqlast.SelectionSet, name string) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *gqlast.Field:
			if sel.Name == name {
				return true
			}
		case *gqlast.InlineFragment:
			if selectionNames(sel.SelectionSet, name) {
				return true
			}
		case *gqlast.FragmentSpread:
			if sel.Definition == nil || selectionNames(sel.Definition.SelectionSet, name) {
				return true
			}
		}
	}
	return false
}

// null writes null for a field that failed, or gives errNull when its
// type is non-null.
func (x *execution) null(def *graphql.FieldDefinition) error {
	if def != nil {
		if _, ok := def.Type.(*graphql.NonNull); ok {
			return errNull
		}
	}
	x.buf = append(x.buf, "null"...)
	return nil
}

// fieldError records err at the current path.
func (x *execution) fieldError(p *fieldPlan, err error) {
	e := x.s.errorOf(err, x.requestID)
	e.Path = x.responsePath()
	if f := p.fields[0]; f.Position != nil {
		e.Locations = []Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	x.errs = append(x.errs, e)
}

// value writes v completed as type t (CompleteValue).
func (x *execution) value(t graphql.Type, p *fieldPlan, v any) error {
	nonNull := false
	if nn, ok := t.(*graphql.NonNull); ok {
		t, nonNull = nn.OfType, true
	}
	if isNullish(v) {
		if nonNull {
			x.internalError(p, fmt.Errorf("Cannot return null for non-nullable field %s.%s.", p.info.ParentType.Name(), p.info.FieldName))
			return errNull
		}
		x.buf = append(x.buf, "null"...)
		return nil
	}
	mark := len(x.buf)
	return x.nullable(x.complete(t, p, v), nonNull, mark)
}

// complete writes v, not null, completed as t, a type other than NonNull.
func (x *execution) complete(t graphql.Type, p *fieldPlan, v any) error {
	var err error
	switch t := t.(type) {
	case *graphql.List:
		err = x.list(t.OfType, p, v)
	case *graphql.Scalar:
		if str, ok := v.(string); ok && (t == graphql.String || t == graphql.ID) {
			x.buf = appendJSONString(x.buf, str) // what Serialize gives, without its fmt.Sprintf
		} else {
			err = x.leaf(p, t.Serialize(v), v)
		}
	case *graphql.Enum:
		err = x.leaf(p, t.Serialize(v), v)
	case *graphql.Object:
		if t.IsTypeOf != nil && !t.IsTypeOf(graphql.IsTypeOfParams{Value: v, Context: &x.ctx}) {
			x.internalError(p, fmt.Errorf("%T is not a %s", v, t.Name()))
			err = errNull
		} else {
			err = x.objectWith(t, p, v)
		}
	case *graphql.Interface:
		if rt := x.resolveType(t, v); rt == nil {
			x.internalError(p, fmt.Errorf("%T resolves to no type of %s", v, t.Name()))
			err = errNull
		} else {
			err = x.objectWith(rt, p, v)
		}
	default:
		x.internalError(p, fmt.Errorf("cannot complete type %s", t))
		err = errNull
	}
	return err
}

// nullable gives the error of a completion that started at mark: errNull
// in a nullable position makes it null.
func (x *execution) nullable(err error, nonNull bool, mark int) error {
	if err != nil && !nonNull && errors.Is(err, errNull) {
		x.buf = append(x.buf[:mark], "null"...)
		return nil
	}
	return err
}

// resolveType returns the object type of v, an object of interface t, or
// nil when t's ResolveType gives none of t's possible types.
func (x *execution) resolveType(t *graphql.Interface, v any) *graphql.Object {
	if e, ok := v.(*graph.Entity); ok && t == x.s.types.entity {
		for _, k := range x.s.kindObjects {
			if k.kind == e.Kind {
				return k.obj
			}
		}
	}
	var rt *graphql.Object
	if t.ResolveType != nil {
		rt = t.ResolveType(graphql.ResolveTypeParams{Value: v, Context: &x.ctx})
	}
	if rt == nil || !x.s.implements[t][rt] {
		return nil
	}
	return rt
}

// objectWith writes v as obj with p's sub-selections.
func (x *execution) objectWith(obj *graphql.Object, p *fieldPlan, v any) error {
	plans, err := x.children(p, obj)
	if err != nil {
		x.fieldError(p, err)
		return errNull
	}
	return x.object(obj, plans, v)
}

// internalError records a failure of the schema or its resolvers, not of
// the request: logged with its cause, shown as "internal error".
func (x *execution) internalError(p *fieldPlan, err error) {
	x.s.cfg.Logger.ErrorContext(&x.ctx, "graphql: internal error", "request_id", x.requestID, "path", fmt.Sprint(x.responsePath()), "error", err)
	x.fieldError(p, &internalError{cause: err})
}

func (x *execution) list(item graphql.Type, p *fieldPlan, v any) error {
	// The lists resolvers return most, without reflection.
	switch v := v.(type) {
	case []*graph.Entity:
		return listOfSlice(x, item, p, v)
	case []*graph.Relation:
		return listOfSlice(x, item, p, v)
	case []any:
		return listOfSlice(x, item, p, v)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		x.internalError(p, fmt.Errorf("%T is not a list", v))
		return errNull
	}
	items := make([]any, rv.Len())
	for i := range items {
		items[i] = rv.Index(i).Interface()
	}
	return listOfSlice(x, item, p, items)
}

// listOfSlice writes v, a list of item, as value writes each item. Lists
// of entities and relations are most of a large answer, so for them the
// item type is unwrapped once, an item of the object type of the one
// before reuses its plans, and an object whose fields are all leaves is
// written in one loop (leafObject).
func listOfSlice[T any](x *execution, item graphql.Type, p *fieldPlan, v []T) error {
	t, nonNull := item, false
	if nn, ok := t.(*graphql.NonNull); ok {
		t, nonNull = nn.OfType, true
	}
	obj, _ := t.(*graphql.Object)
	iface, _ := t.(*graphql.Interface)
	if obj != nil && obj.IsTypeOf != nil {
		obj = nil // value checks IsTypeOf
	}
	var last *graphql.Object // the object type of the item before
	var lastPlans []*fieldPlan
	var leavesOnly bool
	x.buf = append(x.buf, '[')
	for i := range v {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		var o *graphql.Object
		if !isNullish(v[i]) {
			if o = obj; iface != nil {
				o = x.resolveType(iface, v[i])
			}
		}
		if o != nil && o != last {
			if plans, err := x.children(p, o); err == nil { // objectWith reports an error
				last, lastPlans, leavesOnly = o, plans, allLeaves(plans)
			}
		}
		if o != nil && o == last && leavesOnly && x.leafObject(lastPlans, v[i]) {
			continue
		}
		x.path = append(x.path, pathElem{index: i})
		var err error
		if o != nil {
			mark := len(x.buf)
			err = x.nullable(x.objectWith(o, p, v[i]), nonNull, mark)
		} else {
			err = x.value(item, p, v[i]) // null, or no object type: value reports it
		}
		x.path = x.path[:len(x.path)-1]
		if err != nil {
			return err
		}
	}
	x.buf = append(x.buf, ']')
	return nil
}

// allLeaves reports whether every plan is a leaf read straight off its
// record (fieldPlan.leaf); introspection types have no such fields.
func allLeaves(plans []*fieldPlan) bool {
	for _, p := range plans {
		if p.leaf == nil {
			return false
		}
	}
	return len(plans) > 0
}

// leafObject writes source as an object of plans that are all leaves, and
// reports whether it could: false, with nothing written, when a leaf
// cannot be read off this source, for object to resolve it.
func (x *execution) leafObject(plans []*fieldPlan, source any) bool {
	mark := len(x.buf)
	x.buf = append(x.buf, '{')
	for i, p := range plans {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		x.buf = append(x.buf, p.member...)
		str, ok := p.leaf(source)
		if !ok {
			x.buf = x.buf[:mark]
			return false
		}
		x.buf = appendJSONString(x.buf, str)
	}
	x.buf = append(x.buf, '}')
	return true
}

// leaf writes out, the serialization of v.
func (x *execution) leaf(p *fieldPlan, out, v any) error {
	switch out := out.(type) {
	case nil:
		x.internalError(p, fmt.Errorf("%s.%s: %v does not serialize", p.info.ParentType.Name(), p.info.FieldName, v))
		return errNull
	case string:
		x.buf = appendJSONString(x.buf, out)
	case bool:
		x.buf = strconv.AppendBool(x.buf, out)
	case int:
		x.buf = strconv.AppendInt(x.buf, int64(out), 10)
	case int32:
		x.buf = strconv.AppendInt(x.buf, int64(out), 10)
	case int64:
		x.buf = strconv.AppendInt(x.buf, out, 10)
	default:
		b, err := json.Marshal(out) // floats as encoding/json writes them; NaN and Inf fail
		if err != nil {
			x.internalError(p, err)
			return errNull
		}
		x.buf = append(x.buf, b...)
	}
	return nil
}

// appendJSONString appends s quoted exactly as json.Marshal quotes it
// (HTML-safe escapes included): plain ASCII directly, anything else
// through json.Marshal. Ids are mostly plain and tens of bytes long, so
// they are checked eight bytes at a time: a byte b of v is zero exactly
// when the top bit of b's byte of zeroByte(v) is set (Bit Twiddling Hacks,
// "determine if a word has a zero byte"); b|4 is 0x26 for '"' (0x22) and
// '&' (0x26) only, and b|2 is 0x3e for '<' and '>' only.
func appendJSONString(buf []byte, s string) []byte {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	if n := len(s); n >= 8 {
		for i := 0; ; i += 8 {
			i = min(i, n-8) // the last word overlaps the one before
			w := word(s[i:])
			notPlain := w | // not ASCII
				(w-0x20*lsb)&^w | // a control character, below 0x20
				zeroByte((w|0x04*lsb)^0x26*lsb) |
				zeroByte((w|0x02*lsb)^0x3e*lsb) |
				zeroByte(w^0x5c*lsb) // '\\'
			if notPlain&msb != 0 {
				return appendMarshalled(buf, s)
			}
			if i == n-8 {
				break
			}
		}
	} else {
		for i := range n {
			if !jsonPlain[s[i]] {
				return appendMarshalled(buf, s)
			}
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// word is the first eight bytes of s, little-endian: one load.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func zeroByte(v uint64) uint64 { return (v - 0x0101010101010101) &^ v }

func appendMarshalled(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(buf, b...)
}

// jsonPlain holds the bytes json.Marshal writes as they are: printable
// ASCII but for the quote, the backslash and the HTML-unsafe <, > and &.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// isNullish is null as a resolver may return it: nil, a nil pointer or a
// NaN.
func isNullish(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case *graph.Entity:
		return v == nil
	case *graph.Relation:
		return v == nil
	case string, bool, int:
		return false
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

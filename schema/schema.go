// Package schema is chipgraph's GraphQL API: the type system over graph.Store,
// its resolvers, and an Execute entry point that enforces the query limits
// (depth, complexity, aliases, operations, time) and gives every error an
// extensions.code. It knows nothing of HTTP.
package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	gqlast "github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/internal/lru"
)

// Config holds the limits of the API. Zero fields take the defaults below.
type Config struct {
	MaxDepth        int           // nesting of fields, introspection included; default 15
	MaxComplexity   int           // see limits.go; default 5000
	MaxAliases      int           // aliased fields per document; default 30
	MaxOperations   int           // operations per document; default 5
	Timeout         time.Duration // per request, from parsing to the last byte of data; default 10s
	MaxHops         int           // paths.maxHops, neighborhood/subgraph hops; default 6 (at most graph.MaxPathHops for paths)
	MaxNeighborhood int           // neighborhood/subgraph limit; default 2000
	MaxPageSize     int           // first on connections, search, paths; default 1000

	// Sizes bounded before parsing and validation (bounds.go).
	MaxQueryBytes     int // the query text; default 64 KiB
	MaxTokens         int // lexical tokens of the query text; default 10,000
	MaxFields         int // fields of an operation once fragments are expanded; default 2,000
	MaxSelectionWidth int // fields of one selection set once fragments are expanded; default 200
	MaxValueDepth     int // nesting of list and object values, in literals and variables; default 12
	MaxVariables      int // variables declared by an operation, and given by a request; default 50
	MaxDirectives     int // directives in one place; default 8
	MaxArguments      int // arguments of a field or directive, fields of an object value; default 30
	MaxStringBytes    int // a string in the variables; default 64 KiB

	// AllowWrites enables the mutations. Even then a mutation runs only
	// when its Request is Authorized.
	AllowWrites bool

	// Logger receives internal errors and panics (with their request id).
	// Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration with every default filled in,
// for flags to show.
func DefaultConfig() *Config {
	c := &Config{}
	c.defaults()
	c.Logger = nil // New's caller gives it
	return c
}

func (c *Config) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.MaxDepth, 15)
	def(&c.MaxComplexity, 5000)
	def(&c.MaxAliases, 30)
	def(&c.MaxOperations, 5)
	def(&c.MaxHops, 6)
	def(&c.MaxNeighborhood, 2000)
	def(&c.MaxPageSize, 1000)
	def(&c.MaxQueryBytes, 64<<10)
	def(&c.MaxTokens, 10_000)
	def(&c.MaxFields, 500)
	def(&c.MaxSelectionWidth, 100)
	def(&c.MaxValueDepth, 12)
	def(&c.MaxVariables, 50)
	def(&c.MaxDirectives, 8)
	def(&c.MaxArguments, 30)
	def(&c.MaxStringBytes, 64<<10)
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Request is one GraphQL request.
type Request struct {
	Query         string
	OperationName string
	Variables     map[string]any

	// Authorized is true when the caller proved it may write (a valid
	// bearer token). Mutations need it.
	Authorized bool
	// ReadOnly refuses mutations with CodeMutationNotAllowed (GraphQL over
	// HTTP GET).
	ReadOnly bool
	// RequestID is reported with internal errors and logged with them.
	RequestID string
}

// Result is the outcome of Execute, ready to be encoded as a GraphQL
// response.
type Result struct {
	// Data is the JSON of the data entry; present in the encoding only
	// when HasData.
	Data    json.RawMessage
	HasData bool
	Errors  []Error
	// Operation is "query" or "mutation" once the operation is known,
	// and OperationName its name, for metrics and logs.
	Operation     string
	OperationName string

	buf *[]byte // the pooled buffer Data is written in, until Release
}

// Release hands Data's buffer back for reuse by later requests. Call it
// once Data is no longer used (after MarshalJSON, say), or never: then
// the garbage collector takes it.
func (r *Result) Release() {
	if r.buf != nil {
		releaseBuffer(r.buf)
		r.buf, r.Data = nil, nil
	}
}

// MarshalJSON encodes r as a GraphQL response: "data" only when execution
// started, "errors" only when there are some. Data is copied as it is, not
// re-validated (json.Marshal would compact it byte by byte): Execute made
// it with an encoder.
func (r *Result) MarshalJSON() ([]byte, error) {
	parts, err := r.JSONParts()
	if err != nil {
		return nil, err
	}
	return bytes.Join(parts, nil), nil
}

// JSONParts gives MarshalJSON's bytes in pieces, with Data as Execute
// wrote it, not copied: for writing a response out before Release. The
// pieces are read-only.
func (r *Result) JSONParts() ([][]byte, error) {
	if len(r.Errors) == 0 && r.HasData && len(r.Data) > 0 {
		return [][]byte{jsonDataHead, r.Data, jsonClose}, nil // most responses
	}
	head := []byte{'{'}
	if len(r.Errors) > 0 {
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		head = append(append(head, `"errors":`...), errs...)
		if r.HasData {
			head = append(head, ',')
		}
	}
	if !r.HasData {
		return [][]byte{head, jsonClose}, nil
	}
	data := r.Data
	if len(data) == 0 {
		data = jsonNull
	}
	return [][]byte{append(head, `"data":`...), data, jsonClose}, nil
}

var (
	jsonDataHead = []byte(`{"data":`)
	jsonNull     = []byte("null")
	jsonClose    = []byte("}")
)

// Code returns the code of r's first error, or "".
func (r *Result) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

// Schema is the executable GraphQL schema. It is safe for concurrent use.
type Schema struct {
	store graph.Store
	cfg   Config
	gql   graphql.Schema
	types *types
	// possible maps an interface name to the names of its implementations.
	possible map[string]map[string]bool
	// implements is possible by type, for the executor.
	implements map[*graphql.Interface]map[*graphql.Object]bool
	// kindObjects are the object types of the entity kinds, for the
	// executor: a short scan of interned strings, where ResolveType costs
	// three map lookups an entity.
	kindObjects []kindObject

	as    *gqlast.Schema // what documents are validated against (sdl.go)
	sdl   string
	rules *rules.Rules
	intro *introspection
	// leaves are the fields the executor reads without a resolver, by
	// object type and field name (types.go).
	leaves map[*graphql.Object]map[string]func(any) (string, bool)

	docs        *lru.Cache[string, *document] // see cache.go
	validations atomic.Int64                  // documents validated, for tests
}

// New builds the schema over store.
func New(store graph.Store, cfg Config) (*Schema, error) {
	if store == nil {
		return nil, errors.New("schema: nil store")
	}
	cfg.defaults()
	if cfg.MaxHops > graph.MaxPathHops {
		cfg.MaxHops = graph.MaxPathHops
	}
	s := &Schema{store: store, cfg: cfg, docs: lru.New[string, *document](docCacheEntries, nil)}
	if err := s.build(); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return s, nil
}

// Config returns the effective configuration (defaults filled in).
func (s *Schema) Config() Config { return s.cfg }

// SDL returns the schema in the schema definition language.
func (s *Schema) SDL() string { return s.sdl }

// reqInfo is what resolvers may ask of the request they run for.
type reqInfo struct {
	authorized bool
	requestID  string
}

// info gives the request of the resolver whose context is ctx; the zero
// reqInfo outside the executor.
func info(ctx context.Context) reqInfo {
	if x := requestOf(ctx); x != nil {
		return x.reqInfo
	}
	return reqInfo{}
}

// Execute parses, checks and runs req under one deadline (Config.Timeout)
// that covers every step. It never panics and never returns nil.
//
// A request error (the document does not parse, breaks a bound, fails
// validation, names no operation, or its variables do not coerce) gives a
// Result with errors and no data. Otherwise the operation runs and the
// Result has data, with the errors of fields that failed.
func (s *Schema) Execute(ctx context.Context, req Request) *Result {
	var deadline time.Time // zero when the caller's deadline comes first
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > s.cfg.Timeout {
		deadline = time.Now().Add(s.cfg.Timeout)
	}
	res := &Result{}
	fail := func(errs ...Error) *Result {
		res.Errors = append(res.Errors, errs...)
		return res
	}
	switch {
	case req.Query == "":
		return fail(newError(CodeParseFailed, "Syntax Error: a query is required."))
	case len(req.Query) > s.cfg.MaxQueryBytes:
		return fail(*limitError(CodeTooLarge, len(req.Query), s.cfg.MaxQueryBytes,
			fmt.Sprintf("the query is %d bytes; at most %d are allowed", len(req.Query), s.cfg.MaxQueryBytes)))
	}
	d := s.document(req.Query)
	if d.errs != nil {
		return fail(cloneErrors(d.errs)...)
	}
	op, err := operation(d.doc, req.OperationName)
	if err != nil {
		return fail(*err)
	}
	res.Operation, res.OperationName = string(op.Operation), op.Name
	if op.Operation == gqlast.Mutation && req.ReadOnly {
		return fail(newError(CodeMutationNotAllowed, "mutations are not allowed here: send them with POST"))
	}
	if errs := d.validate(s); errs != nil {
		return fail(cloneErrors(errs)...)
	}
	if op.Operation == gqlast.Mutation {
		if e := s.writeRefusal(req.Authorized); e != nil {
			return fail(newError(e.code, e.msg))
		}
	}
	if e := s.checkVariables(req.Variables); e != nil {
		return fail(*e)
	}
	vars, errs := s.coerceVariables(d, op, req.Variables)
	if errs != nil {
		return fail(errs...)
	}
	introBudget, e := s.checkComplexity(d, op, vars)
	if e != nil {
		return fail(*e)
	}

	ri := reqInfo{authorized: req.Authorized, requestID: req.RequestID}
	data, fieldErrs, buf, runErr := s.execute(ctx, deadline, ri, d, op, vars, introBudget)
	switch {
	case errors.Is(runErr, errExecutorPanic):
		e := newError(CodeInternal, "internal error")
		if req.RequestID != "" {
			e.Extensions["requestId"] = req.RequestID
		}
		return fail(e)
	case errors.Is(runErr, errIntrospectionTooComplex):
		releaseBuffer(buf)
		return fail(*limitError(CodeTooComplex, s.cfg.MaxComplexity+1, s.cfg.MaxComplexity,
			fmt.Sprintf("the query's introspection produces more objects than its complexity limit of %d allows", s.cfg.MaxComplexity)))
	case runErr != nil:
		releaseBuffer(buf)
		return fail(s.ctxError(runErr))
	}
	res.Data, res.HasData, res.Errors, res.buf = data, true, fieldErrs, buf
	return res
}

// operation picks the operation to run (GetOperation, section 6.1).
func operation(doc *gqlast.QueryDocument, name string) (*gqlast.OperationDefinition, *Error) {
	fail := func(msg string) (*gqlast.OperationDefinition, *Error) {
		e := newError(CodeBadRequest, msg)
		return nil, &e
	}
	switch {
	case len(doc.Operations) == 0:
		return fail("the document has no operation")
	case name == "" && len(doc.Operations) > 1:
		return fail("operationName is required when the document has several operations")
	case name == "":
		return doc.Operations[0], nil
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return fail(fmt.Sprintf("no operation named %q in the document", truncate(name, 100)))
}

func (s *Schema) ctxError(err error) Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return newError(CodeTimeout, fmt.Sprintf("the request took longer than %s", s.cfg.Timeout))
	}
	return newError(CodeCancelled, "the request was cancelled")
}

// errorOf gives a resolver's error its final code and a message safe to
// show. Internal errors were logged where they were made (safe).
func (s *Schema) errorOf(err error, requestID string) Error {
	var ae *apiError
	if errors.As(err, &ae) {
		return Error{Message: ae.msg, Extensions: ae.Extensions()}
	}
	e := newError(CodeInternal, "internal error")
	if requestID != "" {
		e.Extensions["requestId"] = requestID
	}
	return e
}

// safe wraps a resolver: it stops when the request's context is done, turns
// every error into an apiError or internalError, and recovers panics.
func (s *Schema) safe(fn graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (res any, err error) {
		defer func() {
			if r := recover(); r != nil {
				s.cfg.Logger.ErrorContext(p.Context, "graphql: panic in resolver",
					"request_id", info(p.Context).requestID, "field", p.Info.ParentType.Name()+"."+p.Info.FieldName,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				res, err = nil, &internalError{cause: fmt.Errorf("panic: %v", r)}
			}
		}()
		res, err = fn(p)
		if err != nil {
			err = fromStoreError(err)
			var ie *internalError
			if errors.As(err, &ie) {
				s.cfg.Logger.ErrorContext(p.Context, "graphql: internal error",
					"request_id", info(p.Context).requestID, "field", p.Info.ParentType.Name()+"."+p.Info.FieldName, "error", ie.cause)
			}
			return nil, err
		}
		return res, nil
	}
}

// Package schema is chipgraph's GraphQL API: the type system over graph.Store,
// its resolvers, and an Execute entry point that enforces the query limits
// (depth, complexity, aliases, operations, time) and gives every error an
// extensions.code. It knows nothing of HTTP.
package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/chipgraph/chipgraph/graph"
)

// Config holds the limits of the API. Zero fields take the defaults below.
type Config struct {
	MaxDepth        int           // nesting of fields; default 12 (introspection not counted)
	MaxComplexity   int           // see complexity.go; default 5000
	MaxAliases      int           // aliased fields per document; default 30
	MaxOperations   int           // operations per document; default 5
	Timeout         time.Duration // per request; default 10s
	MaxHops         int           // paths.maxHops, neighborhood/subgraph hops; default 6 (at most graph.MaxPathHops for paths)
	MaxNeighborhood int           // neighborhood/subgraph limit; default 2000
	MaxPageSize     int           // first on connections, search, paths; default 1000

	// AllowWrites enables the mutations. Even then a mutation runs only
	// when its Request is Authorized.
	AllowWrites bool

	// Logger receives internal errors and panics (with their request id).
	// Nil discards them.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.MaxDepth, 12)
	def(&c.MaxComplexity, 5000)
	def(&c.MaxAliases, 30)
	def(&c.MaxOperations, 5)
	def(&c.MaxHops, 6)
	def(&c.MaxNeighborhood, 2000)
	def(&c.MaxPageSize, 1000)
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
	// Executor is ExecutorDirect or ExecutorGraphQLGo once the operation
	// ran, "" when it did not (see exec.go).
	Executor string
}

// The executors of Result.Executor.
const (
	ExecutorDirect    = "direct"
	ExecutorGraphQLGo = "graphql-go"
)

// MarshalJSON encodes r as a GraphQL response: "data" only when execution
// started, "errors" only when there are some. Data is copied as it is, not
// re-validated (json.Marshal would compact it byte by byte): Execute made
// it with an encoder.
func (r *Result) MarshalJSON() ([]byte, error) {
	var errs []byte
	if len(r.Errors) > 0 {
		var err error
		if errs, err = json.Marshal(r.Errors); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, 0, len(errs)+len(r.Data)+20)
	buf = append(buf, '{')
	if errs != nil {
		buf = append(buf, `"errors":`...)
		buf = append(buf, errs...)
	}
	if r.HasData {
		if errs != nil {
			buf = append(buf, ',')
		}
		buf = append(buf, `"data":`...)
		if len(r.Data) == 0 {
			buf = append(buf, "null"...)
		} else {
			buf = append(buf, r.Data...)
		}
	}
	return append(buf, '}'), nil
}

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

	docs        *lru[string, *parsedDoc] // see cache.go
	validations atomic.Int64             // documents validated, for tests
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
	s := &Schema{store: store, cfg: cfg, docs: newLRU[string, *parsedDoc](docCacheEntries)}
	if err := s.build(); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return s, nil
}

// Config returns the effective configuration (defaults filled in).
func (s *Schema) Config() Config { return s.cfg }

type ctxKey struct{}

type reqInfo struct {
	authorized bool
	requestID  string
	quiet      bool // errors are not logged: the request will be run again
}

func info(ctx context.Context) reqInfo {
	ri, _ := ctx.Value(ctxKey{}).(reqInfo)
	return ri
}

// Execute parses, checks and runs req. It never panics and never returns nil.
func (s *Schema) Execute(ctx context.Context, req Request) *Result {
	res := &Result{}
	fail := func(code, msg string, locs ...Location) *Result {
		e := newError(code, msg)
		e.Locations = locs
		res.Errors = append(res.Errors, e)
		return res
	}
	if req.Query == "" {
		return fail(CodeParseFailed, "a query is required")
	}
	pd := s.document(req.Query)
	if pd.parseErr != nil {
		res.Errors = cloneErrors([]Error{*pd.parseErr})
		return res
	}
	doc, ops := pd.doc, pd.ops
	if len(ops) > s.cfg.MaxOperations {
		return fail(CodeTooManyOperations, fmt.Sprintf("the document has %d operations; at most %d are allowed", len(ops), s.cfg.MaxOperations))
	}
	var op *ast.OperationDefinition
	switch {
	case len(ops) == 0:
		return fail(CodeBadRequest, "the document has no operation")
	case req.OperationName == "" && len(ops) > 1:
		return fail(CodeBadRequest, "operationName is required when the document has several operations")
	case req.OperationName == "":
		op = ops[0]
	default:
		for _, o := range ops {
			if o.Name != nil && o.Name.Value == req.OperationName {
				op = o
				break
			}
		}
		if op == nil {
			return fail(CodeBadRequest, fmt.Sprintf("no operation named %q in the document", req.OperationName))
		}
	}
	res.Operation = op.Operation
	if op.Name != nil {
		res.OperationName = op.Name.Value
	}
	if op.Operation == ast.OperationTypeMutation && req.ReadOnly {
		return fail(CodeMutationNotAllowed, "mutations are not allowed here: send them with POST")
	}

	if errs := s.checkLimits(doc, op, req.Variables); len(errs) > 0 {
		res.Errors = errs
		return res
	}

	if errs := pd.validate(s); len(errs) > 0 {
		res.Errors = cloneErrors(errs)
		return res
	}

	if op.Operation == ast.OperationTypeMutation {
		switch {
		case !req.Authorized:
			return fail(CodeUnauthenticated, "mutations need an authorised request: send Authorization: Bearer <token>")
		case !s.cfg.AllowWrites:
			return fail(CodeForbidden, "this server is read-only")
		}
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ri := reqInfo{authorized: req.Authorized, requestID: req.RequestID}

	// The direct executor first (see exec.go); it stays quiet about
	// errors because graphql-go then runs the request again and reports
	// them.
	quiet := ri
	quiet.quiet = true
	if data, err := s.executeDirect(context.WithValue(ctx, ctxKey{}, quiet), doc, op, req.Variables); err == nil {
		res.Data, res.HasData, res.Executor = data, true, ExecutorDirect
		return res
	}

	ctx = context.WithValue(ctx, ctxKey{}, ri)
	res.Executor = ExecutorGraphQLGo
	out := s.run(ctx, doc, req)
	if out.Data != nil {
		data, err := json.Marshal(out.Data)
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "graphql: encoding the data", "request_id", req.RequestID, "error", err)
			return fail(CodeInternal, "internal error")
		}
		res.Data, res.HasData = data, true
	}
	for _, fe := range out.Errors {
		e := s.convert(ctx, fe, req.RequestID)
		if len(e.Path) > 0 {
			res.HasData = true
		}
		res.Errors = append(res.Errors, e)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !res.HasData && len(res.Errors) == 0 {
		res.Errors = append(res.Errors, s.ctxError(ctxErr))
	}
	return res
}

// run executes doc, turning a panic inside graphql-go itself into a result.
func (s *Schema) run(ctx context.Context, doc *ast.Document, req Request) (out *graphql.Result) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.ErrorContext(ctx, "graphql: panic in executor", "request_id", req.RequestID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out = &graphql.Result{Errors: []gqlerrors.FormattedError{gqlerrors.FormatError(&internalError{cause: fmt.Errorf("panic: %v", r)})}}
		}
	}()
	vars := req.Variables
	if vars == nil {
		vars = map[string]any{}
	}
	return graphql.Execute(graphql.ExecuteParams{
		Schema:        s.gql,
		AST:           doc,
		OperationName: req.OperationName,
		Args:          vars,
		Context:       ctx,
	})
}

func (s *Schema) ctxError(err error) Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return newError(CodeTimeout, fmt.Sprintf("the request took longer than %s", s.cfg.Timeout))
	}
	return newError(CodeCancelled, "the request was cancelled")
}

// convert gives fe its final code and a message safe to show.
func (s *Schema) convert(ctx context.Context, fe gqlerrors.FormattedError, requestID string) Error {
	e := Error{Path: fe.Path}
	for _, l := range fe.Locations {
		e.Locations = append(e.Locations, Location{Line: l.Line, Column: l.Column})
	}
	orig := fe.OriginalError()
	var ge *gqlerrors.Error
	if errors.As(orig, &ge) {
		orig = ge.OriginalError // nil for graphql-go's own request errors
	}
	var ae *apiError
	var ie *internalError
	switch {
	case errors.As(orig, &ae):
		e.Message = ae.msg
		e.Extensions = ae.Extensions()
		return e
	case orig != nil && (errors.Is(orig, context.DeadlineExceeded) || errors.Is(orig, context.Canceled)):
		c := s.ctxError(orig)
		c.Path, c.Locations = e.Path, e.Locations
		return c
	case errors.As(orig, &ie):
		// logged where it was made
	case orig == nil && len(fe.Path) == 0:
		// A request error from graphql-go before execution, such as a
		// variable of the wrong type: its message is about the request.
		e.Message = cleanMessage(fe.Message)
		e.Extensions = map[string]any{"code": CodeBadUserInput}
		return e
	default:
		s.cfg.Logger.ErrorContext(ctx, "graphql: internal error", "request_id", requestID, "error", fe.Message, "path", fmt.Sprint(fe.Path))
	}
	e.Message = "internal error"
	e.Extensions = map[string]any{"code": CodeInternal}
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
				ri := info(p.Context)
				if !ri.quiet {
					s.cfg.Logger.ErrorContext(p.Context, "graphql: panic in resolver",
						"request_id", ri.requestID, "field", p.Info.ParentType.Name()+"."+p.Info.FieldName,
						"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				}
				res, err = nil, &internalError{cause: fmt.Errorf("panic: %v", r)}
			}
		}()
		if p.Context != nil {
			if err := p.Context.Err(); err != nil {
				return nil, err
			}
		}
		res, err = fn(p)
		if err != nil {
			err = fromStoreError(err)
			var ie *internalError
			if errors.As(err, &ie) && !info(p.Context).quiet {
				s.cfg.Logger.ErrorContext(p.Context, "graphql: internal error",
					"request_id", info(p.Context).requestID, "field", p.Info.ParentType.Name()+"."+p.Info.FieldName, "error", ie.cause)
			}
			return nil, err
		}
		return res, nil
	}
}

package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/internal/lru"
	"github.com/chipgraph/chipgraph/schema"
)

const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
)

// Transport-level error codes, beside the schema's.
const (
	codeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	codeNotAcceptable        = "NOT_ACCEPTABLE"
	codePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	codeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	codeRateLimited          = "RATE_LIMITED"
	codeRouteNotFound        = "ROUTE_NOT_FOUND"
	codeRequestTimeout       = "REQUEST_TIMEOUT"
	codeServerBusy           = "SERVER_BUSY"
)

// maxOperationName bounds the operationName a request may give (a name in
// the document it selects; nothing longer is worth reading or echoing).
const maxOperationName = 1024

// Keys of values the GraphQL handler leaves in the echo.Context for the
// access log and metrics.
const (
	keyOperation     = "gql.operation"
	keyOperationName = "gql.operationName"
	keyCode          = "gql.code"
	keyMedia         = "gql.media"
)

// statusFor is the one place that maps a response to its HTTP status.
//
// A response with data is 200. Without data, transport failures (bad body,
// method, media type, size, rate, credentials, unparseable query) have
// fixed statuses. Other GraphQL request errors follow GraphQL over HTTP:
// with application/graphql-response+json they get a 4xx/5xx (validation and
// query limits 422), with legacy application/json they get 200, except
// internal errors (500).
func statusFor(res *schema.Result, media string) int {
	if res.HasData || len(res.Errors) == 0 {
		return http.StatusOK
	}
	code := res.Code()
	switch code {
	case schema.CodeParseFailed, schema.CodeBadRequest:
		return http.StatusBadRequest
	case schema.CodeUnauthenticated:
		return http.StatusUnauthorized
	case schema.CodeMutationNotAllowed, codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codeNotAcceptable:
		return http.StatusNotAcceptable
	case codePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case codeRateLimited:
		return http.StatusTooManyRequests
	case codeRouteNotFound, schema.CodeNotFound: // no such path; no such entity (/export seeds)
		return http.StatusNotFound
	case codeRequestTimeout:
		return http.StatusRequestTimeout
	case codeServerBusy:
		return http.StatusServiceUnavailable
	case schema.CodeInternal:
		return http.StatusInternalServerError
	}
	if media != mediaGraphQLResponse {
		return http.StatusOK
	}
	switch code {
	case schema.CodeValidationFailed, schema.CodeTooDeep, schema.CodeTooComplex,
		schema.CodeTooManyAliases, schema.CodeTooManyOperations:
		return http.StatusUnprocessableEntity
	case schema.CodeForbidden:
		return http.StatusForbidden
	case schema.CodeTimeout:
		return http.StatusGatewayTimeout
	case schema.CodeCancelled:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// write sends res with the status statusFor gives, and the headers some
// statuses need.
func (s *Server) write(c echo.Context, res *schema.Result) error {
	_, err := s.writeResult(c, res, false)
	return err
}

// writeResult is write; with keep, it also returns the response sent (for
// the response cache), else nil.
func (s *Server) writeResult(c echo.Context, res *schema.Result, keep bool) (*cachedResponse, error) {
	media, _ := c.Get(keyMedia).(string)
	if media == "" {
		media = mediaJSON
	}
	status := statusFor(res, media)
	h := c.Response().Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="chipgraph"`)
	case http.StatusMethodNotAllowed:
		if res.Code() == schema.CodeMutationNotAllowed || c.Request().URL.Path == "/graphql" {
			h.Set("Allow", allowFor(res.Code()))
		}
	case http.StatusRequestTimeout:
		h.Set("Connection", "close")
	}
	c.Set(keyCode, res.Code())
	if res.HasData {
		s.metrics.executions.Inc()
	}
	if res.Operation != "" {
		c.Set(keyOperation, res.Operation)
		c.Set(keyOperationName, res.OperationName)
	}
	contentType := media + "; charset=utf-8"
	parts, err := res.JSONParts()
	if err != nil {
		s.log.Error("http: encoding a response", "error", err, "request_id", requestIDOf(c))
		parts = [][]byte{[]byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)}
		status = http.StatusInternalServerError
	}
	if !keep {
		// Sent from the executor's pooled buffer, not copied into a body.
		defer res.Release()
		n := 0
		for _, b := range parts {
			n += len(b)
		}
		h.Set(echo.HeaderContentType, contentType)
		h.Set(echo.HeaderContentLength, strconv.Itoa(n))
		w := c.Response()
		w.WriteHeader(status)
		for _, b := range parts {
			if _, err := w.Write(b); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	body := bytes.Join(parts, nil)
	res.Release() // body is a copy
	out := &cachedResponse{body: body, contentType: contentType, status: status,
		operation: res.Operation, operationName: res.OperationName}
	return out, c.Blob(status, out.contentType, body)
}

func allowFor(code string) string {
	if code == schema.CodeMutationNotAllowed {
		return http.MethodPost
	}
	return "GET, POST"
}

// fail sends a response holding one error.
func (s *Server) fail(c echo.Context, code, msg string) error {
	e := schema.Error{Message: msg, Extensions: map[string]any{"code": code}}
	if code == schema.CodeInternal {
		e.Extensions["requestId"] = requestIDOf(c)
	}
	return s.write(c, &schema.Result{Errors: []schema.Error{e}})
}

// httpError renders errors that escape handlers, including echo's own
// (unknown route, router 405), as GraphQL-shaped JSON.
func (s *Server) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	code, msg := schema.CodeInternal, "internal error"
	if errors.As(err, &he) {
		msg = http.StatusText(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			code = codeRouteNotFound
		case http.StatusMethodNotAllowed:
			code = codeMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			code = codePayloadTooLarge
		case http.StatusTooManyRequests:
			code = codeRateLimited
		case http.StatusUnsupportedMediaType:
			code = codeUnsupportedMediaType
		default:
			if he.Code < 500 {
				code = schema.CodeBadRequest
			} else {
				msg = "internal error"
			}
		}
	}
	if code == schema.CodeInternal {
		s.log.ErrorContext(c.Request().Context(), "http: error", "error", err, "request_id", requestIDOf(c))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(statusFor(&schema.Result{Errors: []schema.Error{{Extensions: map[string]any{"code": code}}}}, mediaJSON))
		return
	}
	_ = s.fail(c, code, msg)
}

// graphql serves GraphQL over HTTP.
func (s *Server) graphql(c echo.Context) error {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return s.fail(c, codeMethodNotAllowed, "use GET for queries or POST")
	}
	media, ok := negotiate(r.Header.Values("Accept"))
	if !ok {
		return s.fail(c, codeNotAcceptable, "acceptable media types: "+mediaGraphQLResponse+", "+mediaJSON)
	}
	c.Set(keyMedia, media)

	authorized, authErr := s.authorized(r)
	if authErr != "" {
		return s.fail(c, authErr, "invalid bearer token")
	}

	var req request
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		req.Query = q.Get("query")
		req.OperationName = q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := decodeJSON([]byte(v), &req.Variables); err != nil {
				return s.fail(c, schema.CodeBadRequest, "variables must be a JSON object")
			}
		}
	} else {
		ct := r.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || (mt != mediaJSON && !strings.HasSuffix(mt, "+json")) {
			return s.fail(c, codeUnsupportedMediaType, "send the request as application/json")
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, s.cfg.BodyLimit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return s.fail(c, codePayloadTooLarge, "the request body exceeds "+strconv.FormatInt(s.cfg.BodyLimit, 10)+" bytes")
			}
			if errors.Is(err, os.ErrDeadlineExceeded) { // Config.ReadTimeout
				return s.fail(c, codeRequestTimeout, "the request body did not arrive within "+s.cfg.ReadTimeout.String())
			}
			return s.fail(c, schema.CodeBadRequest, "cannot read the request body")
		}
		if err := decodeJSON(body, &req); err != nil {
			return s.fail(c, schema.CodeBadRequest, "the body must be a JSON object with a string query: "+err.Error())
		}
	}
	if req.Query == "" {
		return s.fail(c, schema.CodeBadRequest, "query is required")
	}
	if len(req.OperationName) > maxOperationName {
		return s.fail(c, schema.CodeBadRequest, "operationName is longer than "+strconv.Itoa(maxOperationName)+" bytes")
	}

	// The response cache: see cache. A hit was stored by a query (a
	// mutation is never stored), so serving it needs no parsing.
	// One revision of the graph for the whole request (a write through it
	// moves it on): the answer never mixes two, and says which it is.
	ctx := graph.Pin(r.Context(), s.store)
	view, _ := graph.Pinned(ctx, s.store)
	var key cacheKey
	cacheable := s.cache != nil
	if cacheable {
		key = makeCacheKey(view.Revision(), media, &req)
		if hit, ok := s.cache.Get(key); ok {
			setRevision(c, view.Revision())
			c.Response().Header().Set(headerCache, "hit")
			c.Set(keyCode, "")
			c.Set(keyOperation, hit.operation)
			c.Set(keyOperationName, hit.operationName)
			return c.Blob(hit.status, hit.contentType, hit.body)
		}
	}

	// The timeout runs from here, the whole request read, through the wait
	// for a slot: the answer comes within it however busy the server is.
	ctx, cancel := context.WithTimeout(ctx, s.schema.Config().Timeout)
	defer cancel()
	release, ok := s.acquire(ctx)
	if !ok {
		return s.busy(c)
	}
	defer release()
	res := s.schema.Execute(ctx, schema.Request{
		Query:         req.Query,
		OperationName: req.OperationName,
		Variables:     req.Variables,
		Authorized:    authorized,
		ReadOnly:      r.Method == http.MethodGet,
		RequestID:     requestIDOf(c),
	})
	if v, ok := graph.Pinned(ctx, s.store); ok {
		setRevision(c, v.Revision())
	}
	cacheable = cacheable && res.Operation == "query" && len(res.Errors) == 0 && res.HasData
	if cacheable {
		c.Response().Header().Set(headerCache, "miss")
	}
	out, err := s.writeResult(c, res, cacheable)
	if cacheable && err == nil && out.status == http.StatusOK {
		s.cache.Add(key, out)
	}
	return err
}

type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// decodeJSON decodes one JSON value into v, keeping numbers exact.
func decodeJSON(b []byte, v any) error {
	// The common case, valid JSON, in one pass; the decoder below only
	// finds the message for the error.
	if json.Unmarshal(b, v) == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errors.New("field " + te.Field + " has the wrong type")
		}
		return errors.New("malformed JSON")
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// negotiate picks the response media type from Accept headers: the
// acceptable one with the highest q, preferring graphql-response+json on a
// tie; */* and application/* give application/json for legacy clients. No
// Accept header means application/json.
func negotiate(accept []string) (string, bool) {
	if len(accept) == 0 {
		return mediaJSON, true
	}
	bestQ, best := -1.0, ""
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
			if q <= 0 {
				continue
			}
			var cand string
			switch mt {
			case mediaGraphQLResponse:
				cand = mediaGraphQLResponse
			case mediaJSON, "application/*", "*/*":
				cand = mediaJSON
			default:
				continue
			}
			if q > bestQ || (q == bestQ && cand == mediaGraphQLResponse) {
				bestQ, best = q, cand
			}
		}
	}
	return best, best != ""
}

// ---- response cache ----

// headerRevision is the revision of the graph a response shows (see
// graph.View): replicas over one database give the same revision to the
// same state, so clients and caches can compare answers.
const headerRevision = "X-Chipgraph-Revision"

func setRevision(c echo.Context, rev uint64) {
	c.Response().Header().Set(headerRevision, strconv.FormatUint(rev, 10))
}

// headerCache is "hit" on a response served from the response cache and
// "miss" on one that was cacheable but computed.
const headerCache = "X-Cache"

// The response cache holds the final bytes of successful query responses,
// keyed by a hash of the store's version, the response media type and the
// request (operation name, query, variables), so any write to the store
// (which changes its version) makes every older entry unreachable; they age
// out of the LRU.
//
// Only queries that produced data without any error are stored: never
// mutations, never errors (they may carry a request id or be transient,
// such as timeouts). Queries are cached across callers and tokens: a token
// only authorises writes and never changes what a query returns.
//
// The store's version is read once per request, before execution. A write
// landing during execution can make a result newer than its key's version;
// a reader of that version then sees data at least as new, never older.

type cacheKey [sha256.Size]byte

// makeCacheKey hashes everything a query's response depends on. Variables
// are hashed in their canonical encoding (json.Marshal sorts map keys).
func makeCacheKey(version uint64, media string, req *request) cacheKey {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	binary.LittleEndian.PutUint64(n[:], version)
	h.Write(n[:])
	field([]byte(media))
	field([]byte(req.OperationName))
	field([]byte(req.Query))
	if len(req.Variables) > 0 {
		vars, err := json.Marshal(req.Variables)
		if err != nil {
			vars = []byte(fmt.Sprint(req.Variables)) // not reached: they were decoded from JSON
		}
		field(vars)
	} else {
		field(nil) // no variables and {} are the same request
	}
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// cachedResponse is a response as sent.
type cachedResponse struct {
	body                     []byte
	contentType              string
	status                   int
	operation, operationName string
}

func (r *cachedResponse) size() int64 {
	return int64(len(r.body)+len(r.contentType)+len(r.operation)+len(r.operationName)) + 200 // + overhead
}

// responseCache is the response cache: an LRU of responses bounded by
// their total size in bytes.
type responseCache = lru.Cache[cacheKey, *cachedResponse]

// newResponseCache returns a cache of maxBytes, or nil (no caching) when
// maxBytes is not positive.
func newResponseCache(maxBytes int64) *responseCache {
	if maxBytes <= 0 {
		return nil
	}
	return lru.New[cacheKey](maxBytes, (*cachedResponse).size)
}

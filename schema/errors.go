package schema

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// Codes reported in every GraphQL error's extensions.code. The server maps
// them to HTTP statuses (server.statusFor); nothing else should.
const (
	CodeNotFound           = "NOT_FOUND"
	CodeBadUserInput       = "BAD_USER_INPUT"
	CodeConflict           = "CONFLICT"
	CodeUnauthenticated    = "UNAUTHENTICATED"
	CodeForbidden          = "FORBIDDEN"
	CodeInternal           = "INTERNAL"
	CodeParseFailed        = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed   = "GRAPHQL_VALIDATION_FAILED"
	CodeBadRequest         = "BAD_REQUEST" // operation cannot be determined
	CodeTooDeep            = "QUERY_TOO_DEEP"
	CodeTooComplex         = "QUERY_TOO_COMPLEX"
	CodeTooManyAliases     = "TOO_MANY_ALIASES"
	CodeTooManyOperations  = "TOO_MANY_OPERATIONS"
	CodeTooLarge           = "QUERY_TOO_LARGE"      // a size bound of bounds.go: bytes, tokens, fields, values, variables
	CodeMutationNotAllowed = "MUTATION_NOT_ALLOWED" // mutation in a Request.ReadOnly request (HTTP GET)
	CodeTimeout            = "TIMEOUT"
	CodeCancelled          = "CANCELLED"
)

// codeFor maps the graph package's error vocabulary to GraphQL codes. It is
// the one place that does.
func codeFor(c graph.Code) string {
	switch c {
	case graph.CodeNotFound:
		return CodeNotFound
	case graph.CodeInvalid:
		return CodeBadUserInput
	case graph.CodeConflict:
		return CodeConflict
	case graph.CodeUnauthorized:
		return CodeUnauthenticated
	}
	return CodeInternal
}

// apiError is an error a resolver returns on purpose: its message is safe to
// show and its code is final.
type apiError struct {
	code string
	msg  string
	ext  map[string]any
}

func (e *apiError) Error() string { return e.msg }

// Extensions implements gqlerrors.ExtendedError.
func (e *apiError) Extensions() map[string]any {
	m := map[string]any{"code": e.code}
	for k, v := range e.ext {
		m[k] = v
	}
	return m
}

func userError(format string, args ...any) error {
	return &apiError{code: CodeBadUserInput, msg: fmt.Sprintf(format, args...)}
}

// internalError is an unexpected failure: its cause is logged, never shown.
type internalError struct {
	cause error
}

func (e *internalError) Error() string { return "internal error" }
func (e *internalError) Unwrap() error { return e.cause }

// fromStoreError turns an error from graph.Store (or anything else) into the
// error a resolver returns.
func fromStoreError(err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ie *internalError
	if errors.As(err, &ie) {
		return ie
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	code := graph.ErrorCode(err)
	if code == graph.CodeInternal {
		return &internalError{cause: err}
	}
	e := &apiError{code: codeFor(code), msg: graph.ErrorMessage(err)}
	var list graph.Errors
	if errors.As(err, &list) && len(list) > 0 {
		details := make([]map[string]any, 0, len(list))
		for _, item := range list {
			details = append(details, map[string]any{"path": item.Path, "message": item.Msg})
		}
		e.ext = map[string]any{"errors": details}
	}
	return e
}

// Error is one entry of a Result's errors.
type Error struct {
	Message    string         `json:"message"`
	Locations  []Location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions"`
}

// Location is a position in the query document, 1-based.
type Location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Code returns e's extensions.code.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

func newError(code, msg string) Error {
	return Error{Message: msg, Extensions: map[string]any{"code": code}}
}

var (
	suggestion = regexp.MustCompile(`\s*Did you mean [^?]*\?`)
	dateHint   = regexp.MustCompile(`Expected type "Date", found [^.\n]*\.?`)
)

// cleanMessage strips "Did you mean …?" suggestions, which would leak the
// schema to clients with introspection off, and explains the Date format.
func cleanMessage(msg string) string {
	msg = suggestion.ReplaceAllString(msg, "")
	msg = dateHint.ReplaceAllStringFunc(msg, func(s string) string {
		return strings.TrimSuffix(s, ".") + ": a Date is YYYY, YYYY-MM or YYYY-MM-DD."
	})
	return strings.TrimSpace(msg)
}

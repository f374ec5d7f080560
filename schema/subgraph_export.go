package schema

import (
	"context"
	"errors"
)

// ErrorFor returns the API error code and a message safe to show for err,
// an error of the store or of a loader met outside GraphQL (the server's
// GET /export), exactly as a resolver would report it: codeFor is still
// the one mapping of graph codes, and timeouts and cancellations read as
// they do in GraphQL responses. Internal errors give "internal error".
//
// Query.subgraph itself needs no change for exports: its arguments (seeds,
// hops, types, kinds, countries, asOf, limit) are the selection /export and
// `chipgraph export` take.
func (s *Schema) ErrorFor(err error) (code, msg string) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		e := s.ctxError(err)
		return e.Extensions["code"].(string), e.Message
	}
	var ae *apiError
	if errors.As(fromStoreError(err), &ae) {
		return ae.code, ae.msg
	}
	return CodeInternal, "internal error"
}

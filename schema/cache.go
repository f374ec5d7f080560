package schema

import (
	"container/list"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// The document cache keeps, per query text, the parsed document (or the
// parse error) and, once the document has passed the query limits of some
// request, its validation result. Clients repeat the same query texts with
// different variables, so parsing and validating (a fifth of a small
// query's cost) is done once per text. The limits are still checked per
// request: they depend on the variables.
//
// A cached *ast.Document is shared by concurrent requests; graphql-go's
// validator and executor, and checkLimits, only read it.
const (
	docCacheEntries = 512
	// docCacheMaxQuery is the longest query text cached: a bounded number
	// of entries must not mean an unbounded amount of memory.
	docCacheMaxQuery = 32 << 10
)

// parsedDoc is one cached query text.
type parsedDoc struct {
	doc      *ast.Document
	parseErr *Error // the CodeParseFailed error when the text does not parse
	ops      []*ast.OperationDefinition

	validateOnce sync.Once
	validation   []Error // CodeValidationFailed errors; nil when valid
}

// validate returns the validation errors of d's document, validating it
// the first time only.
func (d *parsedDoc) validate(s *Schema) []Error {
	d.validateOnce.Do(func() {
		s.validations.Add(1)
		v := graphql.ValidateDocument(&s.gql, d.doc, nil)
		if v.IsValid {
			return
		}
		for _, fe := range v.Errors {
			e := newError(CodeValidationFailed, cleanMessage(fe.Message))
			for _, l := range fe.Locations {
				e.Locations = append(e.Locations, Location{Line: l.Line, Column: l.Column})
			}
			d.validation = append(d.validation, e)
		}
	})
	return d.validation
}

// parse parses query into a parsedDoc (never nil).
func parse(query string) *parsedDoc {
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{
		Body: []byte(query), Name: "GraphQL request",
	})})
	if err != nil {
		var locs []Location
		var ge *gqlerrors.Error
		if errors.As(err, &ge) {
			for _, l := range ge.Locations {
				locs = append(locs, Location{Line: l.Line, Column: l.Column})
			}
		}
		msg := "syntax error"
		if ge != nil {
			msg = ge.Message
		}
		e := newError(CodeParseFailed, msg)
		e.Locations = locs
		return &parsedDoc{parseErr: &e}
	}
	d := &parsedDoc{doc: doc}
	for _, def := range doc.Definitions {
		if op, ok := def.(*ast.OperationDefinition); ok {
			d.ops = append(d.ops, op)
		}
	}
	return d
}

// document returns the parsedDoc of query, from the cache when it is there.
func (s *Schema) document(query string) *parsedDoc {
	if len(query) > docCacheMaxQuery {
		return parse(query)
	}
	if d, ok := s.docs.get(query); ok {
		return d
	}
	// Two requests missing at once both parse; both then use the one
	// added first, so it is validated once.
	return s.docs.addIfAbsent(query, parse(query))
}

// lru is a fixed-capacity least-recently-used map, safe for concurrent use.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	cap   int
	ll    *list.List // of *lruEntry[K, V], most recent first
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{cap: max(1, capacity), ll: list.New(), items: make(map[K]*list.Element, capacity)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) add(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value.(*lruEntry[K, V]).val = v
		c.ll.MoveToFront(el)
		return
	}
	c.insertLocked(k, v)
}

// insertLocked adds k, which is not there, evicting as needed.
func (c *lru[K, V]) insertLocked(k K, v V) {
	c.items[k] = c.ll.PushFront(&lruEntry[K, V]{key: k, val: v})
	for c.ll.Len() > c.cap {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.items, el.Value.(*lruEntry[K, V]).key)
	}
}

// addIfAbsent adds v under k unless k is there; it returns the value
// under k.
func (c *lru[K, V]) addIfAbsent(k K, v V) V {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*lruEntry[K, V]).val
	}
	c.insertLocked(k, v)
	c.mu.Unlock()
	return v
}

func (c *lru[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
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

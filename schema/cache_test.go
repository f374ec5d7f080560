package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/schema/schematest"
)

func newTestSchema(t *testing.T) *Schema {
	t.Helper()
	s, err := New(schematest.Open(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDocumentCacheValidatesOnce(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	const q = `query($id: ID!){entity(id:$id){id}}`
	for _, id := range []string{"smic", "bis", "smic"} {
		res := s.Execute(ctx, Request{Query: q, Variables: map[string]any{"id": id}})
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %v", id, res.Errors)
		}
		var data struct{ Entity struct{ ID string } }
		if err := json.Unmarshal(res.Data, &data); err != nil {
			t.Fatal(err)
		}
		if got := data.Entity.ID; got != id {
			t.Errorf("entity %q, want %q (a cached document must not cache data)", data.Entity.ID, id)
		}
	}
	if n := s.validations.Load(); n != 1 {
		t.Errorf("validated %d times, want 1", n)
	}
	if n := docCount(s); n != 1 {
		t.Errorf("%d cached documents, want 1", n)
	}
}

func TestDocumentCacheKeepsErrors(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	for _, tc := range []struct{ query, code string }{
		{`{entity(id:"smic"){nmae}}`, CodeValidationFailed},
		{`{entity(id:"smic"){id}`, CodeParseFailed},
	} {
		var first []Error
		for i := range 3 {
			res := s.Execute(ctx, Request{Query: tc.query})
			if res.Code() != tc.code || res.HasData {
				t.Fatalf("%s #%d: code %q, data %v, want %s without data", tc.query, i, res.Code(), res.HasData, tc.code)
			}
			if i == 0 {
				first = res.Errors
				// A caller changing its result must not change the cache.
				res.Errors[0].Extensions["code"] = "CHANGED"
				res.Errors[0].Message = "changed"
				continue
			}
			if res.Errors[0].Message == "changed" || len(res.Errors[0].Locations) != len(first[0].Locations) {
				t.Errorf("%s #%d: %+v", tc.query, i, res.Errors)
			}
		}
	}
	if n := s.validations.Load(); n != 1 {
		t.Errorf("validated %d times, want 1 (parse errors are not validated)", n)
	}
}

// Complexity depends on the variables and is checked on every request,
// cached document or not, unless no size reads a variable; the document is
// validated once.
func TestDocumentCacheChecksLimitsPerRequest(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	const q = `query($n: Int){entities(first: $n){nodes{id}}}`
	if res := s.Execute(ctx, Request{Query: q, Variables: map[string]any{"n": 100000}}); res.Code() != CodeTooComplex {
		t.Fatalf("code %q, want %s", res.Code(), CodeTooComplex)
	}
	if res := s.Execute(ctx, Request{Query: q, Variables: map[string]any{"n": 2}}); len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if res := s.Execute(ctx, Request{Query: q, Variables: map[string]any{"n": 100000}}); res.Code() != CodeTooComplex {
		t.Fatalf("cached: code %q, want %s", res.Code(), CodeTooComplex)
	}
	if n := s.validations.Load(); n != 1 {
		t.Errorf("validated %d times, want 1", n)
	}
	costs := func(q string) (n int) {
		s.document(q).costs.Range(func(any, any) bool { n++; return true })
		return n
	}
	if n := costs(q); n != 0 {
		t.Errorf("a cost that reads a variable was kept for %d operations", n)
	}
	const literal = `query($id: ID!){entity(id: $id){id} entities(first: 2){nodes{id}}}`
	for range 2 {
		if res := s.Execute(ctx, Request{Query: literal, Variables: map[string]any{"id": "smic"}}); len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
	}
	if n := costs(literal); n != 1 {
		t.Errorf("the cost of an operation whose sizes are literals was kept for %d operations, want 1", n)
	}
}

func TestDocumentCacheBounded(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	for i := range docCacheEntries + 100 {
		q := fmt.Sprintf(`{entity(id:"smic"){id a%d: name}}`, i)
		if res := s.Execute(ctx, Request{Query: q}); len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
	}
	if n := docCount(s); n != docCacheEntries {
		t.Errorf("%d cached documents, want %d", n, docCacheEntries)
	}
	// The first queries were evicted: running one again validates again.
	before := s.validations.Load()
	s.Execute(ctx, Request{Query: `{entity(id:"smic"){id a0: name}}`})
	if s.validations.Load() != before+1 {
		t.Error("the least recently used document was not evicted")
	}
}

func TestDocumentCacheConcurrent(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				q := fmt.Sprintf(`{entity(id:"smic"){id a%d: name}}`, (g+i)%5)
				if res := s.Execute(ctx, Request{Query: q}); len(res.Errors) > 0 {
					t.Error(res.Errors)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.validations.Load(); n != 5 {
		t.Errorf("validated %d times, want 5", n)
	}
}

func docCount(s *Schema) int {
	n, _ := s.docs.Len()
	return n
}

// Plans are shared by the requests of one document; arguments that read
// variables, and @include/@skip that read them, still follow each request.
func TestSharedPlansFollowVariables(t *testing.T) {
	s := newTestSchema(t)
	ids := []string{"smic", "bis", "huawei", "cxmt"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				id := ids[(g+i)%len(ids)]
				include := (g+i)%2 == 0
				// A neighbourhood mixes constant arguments (limit) with
				// variables, one absent half the time (hops: its default 1).
				vars := map[string]any{"id": id, "x": include}
				if !include {
					vars["hops"] = 0
				}
				res := s.Execute(t.Context(), Request{Query: `query($id: ID!, $hops: Int){neighborhood(ids:[$id], hops:$hops, limit: 3){nodes{id}}}`, Variables: vars})
				var hood struct {
					Neighborhood struct{ Nodes []struct{ ID string } }
				}
				if err := json.Unmarshal(res.Data, &hood); err != nil || len(res.Errors) > 0 {
					t.Errorf("neighborhood: %v %v", err, res.Errors)
					return
				}
				if n := len(hood.Neighborhood.Nodes); include && n != 3 || !include && n != 1 {
					t.Errorf("neighborhood of %s, hops given %v: %d nodes, want %d", id, vars["hops"], n, map[bool]int{true: 3, false: 1}[include])
				}
				for _, q := range []string{
					`query($id: ID!){entity(id:$id){id}}`,
					`query($id: ID!, $x: Boolean!){entity(id:$id){id name @include(if:$x)}}`,
				} {
					res := s.Execute(t.Context(), Request{Query: q, Variables: map[string]any{"id": id, "x": include}})
					var data struct {
						Entity struct {
							ID   string
							Name *string
						}
					}
					if err := json.Unmarshal(res.Data, &data); err != nil || len(res.Errors) > 0 {
						t.Errorf("%s: %v %v", q, err, res.Errors)
						return
					}
					if data.Entity.ID != id {
						t.Errorf("%s with $id %s gave %s", q, id, data.Entity.ID)
					}
					if strings.Contains(q, "$x") && (data.Entity.Name != nil) != include {
						t.Errorf("%s with $x %v: name %v", q, include, data.Entity.Name)
					}
				}
			}
		})
	}
	wg.Wait()
}

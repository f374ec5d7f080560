package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/schema/schematest"
	"github.com/chipgraph/chipgraph/server"
)

func postVars(query string, vars map[string]any, hdr ...string) *http.Request {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func TestResponseCache(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{Tokens: []string{token}})
	h := s.Handler()
	const q = `query($id: ID!){entity(id:$id){id name}}`

	first := do(t, h, postVars(q, map[string]any{"id": "smic"}))
	if first.status != 200 || first.code() != "" || first.header.Get("X-Cache") != "miss" {
		t.Fatalf("first: %d %q %s", first.status, first.header.Get("X-Cache"), first.raw)
	}
	second := do(t, h, postVars(q, map[string]any{"id": "smic"}))
	if second.header.Get("X-Cache") != "hit" || second.raw != first.raw || second.status != 200 ||
		second.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Fatalf("second: %d %q %s", second.status, second.header.Get("X-Cache"), second.raw)
	}
	if second.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
		t.Error("a cached response reused the request id")
	}

	// Other variables, operation name or media type: other entries.
	other := do(t, h, postVars(q, map[string]any{"id": "bis"}))
	if other.header.Get("X-Cache") != "miss" || !strings.Contains(other.raw, `"bis"`) {
		t.Fatalf("other variables: %q %s", other.header.Get("X-Cache"), other.raw)
	}
	gr := do(t, h, postVars(q, map[string]any{"id": "smic"}, "Accept", gqlResp))
	if gr.header.Get("X-Cache") != "miss" || !strings.HasPrefix(gr.header.Get("Content-Type"), gqlResp) {
		t.Fatalf("other media type: %q %q", gr.header.Get("X-Cache"), gr.header.Get("Content-Type"))
	}

	// A mutation changes the store's version: the next query misses and
	// sees the new data.
	const stats = `{stats{sources}}`
	before := do(t, h, post(stats, legacy))
	if r := do(t, h, post(stats, legacy)); r.header.Get("X-Cache") != "hit" {
		t.Fatalf("stats not cached: %q", r.header.Get("X-Cache"))
	}
	const mutation = `mutation{upsertSource(input:{key:"src-z", title:"Z", url:"https://example.org/z", publisher:"P", published:"2025"}){key}}`
	m := do(t, h, post(mutation, legacy, "Authorization", "Bearer "+token))
	if m.status != 200 || m.code() != "" || m.header.Get("X-Cache") != "" {
		t.Fatalf("mutation: %d %q %s", m.status, m.header.Get("X-Cache"), m.raw)
	}
	if r := do(t, h, post(mutation, legacy, "Authorization", "Bearer "+token)); r.header.Get("X-Cache") != "" {
		t.Fatalf("mutation cached: %q", r.header.Get("X-Cache"))
	}
	after := do(t, h, post(stats, legacy))
	if after.header.Get("X-Cache") != "miss" || after.raw == before.raw {
		t.Fatalf("after a write: %q %s (before %s)", after.header.Get("X-Cache"), after.raw, before.raw)
	}
	if r := do(t, h, post(stats, legacy)); r.header.Get("X-Cache") != "hit" || r.raw != after.raw {
		t.Fatalf("after a write, again: %q %s", r.header.Get("X-Cache"), r.raw)
	}

	// GET serves a query from the same cache as POST.
	if r := do(t, h, get(stats, legacy)); r.header.Get("X-Cache") != "hit" || r.raw != after.raw {
		t.Fatalf("GET: %q %s", r.header.Get("X-Cache"), r.raw)
	}
}

func TestResponseCacheSkipsErrors(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	h := s.Handler()
	for _, q := range []string{
		`{neighborhood(ids:["nope"]){truncated}}`, // an error with data
		`{entity(id:"smic"){nmae}}`,               // a validation error
		`{entity(id:"smic"){id}`,                  // a parse error
	} {
		for i := range 3 {
			r := do(t, h, post(q, legacy))
			if r.code() == "" {
				t.Fatalf("%s: no error: %s", q, r.raw)
			}
			if c := r.header.Get("X-Cache"); c != "" {
				t.Errorf("%s #%d: X-Cache %q on an error", q, i, c)
			}
		}
	}
}

func TestResponseCacheDisabled(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{CacheBytes: -1})
	h := s.Handler()
	for range 2 {
		if r := do(t, h, post(`{stats{sources}}`, legacy)); r.status != 200 || r.header.Get("X-Cache") != "" {
			t.Fatalf("%d %q", r.status, r.header.Get("X-Cache"))
		}
	}
}

// An uncached answer with data only is sent straight from the executor's
// buffer; it must be byte for byte the body the cache keeps and serves,
// with a Content-Length that matches it.
func TestUncachedBodyIsTheCachedOne(t *testing.T) {
	on, _ := newServer(t, schematest.Open(t), server.Config{})
	off, _ := newServer(t, schematest.Open(t), server.Config{CacheBytes: -1})
	const q = `{neighborhood(ids:["huawei"], hops:1){nodes{id name} relations{id type}}}`
	for _, accept := range []string{legacy, gqlResp} {
		want := do(t, on.Handler(), post(q, accept))
		if hit := do(t, on.Handler(), post(q, accept)); hit.header.Get("X-Cache") != "hit" || hit.raw != want.raw {
			t.Fatalf("%s: the cache did not serve the same body (X-Cache %q)", accept, hit.header.Get("X-Cache"))
		}
		got := do(t, off.Handler(), post(q, accept))
		if got.status != want.status || got.raw != want.raw || got.header.Get("Content-Type") != want.header.Get("Content-Type") {
			t.Errorf("%s: uncached %d %q %s\nwant %d %q %s", accept, got.status, got.header.Get("Content-Type"), got.raw,
				want.status, want.header.Get("Content-Type"), want.raw)
		}
		if n := got.header.Get("Content-Length"); n != strconv.Itoa(len(got.raw)) {
			t.Errorf("%s: Content-Length %s for %d bytes", accept, n, len(got.raw))
		}
	}
}

// While serving, access log lines are buffered; none is lost at shutdown.
func TestAccessLogFlushedAtShutdown(t *testing.T) {
	s, logs := newServer(t, schematest.Open(t), server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	const n = 50
	for i := range n {
		path := "/healthz"
		if i%2 == 1 {
			path = "/graphql?query=%7Bstats%7Bsources%7D%7D"
		}
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
	out := logs.String()
	if got := strings.Count(out, `"msg":"http request"`); got != n {
		t.Errorf("%d access log lines, want %d:\n%s", got, n, out)
	}
	if !strings.Contains(out, `"operation":"query"`) || !strings.Contains(out, `"path":"/healthz"`) {
		t.Errorf("access log lacks fields:\n%s", out)
	}
}

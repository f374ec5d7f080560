package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/schema/schematest"
	"github.com/chipgraph/chipgraph/server"
)

const token = "s3cret-token"

func newServer(t *testing.T, store graph.Store, cfg server.Config) (*server.Server, *bytes.Buffer) {
	t.Helper()
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := server.New(store, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs.Buffer
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) code() string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	c, _ := ext["code"].(string)
	return c
}

func do(t *testing.T, h http.Handler, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if strings.Contains(rec.Header().Get("Content-Type"), "json") && rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &r.body); err != nil {
			t.Fatalf("body %q: %v", rec.Body.String(), err)
		}
	}
	return r
}

func post(query string, accept string, hdr ...string) *http.Request {
	b, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func get(query string, accept string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(query), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

const (
	gqlResp = "application/graphql-response+json"
	legacy  = "application/json"
)

func TestStatusCodes(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{Tokens: []string{token}, BodyLimit: 4096,
		Schema: schema.Config{MaxDepth: 4}})
	h := s.Handler()
	raw := func(method, ct, body string) *http.Request {
		req := httptest.NewRequest(method, "/graphql", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return req
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		code   string
		media  string
	}{
		{"post ok", post(`{entity(id:"smic"){id}}`, ""), 200, "", legacy},
		{"post ok graphql-response", post(`{entity(id:"smic"){id}}`, gqlResp), 200, "", gqlResp},
		{"get ok", get(`{stats{entities}}`, gqlResp), 200, "", gqlResp},
		{"accept q prefers json", post(`{stats{entities}}`, gqlResp+";q=0.5, application/json"), 200, "", legacy},
		{"accept star", post(`{stats{entities}}`, "*/*"), 200, "", legacy},
		{"field error keeps 200", post(`{paths(from:"smic", to:"nope"){length}}`, gqlResp), 200, schema.CodeNotFound, gqlResp},
		{"unparseable body", raw(http.MethodPost, "application/json", `{"query":`), 400, schema.CodeBadRequest, legacy},
		{"query not a string", raw(http.MethodPost, "application/json", `{"query":1}`), 400, schema.CodeBadRequest, legacy},
		{"variables not an object", raw(http.MethodPost, "application/json", `{"query":"{stats{entities}}","variables":"x"}`), 400, schema.CodeBadRequest, legacy},
		{"no query", raw(http.MethodPost, "application/json", `{}`), 400, schema.CodeBadRequest, legacy},
		{"unparseable query", post(`{stats{`, gqlResp), 400, schema.CodeParseFailed, gqlResp},
		{"unparseable query legacy", post(`{stats{`, legacy), 400, schema.CodeParseFailed, legacy},
		{"validation graphql-response", post(`{stats{nope}}`, gqlResp), 422, schema.CodeValidationFailed, gqlResp},
		{"validation legacy", post(`{stats{nope}}`, legacy), 200, schema.CodeValidationFailed, legacy},
		{"depth limit", post(`{entity(id:"smic"){relations{edges{node{id}}}}}`, gqlResp), 422, schema.CodeTooDeep, gqlResp},
		{"complexity limit", post(`{entities(first:1000){nodes{sources{key}}}}`, gqlResp), 422, schema.CodeTooComplex, gqlResp},
		{"mutation via get", get(`mutation{deleteSource(key:"src-b"){deleted}}`, gqlResp), 405, schema.CodeMutationNotAllowed, gqlResp},
		{"method", raw(http.MethodPut, "application/json", `{}`), 405, "METHOD_NOT_ALLOWED", legacy},
		{"not acceptable", post(`{stats{entities}}`, "text/html"), 406, "NOT_ACCEPTABLE", legacy},
		{"too large", raw(http.MethodPost, "application/json", `{"query":"{stats{entities}}","x":"`+strings.Repeat("a", 5000)+`"}`), 413, "PAYLOAD_TOO_LARGE", legacy},
		{"form rejected", raw(http.MethodPost, "application/x-www-form-urlencoded", `query=%7Bstats%7Bentities%7D%7D`), 415, "UNSUPPORTED_MEDIA_TYPE", legacy},
		{"multipart rejected", raw(http.MethodPost, "multipart/form-data; boundary=x", "--x--"), 415, "UNSUPPORTED_MEDIA_TYPE", legacy},
		{"text/plain rejected", raw(http.MethodPost, "text/plain", `{"query":"{stats{entities}}"}`), 415, "UNSUPPORTED_MEDIA_TYPE", legacy},
		{"no content type", raw(http.MethodPost, "", `{"query":"{stats{entities}}"}`), 415, "UNSUPPORTED_MEDIA_TYPE", legacy},
		{"unknown route", httptest.NewRequest(http.MethodGet, "/nope", nil), 404, "ROUTE_NOT_FOUND", legacy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, tc.req)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.status, r.code(), tc.status, tc.code, r.raw)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.media) {
				t.Errorf("Content-Type %q, want %s", ct, tc.media)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.status == 405 && tc.code == schema.CodeMutationNotAllowed && r.header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
			if tc.status == 405 && tc.code == "METHOD_NOT_ALLOWED" && r.header.Get("Allow") != "GET, POST" {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
		})
	}
}

func TestAuth(t *testing.T) {
	const mutation = `mutation{upsertSource(input:{key:"src-z", title:"Z", url:"https://example.org/z", publisher:"P", published:"2025"}){key}}`
	t.Run("tokens configured", func(t *testing.T) {
		s, _ := newServer(t, schematest.Open(t), server.Config{Tokens: []string{"other", token}})
		h := s.Handler()
		r := do(t, h, post(mutation, gqlResp))
		if r.status != 401 || r.code() != schema.CodeUnauthenticated || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no token: %d %s", r.status, r.raw)
		}
		r = do(t, h, post(mutation, legacy, "Authorization", "Bearer wrong"))
		if r.status != 401 || r.code() != schema.CodeUnauthenticated {
			t.Fatalf("wrong token: %d %s", r.status, r.raw)
		}
		r = do(t, h, post(`{stats{entities}}`, legacy, "Authorization", "Basic abc"))
		if r.status != 401 {
			t.Fatalf("basic auth: %d %s", r.status, r.raw)
		}
		r = do(t, h, post(mutation, gqlResp, "Authorization", "Bearer "+token))
		if r.status != 200 || r.code() != "" {
			t.Fatalf("good token: %d %s", r.status, r.raw)
		}
		r = do(t, h, post(`{stats{sources}}`, gqlResp))
		if want := float64(len(schematest.Fixture().Sources) + 1); r.status != 200 || r.body["data"].(map[string]any)["stats"].(map[string]any)["sources"] != want {
			t.Fatalf("read after write: %s", r.raw)
		}
	})
	t.Run("no tokens", func(t *testing.T) {
		s, _ := newServer(t, schematest.Open(t), server.Config{})
		h := s.Handler()
		if r := do(t, h, post(`{stats{entities}}`, gqlResp)); r.status != 200 {
			t.Fatalf("query: %d", r.status)
		}
		if r := do(t, h, post(mutation, gqlResp, "Authorization", "Bearer "+token)); r.status != 401 {
			t.Fatalf("any token refused: %d %s", r.status, r.raw)
		}
		if r := do(t, h, post(mutation, gqlResp)); r.status != 401 || r.code() != schema.CodeUnauthenticated {
			t.Fatalf("mutation: %d %s", r.status, r.raw)
		}
	})
}

// panicStore panics when asked for its stats, with text that must not leak.
type panicStore struct{ graph.Store }

func (panicStore) Stats(context.Context) (graph.Stats, error) {
	panic("secret-panic-text")
}

func TestPanicIsInternalWithoutLeak(t *testing.T) {
	s, logs := newServer(t, panicStore{schematest.Open(t)}, server.Config{})
	req := post(`{stats{entities}}`, gqlResp)
	req.Header.Set("X-Request-Id", "abc-123")
	r := do(t, s.Handler(), req)
	if r.code() != schema.CodeInternal || strings.Contains(r.raw, "secret") || strings.Contains(r.raw, "goroutine") {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if !strings.Contains(r.raw, `"requestId":"abc-123"`) || r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id missing: %s", r.raw)
	}
	if !strings.Contains(logs.String(), "secret-panic-text") {
		t.Error("panic not logged")
	}
	// A panic outside GraphQL (readyz calls Stats) is caught by the HTTP
	// recovery: 500 INTERNAL with the request id, nothing else.
	r = do(t, s.Handler(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if r.status != 500 || r.code() != schema.CodeInternal || strings.Contains(r.raw, "secret") {
		t.Errorf("readyz %d %s", r.status, r.raw)
	}
	if !strings.Contains(r.raw, r.header.Get("X-Request-Id")) {
		t.Errorf("readyz lacks the request id: %s", r.raw)
	}
}

func TestProbesMetricsAndPages(t *testing.T) {
	s, logs := newServer(t, schematest.Open(t), server.Config{})
	h := s.Handler()
	if r := do(t, h, httptest.NewRequest(http.MethodGet, "/healthz", nil)); r.status != 200 {
		t.Errorf("healthz %d", r.status)
	}
	if r := do(t, h, httptest.NewRequest(http.MethodGet, "/readyz", nil)); r.status != 200 || r.body["entities"] != 14.0 {
		t.Errorf("readyz %d %s", r.status, r.raw)
	}
	do(t, h, post(`{stats{entities}}`, gqlResp))
	do(t, h, post(`{stats{entities}}`, gqlResp)) // from the response cache: not executed
	do(t, h, post(`{stats{nope}}`, gqlResp))     // not valid: not executed
	do(t, h, post(`{__schema{queryType{name}}}`, gqlResp))
	r := do(t, h, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`chipgraph_graphql_requests_total{code="",operation="query",status="200"} 3`,
		`chipgraph_graphql_requests_total{code="GRAPHQL_VALIDATION_FAILED",operation="query",status="422"} 1`,
		`chipgraph_graphql_executions_total 2`,
		`chipgraph_http_request_duration_seconds_bucket{route="/graphql"`,
		`chipgraph_store_entities 14`,
		`chipgraph_store_relations_by_type{type="SUPPLIES"} 1`,
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	r = do(t, h, httptest.NewRequest(http.MethodGet, "/", nil))
	if r.status != http.StatusFound || r.header.Get("Location") != "/graphiql" {
		t.Errorf("/ %d %v", r.status, r.header)
	}
	r = do(t, h, httptest.NewRequest(http.MethodGet, "/graphiql", nil))
	if r.status != 200 || !strings.Contains(r.raw, "/graphql") {
		t.Errorf("/graphiql %d", r.status)
	}
	if !strings.Contains(logs.String(), `"msg":"http request"`) || !strings.Contains(logs.String(), `"operation":"query"`) {
		t.Errorf("access log: %s", logs.String())
	}
}

func TestGzip(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	req := post(`{entities(first:100){nodes{id name aliases description}}}`, gqlResp, "Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzipped: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if !strings.Contains(string(b), "smic") {
		t.Errorf("body %s", b)
	}
}

func TestCORS(t *testing.T) {
	preflight := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	if v := preflight(s.Handler()).Header().Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("same-origin default sent CORS header %q", v)
	}
	req := post(`{stats{entities}}`, gqlResp, "Origin", "https://app.example")
	if v := do(t, s.Handler(), req).header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("same-origin default sent CORS header %q", v)
	}
	s, _ = newServer(t, schematest.Open(t), server.Config{CORSOrigins: []string{"https://app.example"}})
	rec := preflight(s.Handler())
	if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "https://app.example" {
		t.Errorf("allowed origin: %q (%d)", v, rec.Code)
	}
}

func TestRateLimit(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{RateLimit: 1, RateBurst: 2})
	h := s.Handler()
	var statuses []int
	for range 4 {
		statuses = append(statuses, do(t, h, post(`{stats{entities}}`, gqlResp)).status)
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[3] != 429 {
		t.Errorf("statuses %v", statuses)
	}
	if r := do(t, h, httptest.NewRequest(http.MethodGet, "/healthz", nil)); r.status != 200 {
		t.Errorf("healthz is rate limited: %d", r.status)
	}
}

func TestTimeout(t *testing.T) {
	s, _ := newServer(t, slowStore{schematest.Open(t)}, server.Config{Schema: schema.Config{Timeout: 50 * time.Millisecond}})
	r := do(t, s.Handler(), post(`{stats{entities}}`, gqlResp))
	if r.code() != schema.CodeTimeout {
		t.Errorf("%d %s", r.status, r.raw)
	}
}

type slowStore struct{ graph.Store }

func (slowStore) Stats(ctx context.Context) (graph.Stats, error) {
	<-ctx.Done()
	return graph.Stats{}, ctx.Err()
}

func TestConcurrentRequests(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{Tokens: []string{token}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	concurrentRequests(t, ts, 16, 8, func(i, j int) string {
		if (i+j)%5 == 0 {
			return fmt.Sprintf(`mutation{upsertSource(input:{key:"k-%d-%d", title:"t", url:"https://x.org", publisher:"p", published:"2024"}){key}}`, i, j)
		}
		return `{entity(name:"中芯国际"){id ... on Company{investors{from{name}}}} relations(types:[SUPPLIES]){totalCount}}`
	})
}

// concurrentRequests sends workers×rounds authorised POSTs of query(i, j)
// to ts at once (worker i, round j) and fails on any transport error,
// status other than 200 or GraphQL error; run under -race it checks that
// reads and writes share the server safely.
func concurrentRequests(t *testing.T, ts *httptest.Server, workers, rounds int, query func(i, j int) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range rounds {
				b, _ := json.Marshal(map[string]any{"query": query(i, j)})
				req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", gqlResp)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := ts.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || bytes.Contains(body, []byte(`"errors"`)) {
					errs <- fmt.Errorf("%d %s", resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestNewRejectsEmptyToken(t *testing.T) {
	if _, err := server.New(schematest.Open(t), server.Config{Tokens: []string{""}}, nil); err == nil {
		t.Error("empty token accepted")
	}
}

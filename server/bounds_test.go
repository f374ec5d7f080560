package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/schema/schematest"
	"github.com/chipgraph/chipgraph/server"
)

// serveReal runs s on a real listener (deadlines and header limits live in
// net/http's connection handling, which httptest recorders skip) and
// returns its address; the server stops with the test.
func serveReal(t *testing.T, s *server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawExchange writes msg on a new connection and returns everything the
// server sends until it closes the connection. The 30 s deadline only keeps
// a broken server from hanging the test.
func rawExchange(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("the server did not close the connection: %v (read %q)", err, b)
	}
	return string(b)
}

func TestSlowBodyIsCut(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{ReadTimeout: 200 * time.Millisecond})
	addr := serveReal(t, s)
	// The headers promise 100 bytes; 10 come, then nothing.
	got := rawExchange(t, addr, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Accept: application/graphql-response+json\r\nContent-Length: 100\r\n\r\n{\"query\":")
	if !strings.HasPrefix(got, "HTTP/1.1 408 ") || !strings.Contains(got, `"code":"REQUEST_TIMEOUT"`) {
		t.Errorf("a stalled body: want 408 REQUEST_TIMEOUT, got %q", got)
	}
}

func TestSlowHeadersAreCut(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{ReadTimeout: 200 * time.Millisecond})
	addr := serveReal(t, s)
	// Half a request line, then nothing: the connection is closed.
	if got := rawExchange(t, addr, "GET /heal"); strings.Contains(got, "200 OK") {
		t.Errorf("stalled headers were answered: %q", got)
	}
}

// sleepyStore's Stats takes its time but honours the context.
type sleepyStore struct {
	graph.Store
	d time.Duration
}

func (s sleepyStore) Stats(ctx context.Context) (graph.Stats, error) {
	select {
	case <-time.After(s.d):
		return s.Store.Stats(ctx)
	case <-ctx.Done():
		return graph.Stats{}, ctx.Err()
	}
}

// TestReadTimeoutSparesLongAnswers: a request whose body came in time may
// run, and answer, for longer than ReadTimeout (the read deadline is lifted
// once the body is read; a WriteTimeout would cut the answer).
func TestReadTimeoutSparesLongAnswers(t *testing.T) {
	s, _ := newServer(t, sleepyStore{schematest.Open(t), 600 * time.Millisecond},
		server.Config{ReadTimeout: 100 * time.Millisecond, Schema: schema.Config{Timeout: 10 * time.Second}})
	addr := serveReal(t, s)
	body := `{"query":"{ stats { entities } }"}`
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"entities":14`) {
		t.Errorf("a slow answer to a prompt request: %d %s", resp.StatusCode, b)
	}
}

// sleepySubgraph's Subgraph takes its time but honours the context.
type sleepySubgraph struct {
	graph.Store
	d time.Duration
}

func (s sleepySubgraph) Subgraph(ctx context.Context, sel graph.Selection) (*graph.Subgraph, error) {
	select {
	case <-time.After(s.d):
		return s.Store.Subgraph(ctx, sel)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestReadTimeoutSparesLongExports(t *testing.T) {
	s, _ := newServer(t, sleepySubgraph{schematest.Open(t), 600 * time.Millisecond},
		server.Config{ReadTimeout: 100 * time.Millisecond, Schema: schema.Config{Timeout: 10 * time.Second}})
	addr := serveReal(t, s)
	resp, err := http.Get("http://" + addr + "/export?format=graphml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(b), "</graphml>") {
		t.Errorf("an export slower than ReadTimeout: %d %v %.200s", resp.StatusCode, err, b)
	}
}

func TestHeaderBytesBounded(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{MaxHeaderBytes: 4096})
	addr := serveReal(t, s)
	long := "GET /graphql?query=" + strings.Repeat("a", 8192) + " HTTP/1.1\r\nHost: x\r\n\r\n"
	if got := rawExchange(t, addr, long); !strings.HasPrefix(got, "HTTP/1.1 431 ") {
		t.Errorf("an 8 KB GET query with 4 KB allowed: %.100q", got)
	}
	resp, err := http.Get("http://" + addr + "/graphql?query=%7B__typename%7D")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a short GET query: %d", resp.StatusCode)
	}
}

// TestMetricsCompressedOnce scrapes as Prometheus does (Accept-Encoding:
// gzip) and parses the result after one gunzip.
func TestMetricsCompressedOnce(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzipped: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("a Prometheus client cannot parse the scrape: %v\n%.200q", err, text)
	}
	for _, want := range []string{"go_goroutines", "chipgraph_store_entities", "chipgraph_http_requests_in_flight"} {
		if families[want] == nil {
			t.Errorf("the scrape lacks %s", want)
		}
	}
}

// blockingStore's Stats waits until release is closed.
type blockingStore struct {
	graph.Store
	entered chan struct{}
	release chan struct{}
}

func (s blockingStore) Stats(ctx context.Context) (graph.Stats, error) {
	s.entered <- struct{}{}
	select {
	case <-s.release:
		return s.Store.Stats(ctx)
	case <-ctx.Done():
		return graph.Stats{}, ctx.Err()
	}
}

func TestInFlightBounded(t *testing.T) {
	st := blockingStore{schematest.Open(t), make(chan struct{}, 1), make(chan struct{})}
	s, _ := newServer(t, st, server.Config{MaxInFlight: 1, CacheBytes: -1})
	h := s.Handler()
	first := make(chan response, 1)
	go func() { first <- do(t, h, post(`{ stats { entities } }`, gqlResp)) }()
	<-st.entered // the one slot is taken
	r := do(t, h, post(`{ stats { relations } }`, gqlResp))
	if r.status != http.StatusServiceUnavailable || r.code() != "SERVER_BUSY" || r.header.Get("Retry-After") == "" {
		t.Errorf("with the one slot taken: %d %v %s", r.status, r.header, r.raw)
	}
	// /export waits for the same slots.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export?format=graphml", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/export with the one slot taken: %d %s", rec.Code, rec.Body)
	}
	close(st.release)
	if r := <-first; r.status != 200 {
		t.Errorf("the first request: %d %s", r.status, r.raw)
	}
	go func() { <-st.entered }()
	if r := do(t, h, post(`{ stats { sources } }`, gqlResp)); r.status != 200 {
		t.Errorf("the slot was not given back: %d %s", r.status, r.raw)
	}
}

func TestLongParametersRefusedWithoutEcho(t *testing.T) {
	s, _ := newServer(t, schematest.Open(t), server.Config{})
	long := strings.Repeat("Z", 100_000)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export?format=graphml&asOf="+long, nil))
	if rec.Code != 400 || strings.Contains(rec.Body.String(), "ZZZZ") || !strings.Contains(rec.Body.String(), "asOf") {
		t.Errorf("/export with a 100 KB asOf: %d %.300s", rec.Code, rec.Body)
	}
	b, _ := json.Marshal(map[string]any{"query": "{ __typename }", "operationName": long})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	r := do(t, s.Handler(), req)
	if r.status != 400 || strings.Contains(r.raw, "ZZZZ") || r.code() != schema.CodeBadRequest {
		t.Errorf("a 100 KB operationName: %d %.300s", r.status, r.raw)
	}
}

// TestPanicMidAnswerCutsTheConnection: a panic after the status is sent
// cannot become a 500; the connection is cut so the client sees a broken
// transfer, and nothing of the panic reaches it.
func TestPanicMidAnswerCutsTheConnection(t *testing.T) {
	s, logs := newServer(t, schematest.Open(t), server.Config{})
	ts := httptest.NewServer(server.WithTestRoute(s, "/test/panic-midway", func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("secret-panic-text")
	}))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/test/panic-midway")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(bufio.NewReader(resp.Body))
	if err == nil {
		t.Errorf("the transfer ended cleanly: %q", body)
	}
	if strings.Contains(string(body), "secret") || strings.Contains(string(body), "INTERNAL") {
		t.Errorf("the panic reached the client: %q", body)
	}
	ts.Close() // waits for the handler: the log is complete
	if !strings.Contains(logs.String(), "secret-panic-text") {
		t.Error("the panic was not logged")
	}
}

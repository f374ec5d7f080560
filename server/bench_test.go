package server_test

// HTTP benchmarks of POST /graphql on the curated data against a bare
// net/http handler returning the same response bytes.
//
// In process, without the network (for profiling: add -cpuprofile):
//
//	go test -run '^$' -bench Handler -benchtime 20000x ./server/
//
// Over the network with wrk and 32 connections: .ci/bench, which runs this
// package's test binary in two serving modes (TestBenchServe, TestBenchBare)
// when `chipgraph serve` is not available, and always for the bare handler.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/server"
)

// The queries of the benchmarks and of .ci/bench.
var benchQueries = []struct{ name, query string }{
	{"relations", `{relations(types:[SUPPLIES], category:"memory"){totalCount edges{node{id from{id} to{id}}}}}`},
	{"neighborhood", `{neighborhood(ids:["huawei"], hops:2){nodes{id} relations{id}}}`},
}

func openCurated(tb testing.TB) *graph.CayleyStore {
	tb.Helper()
	ctx := context.Background()
	store, err := loaders.OpenCurated(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// bareHandler drains the request body and writes body as JSON: the least an
// HTTP handler can do for the same exchange.
func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

func graphqlRequest(q string) *http.Request {
	b, _ := json.Marshal(map[string]any{"query": q})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// BenchmarkHandler serves each query through the server's handler and
// through a bare handler writing the same response bytes, interleaved, and
// reports both medians and their ratio (the bare handler's throughput share
// is 1/ratio). No network, no client: the server's own cost. The healthz
// case is the floor: the middleware stack (request id, access log, metrics,
// recovery, gzip, routing) around a handler that does nothing.
//
// Each case runs twice: cache=on with the default response cache (after the
// first request every one is a hit, as for clients repeating a query between
// writes) and cache=off without it (every request executes the query; the
// document cache still saves the parsing and validation).
func BenchmarkHandler(b *testing.B) {
	store := openCurated(b)
	for _, mode := range []struct {
		name  string
		bytes int64
	}{{"cache=on", 0}, {"cache=off", -1}} {
		b.Run(mode.name, func(b *testing.B) { benchHandler(b, store, server.Config{CacheBytes: mode.bytes}) })
	}
}

func benchHandler(b *testing.B, store graph.Store, cfg server.Config) {
	s, err := server.New(store, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	cases := []struct {
		name string
		req  func() *http.Request
	}{{"healthz", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/healthz", nil) }}}
	for _, bq := range benchQueries {
		cases = append(cases, struct {
			name string
			req  func() *http.Request
		}{bq.name, func() *http.Request { return graphqlRequest(bq.query) }})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req())
			if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
			bare := bareHandler(rec.Body.Bytes())
			b.SetBytes(int64(rec.Body.Len()))
			bt := make([]time.Duration, 0, b.N)
			ct := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := tc.req()
				t0 := time.Now()
				bare.ServeHTTP(httptest.NewRecorder(), req)
				t1 := time.Now()
				req = tc.req()
				t2 := time.Now()
				h.ServeHTTP(httptest.NewRecorder(), req)
				t3 := time.Now()
				bt = append(bt, t1.Sub(t0))
				ct = append(ct, t3.Sub(t2))
			}
			slices.Sort(bt)
			slices.Sort(ct)
			mb, mc := bt[len(bt)/2], ct[len(ct)/2]
			b.ReportMetric(float64(mb.Nanoseconds()), "bare-ns/op")
			b.ReportMetric(float64(mc.Nanoseconds()), "chipgraph-ns/op")
			b.ReportMetric(float64(mc)/float64(mb), "ratio")
		})
	}
}

// benchListen listens on 127.0.0.1:0 and writes the address to the file
// named by CHIPGRAPH_BENCH_ADDR_FILE, for .ci/bench.
func benchListen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("CHIPGRAPH_BENCH_ADDR_FILE"); f != "" {
		if err := os.WriteFile(f+".tmp", []byte(ln.Addr().String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f+".tmp", f); err != nil {
			t.Fatal(err)
		}
	}
	return ln
}

// TestBenchServe serves the curated data in the memory store, as
// `chipgraph serve` does (CHIPGRAPH_CACHE_BYTES=0 disables the response
// cache), until SIGINT or SIGTERM. Only for .ci/bench:
// skipped unless CHIPGRAPH_BENCH_SERVE=1.
func TestBenchServe(t *testing.T) {
	if os.Getenv("CHIPGRAPH_BENCH_SERVE") != "1" {
		t.Skip("serves until killed; for .ci/bench (CHIPGRAPH_BENCH_SERVE=1)")
	}
	store := openCurated(t)
	cfg := server.Config{}
	if v := os.Getenv("CHIPGRAPH_CACHE_BYTES"); v != "" { // as `chipgraph serve`: 0 disables
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		cfg.CacheBytes = max(n, -1)
		if n == 0 {
			cfg.CacheBytes = -1
		}
	}
	s, err := server.New(store, cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.ServeListener(ctx, benchListen(t)); err != nil {
		t.Fatal(err)
	}
}

// TestBenchBare serves bareHandler with the bytes of the file named by
// CHIPGRAPH_BENCH_BODY until SIGINT or SIGTERM. Only for .ci/bench: skipped
// unless CHIPGRAPH_BENCH_BARE=1.
func TestBenchBare(t *testing.T) {
	if os.Getenv("CHIPGRAPH_BENCH_BARE") != "1" {
		t.Skip("serves until killed; for .ci/bench (CHIPGRAPH_BENCH_BARE=1)")
	}
	body, err := os.ReadFile(os.Getenv("CHIPGRAPH_BENCH_BODY"))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: bareHandler(body), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); hs.Close() }()
	if err := hs.Serve(benchListen(t)); err != nil && err != http.ErrServerClosed {
		t.Fatal(err)
	}
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/server"
)

// firstQuery is the first of GraphiQL's preloaded tabs.
const firstQuery = "graphiql/src/queries/1-memory-suppliers.graphql"

// TestGraphiQLInBrowser opens the bundled GraphiQL in headless Chromium
// against the real server and curated data, runs the first preloaded query,
// and checks the result pane shows it, with no console error, uncaught
// exception or browser error log entry (a CSP violation, a failed load) on
// the way.
func TestGraphiQLInBrowser(t *testing.T) {
	b := newBrowserTab(t, 1400, 900)
	s := graphiqlServer(t)
	var (
		mu      sync.Mutex
		fetched []string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched = append(fetched, r.URL.Path)
		mu.Unlock()
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	// What the result pane should show: the names at both ends of the
	// first relation the API itself returns for the first preloaded query.
	// (Monaco renders only the lines in view, so a value far down the
	// result would not be in the DOM.) SK hynix must be among the
	// suppliers, or the example is pointless.
	query, err := os.ReadFile(firstQuery)
	if err != nil {
		t.Fatal(err)
	}
	want := firstRelationNames(t, ts.URL, string(query))

	var pane string
	sctx, cancelSteps := context.WithTimeout(b.ctx, 90*time.Second)
	err = chromedp.Do(sctx,
		chromedp.Navigate(ts.URL+"/graphiql"),
		// The first tab holds the first preloaded query.
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		waitText(`.graphiql-query-editor`, []string{"MemorySupply"}, nil, &pane),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		waitText(`.graphiql-response`, want, []string{`"errors"`}, &pane),
		// Let the page settle (workers, late errors) before judging it.
		chromedp.Sleep(time.Second),
	)
	cancelSteps()

	// The screenshot, of the result or of whatever the page shows after a
	// failure.
	b.screenshot(t, "graphiql.png")
	b.checkProblems(t)

	mu.Lock()
	defer mu.Unlock()
	// Monaco's GraphQL language service runs in its own worker: the page
	// must have loaded it from this server.
	if !slices.ContainsFunc(fetched, func(p string) bool {
		return strings.HasPrefix(p, "/graphiql/assets/graphql.worker-")
	}) {
		t.Errorf("the page loaded no GraphQL worker; it fetched %q", fetched)
	}
	if err != nil {
		t.Fatalf("browser: %v (last text seen: %q)", err, pane)
	}
}

// TestGraphiQLAssets checks how the page and its embedded assets are served
// (checkBundlePage), that / redirects to it and that its script loads the
// editor's workers from the same place.
func TestGraphiQLAssets(t *testing.T) {
	get := assetGetter(t)
	if r := get("/"); r.Code != http.StatusFound || r.Header().Get("Location") != "/graphiql" {
		t.Errorf("/: %d %v", r.Code, r.Header())
	}
	_, script := checkBundlePage(t, get, "/graphiql",
		[]string{"default-src 'none'", "script-src 'self';", "worker-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"})
	workers := regexp.MustCompile(`/graphiql/assets/[a-z]+\.worker-[A-Z0-9]+\.js`).FindAllString(script, -1)
	if len(workers) != 3 {
		t.Errorf("the script names workers %q, want editor, json and graphql", workers)
	}
	for _, w := range workers {
		if wr := get(w); wr.Code != http.StatusOK || wr.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("worker %s: %d %q", w, wr.Code, wr.Header().Get("Content-Type"))
		}
	}
}

// graphiqlServer is a read-only server over the curated data.
func graphiqlServer(t *testing.T) *server.Server {
	t.Helper()
	ctx := context.Background()
	store, err := loaders.OpenCurated(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s, err := server.New(store, server.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGraphiQLExampleQueries runs each query that GraphiQL preloads as a
// tab against the curated data: each must succeed and find something. It
// also checks that the embedded bundle holds the current text of each, that
// is that nobody changed a query without rebuilding the bundle.
func TestGraphiQLExampleQueries(t *testing.T) {
	files, err := filepath.Glob("graphiql/src/queries/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example queries: %v", err)
	}
	h := graphiqlServer(t).Handler()
	get := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	m := regexp.MustCompile(`src="(/graphiql/assets/[^"]+\.js)"`).FindStringSubmatch(get("/graphiql"))
	if m == nil {
		t.Fatal("/graphiql names no script")
	}
	bundle := get(m[1])

	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			q, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(bundle, string(q)) {
				t.Errorf("the embedded bundle does not hold the current %s: run go generate ./server/", f)
			}
			b, _ := json.Marshal(map[string]any{"query": string(q)})
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var r struct {
				Data   map[string]json.RawMessage
				Errors []any
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("%d %v: %s", rec.Code, err, rec.Body.String())
			}
			if len(r.Data) == 0 {
				t.Fatalf("no data: %s", rec.Body.String())
			}
			for k, v := range r.Data {
				switch string(v) {
				case "null", "[]", "{}":
					t.Errorf("%s found nothing: %s", k, v)
				}
			}
		})
	}
}

// firstRelationNames runs query over HTTP and returns the names of both ends
// of its first relation, checking on the way that SK hynix supplies memory.
func firstRelationNames(t *testing.T, base, query string) []string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Relations struct {
				Edges []struct {
					Node struct {
						From, To struct{ ID, Name string }
					}
				}
			}
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	edges := r.Data.Relations.Edges
	if resp.StatusCode != http.StatusOK || len(r.Errors) > 0 || len(edges) == 0 {
		t.Fatalf("first preloaded query: status %d, errors %v, %d edges", resp.StatusCode, r.Errors, len(edges))
	}
	hynix := false
	for _, e := range edges {
		hynix = hynix || e.Node.From.ID == "sk-hynix"
	}
	if !hynix {
		t.Errorf("first preloaded query: sk-hynix supplies no memory in the curated data")
	}
	return []string{edges[0].Node.From.Name, edges[0].Node.To.Name}
}

// waitText polls the text of the element sel until it holds every string
// of want, failing early if it holds one of bad. The last text seen is
// left in *text. Monaco renders spaces as no-break spaces; they are
// normalised first.
func waitText(sel string, want, bad []string, text *string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText.replace(/\u00a0/g, " ") : ""; })()`, sel)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			v, err := chromedp.Evaluate[string](js)(ctx, t)
			if err != nil {
				return err
			}
			*text = v
			for _, b := range bad {
				if strings.Contains(v, b) {
					return fmt.Errorf("%s shows %q", sel, b)
				}
			}
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(v, w)
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %q in %s: %w", want, sel, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

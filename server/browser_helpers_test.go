package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/server"
)

// Helpers shared by the browser tests (GraphiQL, the explorer).

// envChromium names the Chromium binary for the browser tests; without it
// they are skipped. envArtifacts, when set, is where screenshots go.
const (
	envChromium  = "CHIPGRAPH_TEST_CHROMIUM"
	envArtifacts = "CHIPGRAPH_TEST_ARTIFACTS"
)

// browserTab is a tab of a headless Chromium started for one test. It
// records every console error, uncaught exception and browser error log
// entry (a CSP violation, a failed load) of the page.
type browserTab struct {
	// ctx runs actions in the tab. It has no deadline: bound each step
	// with context.WithTimeout, so that the tab outlives a failed step for
	// the screenshot.
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// newBrowserTab starts the Chromium named by $CHIPGRAPH_TEST_CHROMIUM,
// headless with a window of width×height, or skips the test when that is
// not set. The browser stops when the test ends.
func newBrowserTab(t *testing.T, width, height int) *browserTab {
	t.Helper()
	chromium := os.Getenv(envChromium)
	if chromium == "" {
		t.Skipf("browser test skipped: set %s to a Chromium binary (e.g. %s=/usr/bin/chromium after apt-get install chromium)", envChromium, envChromium)
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s=%s: %v", envChromium, chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)

	b := &browserTab{}
	// The listener sees every event of the tab from its start, on the
	// goroutine that reads the browser's messages: it only records.
	listener := func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				b.report("console.%s: %s", ev.Type, strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			b.report("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg)
		case *log.EventEntryAdded:
			// Failed loads, CSP violations and the like.
			if ev.Entry.Level == log.EntryLevelError {
				b.report("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf), chromedp.WithListener(listener))
	t.Cleanup(cancelBrowser)
	// Start the browser on a context without a deadline: a deadline on
	// the first run would bound the browser's life, and the screenshot of
	// a failure needs the browser after the steps have timed out.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	b.ctx = bctx
	return b
}

func (b *browserTab) report(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// Problems returns what went wrong on the page so far.
func (b *browserTab) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// checkProblems fails the test for each problem seen on the page.
func (b *browserTab) checkProblems(t *testing.T) {
	t.Helper()
	for _, p := range b.Problems() {
		t.Errorf("page: %s", p)
	}
}

// screenshot saves what the tab shows as name in artifactsDir, failing the
// test (but not stopping it) when it cannot.
func (b *browserTab) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	shot := filepath.Join(artifactsDir(t), name)
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Error(err)
		return
	}
	t.Logf("screenshot: %s", shot)
}

// artifactsDir is $CHIPGRAPH_TEST_ARTIFACTS, created if need be, or a
// temporary directory of the test.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assetGetter returns a function that GETs path (with header name/value
// pairs) from a server over an empty store, for tests of static pages.
func assetGetter(t *testing.T) func(path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	store, err := graph.Open(context.Background(), "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s, err := server.New(store, server.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	return func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
}

// checkBundlePage checks how an embedded single-page bundle is served at
// page ("/graphiql", "/explore"): 200 with HTML, a Content-Security-Policy
// with every directive of wantCSP and nothing unsafe or remote, no-cache
// with an ETag that revalidates, nosniff; a page naming no remote
// resource and exactly one script and one stylesheet under page+"/assets/",
// each served with its type, immutable caching and the same CSP; and 404 for
// missing or escaping asset paths. It returns the page and its script.
func checkBundlePage(t *testing.T, get func(string, ...string) *httptest.ResponseRecorder, page string, wantCSP []string) (body, script string) {
	t.Helper()
	r := get(page)
	if r.Code != http.StatusOK {
		t.Fatalf("%s: %d", page, r.Code)
	}
	ph := r.Header()
	csp := ph.Get("Content-Security-Policy")
	for _, want := range wantCSP {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", page, csp, want)
		}
	}
	for _, bad := range []string{"unsafe-eval", "blob:", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("%s: CSP %q allows %q", page, csp, bad)
		}
	}
	if ct := ph.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", page, ct)
	}
	if cc := ph.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: Cache-Control %q", page, cc)
	}
	if ph.Get("X-Content-Type-Options") != "nosniff" || ph.Get("ETag") == "" {
		t.Errorf("%s: headers %v", page, ph)
	}
	if rv := get(page, "If-None-Match", ph.Get("ETag")); rv.Code != http.StatusNotModified {
		t.Errorf("%s: revalidation %d", page, rv.Code)
	}

	body = r.Body.String()
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).MatchString(body) {
		t.Errorf("%s names a remote resource:\n%s", page, body)
	}
	refs := regexp.MustCompile(`(?:src|href)="(`+regexp.QuoteMeta(page)+`/assets/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) != 2 {
		t.Fatalf("%s should name one script and one stylesheet, names %q", page, refs)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for _, m := range refs {
		a := get(m[1])
		if a.Code != http.StatusOK || a.Body.Len() == 0 {
			t.Errorf("%s: %d", m[1], a.Code)
			continue
		}
		ext := filepath.Ext(m[1])
		if ct := a.Header().Get("Content-Type"); ct != types[ext] {
			t.Errorf("%s: Content-Type %q, want %q", m[1], ct, types[ext])
		}
		if cc := a.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", m[1], cc)
		}
		if a.Header().Get("Content-Security-Policy") != csp {
			t.Errorf("%s: CSP %q", m[1], a.Header().Get("Content-Security-Policy"))
		}
		if ext == ".js" {
			script = a.Body.String()
		}
	}
	if script == "" {
		t.Fatalf("%s names no script", page)
	}
	for _, p := range []string{"/assets/nope.js", "/assets/", "/assets/../index.html", "/assets/%2e%2e%2findex.html"} {
		if r := get(page + p); r.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", page+p, r.Code)
		}
	}
	return body, script
}

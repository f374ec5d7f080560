package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
	"github.com/chipgraph/chipgraph/server"
)

// apiSubgraph is what neighborhood returns, as the explorer asks for it.
type apiSubgraph struct {
	Nodes     []struct{ ID, Name, Kind string }
	Relations []struct {
		ID, Type, FromID, ToID string
	}
	Truncated bool
}

func (g apiSubgraph) relationIDs() []string {
	out := make([]string, len(g.Relations))
	for i, r := range g.Relations {
		out[i] = r.ID
	}
	return out
}

// apiQuery runs query with vars on the API at base and decodes its data
// into data, failing the test on any error.
func apiQuery(t *testing.T, base, query string, vars map[string]any, data any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := struct {
		Data   any
		Errors []any
	}{Data: data}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%s %v: status %d, %v, errors %v", query, vars, resp.StatusCode, err, r.Errors)
	}
}

// neighborhood asks the API for the neighbourhood the explorer draws for
// ids (asOf is a year or "").
func neighborhood(t *testing.T, base string, ids []string, hops, limit int, asOf string) apiSubgraph {
	t.Helper()
	vars := map[string]any{"ids": ids, "hops": hops, "limit": limit}
	if asOf != "" {
		vars["asOf"] = asOf
	}
	var d struct{ Neighborhood apiSubgraph }
	apiQuery(t, base, `query($ids: [ID!]!, $hops: Int, $asOf: Date, $limit: Int) {
		neighborhood(ids: $ids, hops: $hops, asOf: $asOf, limit: $limit) {
			nodes { id name kind } relations { id type fromId toId } truncated
		}
	}`, vars, &d)
	return d.Neighborhood
}

// pathCount asks the API how many paths of at most 4 relations join from
// and to.
func pathCount(t *testing.T, base, from, to string) int {
	t.Helper()
	var d struct{ Paths []struct{ Length int } }
	apiQuery(t, base, `query($from: ID!, $to: ID!) { paths(from: $from, to: $to, maxHops: 4, first: 5) { length } }`,
		map[string]any{"from": from, "to": to}, &d)
	return len(d.Paths)
}

// sourceLines asks the API for the sources of entity id and returns the
// line the explorer's side panel shows after each title: "publisher,
// published", or "publisher, n.d., retrieved DATE" for an undated page.
// undated counts the latter.
func sourceLines(t *testing.T, base, id string) (lines []string, undated int) {
	t.Helper()
	var d struct {
		Entity struct {
			Sources []struct {
				Publisher, Published, Retrieved string
				Undated                         bool
			}
		}
	}
	apiQuery(t, base, `query($id: ID!) { entity(id: $id) { sources { publisher published undated retrieved } } }`,
		map[string]any{"id": id}, &d)
	for _, s := range d.Entity.Sources {
		if s.Undated {
			undated++
			lines = append(lines, s.Publisher+", n.d., retrieved "+s.Retrieved)
		} else {
			lines = append(lines, s.Publisher+", "+s.Published)
		}
	}
	return lines, undated
}

// containsAllJS is a JavaScript test that the text of the element sel
// contains every string of want.
func containsAllJS(sel string, want []string) string {
	js, _ := json.Marshal(want)
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && %s.every((w) => e.textContent.includes(w)); })()`, sel, js)
}

// checkExport fetches an export link of the page and checks it answers 200
// with a document that mentions want.
func checkExport(url, want string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), want) {
		return fmt.Errorf("export link %s: %d, %d bytes, want %q in it: %.300s", url, resp.StatusCode, body.Len(), want, body.String())
	}
	return nil
}

// viewCounts is the number of nodes and edges the explorer draws, once it
// is idle.
const viewCounts = `(() => {
	const s = document.querySelector('#status');
	const cy = window.chipgraphExplore && window.chipgraphExplore.cy;
	if (!cy || s.dataset.busy !== 'false') return null;
	return [cy.nodes().length, cy.edges().length];
})()`

// waitView polls the explorer until it is idle and shows nodes nodes and
// edges edges, and check (a JavaScript expression) is true.
func waitView(nodes, edges int, check string, last *string) chromedp.Action[chromedp.Void] {
	if check == "" {
		check = "true"
	}
	js := fmt.Sprintf(`(() => { const c = %s; return JSON.stringify({counts: c, ok: !!c && c[0] === %d && c[1] === %d && !!(%s)}); })()`,
		viewCounts, nodes, edges, check)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			v, err := chromedp.Evaluate[string](js)(ctx, t)
			if err != nil {
				return err
			}
			*last = v
			if strings.Contains(v, `"ok":true`) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %d nodes, %d edges and %s: %w (last: %s)", nodes, edges, check, ctx.Err(), v)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// waitJS polls the JavaScript expression js until it is true.
func waitJS(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](`!!(`+js+`)`)(ctx, t)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", js, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// edgeJS is a JavaScript expression counting the explorer's edges of type
// typ from -> to.
func edgeJS(from, typ, to string) string {
	return fmt.Sprintf(`window.chipgraphExplore.cy.edges('[source = "n:%s"][target = "n:%s"][type = "%s"]').length`, from, to, typ)
}

// TestExploreInBrowser drives the explorer in headless Chromium at 1280x800
// against the real server and curated data, by keyboard where a user would
// use it: '/' focuses the search, typing "SMIC" suggests it, ArrowDown and
// Enter pick it, and its neighbourhood shows SMIC fabricating Huawei's
// Ascend 910B and 910C. Clicking the Ascend 910B node expands it; moving the
// date slider to 2019 hides the relations that start later. What is drawn
// must match what the API returns for the same view. Any console error,
// uncaught exception or browser error log entry fails the test.
func TestExploreInBrowser(t *testing.T) {
	b := newBrowserTab(t, 1280, 800)
	ts := httptest.NewServer(graphiqlServer(t).Handler())
	t.Cleanup(ts.Close)

	// What the views must show, from the API itself.
	smic := neighborhood(t, ts.URL, []string{"smic"}, 1, 500, "")
	for _, id := range []string{"smic--fabricates--ascend-910b", "smic--fabricates--ascend-910c"} {
		if !slices.Contains(smic.relationIDs(), id) {
			t.Fatalf("the curated data has no %s; relations of smic: %v", id, smic.relationIDs())
		}
	}
	expanded := neighborhood(t, ts.URL, []string{"smic", "ascend-910b"}, 1, 500, "")
	in2019 := neighborhood(t, ts.URL, []string{"smic", "ascend-910b"}, 1, 500, "2019")
	var later []string // relations on screen before 2019 that start later
	for _, id := range expanded.relationIDs() {
		if !slices.Contains(in2019.relationIDs(), id) {
			later = append(later, id)
		}
	}
	if len(later) == 0 || len(in2019.Relations) >= len(expanded.Relations) {
		t.Fatalf("the curated data has no relation of smic or ascend-910b that starts after 2019")
	}
	if !slices.Contains(later, "smic--fabricates--kirin-9000s") {
		t.Logf("note: smic--fabricates--kirin-9000s is not among the later relations %v", later)
	}
	goneJS := "true"
	for _, id := range later {
		goneJS += fmt.Sprintf(` && window.chipgraphExplore.cy.getElementById(%q).empty()`, "e:"+id)
	}

	// A path the curated data has.
	const pathFrom, pathTo = "sk-hynix", "ascend-910c"
	if n := pathCount(t, ts.URL, pathFrom, pathTo); n == 0 {
		t.Fatalf("the curated data has no path from %s to %s", pathFrom, pathTo)
	}

	smicSources, _ := sourceLines(t, ts.URL, "smic")
	// An entity citing a page that shows no date: the panel cites it n.d.
	const undatedEntity = "kirin-9000s"
	undatedSources, undated := sourceLines(t, ts.URL, undatedEntity)
	if undated == 0 {
		t.Fatalf("the curated data has no undated source on %s", undatedEntity)
	}

	smicName := ""
	for _, n := range smic.Nodes {
		if n.ID == "smic" {
			smicName = n.Name
		}
	}

	var last string
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(ts.URL+"/explore"),
		chromedp.WaitVisible(chromedp.CSS(`#q-a`)),
		// The filters are built from the schema's enums.
		waitJS(`document.querySelectorAll('#types input').length >= 10 && document.querySelectorAll('#kinds input').length >= 10`),
		// '/' focuses the search box.
		chromedp.KeyEvent("/"),
		waitJS(`document.activeElement && document.activeElement.id === 'q-a'`),
		chromedp.KeyEvent("SMIC"),
		waitJS(`document.querySelector('#q-a-list li[data-id="smic"]') && !document.querySelector('#q-a-list').hidden`),
		// ArrowDown moves to SMIC, Enter picks it.
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			for range 10 {
				if _, err := chromedp.KeyEvent(kb.ArrowDown)(ctx, t); err != nil {
					return err
				}
				id, err := chromedp.Evaluate[string](`(() => {
					const a = document.getElementById(document.querySelector('#q-a').getAttribute('aria-activedescendant') || '-');
					return a ? a.dataset.id : '';
				})()`)(ctx, t)
				if err != nil {
					return err
				}
				if id == "smic" {
					return nil
				}
			}
			return fmt.Errorf("ArrowDown never reached SMIC in the suggestions")
		}),
		chromedp.KeyEvent(kb.Enter),
		waitView(len(smic.Nodes), len(smic.Relations),
			edgeJS("smic", "FABRICATES", "ascend-910b")+" && "+edgeJS("smic", "FABRICATES", "ascend-910c"), &last),
		// The side panel shows SMIC with its sources as links, each with
		// its publisher and date.
		waitJS(fmt.Sprintf(`document.querySelector('#details h2') && document.querySelector('#details h2').textContent === %q &&
			document.querySelector('#details a[href^="http"][target="_blank"]')`, smicName)),
		waitJS(containsAllJS("#details", smicSources)),
		// Export links carry the view's seed.
		waitJS(`[...document.querySelectorAll('#exports a')].length === 7 &&
			[...document.querySelectorAll('#exports a')].every(a => a.getAttribute('href') && a.getAttribute('href').startsWith('/export?format=') && a.getAttribute('href').includes('seed=smic'))`),
	)
	if err == nil {
		// Click the Ascend 910B node (centred first, so that it is clear
		// of the panels) to expand it. The click is a little off its
		// centre: Cytoscape's hit test misses a diamond's exact centre
		// (its ray meets a vertex).
		var xy []float64
		xy, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const cy = window.chipgraphExplore.cy;
			const n = cy.getElementById('n:ascend-910b');
			cy.center(n);
			const p = n.renderedPosition();
			const r = cy.container().getBoundingClientRect();
			const d = n.renderedWidth() / 8;
			return [r.left + p.x + d, r.top + p.y + d / 2];
		})()`))
		if err == nil {
			err = chromedp.Do(ctx,
				chromedp.MouseClickXY(xy[0], xy[1]),
				waitView(len(expanded.Nodes), len(expanded.Relations),
					`window.chipgraphExplore.state.expanded.includes('ascend-910b') && document.querySelector('#details h2').textContent.includes('910B')`, &last),
				// The date slider, by keyboard: Home goes to its first
				// year, ArrowRight a year on.
				chromedp.Focus(chromedp.CSS(`#asof`)),
				chromedp.KeyEvent(kb.Home),
				chromedp.KeyEvent(strings.Repeat(kb.ArrowRight, 2019-1980)),
				waitJS(`document.querySelector('#asof-label').textContent === '2019'`),
				waitView(len(in2019.Nodes), len(in2019.Relations), goneJS, &last),
				waitJS(`document.querySelector('#status').textContent.includes('as of 2019')`),
				waitJS(`[...document.querySelectorAll('#exports a')].every(a => a.getAttribute('href').includes('as-of=2019'))`),
				// Let the page settle (late errors) before judging it.
				chromedp.Sleep(500*time.Millisecond),
			)
		}
	}
	b.screenshot(t, "explore.png")
	if err == nil {
		// The export links work: GraphML of the view as it is now.
		var href string
		href, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#exports a[data-format="graphml"]').getAttribute('href')`))
		if err == nil {
			err = checkExport(ts.URL+href, "ascend-910b")
		}
	}
	if err == nil {
		// An undated source in the side panel: n.d. and the date read.
		err = chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/explore?seed="+undatedEntity),
			waitJS(`document.querySelector('#status').dataset.busy === 'false' && window.chipgraphExplore.cy.nodes().length > 0`),
			waitJS(`window.selectedOnce || (window.selectedOnce = (window.chipgraphExplore.select(`+strconv.Quote(undatedEntity)+`), true))`),
			waitJS(containsAllJS("#details", undatedSources)),
		)
	}
	if err == nil {
		// Path mode, from the URL: the paths between SK hynix and the
		// Ascend 910C are drawn and highlighted, with both ends marked.
		err = chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/explore?mode=path&from="+pathFrom+"&to="+pathTo),
			waitJS(`document.querySelector('#status').dataset.busy === 'false' &&
				window.chipgraphExplore.cy.edges('.path').length > 0 &&
				window.chipgraphExplore.cy.nodes('.path-end').length === 2 &&
				!document.querySelector('#search-b').hidden &&
				document.querySelector('#status').textContent.includes('path')`),
			waitJS(`[...document.querySelectorAll('#exports a')].every(a => a.getAttribute('href').includes('seed=`+pathFrom+`'))`),
			chromedp.Sleep(300*time.Millisecond),
		)
		b.screenshot(t, "explore-path.png")
	}
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v (last view: %s)", err, last)
	}
}

// TestExploreLargeGraph opens the explorer on about 2,000 nodes of a
// generated graph (a seed's neighbourhood 6 hops deep, limit 2000) and checks
// it draws all of them and every relation among them, laid out, without a
// console error or uncaught exception. There is no timing assertion.
func TestExploreLargeGraph(t *testing.T) {
	b := newBrowserTab(t, 1280, 800)
	ctx := context.Background()
	store, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Apply(ctx, graphtest.Generate(2000, 1)); err != nil {
		t.Fatal(err)
	}
	s, err := server.New(store, server.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	const seed = "company-0"
	want := neighborhood(t, ts.URL, []string{seed}, 6, 2000, "")
	if len(want.Nodes) < 1800 {
		t.Fatalf("the generated graph gives only %d nodes around %s", len(want.Nodes), seed)
	}
	t.Logf("%d nodes, %d relations", len(want.Nodes), len(want.Relations))

	var last string
	sctx, cancel := context.WithTimeout(b.ctx, 120*time.Second)
	defer cancel()
	err = chromedp.Do(sctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(ts.URL+"/explore?seed="+seed+"&hops=6&limit=2000"),
		waitView(len(want.Nodes), len(want.Relations),
			// Laid out: the nodes spread over the plane, not piled up.
			`(() => { const bb = window.chipgraphExplore.cy.nodes().boundingBox(); return bb.w > 500 && bb.h > 500; })()`, &last),
		chromedp.Sleep(time.Second),
	)
	if err == nil {
		timing, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`JSON.stringify(document.querySelector("#status").dataset)`))
		t.Logf("status: %s", timing)
	}
	b.screenshot(t, "explore-2000.png")
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v (last view: %s)", err, last)
	}
}

// TestExploreAssets checks how the explorer and its embedded assets are
// served (checkBundlePage), that it has no inline script or style, that its
// script holds Cytoscape.js and imports nothing remote, and that GraphiQL
// links to it.
func TestExploreAssets(t *testing.T) {
	get := assetGetter(t)
	body, script := checkBundlePage(t, get, "/explore",
		[]string{"default-src 'none'", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"})
	if r := get("/explore/"); r.Code != http.StatusOK || r.Body.String() != body {
		t.Errorf("/explore/: %d", r.Code)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Errorf("/explore has an inline script or style:\n%s", body)
	}
	if !strings.Contains(script, "cytoscape") {
		t.Errorf("the explorer's script does not hold Cytoscape.js")
	}
	if regexp.MustCompile(`(?i)\bimport\s*\(\s*["'](https?:)?//`).MatchString(script) {
		t.Errorf("the explorer's script imports a remote module")
	}

	// GraphiQL links to the explorer.
	m := regexp.MustCompile(`src="(/graphiql/assets/[^"]+\.js)"`).FindStringSubmatch(get("/graphiql").Body.String())
	if m == nil {
		t.Fatal("/graphiql names no script")
	}
	if js := get(m[1]).Body.String(); !strings.Contains(js, `"/explore"`) {
		t.Errorf("the GraphiQL bundle has no link to /explore: run go generate ./server/")
	}
}

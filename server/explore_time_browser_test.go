package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
	"github.com/chipgraph/chipgraph/server"
)

// edgeStyleJS is a JavaScript expression giving the explorer's rendered
// line style and source arrow of relation id, "" when it is not drawn.
func edgeStyleJS(id string) string {
	return fmt.Sprintf(`(() => {
		const e = window.chipgraphExplore.cy.getElementById(%q);
		return e.empty() ? '' : e.style('line-style') + ' ' + e.style('source-arrow-shape') + ' ' + e.style('source-arrow-fill');
	})()`, "e:"+id)
}

// TestExploreTimeInBrowser checks the explorer's date slider follows the
// API's asOf rule and draws first reports apart, in headless Chromium:
//   - on the curated data, SMIC's neighbourhood "as of 1988" draws exactly
//     what the API returns for that date, and no longer SMIC fabricating
//     the Ascend 910B (a relation with no start before 1988 must not hold
//     then);
//   - on the store test fixture, a relation whose validFrom is only its
//     first report (smic--fabricates--ascend-910b) is drawn dotted with a
//     hollow circle at its source, one with a known start
//     (hisilicon--subsidiary-of--huawei) solid, and the legend says so.
func TestExploreTimeInBrowser(t *testing.T) {
	b := newBrowserTab(t, 1280, 800)
	curated := httptest.NewServer(graphiqlServer(t).Handler())
	t.Cleanup(curated.Close)

	in1988 := neighborhood(t, curated.URL, []string{"smic"}, 1, 500, "1988")
	if slices.Contains(in1988.relationIDs(), "smic--fabricates--ascend-910b") {
		t.Fatalf("the API says SMIC fabricated the Ascend 910B in 1988: %v", in1988.relationIDs())
	}
	all := neighborhood(t, curated.URL, []string{"smic"}, 1, 500, "")
	if !slices.Contains(all.relationIDs(), "smic--fabricates--ascend-910b") {
		t.Fatalf("the curated data has no smic--fabricates--ascend-910b; relations of smic: %v", all.relationIDs())
	}

	ctx0 := context.Background()
	store, err := graph.Open(ctx0, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fx := graphtest.Fixture()
	if _, err := store.Apply(ctx0, fx); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{} // relation id -> firstReported, from the fixture itself
	for _, r := range fx.Relations {
		want[graph.DefaultRelationID(r.From, r.Type, r.To)] = r.FirstReported
	}
	const firstReported, startKnown = "smic--fabricates--ascend-910b", "hisilicon--subsidiary-of--huawei"
	if !want[firstReported] || want[startKnown] {
		t.Fatalf("the fixture no longer has %s first reported and %s with a known start", firstReported, startKnown)
	}
	fs, err := server.New(store, server.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fixture := httptest.NewServer(fs.Handler())
	t.Cleanup(fixture.Close)

	var last string
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(curated.URL+"/explore?seed=smic&asOf=1988"),
		waitJS(`document.querySelector('#asof-label').textContent === '1988'`),
		waitView(len(in1988.Nodes), len(in1988.Relations), edgeJS("smic", "FABRICATES", "ascend-910b")+" === 0", &last),
		waitJS(`document.querySelector('#status').textContent.includes('as of 1988')`),
	)
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.Navigate(fixture.URL+"/explore?seed=smic&seed=huawei"),
			waitJS(fmt.Sprintf(`document.querySelector('#status').dataset.busy === 'false' && %s !== '' && %s !== ''`,
				edgeStyleJS(firstReported), edgeStyleJS(startKnown))),
		)
	}
	if err == nil {
		var fr, known string
		if fr, err = chromedp.Run(ctx, chromedp.Evaluate[string](edgeStyleJS(firstReported))); err == nil {
			known, err = chromedp.Run(ctx, chromedp.Evaluate[string](edgeStyleJS(startKnown)))
		}
		if err == nil {
			if fr != "dotted circle hollow" {
				t.Errorf("first-reported %s drawn %q, want a dotted line with a hollow circle at its source", firstReported, fr)
			}
			if known == fr || !strings.HasPrefix(known, "solid ") {
				t.Errorf("%s (start known) drawn %q, want solid and unlike a first report", startKnown, known)
			}
		}
	}
	if err == nil {
		err = chromedp.Do(ctx,
			waitJS(containsAllJS("#line-legend", []string{"start known", "start is only the first report", "disputed"})),
			waitJS(`document.querySelector('#line-legend').getBoundingClientRect().height > 0`),
			chromedp.Sleep(300*time.Millisecond),
		)
	}
	b.screenshot(t, "explore-time.png")
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v (last view: %s)", err, last)
	}
}

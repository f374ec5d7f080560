package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestExploreAnalystViews drives the explorer's analyst views in headless
// Chromium against the curated data, each checked against what the API
// returns for the same question:
//
//   - exposure of CloudMatrix 384: every sanction reached is marked and every
//     relation on the paths highlighted; its table is downloaded as CSV;
//   - SMIC's timeline: the table lists every event, in the API's order;
//   - the diff around Huawei from 2019 to 2021: added edges green, ended
//     ones red;
//   - Huawei's neighbourhood: disputed relations drawn dashed, others not.
func TestExploreAnalystViews(t *testing.T) {
	b := newBrowserTab(t, 1280, 800)
	ts := httptest.NewServer(graphiqlServer(t).Handler())
	t.Cleanup(ts.Close)

	var exp struct {
		Exposure []struct {
			Sanction struct{ ID string }
			Path     struct{ Relations []struct{ ID string } }
		}
	}
	apiQuery(t, ts.URL, `{exposure(id:"cloudmatrix-384", maxHops:4, first:200){sanction{id} path{relations{id}}}}`, nil, &exp)
	pathRels := map[string]bool{}
	for _, x := range exp.Exposure {
		for _, r := range x.Path.Relations {
			pathRels[r.ID] = true
		}
	}
	if len(exp.Exposure) == 0 || !pathRels["entity-list-2019-05-huawei--targets--huawei"] {
		t.Fatalf("the curated data gives no exposure of cloudmatrix-384 through Huawei's 2019 listing")
	}

	var tl struct {
		Timeline []struct{ Date, Description string }
	}
	apiQuery(t, ts.URL, `{timeline(id:"smic", first:300){date description}}`, nil, &tl)
	if len(tl.Timeline) < 5 {
		t.Fatalf("SMIC has %d events", len(tl.Timeline))
	}

	var df struct {
		Diff struct{ Added, Ended []struct{ ID string } }
	}
	apiQuery(t, ts.URL, `{diff(from:"2019", to:"2021", ids:["huawei"], hops:1, first:300){added{id} ended{id}}}`, nil, &df)
	if len(df.Diff.Added) == 0 || len(df.Diff.Ended) == 0 {
		t.Fatalf("the curated data has no change around Huawei between 2019 and 2021: %+v", df.Diff)
	}
	// A relation both added and ended between the dates is drawn apart.
	ended := map[string]bool{}
	for _, r := range df.Diff.Ended {
		ended[r.ID] = true
	}
	both := 0
	for _, r := range df.Diff.Added {
		if ended[r.ID] {
			both++
		}
	}
	onlyAdded, onlyEnded := len(df.Diff.Added)-both, len(df.Diff.Ended)-both

	huawei := neighborhood(t, ts.URL, []string{"huawei"}, 1, 500, "")
	var st struct {
		Relations struct{ Nodes []struct{ ID, Status string } }
	}
	apiQuery(t, ts.URL, `{relations(to:"huawei", first:1000){nodes{id status}}}`, nil, &st)
	disputed := 0
	for _, r := range st.Relations.Nodes {
		if r.Status == "DISPUTED" {
			disputed++
		}
	}
	if disputed == 0 {
		t.Fatal("the curated data has no disputed relation to huawei")
	}

	downloads := t.TempDir()
	var last string
	ctx, cancel := context.WithTimeout(b.ctx, 120*time.Second)
	defer cancel()
	idle := `document.querySelector('#status').dataset.busy === 'false'`
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
			})
			return err
		}),

		// Exposure.
		chromedp.Navigate(ts.URL+"/explore?mode=exposure&entity=cloudmatrix-384"),
		waitJS(idle+` && document.querySelector('input[name=mode][value=exposure]').checked`),
		waitJS(fmt.Sprintf(`window.chipgraphExplore.cy.nodes('.sanction-hit').length === %d && window.chipgraphExplore.cy.edges('.exposed').length === %d`,
			len(exp.Exposure), len(pathRels))),
		waitJS(`window.chipgraphExplore.cy.getElementById('e:entity-list-2019-05-huawei--targets--huawei').hasClass('exposed') &&
			window.chipgraphExplore.cy.getElementById('n:cloudmatrix-384').hasClass('path-end')`),
		waitJS(`document.querySelector('#status').textContent.includes('sanctions reach')`),
		// The table of the result, and its CSV.
		chromedp.Click(chromedp.CSS(`#table-toggle`)),
		waitJS(fmt.Sprintf(`!document.querySelector('#table-view').hidden && document.querySelectorAll('#table tbody tr').length === %d`, len(exp.Exposure))),
		chromedp.Sleep(300*time.Millisecond),
	)
	b.screenshot(t, "explore-exposure.png")
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#table-csv`)))
	}
	if err == nil {
		err = checkCSV(ctx, filepath.Join(downloads, "chipgraph-exposure.csv"), "sanction,name,hops,status,path", len(exp.Exposure), "entity-list-2019-05-huawei")
	}

	if err == nil {
		// Timeline: the table lists the events in the API's order.
		err = chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/explore?mode=timeline&entity=smic"),
			waitJS(idle+` && !document.querySelector('#table-view').hidden`),
			waitJS(fmt.Sprintf(`document.querySelectorAll('#table tbody tr').length === %d`, len(tl.Timeline))),
			waitJS(fmt.Sprintf(`document.querySelector('#table tbody tr td').textContent === %q &&
				document.querySelector('#table tbody tr:last-child td:nth-child(3)').textContent === %q`,
				tl.Timeline[0].Date, tl.Timeline[len(tl.Timeline)-1].Description)),
			waitJS(`window.chipgraphExplore.cy.getElementById('n:smic').hasClass('path-end')`),
			chromedp.Sleep(300*time.Millisecond),
		)
		b.screenshot(t, "explore-timeline.png")
	}

	if err == nil {
		// Diff: added green, ended red, as many as the API gives.
		err = chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/explore?mode=diff&entity=huawei&from=2019&to=2021"),
			waitJS(idle+` && !document.querySelector('#diff-from').closest('[data-modes]').hidden && document.querySelector('#diff-from').value === '2019'`),
			waitJS(fmt.Sprintf(`window.chipgraphExplore.cy.edges('.added').length === %d && window.chipgraphExplore.cy.edges('.ended').length === %d && window.chipgraphExplore.cy.edges('.came-and-went').length === %d`,
				onlyAdded, onlyEnded, both)),
			waitJS(`(() => { const cy = window.chipgraphExplore.cy;
				return cy.edges('.added').every((e) => e.style('line-color') === 'rgb(26,127,55)') &&
					cy.edges('.ended').every((e) => e.style('line-color') === 'rgb(207,34,46)') &&
					cy.edges('.came-and-went').every((e) => e.style('line-color') === 'rgb(188,76,0)'); })()`),
			waitJS(`document.querySelector('#status').textContent.includes('added')`),
			chromedp.Sleep(300*time.Millisecond),
		)
		b.screenshot(t, "explore-diff.png")
	}
	if err == nil {
		// Changing a date redraws the diff.
		err = chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`#diff-to`), "2025"),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`document.querySelector('#diff-to').dispatchEvent(new Event('change'))`)(ctx, t)
				return err
			}),
			waitJS(`location.search.includes('to=2025') && `+idle),
		)
	}

	if err == nil {
		// Disputed relations are dashed; confirmed ones whose start is known are solid.
		err = chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/explore?seed=huawei"),
			waitView(len(huawei.Nodes), len(huawei.Relations), "", &last),
			waitJS(fmt.Sprintf(`(() => { const cy = window.chipgraphExplore.cy;
				const d = cy.edges('[status = "DISPUTED"]');
				return d.length >= %d && d.every((e) => e.style('line-style') === 'dashed') &&
					cy.edges('[status = "CONFIRMED"][!firstReported]').every((e) => e.style('line-style') === 'solid'); })()`, disputed)),
		)
	}
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v (last view: %s)", err, last)
	}
}

// checkCSV waits for a downloaded CSV file and checks its header, its
// number of records and that it mentions want.
func checkCSV(ctx context.Context, name, header string, rows int, want string) error {
	for {
		b, err := os.ReadFile(name)
		if err == nil {
			records, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
			switch {
			case err != nil:
				return fmt.Errorf("%s: %v", name, err)
			case strings.Join(records[0], ",") != header:
				return fmt.Errorf("%s: header %q, want %q", name, records[0], header)
			case len(records) != rows+1:
				return fmt.Errorf("%s: %d records, want %d and the header", name, len(records)-1, rows)
			case !strings.Contains(string(b), want):
				return fmt.Errorf("%s does not mention %s", name, want)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			entries, _ := os.ReadDir(filepath.Dir(name))
			return fmt.Errorf("no download %s (the folder holds %v): %w", name, entries, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestGraphiQLQueryFromURL opens GraphiQL with a query and variables in its
// URL, runs it, and checks the answer; the address then still carries the
// query, so that it can be shared.
func TestGraphiQLQueryFromURL(t *testing.T) {
	b := newBrowserTab(t, 1400, 900)
	ts := httptest.NewServer(graphiqlServer(t).Handler())
	t.Cleanup(ts.Close)
	const q = "query Shared($id: ID!) { entity(id: $id) { name } }"
	link := ts.URL + "/graphiql?query=" + url.QueryEscape(q) + "&variables=" + url.QueryEscape(`{"id": "cambricon"}`)

	var pane string
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		waitText(`.graphiql-query-editor`, []string{"Shared", "entity(id: $id)"}, nil, &pane),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		waitText(`.graphiql-response`, []string{"Cambricon Technologies Corp"}, []string{`"errors"`}, &pane),
		waitJS(`new URLSearchParams(location.search).get('query').includes('Shared')`),
		chromedp.Sleep(500*time.Millisecond),
	)
	b.screenshot(t, "graphiql-url.png")
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v (last text seen: %q)", err, pane)
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExploreLayout1280 opens the explorer at 1280x800, the size it is laid
// out for, on SMIC and Huawei as a new user would, and checks what such a
// user saw go wrong:
//   - node labels are short names (an alias such as SMIC), not legal names
//     cut off by an ellipsis, and a label of 24 characters fits whole;
//   - the View and Export buttons are on screen without scrolling, and
//     nothing covers them;
//   - the details panel gives attribute values room (no value squeezed into
//     a column a few characters wide by a long attribute name) and writes
//     large numbers with digit grouping;
//   - Chinese text renders with a CJK font: an alias of four ideographs is
//     about four ems wide, where the boxes drawn for missing glyphs are
//     much narrower (.ci/run installs fonts-noto-cjk).
func TestExploreLayout1280(t *testing.T) {
	b := newBrowserTab(t, 1280, 800)
	ts := httptest.NewServer(graphiqlServer(t).Handler())
	t.Cleanup(ts.Close)

	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	var labels map[string]string
	var offscreen []string
	var narrow, ungrouped []string
	var cjk struct{ Width, FontSize float64 }
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(ts.URL+"/explore?seed=smic&seed=huawei"),
		waitJS(`document.querySelector('#status').dataset.busy === 'false' && window.chipgraphExplore.cy.nodes().length > 10`),
	)
	if err == nil {
		labels, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
			const out = {};
			for (const id of ['smic', 'huawei', 'tsmc']) {
				const n = window.chipgraphExplore.cy.getElementById('n:' + id);
				out[id] = n.nonempty() ? n.style('label') : '(not drawn)';
			}
			return out;
		})()`))
	}
	var cut []string
	if err == nil {
		// No label of 24 characters or fewer is cut off by the ellipsis.
		cut, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const ctx = document.createElement('canvas').getContext('2d');
			const cut = [];
			window.chipgraphExplore.cy.nodes().forEach((n) => {
				const label = n.style('label');
				ctx.font = n.style('font-weight') + ' ' + n.style('font-size') + ' ' + n.style('font-family');
				if (label.length <= 24 && ctx.measureText(label).width > parseFloat(n.style('text-max-width'))) cut.push(label);
			});
			return cut;
		})()`))
	}
	if err == nil {
		// Every View and Export control: inside the window, inside its
		// scrolling panel, and the topmost element at its centre.
		offscreen, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const panel = document.querySelector('.filters').getBoundingClientRect();
			const bad = [];
			for (const el of document.querySelectorAll('#fit, #relayout, #clear, #table-toggle, #png, #exports a')) {
				const r = el.getBoundingClientRect();
				const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
				if (r.height === 0 || r.top < 0 || r.bottom > window.innerHeight || r.bottom > panel.bottom || !(top === el || el.contains(top))) {
					bad.push((el.id || el.textContent) + ' at ' + Math.round(r.top) + '-' + Math.round(r.bottom));
				}
			}
			return bad;
		})()`))
	}
	if err == nil {
		err = chromedp.Do(ctx,
			waitJS(`window.selectedHuawei || (window.selectedHuawei = (window.chipgraphExplore.select('huawei'), true))`),
			waitJS(`document.querySelector('#details h2') && document.querySelector('#details h2').textContent.startsWith('Huawei') &&
				document.querySelectorAll('#details h3 + dl dd').length > 10`),
		)
	}
	if err == nil {
		var details struct{ Narrow, Ungrouped []string }
		details, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Narrow, Ungrouped []string }](`(() => {
			const out = {narrow: [], ungrouped: []};
			for (const dd of document.querySelectorAll('#details h3 + dl dd')) {
				const name = dd.previousElementSibling.textContent;
				if (dd.getBoundingClientRect().width < 120) out.narrow.push(name + ': ' + Math.round(dd.getBoundingClientRect().width) + 'px');
				if (/\d{5,}/.test(dd.textContent)) out.ungrouped.push(name + ': ' + dd.textContent);
			}
			return out;
		})()`))
		narrow, ungrouped = details.Narrow, details.Ungrouped
	}
	if err == nil {
		err = chromedp.Do(ctx,
			waitJS(`window.selectedSMIC || (window.selectedSMIC = (window.chipgraphExplore.select('smic'), true))`),
			waitJS(`[...document.querySelectorAll('#details li')].some((li) => li.textContent === '中芯国际')`),
		)
	}
	if err == nil {
		var raw string
		raw, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const li = [...document.querySelectorAll('#details li')].find((li) => li.textContent === '中芯国际');
			const span = document.createElement('span');
			span.textContent = li.textContent;
			li.replaceChildren(span);
			return JSON.stringify({width: span.getBoundingClientRect().width, fontSize: parseFloat(getComputedStyle(span).fontSize)});
		})()`))
		if err == nil {
			err = json.Unmarshal([]byte(raw), &cjk)
		}
	}
	b.screenshot(t, "explore-layout-1280.png")
	b.checkProblems(t)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	for id, want := range map[string]string{"smic": "SMIC", "huawei": "Huawei", "tsmc": "TSMC"} {
		if labels[id] != want {
			t.Errorf("node %s is labelled %q, want %q", id, labels[id], want)
		}
	}
	for _, c := range cut {
		t.Errorf("node label %q is cut off by the ellipsis", c)
	}
	for _, o := range offscreen {
		t.Errorf("not on screen at 1280x800 without scrolling: %s", o)
	}
	for _, n := range narrow {
		t.Errorf("details: attribute value squeezed: %s", n)
	}
	for _, u := range ungrouped {
		t.Errorf("details: a large number without digit grouping: %s", u)
	}
	if cjk.Width < 4*0.9*cjk.FontSize {
		t.Errorf("中芯国际 renders %.1fpx wide at %.0fpx, want at least %.1fpx: no CJK font, its glyphs are boxes (apt-get install fonts-noto-cjk)",
			cjk.Width, cjk.FontSize, 4*0.9*cjk.FontSize)
	}
}

package loaders

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
)

// exportCuratedStore is a memory store holding the embedded curated data.
func exportCuratedStore(t testing.TB) graph.Store {
	t.Helper()
	ctx := context.Background()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := ReadCurated(data.FS, ".")
	if err != nil {
		t.Fatalf("ReadCurated: %v", err)
	}
	if _, err := c.Apply(ctx, s); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return s
}

// exportSelections are the selections the consumer tests export: the whole
// curated graph and a 2-hop neighbourhood.
var exportSelections = []struct {
	name string
	sel  graph.Selection
}{
	{"whole", graph.Selection{}},
	{"huawei-2hops", graph.Selection{Seeds: []string{"huawei"}, Hops: 2}},
}

func exportBytes(t testing.TB, s graph.Store, sel graph.Selection, format string, opts ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(context.Background(), s, sel, format, &buf, opts); err != nil {
		t.Fatalf("Export %s: %v", format, err)
	}
	return buf.Bytes()
}

func TestExportFormatsList(t *testing.T) {
	var names []string
	for _, f := range ExportFormats() {
		names = append(names, f.Name)
		if f.ContentType == "" || !strings.HasPrefix(f.Ext, ".") || f.Title == "" {
			t.Errorf("%s: incomplete %+v", f.Name, f)
		}
	}
	want := []string{"graphml", "gexf", "cytoscape", "nodelink", "csv", "nquads", "ftm"}
	if !slices.Equal(names, want) {
		t.Errorf("formats = %q, want %q", names, want)
	}
	s := exportCuratedStore(t)
	err := Export(context.Background(), s, graph.Selection{}, "dot", io.Discard, ExportOptions{})
	if graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), `"dot"`) {
		t.Errorf("unknown format: %v", err)
	}
	err = Export(context.Background(), s, graph.Selection{}, "nodelink", io.Discard, ExportOptions{LinksKey: "arcs"})
	if graph.ErrorCode(err) != graph.CodeInvalid {
		t.Errorf("unknown links key: %v", err)
	}
	err = Export(context.Background(), s, graph.Selection{Seeds: []string{"no-such-entity"}}, "graphml", io.Discard, ExportOptions{})
	if graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("unknown seed: %v", err)
	}
	for _, f := range ExportFormats() {
		err := Export(context.Background(), s, graph.Selection{Seeds: []string{"huawei"}, Hops: 1}, f.Name, failingWriter{}, ExportOptions{})
		if graph.ErrorCode(err) != graph.CodeInternal {
			t.Errorf("%s to a failing writer: %v (code %s), want INTERNAL", f.Name, err, graph.ErrorCode(err))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Export(ctx, s, graph.Selection{}, "graphml", io.Discard, ExportOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestExportWellFormed checks the structure of every format without any
// outside tool: XML parses, JSON decodes, CSV and zip read back, with the
// right counts.
func TestExportWellFormed(t *testing.T) {
	s := exportCuratedStore(t)
	ctx := context.Background()
	for _, tc := range exportSelections {
		g, err := s.Subgraph(ctx, tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		nn, ne := len(g.Entities), len(g.Relations)
		if nn < 10 || ne < 10 {
			t.Fatalf("%s: only %d nodes and %d edges", tc.name, nn, ne)
		}
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"graphml", "gexf"} {
				b := exportBytes(t, s, tc.sel, format, ExportOptions{})
				nodes, edges := exportCountXML(t, b)
				if nodes != nn || edges != ne {
					t.Errorf("%s: %d nodes, %d edges; want %d, %d", format, nodes, edges, nn, ne)
				}
			}
			var cy struct {
				Elements struct {
					Nodes, Edges []struct{ Data map[string]any }
				}
			}
			if err := json.Unmarshal(exportBytes(t, s, tc.sel, "cytoscape", ExportOptions{}), &cy); err != nil {
				t.Fatalf("cytoscape: %v", err)
			}
			if len(cy.Elements.Nodes) != nn || len(cy.Elements.Edges) != ne {
				t.Errorf("cytoscape: %d nodes, %d edges", len(cy.Elements.Nodes), len(cy.Elements.Edges))
			}
			for _, key := range []string{"edges", "links"} {
				var nl map[string][]map[string]any
				b := exportBytes(t, s, tc.sel, "nodelink", ExportOptions{LinksKey: key})
				if err := json.Unmarshal(b, &struct {
					Nodes *[]map[string]any `json:"nodes"`
				}{}); err != nil {
					t.Fatalf("nodelink: %v", err)
				}
				var raw map[string]json.RawMessage
				_ = json.Unmarshal(b, &raw)
				nl = map[string][]map[string]any{}
				for _, k := range []string{"nodes", key} {
					var list []map[string]any
					if err := json.Unmarshal(raw[k], &list); err != nil {
						t.Fatalf("nodelink %s: %v", k, err)
					}
					nl[k] = list
				}
				if len(nl["nodes"]) != nn || len(nl[key]) != ne {
					t.Errorf("nodelink/%s: %d nodes, %d edges", key, len(nl["nodes"]), len(nl[key]))
				}
			}
			// csv: a zip of two tables.
			zb := exportBytes(t, s, tc.sel, "csv", ExportOptions{})
			zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
			if err != nil {
				t.Fatalf("csv zip: %v", err)
			}
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
				rc, _ := f.Open()
				rows := bytes.Count(exportMust(io.ReadAll(rc)), []byte("\n"))
				rc.Close()
				if want := map[string]int{"nodes.csv": nn, "edges.csv": ne}[f.Name] + 1; rows < want {
					t.Errorf("%s: %d lines, want at least %d", f.Name, rows, want)
				}
			}
			if !slices.Equal(names, []string{"nodes.csv", "edges.csv"}) {
				t.Errorf("zip holds %q", names)
			}
			// ftm: one line per node and edge (and per process node and
			// source they cite), each a JSON object.
			lines := strings.Split(strings.TrimSpace(string(exportBytes(t, s, tc.sel, "ftm", ExportOptions{}))), "\n")
			var nodes, edges, docs int
			for _, l := range lines {
				var e struct {
					ID         string
					Schema     string
					Properties map[string][]string
				}
				if err := json.Unmarshal([]byte(l), &e); err != nil || e.ID == "" || e.Schema == "" {
					t.Fatalf("ftm line %s: %v", l, err)
				}
				switch {
				case strings.HasPrefix(e.ID, "rel."):
					edges++
				case strings.HasPrefix(e.ID, "src.") && e.Schema == "Document":
					docs++
				default:
					nodes++
				}
			}
			if nodes < nn || edges != ne || docs == 0 {
				t.Errorf("ftm: %d node, %d edge and %d source lines, want %d+, %d and some", nodes, edges, docs, nn, ne)
			}
		})
	}
}

func exportMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func exportCountXML(t *testing.T, b []byte) (nodes, edges int) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "node":
				nodes++
			case "edge":
				edges++
			}
		}
	}
}

// TestExportNQuadsRoundTrip exports N-Quads, loads them into an empty
// store, exports again: identical, for the whole graph and a selection.
func TestExportNQuadsRoundTrip(t *testing.T) {
	s := exportCuratedStore(t)
	ctx := context.Background()
	for _, tc := range exportSelections {
		t.Run(tc.name, func(t *testing.T) {
			first := exportBytes(t, s, tc.sel, "nquads", ExportOptions{})
			fresh := newTestStore(t)
			if _, err := ImportNQuads(ctx, fresh, bytes.NewReader(first), "export.nq"); err != nil {
				t.Fatalf("import: %v", err)
			}
			second := exportBytes(t, fresh, graph.Selection{}, "nquads", ExportOptions{})
			if !bytes.Equal(first, second) {
				t.Errorf("re-export differs: %d bytes, then %d", len(first), len(second))
			}
			g, _ := s.Subgraph(ctx, tc.sel)
			st, _ := fresh.Stats(ctx)
			// Process nodes named by the relations come along.
			if st.Entities < len(g.Entities) || st.Relations != len(g.Relations) {
				t.Errorf("loaded %d entities, %d relations; want %d, %d", st.Entities, st.Relations, len(g.Entities), len(g.Relations))
			}
		})
	}
	// Both ways to pick a selection's quads give the same bytes.
	sel := graph.Selection{Seeds: []string{"huawei"}, Hops: 1}
	defer func(old func(int, int) bool) { exportSmallSelection = old }(exportSmallSelection)
	exportSmallSelection = func(int, int) bool { return true }
	small := exportBytes(t, s, sel, "nquads", ExportOptions{})
	exportSmallSelection = func(int, int) bool { return false }
	scan := exportBytes(t, s, sel, "nquads", ExportOptions{})
	if !bytes.Equal(small, scan) || len(small) == 0 {
		t.Errorf("nquads of a selection: %d bytes through a small store, %d by scanning", len(small), len(scan))
	}

	// The whole graph is exactly ExportNQuads.
	var a, b bytes.Buffer
	if err := ExportNQuads(ctx, s, &a); err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, s, graph.Selection{}, "nquads", &b, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("Export nquads of the whole graph differs from ExportNQuads")
	}
}

// ---- the real consumers: NetworkX and xmllint ----

// networkxPython returns the Python interpreter that has NetworkX: the one
// CHIPGRAPH_TEST_PYTHON names (.ci/run sets it to Debian's /usr/bin/python3;
// then NetworkX must be there), else /usr/bin/python3 (pyenv's python3 on
// PATH does not see Debian's python3-networkx). When that cannot import
// networkx the test is skipped, unless CHIPGRAPH_TEST_NETWORKX is set too.
func networkxPython(t *testing.T) string {
	t.Helper()
	py, required := os.Getenv("CHIPGRAPH_TEST_PYTHON"), os.Getenv("CHIPGRAPH_TEST_NETWORKX") != ""
	if py != "" {
		required = true
	} else {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import networkx").CombinedOutput(); err != nil {
		if required {
			t.Fatalf("%s cannot import networkx (apt-get install python3-networkx): %v\n%s", py, err, out)
		}
		t.Skipf("skipped: %s cannot import networkx and CHIPGRAPH_TEST_PYTHON is unset (apt-get install python3-networkx, or set CHIPGRAPH_TEST_PYTHON)", py)
	}
	return py
}

// readBack is what read_networkx.py prints.
type readBack struct {
	Nodes    map[string]map[string]any
	Edges    map[string]map[string]any
	Spells   map[string][][2]any
	Directed bool
}

func TestExportNetworkX(t *testing.T) {
	py := networkxPython(t)
	s := exportCuratedStore(t)
	ctx := context.Background()
	script, _ := filepath.Abs("testdata/export/read_networkx.py")
	for _, tc := range exportSelections {
		g, err := s.Subgraph(ctx, tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		srcs, _ := s.Sources(ctx)
		sources := map[string]*graph.Source{}
		for _, so := range srcs {
			sources[so.Key] = so
		}
		for _, format := range []string{"graphml", "gexf", "nodelink", "nodelink-links", "cytoscape", "csv"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				dir := t.TempDir()
				args := []string{script, format}
				switch format {
				case "csv":
					nodes, edges := filepath.Join(dir, "nodes.csv"), filepath.Join(dir, "edges.csv")
					nf, ef := exportMust(os.Create(nodes)), exportMust(os.Create(edges))
					if err := Export(ctx, s, tc.sel, "csv", nf, ExportOptions{CSVEdges: ef}); err != nil {
						t.Fatal(err)
					}
					nf.Close()
					ef.Close()
					args = append(args, nodes, edges)
				default:
					name, opts := format, ExportOptions{}
					if format == "nodelink-links" {
						name, opts.LinksKey = "nodelink", "links"
					}
					path := filepath.Join(dir, "export")
					if err := os.WriteFile(path, exportBytes(t, s, tc.sel, name, opts), 0o644); err != nil {
						t.Fatal(err)
					}
					args = append(args, path)
				}
				cmd := exec.Command(py, args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s %s: %v\n%s", py, format, err, stderr.String())
				}
				var rb readBack
				if err := json.Unmarshal(out, &rb); err != nil {
					t.Fatalf("reading the script's output: %v", err)
				}
				checkReadBack(t, format, g, sources, &rb)
			})
		}
	}
}

// checkReadBack compares what a consumer read with the selection: counts,
// ids, kinds and types, endpoints, and for every element its name,
// sources, source URLs, citations (each source's title, publisher and
// date), status and dates, the full attribute list and each attribute
// column.
func checkReadBack(t *testing.T, format string, g *graph.Subgraph, sources map[string]*graph.Source, rb *readBack) {
	t.Helper()
	if len(rb.Nodes) != len(g.Entities) || len(rb.Edges) != len(g.Relations) {
		t.Errorf("read %d nodes, %d edges; want %d, %d", len(rb.Nodes), len(rb.Edges), len(g.Entities), len(g.Relations))
	}
	if !rb.Directed {
		t.Error("graph read as undirected")
	}
	urlsOf := func(keys []string) string {
		var out []string
		for _, k := range keys {
			out = append(out, sources[k].URL)
		}
		return strings.Join(out, ";")
	}
	errs := 0
	check := func(what, field string, got any, want string) {
		if want == "" && got == nil {
			return
		}
		if s := fmt.Sprint(got); s != want && errs < 20 {
			errs++
			t.Errorf("%s %s = %q, want %q", what, field, s, want)
		}
	}
	label := "label"
	if format == "gexf" {
		label = "label" // NetworkX puts the node's label attribute under "label"
	}
	for _, e := range g.Entities {
		n, ok := rb.Nodes[e.ID]
		if !ok {
			t.Errorf("node %s missing", e.ID)
			continue
		}
		what := "node " + e.ID
		if format == "csv" {
			check(what, "Label", n["Label"], e.Name)
		} else {
			check(what, label, n[label], e.Name)
		}
		check(what, "kind", n["kind"], string(e.Kind))
		check(what, "name", n["name"], e.Name)
		check(what, "country", n["country"], e.Country)
		check(what, "aliases", n["aliases"], strings.Join(e.Aliases, ";"))
		check(what, "sources", n["sources"], strings.Join(e.Sources, ";"))
		check(what, "source_urls", n["source_urls"], urlsOf(e.Sources))
		checkCitations(t, what, n, sources, e.Sources, e.Attributes, &errs)
		checkAttrs(t, what, n, e.Attributes, &errs)
	}
	for _, r := range g.Relations {
		ed, ok := rb.Edges[r.ID]
		if !ok {
			t.Errorf("edge %s missing", r.ID)
			continue
		}
		what := "edge " + r.ID
		check(what, "source", ed["source"], r.From)
		check(what, "target", ed["target"], r.To)
		typeKey := "type"
		if format == "csv" {
			typeKey = "relation_type"
			check(what, "Type", ed["Type"], "Directed")
			check(what, "Label", ed["Label"], string(r.Type))
		}
		check(what, typeKey, ed[typeKey], string(r.Type))
		check(what, "status", ed["status"], string(r.Status))
		check(what, "valid_from", ed["valid_from"], exportDate(r.ValidFrom))
		check(what, "valid_to", ed["valid_to"], exportDate(r.ValidTo))
		check(what, "first_reported", ed["first_reported"], strconv.FormatBool(r.FirstReported))
		check(what, "category", ed["category"], r.Category)
		check(what, "sources", ed["sources"], strings.Join(r.Sources, ";"))
		check(what, "source_urls", ed["source_urls"], urlsOf(r.Sources))
		checkCitations(t, what, ed, sources, r.Sources, r.Properties, &errs)
		checkAttrs(t, what, ed, r.Properties, &errs)
		if format == "gexf" {
			sp := rb.Spells[r.ID]
			if r.ValidFrom.IsZero() && r.ValidTo.IsZero() {
				if len(sp) != 0 {
					t.Errorf("%s: spells %v, want none", what, sp)
				}
				continue
			}
			want := [2]any{"None", "None"}
			if !r.ValidFrom.IsZero() {
				want[0] = exportDay(r.ValidFrom.First())
			}
			if !r.ValidTo.IsZero() {
				want[1] = exportDay(r.ValidTo.Last())
			}
			if len(sp) != 1 || sp[0] != want {
				t.Errorf("%s: spells %v, want [%v]", what, sp, want)
			}
		}
	}
}

// checkCitations checks that the citations field lists every source the
// element and its attributes cite, once, with its title, publisher and
// published date ("n.d." when undated) as the store holds them.
func checkCitations(t *testing.T, what string, got map[string]any, sources map[string]*graph.Source, keys []string, attrs []graph.Attribute, errs *int) {
	t.Helper()
	var want []string
	for _, k := range slices.Concat(keys, attrSources(attrs)) {
		if !slices.Contains(want, k) {
			want = append(want, k)
		}
	}
	s, _ := got["citations"].(string)
	var cites []struct{ Key, Title, Publisher, Published, URL string }
	if err := json.Unmarshal([]byte(s), &cites); err != nil && len(want) > 0 {
		*errs++
		t.Errorf("%s: citations %q: %v", what, s, err)
		return
	}
	if len(cites) != len(want) && *errs < 20 {
		*errs++
		t.Errorf("%s: %d citations, want %d (%v)", what, len(cites), len(want), want)
		return
	}
	for i, c := range cites {
		so := sources[want[i]]
		published := "n.d."
		if !so.Undated && !so.Published.IsZero() {
			published = so.Published.String()
		}
		if (c.Key != so.Key || c.Title != so.Title || c.Publisher != so.Publisher || c.Published != published || c.URL != so.URL) && *errs < 20 {
			*errs++
			t.Errorf("%s: citation %d = %+v, want %s %q %q %s %s", what, i, c, so.Key, so.Title, so.Publisher, published, so.URL)
		}
	}
}

// checkAttrs compares the attributes field (the full list as JSON) and the
// attribute columns with list: attr.<name> is the first value no source
// disputes, and absent when every value is disputed; a name with several
// values or a disputed one has attr.<name>.values listing each value with
// its status.
func checkAttrs(t *testing.T, what string, got map[string]any, list []graph.Attribute, errs *int) {
	t.Helper()
	if len(list) == 0 {
		if got["attributes"] != nil {
			t.Errorf("%s: attributes %v, want none", what, got["attributes"])
		}
		return
	}
	s, _ := got["attributes"].(string)
	var back []graph.Attribute
	if err := json.Unmarshal([]byte(s), &back); err != nil || !reflect.DeepEqual(back, list) {
		if *errs < 20 {
			*errs++
			t.Errorf("%s: attributes = %s (%v), want %+v", what, s, err, list)
		}
	}
	fail := func(format string, args ...any) {
		if *errs < 20 {
			*errs++
			t.Errorf(what+": "+format, args...)
		}
	}
	done := map[string]bool{}
	for _, a := range list {
		if done[a.Name] {
			continue
		}
		done[a.Name] = true
		var all []graph.Attribute
		for _, b := range list {
			if b.Name == a.Name {
				all = append(all, b)
			}
		}
		i := slices.IndexFunc(all, func(b graph.Attribute) bool { return b.Status != graph.StatusDisputed })
		v, ok := got["attr."+a.Name]
		switch {
		case i < 0 && ok:
			fail("attr.%s = %v, but every value of it is disputed", a.Name, v)
		case i >= 0 && !ok:
			fail("attr.%s missing", a.Name)
		case i >= 0 && !exportValueMatches(v, all[i]):
			fail("attr.%s = %v (%T), want %q", a.Name, v, v, all[i].Value)
		}
		if len(all) == 1 && all[0].Status != graph.StatusDisputed {
			continue
		}
		side, _ := got["attr."+a.Name+".values"].(string)
		parts := strings.Split(side, " | ")
		if len(parts) != len(all) {
			fail("attr.%s.values = %q, want %d values side by side", a.Name, side, len(all))
			continue
		}
		for j, b := range all {
			status := b.Status
			if status == "" {
				status = graph.StatusReported
			}
			if !strings.HasPrefix(parts[j], b.Value) || !strings.Contains(parts[j], "("+string(status)) {
				fail("attr.%s.values item %d = %q, want value %q and status %s", a.Name, j, parts[j], b.Value, status)
			}
		}
	}
}

// exportValueMatches reports whether a value read back equals a's: typed
// numbers and booleans by value, text as text (CSV reads numbers as text).
func exportValueMatches(v any, a graph.Attribute) bool {
	switch x := v.(type) {
	case float64:
		f, err := strconv.ParseFloat(a.Value, 64)
		return err == nil && (f == x || math.Abs(f-x) <= 1e-9*math.Abs(f))
	case bool:
		return strconv.FormatBool(x) == a.Value
	case string:
		if x == a.Value {
			return true
		}
		f1, e1 := strconv.ParseFloat(x, 64)
		f2, e2 := strconv.ParseFloat(a.Value, 64)
		return a.Type == graph.AttrNumber && e1 == nil && e2 == nil && f1 == f2
	}
	return false
}

// graphmlSchemaDir holds the GraphML 1.0 XSDs and a catalog mapping their
// http://graphml.graphdrawing.org/xmlns/1.0/ locations to the local copies,
// so xmllint validates offline.
const graphmlSchemaDir = "testdata/export/graphml"

func TestExportGraphMLValidates(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CHIPGRAPH_TEST_PYTHON") != "" {
			t.Fatal("xmllint not found (apt-get install libxml2-utils)")
		}
		t.Skip("skipped: xmllint not found (apt-get install libxml2-utils)")
	}
	s := exportCuratedStore(t)
	catalog, _ := filepath.Abs(filepath.Join(graphmlSchemaDir, "catalog.xml"))
	xsd, _ := filepath.Abs(filepath.Join(graphmlSchemaDir, "graphml.xsd"))
	for _, tc := range exportSelections {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "export.graphml")
			if err := os.WriteFile(path, exportBytes(t, s, tc.sel, "graphml", ExportOptions{}), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, path)
			cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+catalog)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "validates") {
				t.Fatalf("xmllint: %v\n%s", err, out)
			}
		})
	}
}

// TestExportFtMRoundTrip: chipgraph's FtM export, loaded into an empty
// store through the path `chipgraph load --format ftm` takes (ReadDataset,
// PlanLoad, Plan.Apply), exports again byte for byte.
func TestExportFtMRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := OpenCurated(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, tc := range exportSelections {
		t.Run(tc.name, func(t *testing.T) {
			first := exportBytes(t, s, tc.sel, "ftm", ExportOptions{})
			// The CLI's dataset path.
			path := filepath.Join(t.TempDir(), "export.ftm.json")
			if err := os.WriteFile(path, first, 0o644); err != nil {
				t.Fatal(err)
			}
			sets, err := ReadDataset("ftm", []string{path}, Options{})
			if err != nil {
				t.Fatalf("ReadDataset: %v", err)
			}
			viaPlan, err := graph.Open(ctx, "memory:")
			if err != nil {
				t.Fatal(err)
			}
			defer viaPlan.Close()
			plan, err := PlanLoad(ctx, viaPlan, sets...)
			if err != nil {
				t.Fatalf("PlanLoad: %v", err)
			}
			if len(plan.Merged) > 0 || len(plan.Dropped) > 0 || len(plan.RelClosed) > 0 {
				t.Errorf("plan merged %v, dropped %v, closed %v", plan.Merged, plan.Dropped, plan.RelClosed)
			}
			if _, err := plan.Apply(ctx, viaPlan); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			second := exportBytes(t, viaPlan, graph.Selection{}, "ftm", ExportOptions{})
			if !bytes.Equal(first, second) {
				t.Errorf("dataset path: re-export differs: %d bytes, then %d\n%s", len(first), len(second), ftmLineDiff(first, second))
			}
		})
	}
}

// ftmLineDiff describes the first line where a and b differ.
func ftmLineDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines, then %d", len(la), len(lb))
}

// TestExportFtMMapping reads an FtM export, without its chipgraph records,
// back with ReadFTM's FollowTheMoney mapping. That mapping is narrower
// than the export's (it keeps legal entities and public bodies, and reads
// Ownership as INVESTS_IN), so the round trip covers that part: companies,
// government bodies and investments come back with their ids (as the ftm
// external id), kinds, names, countries, endpoints and dates.
func TestExportFtMMapping(t *testing.T) {
	s := exportCuratedStore(t)
	ctx := context.Background()
	sel := graph.Selection{
		Kinds: []graph.Kind{graph.KindCompany, graph.KindGovernmentBody},
		Types: []graph.RelationType{graph.InvestsIn},
	}
	g, err := s.Subgraph(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Entities) < 20 || len(g.Relations) < 5 {
		t.Fatalf("selection too small: %d entities, %d relations", len(g.Entities), len(g.Relations))
	}
	var plain bytes.Buffer
	for _, l := range bytes.Split(bytes.TrimSpace(exportBytes(t, s, sel, "ftm", ExportOptions{})), []byte("\n")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "chipgraph")
		plain.Write(exportMust(json.Marshal(m)))
		plain.WriteByte('\n')
	}
	ds, err := ReadFTM(&plain, "export.ftm.json", Options{})
	if err != nil {
		t.Fatalf("ReadFTM: %v", err)
	}
	orig := map[string]string{} // proposed id -> exported id
	back := map[string]graph.Entity{}
	for _, e := range ds.Entities {
		for _, x := range e.ExternalIDs {
			if x.Scheme == "ftm" {
				orig[e.ID] = x.Value
				back[x.Value] = e
			}
		}
	}
	if len(back) != len(g.Entities) {
		t.Errorf("read %d entities, exported %d", len(back), len(g.Entities))
	}
	for _, e := range g.Entities {
		b, ok := back[e.ID]
		if !ok {
			t.Errorf("entity %s lost", e.ID)
			continue
		}
		if b.Kind != e.Kind || b.Name != e.Name || b.Country != e.Country {
			t.Errorf("entity %s: read %s %q %q, want %s %q %q", e.ID, b.Kind, b.Name, b.Country, e.Kind, e.Name, e.Country)
		}
	}
	// ReadFTM merges links with the same ends; dates are compared where
	// there is one relation between two entities.
	type link struct{ from, to string }
	want := map[link][]string{}
	for _, r := range g.Relations {
		k := link{r.From, r.To}
		want[k] = append(want[k], exportDate(r.ValidFrom)+"/"+exportDate(r.ValidTo))
	}
	got := map[link][]string{}
	for _, r := range ds.Relations {
		if r.Type != graph.InvestsIn {
			t.Errorf("relation %s -> %s read as %s", r.From, r.To, r.Type)
		}
		k := link{orig[r.From], orig[r.To]}
		got[k] = append(got[k], exportDate(r.ValidFrom)+"/"+exportDate(r.ValidTo))
	}
	for k, w := range want {
		if len(w) > 1 {
			w = nil
			got[k] = nil
		}
		want[k] = w
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relations read back differ:\ngot  %v\nwant %v", got, want)
	}
}

// TestExportDisputedSideBySide exports the Ascend 910C, whose 2025 output
// has three disputed estimates, as CSV: its attr.output_estimate stays
// empty rather than showing one of them as settled, attr.output_estimate
// .values gives all three with their status, and citations carry each
// source's title, publisher and date.
func TestExportDisputedSideBySide(t *testing.T) {
	s := exportCuratedStore(t)
	var nodes, edges bytes.Buffer
	err := Export(context.Background(), s, graph.Selection{Seeds: []string{"ascend-910c"}, Hops: 0}, "csv", &nodes, ExportOptions{CSVEdges: &edges})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&nodes).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want a header and the 910C", len(rows))
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if _, ok := row["attr.output_estimate"]; !ok || row["attr.output_estimate"] != "" {
		t.Errorf("attr.output_estimate = %q (column present: %v), want an empty column: every estimate is disputed", row["attr.output_estimate"], ok)
	}
	values := strings.Split(row["attr.output_estimate.values"], " | ")
	if len(values) != 3 {
		t.Fatalf("attr.output_estimate.values = %q, want three estimates", row["attr.output_estimate.values"])
	}
	for _, v := range values {
		if !strings.Contains(v, "(disputed") {
			t.Errorf("estimate %q not marked disputed", v)
		}
	}
	var cites []map[string]string
	if err := json.Unmarshal([]byte(row["citations"]), &cites); err != nil {
		t.Fatalf("citations %q: %v", row["citations"], err)
	}
	e, _ := s.Entity(context.Background(), "ascend-910c")
	for _, a := range e.Attributes {
		if a.Name != "output_estimate" {
			continue
		}
		for _, k := range a.Sources {
			so, _ := s.Source(context.Background(), k)
			i := slices.IndexFunc(cites, func(c map[string]string) bool { return c["key"] == k })
			if i < 0 || cites[i]["title"] != so.Title || cites[i]["publisher"] != so.Publisher || cites[i]["published"] == "" {
				t.Errorf("source %s of an estimate: citation %v, want title %q, publisher %q and a date", k, cites[max(i, 0)], so.Title, so.Publisher)
			}
		}
	}
}

// TestExportFtMSanctions checks that FtM writes each entity a SANCTION
// targets as a Sanction designation, with its program, authority and
// listing date, and that every proof a line names is a Document of the
// export carrying title, publisher and date.
func TestExportFtMSanctions(t *testing.T) {
	s := exportCuratedStore(t)
	out := exportBytes(t, s, graph.Selection{Seeds: []string{"huawei"}, Hops: 2}, "ftm", ExportOptions{})
	type line struct {
		ID         string
		Schema     string
		Properties map[string][]string
	}
	docs := map[string]line{}
	var lines []line
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var x line
		if err := json.Unmarshal(l, &x); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, x)
		if x.Schema == "Document" {
			docs[x.ID] = x
		}
	}
	var huawei []line
	for _, x := range lines {
		if x.Schema == "Sanction" && slices.Contains(x.Properties["entity"], "huawei") {
			huawei = append(huawei, x)
		}
		for _, p := range x.Properties["proof"] {
			d, ok := docs[p]
			if !ok || len(d.Properties["title"]) == 0 || len(d.Properties["publisher"]) == 0 ||
				len(d.Properties["publishedAt"])+len(d.Properties["retrievedAt"]) == 0 {
				t.Errorf("%s: proof %s is not a Document of the export with title, publisher and date", x.ID, p)
			}
		}
		if x.Schema != "Document" && len(x.Properties["proof"]) == 0 {
			t.Errorf("%s (%s) names no proof", x.ID, x.Schema)
		}
	}
	i := slices.IndexFunc(huawei, func(x line) bool { return x.ID == FtMRelationID("entity-list-2019-05-huawei--targets--huawei") })
	if i < 0 {
		t.Fatalf("no Sanction designating huawei for the May 2019 Entity List listing among %d", len(huawei))
	}
	p := huawei[i].Properties
	if len(p["program"]) != 1 || len(p["authority"]) == 0 || len(p["listingDate"]) != 1 || len(p["startDate"]) != 1 {
		t.Errorf("Sanction %s: %v, want program, authority, listingDate and startDate", huawei[i].ID, p)
	}
}

// TestExportEscapeMatchesEncodingXML holds the writers' XML escaper to
// encoding/xml's EscapeText.
func TestExportEscapeMatchesEncodingXML(t *testing.T) {
	for _, s := range []string{"", "plain", `a&b<c>d"e'f`, "tab\tnl\ncr\r", "ctl\x01\x1f", "华为 中芯国际",
		"bad\xffutf8", "\uFFFE\uFFFF", "\U0001F600", "\u2028", "mixed & 中 \x00 end"} {
		var want bytes.Buffer
		if err := xml.EscapeText(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		x := &exporter{w: bufio.NewWriter(&got)}
		x.esc(s)
		x.w.Flush()
		if got.String() != want.String() {
			t.Errorf("esc(%q) = %q, want %q", s, got.String(), want.String())
		}
		// As character data, quotes stay as they are and the text
		// reads back as esc's does.
		got.Reset()
		x.escText(s)
		x.w.Flush()
		var text, back string
		if err := xml.Unmarshal([]byte("<a>"+got.String()+"</a>"), &text); err != nil {
			t.Errorf("escText(%q) = %q: %v", s, got.String(), err)
		}
		if err := xml.Unmarshal([]byte("<a>"+want.String()+"</a>"), &back); err != nil || text != back {
			t.Errorf("escText(%q) reads back as %q, esc as %q", s, text, back)
		}
	}
}

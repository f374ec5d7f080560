package loaders

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// ExportFormat describes one format Export writes.
type ExportFormat struct {
	Name        string // the name CLI and HTTP take: "graphml", "gexf", ...
	Title       string // what it is, for help texts
	ContentType string // of what Export writes to its writer
	Ext         string // file extension of what Export writes, with the dot
}

var exportFormats = []ExportFormat{
	{"graphml", "GraphML (Gephi, yEd, NetworkX read_graphml)", "application/graphml+xml; charset=utf-8", ".graphml"},
	{"gexf", "GEXF 1.3, dynamic, edge spells from validFrom/validTo (Gephi)", "application/gexf+xml; charset=utf-8", ".gexf"},
	{"cytoscape", "Cytoscape.js JSON {elements:{nodes,edges}}", "application/json; charset=utf-8", ".cyjs"},
	{"nodelink", "node-link JSON (NetworkX node_link_graph; D3 with links)", "application/json; charset=utf-8", ".json"},
	{"csv", "CSV node and edge tables with Gephi's headers (a zip of nodes.csv and edges.csv)", "application/zip", ".zip"},
	{"nquads", "N-Quads, the store's own quads (lossless; loads back with load --format nquads)", "application/n-quads; charset=utf-8", ".nq"},
	{"ftm", "FollowTheMoney entities, one JSON object a line", "application/x-ndjson; charset=utf-8", ".ftm.json"},
}

// ExportFormats lists the formats Export writes, in a stable order.
func ExportFormats() []ExportFormat { return slices.Clone(exportFormats) }

// LookupExportFormat returns the format called name.
func LookupExportFormat(name string) (ExportFormat, bool) {
	for _, f := range exportFormats {
		if f.Name == name {
			return f, true
		}
	}
	return ExportFormat{}, false
}

// ExportFormatNames returns the names of the formats, comma-separated.
func ExportFormatNames() string {
	names := make([]string, len(exportFormats))
	for i, f := range exportFormats {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// ExportOptions tune Export. The zero value is the default everywhere.
type ExportOptions struct {
	// LinksKey names the edge list of nodelink: "edges" (the default, as
	// NetworkX ≥ 3.4 writes and reads by default) or "links" (D3, and
	// older NetworkX).
	LinksKey string

	// CSVEdges, when set, makes csv write the node table to w and the edge
	// table here, instead of a zip holding nodes.csv and edges.csv to w.
	CSVEdges io.Writer

	// Selected, when set, is called once the selection is made and before
	// anything is written, with its size and whether the limit cut it
	// short (an HTTP handler sets its headers there). Not called for nquads
	// of the whole graph.
	Selected func(nodes, edges int, truncated bool)
}

// Export writes the subgraph sel selects from s (graph.Store.Subgraph: no
// seeds is the whole graph under the filters) to w in format, one of
// ExportFormats. Elements are written one by one as they are encoded, so
// memory stays flat beyond the selection itself.
//
// Every node keeps its id, kind, name, aliases, country, description,
// external ids, sources (keys joined with ";" and their URLs in
// source_urls) and attributes: the full list as JSON in "attributes", and
// flattened as "attr.<name>" with the first value that is not disputed
// (numbers and booleans typed where the format types values). Every edge
// keeps its id, type, category, product, status, validFrom/validTo,
// first_reported (a boolean), note,
// sources and properties (flattened the same way).
//
// nquads of the whole graph with no filter is ExportNQuads; of a selection,
// it is the store's quads of the selected records, of the sources they
// cite and of the process nodes their relations name, so it loads into an
// empty store as it is.
//
// An unknown format or option is CodeInvalid; errors of s come back as they
// are; a failure to write is CodeInternal.
func Export(ctx context.Context, s ExportSource, sel graph.Selection, format string, w io.Writer, opts ExportOptions) error {
	if _, ok := LookupExportFormat(format); !ok {
		return graph.Errorf(graph.CodeInvalid, "format", "unknown format %q (want one of %s)", format, ExportFormatNames())
	}
	switch opts.LinksKey {
	case "":
		opts.LinksKey = "edges"
	case "edges", "links":
	default:
		return graph.Errorf(graph.CodeInvalid, "links", "unknown links key %q (want edges or links)", opts.LinksKey)
	}
	if format == "nquads" && exportWholeGraph(sel) {
		return ExportNQuads(ctx, s, w)
	}
	g, err := s.Subgraph(ctx, sel)
	if err != nil {
		return err
	}
	// A file is read as a whole and compared across exports: its records
	// go by id, not in the order the walk reached them.
	slices.SortFunc(g.Entities, func(a, b *graph.Entity) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Relations, func(a, b *graph.Relation) int { return cmp.Compare(a.ID, b.ID) })
	x, err := newExporter(ctx, s, g, opts)
	if err != nil {
		return err
	}
	if opts.Selected != nil {
		opts.Selected(len(g.Entities), len(g.Relations), g.Truncated)
	}
	if format == "csv" && opts.CSVEdges == nil {
		err = x.csvZip(w)
	} else {
		bw := bufio.NewWriterSize(w, 64<<10)
		x.w = bw
		switch format {
		case "graphml":
			err = x.graphml()
		case "gexf":
			err = x.gexf()
		case "cytoscape":
			err = x.cytoscape()
		case "nodelink":
			err = x.nodelink()
		case "csv":
			err = x.csvFiles(opts.CSVEdges)
		case "nquads":
			err = x.nquads()
		case "ftm":
			err = x.ftm()
		}
		if err == nil {
			err = bw.Flush()
		}
	}
	return exportError(err)
}

// exportWholeGraph reports whether sel selects every record.
func exportWholeGraph(sel graph.Selection) bool {
	return len(sel.Seeds) == 0 && len(sel.Types) == 0 && len(sel.Kinds) == 0 &&
		len(sel.Countries) == 0 && sel.AsOf.IsZero() && sel.Limit == 0
}

// exportError classifies an error met while writing.
func exportError(err error) error {
	if err == nil {
		return nil
	}
	var ge *graph.Error
	var gl graph.Errors
	if errors.As(err, &ge) || errors.As(err, &gl) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &graph.Error{Op: "export", Code: graph.CodeInternal, Msg: "writing the export failed", Err: err}
}

// Field names shared by every format. Node and edge tables have these
// columns first, then one "attr.<name>" column per attribute name.
var (
	exportNodeFields = []string{"label", "kind", "name", "aliases", "country", "description", "external_ids", "sources", "source_urls", "attributes"}
	exportEdgeFields = []string{"label", "type", "category", "product", "status", "valid_from", "valid_to", "first_reported", "note", "sources", "source_urls", "attributes"}
)

// exportFieldType is the XML Schema type of a shared field: first_reported
// is a boolean (true when valid_from is only the date of the first report),
// every other field a string.
func exportFieldType(field string) string {
	if field == "first_reported" {
		return "boolean"
	}
	return "string"
}

// exportValueType is how a flattened attribute column is typed.
type exportValueType int

const (
	vtString exportValueType = iota
	vtNumber
	vtBool
)

// exportColumn is one flattened attribute: attr.<name>.
type exportColumn struct {
	name string // the attribute's name
	typ  exportValueType
	k    string // "attr." + name
}

func (c exportColumn) key() string { return c.k }

// exporter holds what every writer needs: the selection, the URLs of the
// sources and the attribute columns.
// ExportSource is what an export reads: the records of the selection, and
// for N-Quads every quad. A graph.View exports one revision.
type ExportSource interface {
	graph.Reader
	graph.QuadSource
}

type exporter struct {
	ctx       context.Context
	store     ExportSource
	g         *graph.Subgraph
	opts      ExportOptions
	urls      map[string]string
	nodeCols  []exportColumn
	edgeCols  []exportColumn
	w         *bufio.Writer
	n         int // elements written, to check ctx and errors now and then
	flatAttrs []graph.Attribute
}

func newExporter(ctx context.Context, s ExportSource, g *graph.Subgraph, opts ExportOptions) (*exporter, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	x := &exporter{ctx: ctx, store: s, g: g, opts: opts, urls: make(map[string]string, len(srcs))}
	for _, so := range srcs {
		x.urls[so.Key] = so.URL
	}
	x.nodeCols = exportColumns(len(g.Entities), func(i int) []graph.Attribute { return g.Entities[i].Attributes })
	x.edgeCols = exportColumns(len(g.Relations), func(i int) []graph.Attribute { return g.Relations[i].Properties })
	return x, nil
}

// exportColumns returns the attribute columns of n attribute lists, sorted
// by name: a column is a number or a bool when every flattened value of it is.
func exportColumns(n int, list func(int) []graph.Attribute) []exportColumn {
	types := map[string]exportValueType{}
	var buf []graph.Attribute
	for i := range n {
		buf = exportFlatten(list(i), buf[:0])
		for _, a := range buf {
			t := vtString
			switch a.Type {
			case graph.AttrNumber:
				if _, ok := exportFinite(a.Value); ok {
					t = vtNumber
				}
			case graph.AttrBool:
				if a.Value == "true" || a.Value == "false" {
					t = vtBool
				}
			}
			if old, seen := types[a.Name]; seen && old != t {
				t = vtString
			}
			types[a.Name] = t
		}
	}
	cols := make([]exportColumn, 0, len(types))
	for name, t := range types {
		cols = append(cols, exportColumn{name, t, "attr." + name})
	}
	slices.SortFunc(cols, func(a, b exportColumn) int { return strings.Compare(a.name, b.name) })
	return cols
}

// exportFlatten appends to buf one attribute per name of list, in order of first
// appearance: the first that is not disputed, else the first.
func exportFlatten(list []graph.Attribute, buf []graph.Attribute) []graph.Attribute {
	for _, a := range list {
		i := slices.IndexFunc(buf, func(b graph.Attribute) bool { return b.Name == a.Name })
		switch {
		case i < 0:
			buf = append(buf, a)
		case buf[i].Status == graph.StatusDisputed && a.Status != graph.StatusDisputed:
			buf[i] = a
		}
	}
	return buf
}

// flat calls fn with the flattened value of each column that list has an
// attribute for.
func (x *exporter) flat(cols []exportColumn, list []graph.Attribute, fn func(c exportColumn, value string)) {
	x.flatAttrs = exportFlatten(list, x.flatAttrs[:0])
	for _, a := range x.flatAttrs {
		i, found := slices.BinarySearchFunc(cols, a.Name, func(c exportColumn, name string) int { return strings.Compare(c.name, name) })
		if found {
			fn(cols[i], a.Value)
		}
	}
}

// tick is called after each element: now and then it checks ctx and the
// writer's error, so a cancelled or failing export stops early.
func (x *exporter) tick() error {
	x.n++
	if x.n%1024 != 0 {
		return nil
	}
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if x.w != nil {
		if _, err := x.w.Write(nil); err != nil {
			return err
		}
	}
	return nil
}

// nodeValues returns the values of exportNodeFields for e; empty means none.
func (x *exporter) nodeValues(e *graph.Entity) [10]string {
	ext := make([]string, len(e.ExternalIDs))
	for i, id := range e.ExternalIDs {
		ext[i] = id.Scheme + ":" + id.Value
	}
	return [10]string{
		e.Name, string(e.Kind), e.Name, strings.Join(e.Aliases, ";"), e.Country, e.Description,
		strings.Join(ext, ";"), strings.Join(e.Sources, ";"), x.sourceURLs(e.Sources), exportAttrsJSON(e.Attributes),
	}
}

// edgeValues returns the values of exportEdgeFields for r; empty means none.
func (x *exporter) edgeValues(r *graph.Relation) [12]string {
	return [12]string{
		string(r.Type), string(r.Type), r.Category, r.Product, string(r.Status),
		exportDate(r.ValidFrom), exportDate(r.ValidTo), strconv.FormatBool(r.FirstReported), r.Note,
		strings.Join(r.Sources, ";"), x.sourceURLs(r.Sources), exportAttrsJSON(r.Properties),
	}
}

func (x *exporter) sourceURLs(keys []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(x.urls[k])
	}
	return b.String()
}

func exportDate(d graph.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// exportAttrsJSON is the full attribute list as JSON; "" when there is none.
func exportAttrsJSON(list []graph.Attribute) string {
	if len(list) == 0 {
		return ""
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "" // attributes hold only strings: cannot happen
	}
	return string(b)
}

// exportDay formats a yyyymmdd number from Date.First or Date.Last as
// YYYY-MM-DD.
func exportDay(n int) string {
	b := make([]byte, 0, 10)
	b = exportPad(b, n/10000, 4)
	b = append(b, '-')
	b = exportPad(b, n/100%100, 2)
	b = append(b, '-')
	return string(exportPad(b, n%100, 2))
}

func exportPad(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// exportFinite parses a number value; ok is false unless it is a finite number.
func exportFinite(v string) (float64, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// SelectionArgs is a selection as text, as the export command's flags and
// the /export query parameters give it. Types, Kinds and Countries items
// may each hold a comma-separated list; kinds, types and directions are
// case-insensitive (types also take - for _), countries are upper-cased.
type SelectionArgs struct {
	Seeds     []string // may be comma-separated too
	Hops      string   // default 1
	Types     []string
	Kinds     []string
	Countries []string
	AsOf      string // YYYY, YYYY-MM or YYYY-MM-DD
	Direction string // OUT, IN or BOTH (the default)
	Limit     string // default 0: no limit
}

// Selection parses a into a graph.Selection. A bad value is CodeInvalid
// with the parameter's name as the path.
func (a SelectionArgs) Selection() (graph.Selection, error) {
	sel := graph.Selection{Hops: 1, Seeds: exportSplitList(a.Seeds)}
	num := func(name, v string, def int) (int, error) {
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, graph.Errorf(graph.CodeInvalid, name, "%s exportMust be a whole number ≥ 0, not %q", name, v)
		}
		return n, nil
	}
	var err error
	if sel.Hops, err = num("hops", a.Hops, 1); err != nil {
		return sel, err
	}
	if sel.Limit, err = num("limit", a.Limit, 0); err != nil {
		return sel, err
	}
	for _, v := range exportSplitList(a.Types) {
		t := graph.RelationType(strings.ReplaceAll(strings.ToUpper(v), "-", "_"))
		if !t.Valid() {
			return sel, graph.Errorf(graph.CodeInvalid, "types", "unknown relation type %q", v)
		}
		sel.Types = append(sel.Types, t)
	}
	for _, v := range exportSplitList(a.Kinds) {
		k := graph.Kind(strings.ReplaceAll(strings.ToUpper(v), "-", "_"))
		if !k.Valid() {
			return sel, graph.Errorf(graph.CodeInvalid, "kinds", "unknown entity kind %q", v)
		}
		sel.Kinds = append(sel.Kinds, k)
	}
	for _, v := range exportSplitList(a.Countries) {
		sel.Countries = append(sel.Countries, strings.ToUpper(v))
	}
	if a.AsOf != "" {
		if sel.AsOf, err = graph.ParseDate(a.AsOf); err != nil {
			return sel, graph.Errorf(graph.CodeInvalid, "asOf", "bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", a.AsOf)
		}
	}
	if a.Direction != "" {
		sel.Direction = graph.Direction(strings.ToUpper(a.Direction))
		if !sel.Direction.Valid() {
			return sel, graph.Errorf(graph.CodeInvalid, "direction", "unknown direction %q: want OUT, IN or BOTH", a.Direction)
		}
	}
	return sel, nil
}

func exportSplitList(items []string) []string {
	var out []string
	for _, it := range items {
		for _, v := range strings.Split(it, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

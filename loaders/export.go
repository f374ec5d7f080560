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
// columns first, then the attribute columns (exportColumns).
var (
	exportNodeFields = []string{"label", "kind", "name", "aliases", "country", "description", "external_ids", "sources", "source_urls", "citations", "attributes"}
	exportEdgeFields = []string{"label", "type", "category", "product", "status", "valid_from", "valid_to", "first_reported", "note", "sources", "source_urls", "citations", "attributes"}
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

// exportFieldJSON reports whether a shared field's value is JSON, written
// as it is where the format is JSON (and as a string elsewhere).
func exportFieldJSON(field string) bool {
	return field == "citations" || field == "attributes" || field == "first_reported"
}

// exportValueType is how an attribute column is typed.
type exportValueType int

const (
	vtString exportValueType = iota
	vtNumber
	vtBool
)

// exportColumn is one attribute column: attr.<name>, the value of the
// name that no source disputes (empty when every value is disputed), or
// attr.<name>.values, every value of the name side by side with its
// status, date and sources. A name gets the .values column when some
// element of the selection has more than one value of it or a disputed
// one, so that a contested figure never stands alone in a flat column.
type exportColumn struct {
	name   string // the attribute's name
	typ    exportValueType
	values bool   // the attr.<name>.values column
	k      string // the column's key
}

func (c exportColumn) key() string { return c.k }

// exportElement is one node or edge as every writer writes it.
type exportElement struct {
	id       string
	from, to string // edges only
	class    string // the entity's kind or the relation's type
	values   []string
	attrs    []graph.Attribute
	relation *graph.Relation // edges only
}

// exportTable is the nodes or the edges of the selection: their shared
// fields, attribute columns and elements.
type exportTable struct {
	domain string // "node" or "edge"
	fields []string
	cols   []exportColumn
	n      int
	fill   func(i int, el *exportElement)
}

// ExportSource is what an export reads: the records of the selection, and
// for N-Quads every quad. A graph.View exports one revision.
type ExportSource interface {
	graph.Reader
	graph.QuadSource
}

// exporter holds what every writer needs: the selection as node and edge
// tables, and the sources they cite.
type exporter struct {
	ctx          context.Context
	store        ExportSource
	g            *graph.Subgraph
	opts         ExportOptions
	sources      map[string]*graph.Source
	nodes, edges *exportTable
	w            *bufio.Writer
	n            int      // elements written, to check ctx and errors now and then
	keys         []string // scratch: an element's cited source keys
	keyBuf       []byte   // scratch: the keys, each ended by a NUL
	citeCache    map[string]string
	names        []string // scratch: an element's attribute names
}

func newExporter(ctx context.Context, s ExportSource, g *graph.Subgraph, opts ExportOptions) (*exporter, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	x := &exporter{ctx: ctx, store: s, g: g, opts: opts, sources: make(map[string]*graph.Source, len(srcs)), citeCache: map[string]string{}}
	for _, so := range srcs {
		x.sources[so.Key] = so
	}
	x.nodes = &exportTable{domain: "node", fields: exportNodeFields, n: len(g.Entities),
		cols: exportColumns(len(g.Entities), func(i int) []graph.Attribute { return g.Entities[i].Attributes }),
		fill: func(i int, el *exportElement) { x.fillNode(g.Entities[i], el) }}
	x.edges = &exportTable{domain: "edge", fields: exportEdgeFields, n: len(g.Relations),
		cols: exportColumns(len(g.Relations), func(i int) []graph.Attribute { return g.Relations[i].Properties }),
		fill: func(i int, el *exportElement) { x.fillEdge(g.Relations[i], el) }}
	return x, nil
}

// each calls fn with every element of t in order, checking now and then
// for cancellation and write errors.
func (x *exporter) each(t *exportTable, fn func(el *exportElement) error) error {
	el := exportElement{values: make([]string, len(t.fields))}
	for i := range t.n {
		t.fill(i, &el)
		if err := fn(&el); err != nil {
			return err
		}
		if err := x.tick(); err != nil {
			return err
		}
	}
	return nil
}

func (x *exporter) fillNode(e *graph.Entity, el *exportElement) {
	ext := make([]string, len(e.ExternalIDs))
	for i, id := range e.ExternalIDs {
		ext[i] = id.Scheme + ":" + id.Value
	}
	*el = exportElement{id: e.ID, class: string(e.Kind), attrs: e.Attributes, values: append(el.values[:0],
		e.Name, string(e.Kind), e.Name, strings.Join(e.Aliases, ";"), e.Country, e.Description,
		strings.Join(ext, ";"), strings.Join(e.Sources, ";"), x.sourceURLs(e.Sources),
		x.citations(e.Sources, e.Attributes), exportAttrsJSON(e.Attributes))}
}

func (x *exporter) fillEdge(r *graph.Relation, el *exportElement) {
	*el = exportElement{id: r.ID, from: r.From, to: r.To, class: string(r.Type), attrs: r.Properties, relation: r, values: append(el.values[:0],
		string(r.Type), string(r.Type), r.Category, r.Product, string(r.Status),
		exportDate(r.ValidFrom), exportDate(r.ValidTo), strconv.FormatBool(r.FirstReported), r.Note,
		strings.Join(r.Sources, ";"), x.sourceURLs(r.Sources),
		x.citations(r.Sources, r.Properties), exportAttrsJSON(r.Properties))}
}

// exportColumns returns the attribute columns of n attribute lists, sorted
// by name, each attr.<name> before its attr.<name>.values: a column is a
// number or a bool when every value of it is.
func exportColumns(n int, list func(int) []graph.Attribute) []exportColumn {
	type info struct {
		typ        exportValueType
		sideBySide bool
	}
	names := map[string]*info{}
	for i := range n {
		attrs := list(i)
		for j, a := range attrs {
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
			in, seen := names[a.Name]
			if !seen {
				in = &info{typ: t}
				names[a.Name] = in
			} else if in.typ != t {
				in.typ = vtString
			}
			if a.Status == graph.StatusDisputed ||
				slices.ContainsFunc(attrs[:j], func(b graph.Attribute) bool { return b.Name == a.Name }) {
				in.sideBySide = true
			}
		}
	}
	cols := make([]exportColumn, 0, len(names))
	for name, in := range names {
		cols = append(cols, exportColumn{name: name, typ: in.typ, k: "attr." + name})
		if in.sideBySide {
			cols = append(cols, exportColumn{name: name, typ: vtString, values: true, k: "attr." + name + ".values"})
		}
	}
	slices.SortFunc(cols, func(a, b exportColumn) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.k, b.k))
	})
	return cols
}

// cells calls fn with the index and value of every attribute column that
// list has a value for, in order of the attributes' first appearance.
func (x *exporter) cells(cols []exportColumn, list []graph.Attribute, fn func(i int, value string)) {
	x.names = x.names[:0]
	for _, a := range list {
		if !slices.Contains(x.names, a.Name) {
			x.names = append(x.names, a.Name)
		}
	}
	for _, name := range x.names {
		i, found := slices.BinarySearchFunc(cols, name, func(c exportColumn, name string) int { return strings.Compare(c.name, name) })
		if !found {
			continue
		}
		if j := slices.IndexFunc(list, func(a graph.Attribute) bool { return a.Name == name && a.Status != graph.StatusDisputed }); j >= 0 {
			fn(i, list[j].Value)
		}
		if i+1 < len(cols) && cols[i+1].values && cols[i+1].name == name {
			fn(i+1, exportSideBySide(list, name))
		}
	}
}

// exportSideBySide writes every value of the attribute name in list, in
// order, as "VALUE UNIT (STATUS, as of DATE; SOURCE, ...)" joined by " | ".
func exportSideBySide(list []graph.Attribute, name string) string {
	var b strings.Builder
	for _, a := range list {
		if a.Name != name {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(a.Value)
		if a.Unit != "" {
			b.WriteString(" " + a.Unit)
		}
		status := a.Status
		if status == "" {
			status = graph.StatusReported
		}
		b.WriteString(" (" + string(status))
		if !a.AsOf.IsZero() {
			b.WriteString(", as of " + a.AsOf.String())
		}
		if len(a.Sources) > 0 {
			b.WriteString("; " + strings.Join(a.Sources, ", "))
		}
		b.WriteString(")")
	}
	return b.String()
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

func (x *exporter) sourceURLs(keys []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		if so := x.sources[k]; so != nil {
			b.WriteString(so.URL)
		}
	}
	return b.String()
}

// citations is the JSON list of the sources an element and its attributes
// cite, in order of first citation, each with its key, title, publisher,
// published date ("n.d." for an undated document, then with the date it
// was retrieved) and URL: what an analyst needs to trace a fact without
// the store. "" when nothing is cited. Elements citing the same sources
// share one string (a cache per export, cleared when it grows large), so
// an export allocates per distinct list, not per element.
func (x *exporter) citations(keys []string, attrs []graph.Attribute) string {
	x.keys = x.keys[:0]
	x.keyBuf = x.keyBuf[:0]
	for _, list := range [][]string{keys, attrSources(attrs)} {
		for _, k := range list {
			if !slices.Contains(x.keys, k) {
				x.keys = append(x.keys, k)
				x.keyBuf = append(append(x.keyBuf, k...), 0)
			}
		}
	}
	if len(x.keys) == 0 {
		return ""
	}
	if c, ok := x.citeCache[string(x.keyBuf)]; ok {
		return c
	}
	o := exportJSONObject{b: []byte{'['}}
	for i, k := range x.keys {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.open()
		o.str("key", k)
		if so := x.sources[k]; so != nil {
			o.str("title", so.Title)
			o.str("publisher", so.Publisher)
			if so.Undated || so.Published.IsZero() {
				o.str("published", "n.d.")
			} else {
				o.str("published", so.Published.String())
			}
			o.str("retrieved", exportDate(so.Retrieved))
			o.str("url", so.URL)
		}
		o.close()
	}
	c := string(append(o.b, ']'))
	if len(x.citeCache) >= 16384 {
		clear(x.citeCache)
	}
	x.citeCache[string(x.keyBuf)] = c
	return c
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
			return 0, graph.Errorf(graph.CodeInvalid, name, "want a whole number ≥ 0, not %q", v)
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

// ResolveSeeds returns the entity ids seeds name: each seed is an id, or
// else a name or alias (graph.Store.Resolve, as GraphQL's entity(name:)
// takes it), so "SMIC" and "中芯国际" give smic. A seed naming no entity is
// CodeNotFound; one naming several is CodeInvalid, listing them. Both
// have path "seed".
func ResolveSeeds(ctx context.Context, s graph.Reader, seeds []string) ([]string, error) {
	out := make([]string, 0, len(seeds))
	for _, seed := range seeds {
		if _, err := s.Entity(ctx, seed); err == nil {
			out = append(out, seed)
			continue
		} else if graph.ErrorCode(err) != graph.CodeNotFound {
			return nil, err
		}
		found, err := s.Resolve(ctx, seed)
		if err != nil {
			return nil, err
		}
		switch len(found) {
		case 0:
			return nil, graph.Errorf(graph.CodeNotFound, "seed", "no entity has the id, name or alias %q", seed)
		case 1:
			out = append(out, found[0].ID)
		default:
			ids := make([]string, len(found))
			for i, e := range found {
				ids[i] = e.ID
			}
			return nil, graph.Errorf(graph.CodeInvalid, "seed", "%q names %d entities (%s): give one of their ids", seed, len(found), strings.Join(ids, ", "))
		}
	}
	return out, nil
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

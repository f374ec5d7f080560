package loaders

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chipgraph/chipgraph/graph"
)

// ReadCSVGraph reads generic node and edge lists, as Gephi's spreadsheet
// import and neo4j-admin import write them, from the files names (read from
// files[name]). Each file's header tells whether it lists nodes or edges;
// column names are matched case-insensitively:
//
//   - node files: an id column ("id", ":ID", "companyId:ID(Company)"), a
//     name ("label" or "name"; the id when absent), a kind ("kind",
//     ":LABEL", "labels" or "type": a graph.Kinds value, any case, or
//     Organization/Organisation/Org for COMPANY; neo4j's "A;B" labels take
//     the first that is a kind), and optionally "country" (ISO-2),
//     "aliases" ("; "-separated) and "description";
//   - edge files: a source ("source", "from", ":START_ID"), a target
//     ("target", "to", ":END_ID") and a relation type (":TYPE",
//     "relation", "type" or "label": a graph.RelationTypes value, any case,
//     spaces or hyphens for underscores; Gephi's "Type" column of
//     Directed/Undirected is skipped for the next one), and optionally
//     "category" (required on SUPPLIES), "product", "status" (default
//     reported), "valid_from"/"validFrom", "valid_to"/"validTo" and "note".
//
// Every other column becomes an attribute (nodes) or property (edges) named
// in snake_case, typed by a neo4j suffix (":int", ":float", ":boolean",
// ":date") or else by its value (numbers and true/false; the rest are
// strings). Empty cells are skipped.
//
// A node's id is kept as its external id csv:ID, which is how a later load
// of the same files finds it again; when the id is also a chipgraph id
// ("smic"), an entity with that id is the node (so a graph exported as CSV
// loads back onto itself). Edges may name chipgraph ids that no node file
// lists. Node ids proposed for new entities are slugs of their names.
//
// The source is opt.SourceURL, or the first file as a file://localhost URL;
// the edition is opt.Edition or a digest of the files; its date is the
// edition when that is a date, and otherwise the day of loading.
func ReadCSVGraph(names []string, files map[string]io.Reader, opt Options) (*Dataset, error) {
	c, err := newCSVGraph(names, opt)
	if err != nil {
		return nil, err
	}
	var hashes []*hashReader
	// Node files are read first; edge files once every node file is, so
	// that edges find their nodes whatever the order of names.
	for _, name := range names {
		r := files[name]
		if r == nil {
			return nil, graph.Errorf(graph.CodeInvalid, name, "no such file")
		}
		h := newHashReader(r)
		hashes = append(hashes, h)
		if err := c.file(name, h); err != nil {
			return nil, err
		}
	}
	if len(c.errs.errs) == 0 {
		for _, pe := range c.edgeFiles {
			if err := c.edges(pe, c.collect); err != nil {
				return nil, err
			}
		}
	}
	if len(c.errs.errs) > 0 {
		return nil, c.errs.errs
	}
	var sums []string
	for _, h := range hashes {
		sums = append(sums, h.sum())
	}
	if err := c.finish(names, sums); err != nil {
		return nil, err
	}
	for i := range c.d.Relations {
		c.stamp(&c.d.Relations[i].Relation)
	}
	return c.d, nil
}

// openCSVGraph reads the node files at paths as ReadCSVGraph does, and
// gives the rows of the edge files through Dataset.more, reading them only
// then and one at a time, so that an edge list of millions of rows is
// never held (rows repeating an edge are merged by the load, not here).
// The edition digest is taken from the files first.
func openCSVGraph(paths []string, opt Options) (*Dataset, error) {
	c, err := newCSVGraph(paths, opt)
	if err != nil {
		return nil, err
	}
	var sums []string
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, openError(path, err)
		}
		h := newHashReader(f)
		_, err = io.Copy(io.Discard, h)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil {
			sums = append(sums, h.sum())
			err = c.file(path, f)
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(c.errs.errs) > 0 {
		return nil, c.errs.errs
	}
	if err := c.finish(paths, sums); err != nil {
		return nil, err
	}
	var edgeFiles []string
	for _, pe := range c.edgeFiles {
		edgeFiles = append(edgeFiles, pe.f.name)
	}
	c.d.more = func(fn func(DatasetRelation) error) error {
		// Read once: the node tables go when the rows are read, not when
		// the load that read them has committed.
		g := c
		c = nil
		if g == nil {
			return graph.Errorf(graph.CodeInternal, "csv", "the edge files were read already")
		}
		for _, path := range edgeFiles {
			if err := g.streamEdges(path, fn); err != nil {
				return err
			}
		}
		return g.errs.errs.Err()
	}
	return c.d, nil
}

// streamEdges reads the edge file at path again and calls fn with each of
// its relations until a row is wrong; the rest of the file is then only
// checked, for the errors to be reported together.
func (c *csvGraph) streamEdges(path string, fn func(DatasetRelation) error) error {
	f, err := os.Open(path)
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	c.edgeFiles = nil
	if err := c.file(path, f); err != nil {
		return err
	}
	if len(c.edgeFiles) != 1 {
		return graph.Errorf(graph.CodeInvalid, path, "the file changed while it was being loaded")
	}
	return c.edges(c.edgeFiles[0], func(r graph.Relation) error {
		if len(c.errs.errs) > 0 {
			return nil
		}
		c.stamp(&r)
		return fn(DatasetRelation{Relation: r})
	})
}

func newCSVGraph(names []string, opt Options) (*csvGraph, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, graph.Errorf(graph.CodeInvalid, "csv", "no file")
	}
	return &csvGraph{d: &Dataset{Name: "csv"}, opt: opt, nodes: map[string]int{}}, nil
}

// collect adds r to the dataset, merging a row that repeats an edge into
// the first.
func (c *csvGraph) collect(r graph.Relation) error {
	if c.edgeSeen == nil {
		c.edgeSeen = map[string]int{}
	}
	k := r.From + "\x00" + string(r.Type) + "\x00" + r.To
	if j, ok := c.edgeSeen[k]; ok {
		c.d.Relations[j].Origins = append(c.d.Relations[j].Origins, r.Origins...)
		return nil
	}
	c.edgeSeen[k] = len(c.d.Relations)
	c.d.Relations = append(c.d.Relations, DatasetRelation{Relation: r})
	return nil
}

// finish sets the dataset's edition (from the files' digests sums, or
// opt.Edition) and its source, and stamps the entities with them.
func (c *csvGraph) finish(names, sums []string) error {
	d, opt := c.d, c.opt
	d.Edition = "sha256-" + strings.Join(sums, "")
	if len(d.Edition) > 40 {
		d.Edition = "sha256-" + shortHash(strings.Join(sums, ""))
	}
	d.EditionDate = graph.Date{Year: time.Now().UTC().Year(), Month: int(time.Now().UTC().Month()), Day: time.Now().UTC().Day()}
	if opt.Edition != "" {
		d.Edition = opt.Edition
		if ed, err := graph.ParseDate(opt.Edition); err == nil {
			d.EditionDate = ed
		}
	}
	url := opt.SourceURL
	if url == "" {
		url = fileURL(names[0])
	} else if !isURL(url) {
		return graph.Errorf(graph.CodeInvalid, "source-url", "bad URL %q: want http(s)://...", url)
	}
	key := sourceKey(d.Name, d.Edition)
	d.Sources = []graph.Source{{Key: key, Title: "Node and edge lists " + strings.Join(baseNames(names), ", ") + ", edition " + d.Edition,
		URL: url, Publisher: "chipgraph user data", Published: d.EditionDate}}
	c.src = []string{key}
	for i := range d.Entities {
		e := &d.Entities[i]
		e.Sources = c.src
		for j := range e.Origins {
			e.Origins[j].Edition = d.Edition
		}
		for j := range e.Attributes {
			e.Attributes[j].Sources = c.src
		}
	}
	return nil
}

// stamp gives r the dataset's source and edition.
func (c *csvGraph) stamp(r *graph.Relation) {
	r.Sources = c.src
	for j := range r.Origins {
		r.Origins[j].Edition = c.d.Edition
	}
	for j := range r.Properties {
		r.Properties[j].Sources = c.src
	}
}

func baseNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Base(n)
	}
	return out
}

type csvGraph struct {
	d         *Dataset
	opt       Options
	nodes     map[string]int // file id -> index in d.Entities
	usedIDs   map[string]bool
	edgeFiles []*pendingEdges
	errs      errorList
	edgeSeen  map[string]int
	src       []string // the dataset's source key, once known
}

// pendingEdges is an edge file whose header was read; its rows are read
// once every node file is.
type pendingEdges struct {
	f    *csvFile
	cols csvColumns
}

// csvColumns are the roles of a file's columns.
type csvColumns struct {
	id, name, kind, country, aliases, desc    int
	source, target, category, product, status int
	from, to, note                            int
	types                                     []int // candidate relation type columns, in preference order
	extra                                     []csvExtra
}

type csvExtra struct {
	col  int
	name string
	typ  graph.AttrType // "" to infer
}

var (
	neoID    = regexp.MustCompile(`(?i)^[^:]*:id(\(.*\))?$`)
	neoStart = regexp.MustCompile(`(?i)^:start_id(\(.*\))?$`)
	neoEnd   = regexp.MustCompile(`(?i)^:end_id(\(.*\))?$`)
	snake    = regexp.MustCompile(`[^a-z0-9]+`)
	camel    = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	numberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

func isNodeHeader(cols map[string]bool) bool {
	for c := range cols {
		if c == "id" || neoID.MatchString(c) {
			return !cols["source"] && !cols[":start_id"]
		}
	}
	return false
}

func isEdgeHeader(cols map[string]bool) bool {
	hasS, hasT := false, false
	for c := range cols {
		switch {
		case c == "source" || c == "from" || neoStart.MatchString(c):
			hasS = true
		case c == "target" || c == "to" || neoEnd.MatchString(c):
			hasT = true
		}
	}
	return hasS && hasT
}

// attrName turns a header into a snake_case attribute name and the type its
// neo4j suffix gives.
func attrName(h string) (string, graph.AttrType) {
	base, suffix, _ := strings.Cut(h, ":")
	var t graph.AttrType
	switch strings.ToLower(strings.TrimSuffix(suffix, "[]")) {
	case "int", "long", "short", "byte", "float", "double":
		t = graph.AttrNumber
	case "boolean":
		t = graph.AttrBool
	case "date":
		t = graph.AttrDate
	case "string", "char":
		t = graph.AttrString
	}
	n := strings.Trim(snake.ReplaceAllString(strings.ToLower(camel.ReplaceAllString(base, "${1}_${2}")), "_"), "_")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "x_" + n
	}
	return strings.TrimSuffix(n, "_"), t
}

func (c *csvGraph) file(name string, r io.Reader) error {
	f, err := openCSV(name, r, c.opt, nil, nil)
	if err != nil {
		return err
	}
	cols := csvColumns{id: -1, name: -1, kind: -1, country: -1, aliases: -1, desc: -1, source: -1, target: -1,
		category: -1, product: -1, status: -1, from: -1, to: -1, note: -1}
	lower := map[string]bool{}
	for _, h := range f.header {
		lower[strings.ToLower(h)] = true
	}
	node, edge := isNodeHeader(lower), isEdgeHeader(lower)
	if node == edge {
		return f.fail(1, 1, "", "cannot tell a node list (an id or :ID column) from an edge list (source and target, or :START_ID and :END_ID)")
	}
	seen := map[string]bool{}
	for i, h := range f.header {
		l := strings.ToLower(h)
		set := func(p *int) bool {
			if *p >= 0 {
				return false
			}
			*p = i
			return true
		}
		ok := false
		if node {
			switch {
			case l == "id" || neoID.MatchString(l):
				ok = set(&cols.id)
			case l == "label" || l == "name":
				ok = set(&cols.name)
			case l == "kind" || l == ":label" || l == "labels" || l == "type":
				ok = set(&cols.kind)
			case l == "country":
				ok = set(&cols.country)
			case l == "aliases":
				ok = set(&cols.aliases)
			case l == "description":
				ok = set(&cols.desc)
			}
		} else {
			switch {
			case l == "source" || l == "from" || neoStart.MatchString(l):
				ok = set(&cols.source)
			case l == "target" || l == "to" || neoEnd.MatchString(l):
				ok = set(&cols.target)
			case l == ":type" || l == "relation" || l == "type" || l == "label":
				cols.types = append(cols.types, i)
				ok = true
			case l == "category":
				ok = set(&cols.category)
			case l == "product":
				ok = set(&cols.product)
			case l == "status":
				ok = set(&cols.status)
			case l == "valid_from" || l == "validfrom":
				ok = set(&cols.from)
			case l == "valid_to" || l == "validto":
				ok = set(&cols.to)
			case l == "note":
				ok = set(&cols.note)
			}
		}
		if ok {
			continue
		}
		n, t := attrName(h)
		if seen[n] {
			line, col := f.r.FieldPos(i)
			return f.fail(line, col, h, "column %q repeats attribute %q", h, n)
		}
		seen[n] = true
		cols.extra = append(cols.extra, csvExtra{col: i, name: n, typ: t})
	}
	if edge {
		if len(cols.types) == 0 {
			return f.fail(1, 1, "", "missing the relation type column (:TYPE, relation, type or label)")
		}
		// Prefer :TYPE, relation, then type, then label.
		rank := func(i int) int {
			switch strings.ToLower(f.header[i]) {
			case ":type":
				return 0
			case "relation":
				return 1
			case "type":
				return 2
			}
			return 3
		}
		for i := 1; i < len(cols.types); i++ {
			for j := i; j > 0 && rank(cols.types[j]) < rank(cols.types[j-1]); j-- {
				cols.types[j], cols.types[j-1] = cols.types[j-1], cols.types[j]
			}
		}
		c.edgeFiles = append(c.edgeFiles, &pendingEdges{f: f, cols: cols})
		return nil
	}
	return c.nodesOf(f, cols)
}

var kindSynonyms = map[string]graph.Kind{
	"ORGANIZATION": graph.KindCompany, "ORGANISATION": graph.KindCompany, "ORG": graph.KindCompany,
	"FIRM": graph.KindCompany, "CORPORATION": graph.KindCompany,
}

var underscores = strings.NewReplacer(" ", "_", "-", "_")

func parseKind(v string) (graph.Kind, bool) {
	for _, p := range strings.Split(v, ";") {
		k := strings.ToUpper(underscores.Replace(strings.TrimSpace(p)))
		if graph.Kind(k).Valid() {
			return graph.Kind(k), true
		}
		if s, ok := kindSynonyms[k]; ok {
			return s, true
		}
	}
	return "", false
}

func parseRelType(v string) (graph.RelationType, bool) {
	t := graph.RelationType(strings.ToUpper(underscores.Replace(strings.TrimSpace(v))))
	return t, t.Valid()
}

// csvTypedValue returns the canonical value of v as t, or inferred when t is "".
func csvTypedValue(t graph.AttrType, v string) (graph.AttrType, string, error) {
	switch t {
	case "":
		switch {
		case numberRe.MatchString(v):
			return graph.AttrNumber, v, nil
		case v == "true" || v == "false":
			return graph.AttrBool, v, nil
		}
		return graph.AttrString, v, nil
	case graph.AttrNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return t, "", fmt.Errorf("%q is not a number", v)
		}
		return t, strconv.FormatFloat(f, 'f', -1, 64), nil
	case graph.AttrBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return t, "", fmt.Errorf("%q is not true or false", v)
		}
		return t, strconv.FormatBool(b), nil
	case graph.AttrDate:
		if _, err := graph.ParseDate(v); err != nil {
			return t, "", err
		}
	}
	return t, v, nil
}

func (c *csvGraph) extras(f *csvFile, rec []string, cols []csvExtra) ([]graph.Attribute, bool) {
	var out []graph.Attribute
	for _, x := range cols {
		v := strings.TrimSpace(rec[x.col])
		if v == "" {
			continue
		}
		t, val, err := csvTypedValue(x.typ, v)
		if err != nil {
			line, col := f.r.FieldPos(x.col)
			c.errs.add(f.fail(line, col, f.header[x.col], "%v", err))
			return nil, false
		}
		out = append(out, graph.Attribute{Name: x.name, Type: t, Value: val})
	}
	return out, true
}

func (c *csvGraph) nodesOf(f *csvFile, cols csvColumns) error {
	if c.usedIDs == nil {
		c.usedIDs = map[string]bool{}
	}
	if cols.kind < 0 {
		return f.fail(1, 1, "", "missing the kind column (kind, :LABEL, labels or type)")
	}
	for {
		rec, err := f.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		col := func(i int) string {
			if i < 0 {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		id, name, kv := col(cols.id), col(cols.name), col(cols.kind)
		if id == "" {
			c.errs.add(f.failCol(f.header[cols.id], "required: the node id"))
			continue
		}
		if _, dup := c.nodes[id]; dup {
			c.errs.add(f.failCol(f.header[cols.id], "duplicate node id %q", id))
			continue
		}
		if name == "" {
			name = id
		}
		kind, ok := parseKind(kv)
		if !ok {
			c.errs.add(f.failCol(f.header[cols.kind], "unknown kind %q: want one of %v", kv, graph.Kinds))
			continue
		}
		e := graph.Entity{Kind: kind, Name: name, Description: col(cols.desc),
			ExternalIDs: []graph.ExternalID{{Scheme: "csv", Value: id}},
			Origins:     []graph.Origin{{Dataset: "csv", Record: f.at()}}}
		if graph.ValidID(id) {
			e.ExternalIDs = append(e.ExternalIDs, graph.ExternalID{Scheme: idScheme, Value: id})
		}
		if cc := strings.ToUpper(col(cols.country)); cc != "" {
			if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
				c.errs.add(f.failCol(f.header[cols.country], "bad country %q: want an ISO 3166-1 alpha-2 code", cc))
				continue
			}
			e.Country = cc
		}
		for _, a := range splitList(col(cols.aliases)) {
			addAlias(&e, a)
		}
		attrs, ok := c.extras(f, rec, cols.extra)
		if !ok {
			continue
		}
		e.Attributes = attrs
		base := Slug(name)
		e.ID = base
		for n := 2; c.usedIDs[e.ID]; n++ {
			e.ID = fmt.Sprintf("%s-%d", base, n)
		}
		c.usedIDs[e.ID] = true
		c.nodes[id] = len(c.d.Entities)
		c.d.Entities = append(c.d.Entities, e)
		if c.errs.full() {
			return c.errs.errs
		}
	}
}

// edges reads the rows of an edge file, calling emit with each relation.
func (c *csvGraph) edges(pe *pendingEdges, emit func(graph.Relation) error) error {
	f, cols := pe.f, pe.cols
	for {
		rec, err := f.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		col := func(i int) string {
			if i < 0 {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		endpoint := func(i int) (string, bool) {
			v := col(i)
			if v == "" {
				c.errs.add(f.failCol(f.header[i], "required"))
				return "", false
			}
			if n, ok := c.nodes[v]; ok {
				return c.d.Entities[n].ID, true
			}
			if graph.ValidID(v) {
				return v, true // a chipgraph id; the store must hold it
			}
			c.errs.add(f.failCol(f.header[i], "unknown node %q: not in the node files and not a chipgraph id", v))
			return "", false
		}
		from, ok1 := endpoint(cols.source)
		to, ok2 := endpoint(cols.target)
		if !ok1 || !ok2 {
			if c.errs.full() {
				return c.errs.errs
			}
			continue
		}
		var typ graph.RelationType
		found := false
		for _, i := range cols.types {
			if t, ok := parseRelType(col(i)); ok {
				typ, found = t, true
				break
			}
		}
		if !found {
			c.errs.add(f.failCol(f.header[cols.types[0]], "unknown relation type %q: want one of %v", col(cols.types[0]), graph.RelationTypes))
			continue
		}
		r := graph.Relation{Type: typ, From: from, To: to, Status: graph.StatusReported,
			Category: col(cols.category), Product: col(cols.product), Note: col(cols.note),
			Origins: []graph.Origin{{Dataset: "csv", Record: f.at()}}}
		if s := col(cols.status); s != "" {
			r.Status = graph.Status(strings.ToLower(s))
			if !r.Status.Valid() {
				c.errs.add(f.failCol(f.header[cols.status], "unknown status %q: want reported, confirmed, disputed or ended", s))
				continue
			}
		}
		if typ == graph.Supplies {
			if r.Category == "" {
				c.errs.add(f.fail(f.line(0), 1, "category", "required on SUPPLIES: one of %s", strings.Join(graph.SupplyCategories, ", ")))
				continue
			}
			r.Category = strings.ToLower(r.Category)
			if !containsString(graph.SupplyCategories, r.Category) {
				c.errs.add(f.failCol(f.header[cols.category], "unknown category %q: want one of %s", r.Category, strings.Join(graph.SupplyCategories, ", ")))
				continue
			}
		} else {
			r.Category = ""
		}
		bad := false
		for _, p := range []struct {
			i   int
			dst *graph.Date
		}{{cols.from, &r.ValidFrom}, {cols.to, &r.ValidTo}} {
			if v := col(p.i); v != "" {
				dt, err := graph.ParseDate(v)
				if err != nil {
					c.errs.add(f.failCol(f.header[p.i], "%v", err))
					bad = true
					break
				}
				*p.dst = dt
			}
		}
		if bad {
			continue
		}
		if from == to {
			c.errs.add(f.fail(f.line(0), 1, "", "an edge cannot join %q to itself", col(cols.source)))
			continue
		}
		props, ok := c.extras(f, rec, cols.extra)
		if !ok {
			continue
		}
		r.Properties = props
		if err := emit(r); err != nil {
			return err
		}
		if c.errs.full() {
			return c.errs.errs
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Package loaders moves chipgraph data between files and a graph.Store:
//
//   - the hand-curated YAML dataset (ReadCurated, ReadCuratedOS; the
//     embedded copy with OpenCurated), validated with file:line positions;
//   - public datasets (ReadDataset: ETO, the Consolidated Screening List,
//     the DoD 1260H list, FollowTheMoney, node and edge CSV), resolved
//     against what the store holds and applied as one batch (PlanLoad);
//   - N-Quads, the store's own quads (ImportNQuads, ExportNQuads);
//   - exports of a selection in every format (Export: GraphML, GEXF,
//     Cytoscape.js, node-link, CSV, N-Quads, FollowTheMoney), each fact
//     with its sources' titles, publishers and dates.
package loaders

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chipgraph/chipgraph/graph"
)

// Curated is a set of curated YAML files merged into one batch, with the
// file and line each part of the batch came from.
//
// A curated file is a YAML mapping with three optional lists:
//
//	sources:
//	  - key: huawei-ascend-2024         # slug; cited by the records below
//	    title: Ascend 910B launch
//	    url: https://example.com/a
//	    publisher: Huawei
//	    published: 2024-05-01            # YYYY, YYYY-MM or YYYY-MM-DD, as the document shows it;
//	                                     # n.d. when it shows none (then retrieved is required)
//	    retrieved: 2024-06               # optional, as are quote
//	entities:
//	  - id: huawei                       # slug
//	    kind: COMPANY                    # graph.Kinds
//	    name: Huawei
//	    aliases: [华为]
//	    country: CN
//	    description: ...
//	    externalIds: {wikidata: Q160120} # scheme: value
//	    attributes:
//	      - {name: founded, value: 1987, sources: [huawei-ascend-2024]}
//	    sources: [huawei-ascend-2024]
//	relations:
//	  - type: DESIGNS                    # graph.RelationTypes
//	    from: huawei
//	    to: ascend-910b
//	    status: confirmed
//	    sources: [huawei-ascend-2024]
//
// Attributes (entities[].attributes) and properties (relations[].properties)
// have the fields name, value, type, unit, asOf, status, note and sources.
// Their type (string, number, date or bool) is optional: it is inferred from
// the YAML value, so 7 and 5.5 are numbers, true a bool, an unquoted
// 2024-05-01 a date and anything else (including "2024-05-01" in quotes, or
// 2024-05) a string. A relation's id is optional and defaults to
// graph.DefaultRelationID(from, type, to); the other relation fields are id,
// category, product, properties, validFrom, validTo, firstReported (true
// when validFrom is only the date of the first report) and note.
//
// Every error names the file and line it is about and the field within the
// file, e.g. "data/chips.yaml:12: relations[4].to: unknown entity \"x\"",
// where relations[4] is the fifth relation of that file.
type Curated struct {
	// Batch holds every file's records: files in the order of Files,
	// records in file order.
	Batch graph.Batch
	// Files are the names of the files read, sorted, as error messages
	// print them.
	Files []string

	errs []located // parse errors, in file and line order
	pos  map[string]position
	bad  map[string]bool // batch paths that already have a parse error
}

// position is where a batch path came from: a file, a line, and the path of
// the same node within the file ("relations[4].to").
type position struct {
	file  int // index in Curated.Files
	line  int
	local string
}

// located is an error with the position it is sorted by.
type located struct {
	err  *graph.Error
	file int // -1 when unknown
	line int
}

// ReadCurated reads curated YAML files (see Curated) from fsys and merges them
// into one batch. Each path is a file, or a directory standing for its *.yaml
// and *.yml files (not its subdirectories). All files are read in the order
// of their names, whatever the order of paths. Error messages name files by
// their path in fsys as given ("data/chips.yaml" when the path was "data");
// use ReadCuratedOS for paths of the operating system.
//
// A path that cannot be read fails with a *graph.Error (CodeNotFound when it
// does not exist) and a nil Curated. Mistakes inside the files (invalid YAML,
// unknown fields, values of the wrong type, bad dates, duplicate ids) are
// returned together as graph.Errors, all of them, along with the Curated
// holding everything that could be read, so that Curated.Validate can report
// every remaining mistake in the same run.
func ReadCurated(fsys fs.FS, paths ...string) (*Curated, error) {
	var files []input
	for _, p := range paths {
		more, err := expand(fsys, path.Clean(p), p, path.Join)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return read(files)
}

// ReadCuratedOS is ReadCurated for paths of the operating system, relative
// to the working directory or absolute. Error messages print each path as
// given.
func ReadCuratedOS(paths ...string) (*Curated, error) {
	var files []input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, ioError(p, err)
		}
		dir, name := p, "."
		if !info.IsDir() {
			dir, name = filepath.Split(p)
			if dir == "" {
				dir = "."
			}
		}
		more, err := expand(os.DirFS(dir), name, p, filepath.Join)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return read(files)
}

// Validate checks the batch on its own and against existing (nil for an
// empty graph) with graph.Validate. It returns nil or graph.Errors holding
// every problem, the parse errors ReadCurated returned and the validation
// errors together, sorted by file and line, each with its file:line position.
// A field with a parse error is not reported again.
func (c *Curated) Validate(existing graph.Lookup) error {
	list := slices.Clone(c.errs)
	for _, e := range graph.Validate(&c.Batch, existing) {
		if c.suppressed(e.Path) {
			continue
		}
		list = append(list, c.locate(e))
	}
	slices.SortStableFunc(list, func(a, b located) int {
		if a.file < 0 || b.file < 0 {
			return cmp.Compare(b.file, a.file) // unknown positions last
		}
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	return errorsOf(list).Err()
}

func errorsOf(list []located) graph.Errors {
	out := make(graph.Errors, len(list))
	for i, l := range list {
		out[i] = l.err
	}
	return out
}

// Apply applies the batch to s atomically with s.Apply, rewriting the paths
// of the errors it returns ("relations[7].to") to file positions
// ("data/chips.yaml:12: relations[4].to"). If ReadCurated found mistakes it
// applies nothing and returns them.
func (c *Curated) Apply(ctx context.Context, s graph.Writer) (graph.ApplyResult, error) {
	if len(c.errs) > 0 {
		return graph.ApplyResult{}, errorsOf(c.errs)
	}
	res, err := s.Apply(ctx, c.Batch)
	switch e := err.(type) {
	case graph.Errors:
		out := make(graph.Errors, len(e))
		for i, x := range e {
			out[i] = c.locate(x).err
		}
		err = out
	case *graph.Error:
		err = c.locate(e).err
	}
	return res, err
}

// Locate returns the file position of a batch path such as
// "relations[7].sources[1]" as "data/chips.yaml:12: relations[4].sources[1]",
// using the line of the longest prefix of the path that is in a file (a
// field missing from a record gets the line of the record). ok is false when
// no prefix of path came from a file.
func (c *Curated) Locate(batchPath string) (where string, ok bool) {
	p, ok := c.lookup(batchPath)
	if !ok {
		return "", false
	}
	return c.where(p.file, p.line, p.local), true
}

func (c *Curated) lookup(batchPath string) (position, bool) {
	for prefix := batchPath; prefix != ""; {
		if p, ok := c.pos[prefix]; ok {
			p.local += batchPath[len(prefix):]
			return p, true
		}
		i := strings.LastIndexAny(prefix, ".[")
		if i < 0 {
			break
		}
		prefix = prefix[:i]
	}
	return position{}, false
}

// locate returns e with its batch path rewritten to a file position.
func (c *Curated) locate(e *graph.Error) located {
	p, ok := c.lookup(e.Path)
	if !ok {
		return located{err: e, file: -1}
	}
	e2 := *e
	e2.Path = c.where(p.file, p.line, p.local)
	return located{err: &e2, file: p.file, line: p.line}
}

func (c *Curated) where(file, line int, local string) string {
	s := c.Files[file]
	if line > 0 {
		s += ":" + strconv.Itoa(line)
	}
	if local != "" {
		s += ": " + local
	}
	return s
}

// suppressed reports whether a validation error at batchPath repeats a parse
// error: one was reported at the path or at a prefix of it.
func (c *Curated) suppressed(batchPath string) bool {
	for prefix := batchPath; prefix != ""; {
		if c.bad[prefix] {
			return true
		}
		i := strings.LastIndexAny(prefix, ".[")
		if i < 0 {
			break
		}
		prefix = prefix[:i]
	}
	return false
}

// input is one file to read.
type input struct {
	fsys    fs.FS
	name    string // in fsys
	display string // in messages
}

// expand turns a path into the files it stands for.
func expand(fsys fs.FS, name, display string, join func(...string) string) ([]input, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, ioError(display, err)
	}
	if !info.IsDir() {
		return []input{{fsys, name, display}}, nil
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, ioError(display, err)
	}
	var out []input
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		out = append(out, input{fsys, path.Join(name, e.Name()), join(display, e.Name())})
	}
	if len(out) == 0 {
		return nil, &graph.Error{Code: graph.CodeNotFound, Path: display, Msg: "no .yaml or .yml files in directory"}
	}
	return out, nil
}

func ioError(display string, err error) error {
	code := graph.CodeInternal
	switch {
	case errors.Is(err, fs.ErrNotExist):
		code = graph.CodeNotFound
	case errors.Is(err, fs.ErrInvalid):
		code = graph.CodeInvalid // a path fs.FS does not accept, such as "../x"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	e := &graph.Error{Code: code, Path: display, Msg: "cannot read", Err: err}
	if code == graph.CodeInternal {
		e.Op = "loaders.ReadCurated"
	}
	return e
}

// read parses files into one Curated.
func read(files []input) (*Curated, error) {
	slices.SortStableFunc(files, func(a, b input) int { return strings.Compare(a.display, b.display) })
	files = slices.CompactFunc(files, func(a, b input) bool { return a.display == b.display })
	c := &Curated{pos: map[string]position{}, bad: map[string]bool{}}
	r := &reader{c: c, seen: map[string]string{}}
	for i, f := range files {
		data, err := fs.ReadFile(f.fsys, f.name)
		if err != nil {
			return nil, ioError(f.display, err)
		}
		c.Files = append(c.Files, f.display)
		r.file = i
		r.parseFile(data)
	}
	return c, errorsOf(c.errs).Err()
}

// reader walks the YAML nodes of one file after another.
type reader struct {
	c    *Curated
	file int
	seen map[string]string // "entity x", "relation y", "source z" -> where first defined
}

// loc is a path both in the batch ("entities[7].kind") and in the file
// ("entities[2].kind"). An empty batch path means the node is not in the
// batch (an unknown field, a record that is not a mapping).
type loc struct{ batch, local string }

func (l loc) field(name string) loc {
	b := ""
	if l.batch != "" {
		b = l.batch + "." + name
	}
	local := name
	if l.local != "" {
		local = l.local + "." + name
	}
	return loc{b, local}
}

func (l loc) index(i int) loc {
	b := ""
	if l.batch != "" {
		b = fmt.Sprintf("%s[%d]", l.batch, i)
	}
	return loc{b, fmt.Sprintf("%s[%d]", l.local, i)}
}

// mark records that l is at line.
func (r *reader) mark(l loc, line int) {
	if l.batch != "" {
		r.c.pos[l.batch] = position{r.file, line, l.local}
	}
}

// fail reports a mistake at l on line, and marks l so that Validate does not
// report it again.
func (r *reader) fail(l loc, line int, format string, args ...any) {
	e := &graph.Error{
		Code: graph.CodeInvalid,
		Path: r.c.where(r.file, line, l.local),
		Msg:  fmt.Sprintf(format, args...),
	}
	r.c.errs = append(r.c.errs, located{e, r.file, line})
	if l.batch != "" {
		r.c.bad[l.batch] = true
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the messages of yaml's parser (as opposed to its
// scanner), whose "line N" counts from 0.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

func (r *reader) parseFile(data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err != io.EOF { // io.EOF: an empty file
			r.syntaxError(err)
		}
		return
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		r.fail(loc{}, extra.Line, "a second YAML document (after ---): put everything in one document")
	case err != io.EOF:
		r.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return
	}
	root := deref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return
	}
	if root.Kind != yaml.MappingNode {
		r.fail(loc{}, root.Line, "want a mapping with sources, entities and relations, got %s", describe(root))
		return
	}
	r.fields(loc{}, root, []string{"sources", "entities", "relations"}, func(key string, k, v *yaml.Node) {
		top := loc{local: key}
		items, ok := r.list(top, k, v)
		if !ok {
			return
		}
		for i, item := range items {
			l := top.index(i)
			item = deref(item)
			if item.Kind != yaml.MappingNode {
				r.fail(l, item.Line, "want a mapping, got %s", describe(item))
				continue
			}
			switch key {
			case "sources":
				l.batch = fmt.Sprintf("sources[%d]", len(r.c.Batch.Sources))
				r.mark(l, item.Line)
				r.c.Batch.Sources = append(r.c.Batch.Sources, r.source(l, item))
			case "entities":
				l.batch = fmt.Sprintf("entities[%d]", len(r.c.Batch.Entities))
				r.mark(l, item.Line)
				r.c.Batch.Entities = append(r.c.Batch.Entities, r.entity(l, item))
			case "relations":
				l.batch = fmt.Sprintf("relations[%d]", len(r.c.Batch.Relations))
				r.mark(l, item.Line)
				r.c.Batch.Relations = append(r.c.Batch.Relations, r.relation(l, item))
			}
		}
	})
}

// syntaxError reports an error of the YAML parser at its line.
func (r *reader) syntaxError(err error) {
	line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(yamlParserProblems, msg) {
			line++
		}
	}
	r.fail(loc{}, line, "invalid YAML: %s", msg)
}

// fields calls fn for each key of mapping m in order, after checking that the
// key is a string, is not repeated and, when known is not nil, is one of
// known. It marks the position of each field.
func (r *reader) fields(l loc, m *yaml.Node, known []string, fn func(key string, k, v *yaml.Node)) {
	first := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			r.fail(l, k.Line, "want a string key, got %s", describe(k))
			continue
		}
		key := k.Value
		fl := l.field(key)
		if line, ok := first[key]; ok {
			fl.batch = ""
			r.fail(fl, k.Line, "%q repeated (first at line %d)", key, line)
			continue
		}
		first[key] = k.Line
		if known != nil && !slices.Contains(known, key) {
			fl.batch = ""
			r.fail(fl, k.Line, "unknown field %q%s", key, hint(key, known))
			continue
		}
		r.mark(fl, k.Line)
		fn(key, k, v)
	}
}

// hint suggests the known field a misspelt key probably meant.
func hint(key string, known []string) string {
	fold := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	for _, f := range known {
		if fold(f) == fold(key) {
			return fmt.Sprintf(": did you mean %q?", f)
		}
	}
	return fmt.Sprintf(": want one of %s", strings.Join(known, ", "))
}

// deref follows YAML aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names the YAML type of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!bool":
			return "bool " + n.Value
		case "!!timestamp":
			return "date " + n.Value
		case "!!str":
			return strconv.Quote(n.Value)
		}
		return n.ShortTag() + " " + strconv.Quote(n.Value)
	}
	return "an unsupported YAML node"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// list returns the items of the sequence v (nil for a YAML null).
func (r *reader) list(l loc, k, v *yaml.Node) ([]*yaml.Node, bool) {
	if isNull(v) {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		r.fail(l, k.Line, "want a list, got %s", describe(v))
		return nil, false
	}
	return v.Content, true
}

// str returns the text of the scalar v ("" for a YAML null).
func (r *reader) str(l loc, k, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		r.fail(l, k.Line, "want a string, got %s", describe(v))
		return ""
	}
	if isNull(v) {
		return ""
	}
	return v.Value
}

// strs returns the texts of the sequence of scalars v.
func (r *reader) strs(l loc, k, v *yaml.Node) []string {
	items, ok := r.list(l, k, v)
	if !ok {
		return nil
	}
	var out []string
	for i, item := range items {
		il := l.index(i)
		item = deref(item)
		r.mark(il, item.Line)
		out = append(out, r.str(il, item, item))
	}
	return out
}

// bool returns the YAML boolean v (true or false; a null is false).
func (r *reader) bool(l loc, k, v *yaml.Node) bool {
	if isNull(v) {
		return false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || (v.Value != "true" && v.Value != "false") {
		r.fail(l, k.Line, "want true or false, got %s", describe(v))
		return false
	}
	return v.Value == "true"
}

// date parses the scalar v as a graph.Date. Unquoted YAML dates and years
// are read from their text.
func (r *reader) date(l loc, k, v *yaml.Node) graph.Date {
	s := r.str(l, k, v)
	if v.Kind == yaml.ScalarNode {
		switch v.ShortTag() {
		case "!!bool", "!!float":
			r.fail(l, k.Line, "want a date (YYYY, YYYY-MM or YYYY-MM-DD), got %s", describe(v))
			return graph.Date{}
		}
	}
	d, err := graph.ParseDate(s)
	if err != nil {
		r.fail(l, k.Line, "%v", err)
	}
	return d
}

func (r *reader) source(l loc, m *yaml.Node) graph.Source {
	var s graph.Source
	var keyLine int
	r.fields(l, m, []string{"key", "title", "url", "publisher", "published", "retrieved", "quote"}, func(key string, k, v *yaml.Node) {
		fl := l.field(key)
		switch key {
		case "key":
			s.Key, keyLine = r.str(fl, k, v), k.Line
		case "title":
			s.Title = r.str(fl, k, v)
		case "url":
			s.URL = r.str(fl, k, v)
		case "publisher":
			s.Publisher = r.str(fl, k, v)
		case "published":
			switch {
			case v.Kind == yaml.ScalarNode && v.Value == "n.d.":
				s.Undated = true
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
				if d, err := graph.ParseDate(v.Value); err == nil {
					s.Published = d
				} else {
					r.fail(fl, k.Line, "bad date %q: want YYYY, YYYY-MM, YYYY-MM-DD or n.d. (the document shows no date)", v.Value)
				}
			default:
				s.Published = r.date(fl, k, v)
			}
		case "retrieved":
			s.Retrieved = r.date(fl, k, v)
		case "quote":
			s.Quote = r.str(fl, k, v)
		}
	})
	r.unique(l.field("key"), keyLine, "source key", s.Key)
	return s
}

// unique reports a record key defined twice, also across files.
func (r *reader) unique(l loc, line int, what, key string) {
	if key == "" {
		return
	}
	id := what + " " + key
	if first, ok := r.seen[id]; ok {
		r.fail(l, line, "duplicate %s %q (first defined at %s)", what, key, first)
		return
	}
	r.seen[id] = r.c.where(r.file, line, "")
}

func (r *reader) entity(l loc, m *yaml.Node) graph.Entity {
	var e graph.Entity
	idLine := m.Line
	r.fields(l, m, []string{"id", "kind", "name", "aliases", "country", "description", "externalIds", "attributes", "sources"}, func(key string, k, v *yaml.Node) {
		fl := l.field(key)
		switch key {
		case "id":
			e.ID, idLine = r.str(fl, k, v), k.Line
		case "kind":
			e.Kind = graph.Kind(r.str(fl, k, v))
		case "name":
			e.Name = r.str(fl, k, v)
		case "aliases":
			e.Aliases = r.strs(fl, k, v)
		case "country":
			e.Country = r.str(fl, k, v)
		case "description":
			e.Description = r.str(fl, k, v)
		case "externalIds":
			e.ExternalIDs = r.externalIDs(fl, k, v)
		case "attributes":
			e.Attributes = r.attributes(fl, k, v)
		case "sources":
			e.Sources = r.strs(fl, k, v)
		}
	})
	r.unique(l.field("id"), idLine, "entity id", e.ID)
	return e
}

// externalIDs reads a mapping scheme -> value into a list sorted by scheme.
// In the file, the path of each is externalIds.<scheme>.
func (r *reader) externalIDs(l loc, k, v *yaml.Node) []graph.ExternalID {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		r.fail(l, k.Line, "want a mapping of scheme to id, got %s", describe(v))
		return nil
	}
	type item struct {
		id   graph.ExternalID
		line int
	}
	var items []item
	r.fields(loc{local: l.local}, v, nil, func(scheme string, sk, sv *yaml.Node) {
		items = append(items, item{graph.ExternalID{Scheme: scheme, Value: r.str(loc{local: l.local + "." + scheme}, sk, sv)}, sk.Line})
	})
	slices.SortStableFunc(items, func(a, b item) int { return strings.Compare(a.id.Scheme, b.id.Scheme) })
	out := make([]graph.ExternalID, len(items))
	for i, it := range items {
		out[i] = it.id
		r.mark(loc{fmt.Sprintf("%s[%d]", l.batch, i), l.local + "." + it.id.Scheme}, it.line)
	}
	return out
}

func (r *reader) attributes(l loc, k, v *yaml.Node) []graph.Attribute {
	items, ok := r.list(l, k, v)
	if !ok {
		return nil
	}
	var out []graph.Attribute
	for i, item := range items {
		il := l.index(i)
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			il.batch = ""
			r.fail(il, item.Line, "want a mapping, got %s", describe(item))
			continue
		}
		il = loc{fmt.Sprintf("%s[%d]", l.batch, len(out)), il.local}
		r.mark(il, item.Line)
		out = append(out, r.attribute(il, item))
	}
	return out
}

func (r *reader) attribute(l loc, m *yaml.Node) graph.Attribute {
	var a graph.Attribute
	var valueKey, value *yaml.Node
	typeOK := true
	r.fields(l, m, []string{"name", "value", "type", "unit", "asOf", "status", "note", "sources"}, func(key string, k, v *yaml.Node) {
		fl := l.field(key)
		switch key {
		case "name":
			a.Name = r.str(fl, k, v)
		case "value":
			valueKey, value = k, v
		case "type":
			if v.Kind != yaml.ScalarNode || isNull(v) {
				a.Type = graph.AttrType(r.str(fl, k, v)) // "" for null: infer
				typeOK = v.Kind == yaml.ScalarNode
			} else if a.Type = graph.AttrType(v.Value); !slices.Contains(graph.AttrTypes, a.Type) {
				r.fail(fl, k.Line, "unknown attribute type %q: want string, number, date or bool", a.Type)
				typeOK = false
			}
		case "unit":
			a.Unit = r.str(fl, k, v)
		case "asOf":
			a.AsOf = r.date(fl, k, v)
		case "status":
			a.Status = graph.Status(r.str(fl, k, v))
		case "note":
			a.Note = r.str(fl, k, v)
		case "sources":
			a.Sources = r.strs(fl, k, v)
		}
	})
	vl := l.field("value")
	if !typeOK {
		r.c.bad[vl.batch] = true // the value cannot be checked
		return a
	}
	if value == nil {
		r.fail(vl, m.Line, "value is required")
		return a
	}
	if value.Kind != yaml.ScalarNode {
		r.fail(vl, valueKey.Line, "want a value, got %s", describe(value))
		return a
	}
	var err error
	a.Type, a.Value, err = typedValue(a.Type, value)
	if err != nil {
		r.fail(vl, valueKey.Line, "%v", err)
	}
	return a
}

// typedValue returns the type and canonical text of the scalar v: t when
// given, else the type inferred from v's YAML tag.
func typedValue(t graph.AttrType, v *yaml.Node) (graph.AttrType, string, error) {
	tag := v.ShortTag()
	if tag == "!!null" {
		return t, "", errors.New("value is required")
	}
	if t == "" {
		switch tag {
		case "!!int", "!!float":
			t = graph.AttrNumber
		case "!!bool":
			t = graph.AttrBool
		case "!!timestamp":
			t = graph.AttrDate
		case "!!str":
			t = graph.AttrString
		default:
			return t, v.Value, fmt.Errorf("cannot infer the type of %s: give a type", describe(v))
		}
	}
	s := v.Value
	switch t {
	case graph.AttrString:
		return t, s, nil
	case graph.AttrNumber:
		if tag == "!!bool" || tag == "!!timestamp" {
			return t, s, fmt.Errorf("want a number, got %s", describe(v))
		}
		n, ok := canonNumber(s)
		if !ok {
			return t, s, fmt.Errorf("%q is not a number", s)
		}
		return t, n, nil
	case graph.AttrBool:
		if tag == "!!bool" {
			s = strings.ToLower(s)
		}
		if s != "true" && s != "false" {
			return t, s, fmt.Errorf("want a bool (true or false), got %s", describe(v))
		}
		return t, s, nil
	case graph.AttrDate:
		if tag == "!!bool" || tag == "!!float" {
			return t, s, fmt.Errorf("want a date (YYYY, YYYY-MM or YYYY-MM-DD), got %s", describe(v))
		}
		d, err := graph.ParseDate(s)
		if err != nil || s == "" {
			return t, s, fmt.Errorf("%q is not a date: want YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
		return t, d.String(), nil
	}
	return t, s, fmt.Errorf("unknown attribute type %q", t)
}

var decimal = regexp.MustCompile(`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// canonNumber returns the decimal text of a YAML number: decimal text as
// written (without a leading +), 0x/0o/0b integers in decimal.
func canonNumber(s string) (string, bool) {
	if decimal.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return s, false
		}
		return strings.TrimPrefix(s, "+"), true
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	return s, false
}

func (r *reader) relation(l loc, m *yaml.Node) graph.Relation {
	var rel graph.Relation
	idLine := m.Line
	r.fields(l, m, []string{"id", "type", "from", "to", "category", "product", "properties", "validFrom", "validTo", "firstReported", "status", "note", "sources"}, func(key string, k, v *yaml.Node) {
		fl := l.field(key)
		switch key {
		case "id":
			rel.ID, idLine = r.str(fl, k, v), k.Line
		case "type":
			rel.Type = graph.RelationType(r.str(fl, k, v))
		case "from":
			rel.From = r.str(fl, k, v)
		case "to":
			rel.To = r.str(fl, k, v)
		case "category":
			rel.Category = r.str(fl, k, v)
		case "product":
			rel.Product = r.str(fl, k, v)
		case "properties":
			rel.Properties = r.attributes(fl, k, v)
		case "validFrom":
			rel.ValidFrom = r.date(fl, k, v)
		case "validTo":
			rel.ValidTo = r.date(fl, k, v)
		case "firstReported":
			rel.FirstReported = r.bool(fl, k, v)
		case "status":
			rel.Status = graph.Status(r.str(fl, k, v))
		case "note":
			rel.Note = r.str(fl, k, v)
		case "sources":
			rel.Sources = r.strs(fl, k, v)
		}
	})
	idl := l.field("id")
	if rel.ID == "" {
		if rel.From == "" || rel.To == "" || rel.Type == "" {
			// Validate reports the missing endpoint or type; a
			// made-up id would only add noise.
			r.c.bad[idl.batch] = true
			return rel
		}
		rel.ID = graph.DefaultRelationID(rel.From, rel.Type, rel.To)
		if _, dup := r.seen["relation id "+rel.ID]; dup {
			r.fail(idl, idLine, "duplicate relation %q (first defined at %s): give one of them an id", rel.ID, r.seen["relation id "+rel.ID])
			return rel
		}
	}
	r.unique(idl, idLine, "relation id", rel.ID)
	return rel
}

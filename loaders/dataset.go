package loaders

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/chipgraph/chipgraph/graph"
)

// Dataset is one edition of an external dataset (ETO, the Consolidated
// Screening List, the DoD 1260H list, ...) read into chipgraph records but
// not yet resolved against a store: entity ids are the loader's proposals
// and relations point at them. PlanLoad resolves a Dataset against a store,
// merging records that denote entities already there.
//
// Every record carries one graph.Origin per dataset row it came from
// (Dataset = Name, Edition = Edition, Record = "FILE:LINE") and cites
// Sources[0], the graph.Source describing this edition (or, for the CSL,
// the source of its list in this edition).
type Dataset struct {
	// Name is the loader's format name: "dod1260h", "csl", "eto", "csv",
	// "ftm". It is graph.Origin.Dataset.
	Name string
	// Edition names the version of the dataset: a date when the data has
	// one, otherwise a digest of its files.
	Edition string
	// EditionDate is the date relations that disappeared from the dataset
	// since an earlier edition are closed with (graph.Relation.ValidTo).
	EditionDate graph.Date
	// Sources describe this edition; their keys start with
	// "ds-NAME-EDITION" (see sourceKey).
	Sources []graph.Source
	// Skipped counts rows left out on purpose (filtered out, or of a kind
	// chipgraph does not model, such as individuals), by reason.
	Skipped map[string]int
	// Entities are the entity records. Their ID is the proposed id, unique
	// within the dataset, which relations use.
	Entities []graph.Entity
	// Relations are the relation records; see DatasetRelation.
	Relations []DatasetRelation
	// more, when set, streams further relation records from files too
	// large to hold (ReadDataset's CSV edge lists): it calls fn with each
	// record in turn, stops at fn's first error, and returns the files'
	// own errors (all of them, up to maxErrors) once read. Only Load and
	// PlanLoad read it, once.
	more func(fn func(DatasetRelation) error) error
}

// DatasetRelation is a relation record of a Dataset. Relation.ID is left
// empty: PlanLoad sets it to graph.DefaultRelationID of the resolved
// endpoints followed by Suffix (e.g. "--2021-06-03" for one of several
// designations of the same company), so that ids stay stable across
// editions and runs. Only a record chipgraph exported itself (an FtM line
// carrying its chipgraph record) comes with its ID, which PlanLoad keeps
// while its endpoints resolve to themselves.
type DatasetRelation struct {
	graph.Relation
	Suffix string
}

// Options tune how external datasets are read.
type Options struct {
	// Encoding of CSV files: "" or "utf-8" (the default; invalid UTF-8 is
	// an error naming the line), or "latin1" (ISO 8859-1, transcoded).
	Encoding string
	// Edition overrides the edition a loader would derive from the data.
	Edition string
	// Lists keeps only CSL rows whose source list matches one of these,
	// case-insensitively, by full name or by the abbreviation in
	// parentheses ("Entity List (EL) - Bureau of Industry and Security"
	// matches "EL" and "entity list (el) - bureau of industry and
	// security"). Empty keeps every list.
	Lists []string
	// Countries keeps only CSL rows with an address, citizenship or
	// nationality in one of these ISO 3166-1 alpha-2 codes. Empty keeps
	// every row.
	Countries []string
	// SourceURL is the public home of generic CSV or FollowTheMoney data,
	// cited by the dataset's source.
	SourceURL string
	// MaxRecordBytes bounds one CSV record or JSON value; 0 means
	// DefaultMaxRecordBytes. Larger ones are an error, so memory stays
	// bounded whatever the input.
	MaxRecordBytes int
}

// DefaultMaxRecordBytes is the default bound on one CSV record (and so on
// one field) or one JSON value.
const DefaultMaxRecordBytes = 1 << 20

// maxErrors bounds how many record-level errors one file reports.
const maxErrors = 50

func (o Options) maxRecord() int64 {
	if o.MaxRecordBytes > 0 {
		return int64(o.MaxRecordBytes)
	}
	return DefaultMaxRecordBytes
}

func (o Options) check() error {
	switch strings.ToLower(o.Encoding) {
	case "", "utf-8", "utf8", "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return nil
	}
	return graph.Errorf(graph.CodeInvalid, "encoding", "unknown encoding %q: want utf-8 or latin1", o.Encoding)
}

func (o Options) latin1() bool {
	switch strings.ToLower(o.Encoding) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return true
	}
	return false
}

// errTooLong is returned by capReader once more than max bytes were read
// since the last reset.
var errTooLong = errors.New("record too long")

// capReader fails once more than max bytes were read since its last reset;
// readers reset it after every record, which bounds the memory one record
// can take however the input is built.
type capReader struct {
	r      io.Reader
	n, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, errTooLong
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *capReader) reset() { c.n = 0 }

// stripBOM returns r without a leading UTF-8 byte order mark.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return br
}

// csvFile reads a CSV file with a header row, checking the header, field
// counts, UTF-8 and record sizes, and reporting errors as
// "FILE:LINE:COL: column".
type csvFile struct {
	name   string
	r      *csv.Reader
	cap    *capReader
	header []string
	col    map[string]int
	max    int64
	latin1 bool
	// nextLine is the line after the last record read, for errors of the
	// underlying reader, which encoding/csv returns without a position.
	nextLine int
}

// openCSV reads the header of the CSV file name from r. Columns in required
// must all be present; columns not in required or optional are an error
// (a nil optional allows any other column).
func openCSV(name string, r io.Reader, opt Options, required, optional []string) (*csvFile, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	f := &csvFile{name: name, max: opt.maxRecord(), latin1: opt.latin1()}
	var in io.Reader = r
	if f.latin1 {
		in = charmap.ISO8859_1.NewDecoder().Reader(in)
	}
	// The cap sits under the BOM reader and csv's own buffer, which read
	// ahead at most a few KiB; the slack keeps legitimate records at the
	// limit readable.
	f.cap = &capReader{r: in, max: f.max + 64<<10}
	f.r = csv.NewReader(stripBOM(f.cap))
	f.r.ReuseRecord = true
	f.r.LazyQuotes = false
	hdr, err := f.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, f.fail(1, 1, "", "empty file: want a header row")
		}
		return nil, f.readError(err)
	}
	if err := f.checkRecord(hdr); err != nil {
		return nil, err
	}
	f.r.FieldsPerRecord = len(hdr)
	f.header = make([]string, len(hdr))
	f.col = map[string]int{}
	var errs graph.Errors
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		f.header[i] = h
		line, col := f.r.FieldPos(i)
		if _, dup := f.col[h]; dup {
			errs = append(errs, f.fail(line, col, h, "duplicate column %q", h))
			continue
		}
		if optional != nil && !slices.Contains(required, h) && !slices.Contains(optional, h) {
			errs = append(errs, f.fail(line, col, h, "unknown column %q: want %s", h, strings.Join(append(slices.Clone(required), optional...), ", ")))
		}
		f.col[h] = i
	}
	for _, h := range required {
		if _, ok := f.col[h]; !ok {
			errs = append(errs, f.fail(1, 1, "", "missing column %q", h))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	f.advance(hdr)
	return f, nil
}

// next returns the next record, io.EOF at the end, or an error that ends the
// file. The record is reused by the following call.
func (f *csvFile) next() ([]string, error) {
	rec, err := f.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, f.readError(err)
	}
	if err := f.checkRecord(rec); err != nil {
		return nil, err
	}
	f.advance(rec)
	return rec, nil
}

// advance notes that rec was read whole.
func (f *csvFile) advance(rec []string) {
	f.cap.reset()
	line, _ := f.r.FieldPos(len(rec) - 1)
	f.nextLine = line + strings.Count(rec[len(rec)-1], "\n") + 1
}

func (f *csvFile) checkRecord(rec []string) error {
	size := 0
	for i, v := range rec {
		size += len(v)
		if int64(len(v)) > f.max {
			line, col := f.r.FieldPos(i)
			return f.fail(line, col, f.colName(i), "field of %d bytes is over the limit of %d", len(v), f.max)
		}
		if !f.latin1 && !utf8.ValidString(v) {
			line, col := f.r.FieldPos(i)
			return f.fail(line, col, f.colName(i), "invalid UTF-8 (for a Latin-1 file use --encoding latin1)")
		}
	}
	if int64(size) > f.max {
		line, col := f.r.FieldPos(0)
		return f.fail(line, col, "", "record of %d bytes is over the limit of %d", size, f.max)
	}
	return nil
}

func (f *csvFile) colName(i int) string {
	if i < len(f.header) {
		return f.header[i]
	}
	return ""
}

// line returns the line where field i of the last record starts.
func (f *csvFile) line(i int) int {
	l, _ := f.r.FieldPos(i)
	return l
}

// at returns "FILE:LINE" for the last record, for graph.Origin.Record.
func (f *csvFile) at() string { return fmt.Sprintf("%s:%d", f.name, f.line(0)) }

// get returns the trimmed value of column name in rec, "" when the file has
// no such column.
func (f *csvFile) get(rec []string, name string) string {
	i, ok := f.col[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// failCol is an error about column name of the last record.
func (f *csvFile) failCol(name, format string, args ...any) *graph.Error {
	i := f.col[name]
	line, col := f.r.FieldPos(i)
	return f.fail(line, col, name, format, args...)
}

func (f *csvFile) fail(line, col int, field, format string, args ...any) *graph.Error {
	p := fmt.Sprintf("%s:%d:%d", f.name, line, col)
	if field != "" {
		p += ": " + field
	}
	return &graph.Error{Code: graph.CodeInvalid, Path: p, Msg: fmt.Sprintf(format, args...)}
}

// readError turns an error of encoding/csv or of the underlying reader into
// a *graph.Error with file, line and column.
func (f *csvFile) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, errTooLong) {
			return f.fail(pe.StartLine, 1, "", "record over the limit of %d bytes (a runaway quoted field or not a CSV file?)", f.max)
		}
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Sprintf("wrong number of fields: the header has %d (a truncated or misaligned row?)", f.r.FieldsPerRecord)
		}
		return f.fail(pe.Line, pe.Column, "", "%s", msg)
	}
	line := max(f.nextLine, 1)
	if errors.Is(err, errTooLong) {
		return f.fail(line, 1, "", "record starting here is over the limit of %d bytes (a runaway quoted field or not a CSV file?)", f.max)
	}
	return &graph.Error{Code: graph.CodeInvalid, Path: fmt.Sprintf("%s:%d", f.name, line), Msg: "reading failed: " + err.Error()}
}

// errorList collects record errors up to maxErrors.
type errorList struct{ errs graph.Errors }

func (l *errorList) add(e *graph.Error) bool {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, e)
	}
	return len(l.errs) < maxErrors
}

func (l *errorList) full() bool { return len(l.errs) >= maxErrors }

// ---- ids and names ----

// Slug makes an entity id from a name: lower-case ASCII letters and digits
// separated by single hyphens. Accents are dropped (é -> e); when letters
// outside ASCII (Han, Cyrillic, ...) are lost, a short hash of the name is
// appended so different names keep different ids. The result is stable
// across runs and at most 80 characters.
func Slug(name string) string {
	var b strings.Builder
	lost := false
	hyphen := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			hyphen = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
			hyphen = false
		case unicode.Is(unicode.Mn, r):
			// combining accent: drop
		case r == '&':
			if b.Len() > 0 && !hyphen {
				b.WriteByte('-')
			}
			b.WriteString("and-")
			hyphen = true
		default:
			if r > unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				lost = true
			}
			if b.Len() > 0 && !hyphen {
				b.WriteByte('-')
				hyphen = true
			}
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 70 {
		s = strings.Trim(s[:70], "-")
	}
	if lost || s == "" {
		h := shortHash(name)
		if s == "" {
			return "x-" + h
		}
		return s + "-" + h
	}
	return s
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// legalForms are trailing words of company names that do not tell companies
// apart; NameKey drops them.
var legalForms = map[string]bool{
	"co": true, "company": true, "ltd": true, "limited": true, "inc": true,
	"incorporated": true, "corp": true, "corporation": true, "llc": true,
	"plc": true, "gmbh": true, "ag": true, "sa": true, "bv": true, "nv": true,
	"kk": true, "pte": true, "pty": true, "srl": true, "spa": true, "ab": true,
	"oy": true, "sarl": true, "lp": true, "llp": true,
}

// hanLegalForms are Chinese legal-form suffixes, longest first.
var hanLegalForms = []string{"股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司"}

// NameKey is the key names are matched by: graph.Normalize after dropping
// trailing legal forms ("Co., Ltd.", "Inc.", "Corporation", "Limited",
// 有限公司, 股份有限公司 ...), so "SMIC Holdings Limited" and "SMIC
// Holdings" share a key. A name made only of legal forms keeps them.
func NameKey(name string) string {
	s := strings.ToLower(norm.NFKC.String(name))
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && legalForms[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	// Drop a trailing "and" left by "Co. and Ltd" style names? No: only
	// legal forms go, so keys stay conservative.
	k := graph.Normalize(strings.Join(words, " "))
	for _, f := range hanLegalForms {
		if strings.HasSuffix(k, f) && len(k) > len(f) {
			k = strings.TrimSuffix(k, f)
			break
		}
	}
	if k == "" {
		return graph.Normalize(name)
	}
	return k
}

// splitList splits a multi-valued cell ("a; b;c") into trimmed, non-empty
// values.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// addAlias appends name to e.Aliases unless it is empty or normalises like
// e.Name or an alias already there (graph validation rejects repeats).
func addAlias(e *graph.Entity, name string) {
	n := graph.Normalize(name)
	if n == "" || n == graph.Normalize(e.Name) {
		return
	}
	for _, a := range e.Aliases {
		if graph.Normalize(a) == n {
			return
		}
	}
	e.Aliases = append(e.Aliases, strings.TrimSpace(name))
}

func addString(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func addOrigin(list []graph.Origin, o graph.Origin) []graph.Origin {
	if slices.Contains(list, o) {
		return list
	}
	return append(list, o)
}

// idScheme is an external id scheme only for matching: a record carrying
// {idScheme, ID} is the entity ID when the store or the load has it. It is
// never stored.
const idScheme = "chipgraph-id"

// sourceKey is the key of the source of one dataset edition.
func sourceKey(dataset, edition string) string {
	return "ds-" + dataset + "-" + Slug(edition)
}

// datasetOfSource reports whether key is a source key of dataset.
func datasetOfSource(key, dataset string) bool { return strings.HasPrefix(key, "ds-"+dataset+"-") }

// ---- formats ----

// DatasetFormats are the external dataset formats ReadDataset reads, in the
// order of their names for --format.
var DatasetFormats = []string{"eto", "csl", "dod1260h", "ftm", "csv"}

// LoadFormats are every format `chipgraph load` takes.
var LoadFormats = []string{"curated", "eto", "csl", "dod1260h", "ftm", "csv", "nquads"}

// IsDatasetFormat reports whether format is read by ReadDataset.
func IsDatasetFormat(format string) bool { return slices.Contains(DatasetFormats, format) }

// ReadDataset reads one external dataset in format from the file or folder
// path (a folder for "eto"; one or more files for "csv", see ReadCSVGraph).
func ReadDataset(format string, paths []string, opt Options) ([]*Dataset, error) {
	var out []*Dataset
	one := func(d *Dataset, err error) error {
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}
	switch format {
	case "csv":
		return out, one(openCSVGraph(paths, opt))
	}
	for _, p := range paths {
		var err error
		switch format {
		case "eto":
			err = one(ReadETODir(p, opt))
		case "dod1260h", "csl", "ftm":
			f, oerr := os.Open(p)
			if oerr != nil {
				return nil, openError(p, oerr)
			}
			switch format {
			case "dod1260h":
				err = one(ReadDoD1260H(f, p, opt))
			case "csl":
				err = one(ReadCSL(f, p, opt))
			case "ftm":
				err = one(ReadFTM(f, p, opt))
			}
			f.Close()
		default:
			return nil, graph.Errorf(graph.CodeInvalid, "format", "unknown dataset format %q: want %s", format, strings.Join(DatasetFormats, ", "))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func openError(p string, err error) error {
	code := graph.CodeInvalid
	if errors.Is(err, fs.ErrNotExist) {
		code = graph.CodeNotFound
	}
	return &graph.Error{Code: code, Path: p, Msg: "cannot open", Err: err}
}

// DetectFormat tells the format of path from its name, and for CSV and
// JSON files from their first bytes: a folder with providers.csv and
// provision.csv is "eto", other folders and *.yaml/*.yml "curated",
// *.nq/*.nquads "nquads", *.jsonl/*.ndjson "ftm", a JSON object with
// "results" "csl" and JSON lines with "schema" "ftm"; a CSV file by its
// header: the 1260H columns, the CSL columns, or a node or edge list. It
// fails when the format cannot be told.
func DetectFormat(path string) (string, error) {
	fail := func(why string) (string, error) {
		return "", graph.Errorf(graph.CodeInvalid, path, "cannot tell the format (%s): use --format %s", why, strings.Join(LoadFormats, "|"))
	}
	if path == "-" {
		return fail("standard input")
	}
	st, err := os.Stat(path)
	if err != nil {
		ext := strings.ToLower(filepath.Ext(path))
		if ext == ".yaml" || ext == ".yml" {
			return "curated", nil
		}
		return "", openError(path, err)
	}
	if st.IsDir() {
		_, e1 := os.Stat(filepath.Join(path, "providers.csv"))
		_, e2 := os.Stat(filepath.Join(path, "provision.csv"))
		if e1 == nil && e2 == nil {
			return "eto", nil
		}
		return "curated", nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return "curated", nil
	case ".nq", ".nquads":
		return "nquads", nil
	case ".jsonl", ".ndjson":
		return "ftm", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", openError(path, err)
	}
	defer f.Close()
	head := make([]byte, 8192)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimPrefix(head[:n], []byte{0xEF, 0xBB, 0xBF})
	trim := bytes.TrimLeft(head, " \t\r\n")
	if len(trim) > 0 && trim[0] == '{' {
		line, _, _ := bytes.Cut(trim, []byte("\n"))
		switch {
		case bytes.Contains(line, []byte(`"schema"`)) && bytes.HasSuffix(bytes.TrimSpace(line), []byte("}")):
			return "ftm", nil
		case bytes.Contains(head, []byte(`"results"`)):
			return "csl", nil
		}
		return fail("a JSON file that is neither a CSL export nor FollowTheMoney lines")
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	hdr, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		return fail("not a CSV, YAML, JSON or N-Quads file")
	}
	cols := map[string]bool{}
	for _, h := range hdr {
		cols[strings.ToLower(strings.TrimSpace(h))] = true
	}
	switch {
	case cols["clean name"] && cols["start date"]:
		return "dod1260h", nil
	case cols["source"] && cols["entity_number"] && cols["name"]:
		return "csl", nil
	case cols["provider_id"] || cols["input_id"]:
		return fail("a file of the ETO dataset: point at its folder")
	case isNodeHeader(cols) || isEdgeHeader(cols):
		return "csv", nil
	}
	return fail("a CSV file with an unknown header")
}

// hashReader digests what is read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func newHashReader(r io.Reader) *hashReader { return &hashReader{r: r, h: sha256.New()} }

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// sum is a short hex digest of what was read.
func (h *hashReader) sum() string { return hex.EncodeToString(h.h.Sum(nil)[:4]) }

// fileURL is the file://localhost URL of the file name, the source of user
// data that names no public home.
func fileURL(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	return (&url.URL{Scheme: "file", Host: "localhost", Path: filepath.ToSlash(abs)}).String()
}

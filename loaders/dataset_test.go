package loaders

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
)

// sharedDatasets returns ../shared/datasets/sub (seen from the repository
// root), skipping the test when it is absent.
func sharedDatasets(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "datasets", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("../shared/datasets not found: %v", err)
	}
	return dir
}

// seededStore is a memory store holding the embedded curated data.
func seededStore(t testing.TB) graph.Store {
	t.Helper()
	s, err := graph.Open(context.Background(), "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := ReadCurated(data.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func emptyStore(t testing.TB) graph.Store {
	t.Helper()
	s, err := graph.Open(context.Background(), "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// load plans and applies datasets, failing the test on any error.
func load(t testing.TB, s graph.Store, sets ...*Dataset) *Plan {
	t.Helper()
	p, err := PlanLoad(context.Background(), s, sets...)
	if err != nil {
		t.Fatalf("PlanLoad: %v", err)
	}
	// Every relation a dataset brings has a validFrom, so asOf can place
	// it: the dataset's start date, or its edition's as a first report.
	for _, r := range p.Batch.Relations {
		if len(r.Origins) > 0 && r.ValidFrom.IsZero() {
			t.Errorf("PlanLoad: relation %s (%s) has no validFrom", r.ID, r.Origins[0].Record)
		}
	}
	if _, err := p.Apply(context.Background(), s); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return p
}

// wantDated checks relation id's validFrom and whether it is a first report.
func wantDated(t testing.TB, s graph.Store, id, from string, firstReported bool) {
	t.Helper()
	r := relation(t, s, id)
	if r.ValidFrom != graph.MustDate(from) || r.FirstReported != firstReported {
		t.Errorf("%s: validFrom %s, firstReported %v; want %s, %v", id, r.ValidFrom, r.FirstReported, from, firstReported)
	}
}

func entity(t testing.TB, s graph.Store, id string) *graph.Entity {
	t.Helper()
	e, err := s.Entity(context.Background(), id)
	if err != nil {
		t.Fatalf("Entity(%q): %v", id, err)
	}
	return e
}

func relation(t testing.TB, s graph.Store, id string) *graph.Relation {
	t.Helper()
	r, err := s.Relation(context.Background(), id)
	if err != nil {
		t.Fatalf("Relation(%q): %v", id, err)
	}
	return r
}

func hasOrigin(list []graph.Origin, dataset string) bool {
	for _, o := range list {
		if o.Dataset == dataset {
			return true
		}
	}
	return false
}

// wantLoadError checks err is an invalid-input error whose text contains
// every part of want.
func wantLoadError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if graph.ErrorCode(err) != graph.CodeInvalid {
		t.Errorf("code = %s, want INVALID (%v)", graph.ErrorCode(err), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestSlug(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Semiconductor Manufacturing International Corporation", "semiconductor-manufacturing-international-corporation"},
		{"AVIC Xi’an Aircraft Industry Group Company Ltd.", "avic-xi-an-aircraft-industry-group-company-ltd"},
		{"Société Générale", "societe-generale"},
		{"Huawei Investment & Holding Co., Ltd.", "huawei-investment-and-holding-co-ltd"},
		{"--", "x-" + shortHash("--")},
	} {
		if got := Slug(c.in); got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Slug("中芯国际"); !strings.HasPrefix(got, "x-") || !graph.ValidID(got) {
		t.Errorf("Slug(中芯国际) = %q", got)
	}
	if a, b := Slug("华为 Tech"), Slug("中兴 Tech"); a == b || !graph.ValidID(a) {
		t.Errorf("Han names: %q, %q", a, b)
	}
	if got := Slug(strings.Repeat("abc ", 100)); len(got) > 80 || !graph.ValidID(got) {
		t.Errorf("long slug %q", got)
	}
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"Semiconductor Manufacturing International Corporation", "semiconductor manufacturing international"},
		{"SMIC Holdings Limited", "SMIC Holdings"},
		{"Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES"},
		{"Example Optics Co. Ltd.", "Example Optics Co., Ltd"},
		{"中芯国际集成电路制造有限公司", "中芯国际集成电路制造"},
		{"华为技术股份有限公司", "华为技术"},
	}
	for _, c := range same {
		if a, b := NameKey(c[0]), NameKey(c[1]); a != b {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q, want equal", c[0], a, c[1], b)
		}
	}
	if NameKey("Limited") == "" || NameKey("Inc.") == "" {
		t.Error("a name made of legal forms only lost its key")
	}
	if NameKey("SMIC") == NameKey("SMIC Beijing") {
		t.Error("different companies share a key")
	}
}

func TestCSVReaderBadInput(t *testing.T) {
	hdr := "a,b\n"
	for _, c := range []struct {
		name, in string
		opt      Options
		want     []string
	}{
		{"empty", "", Options{}, []string{"f.csv:1:1", "empty file"}},
		{"bare quote", hdr + "x,y\"z\n", Options{}, []string{"f.csv:2:"}},
		{"truncated quote", hdr + "x,\"yyy", Options{}, []string{"f.csv:2:"}},
		{"field count", hdr + "x,y\nz\n", Options{}, []string{"f.csv:3:", "wrong number of fields"}},
		{"latin1", hdr + "x,Soci\xe9t\xe9\n", Options{}, []string{"f.csv:2:3: b", "invalid UTF-8", "latin1"}},
		{"unknown column", "a,c\n", Options{}, []string{"f.csv:1:3: c", "unknown column"}},
		{"missing column", "b\n", Options{}, []string{"missing column \"a\""}},
		{"big field", hdr + "x," + strings.Repeat("y", 3000) + "\n", Options{MaxRecordBytes: 1000}, []string{"f.csv:2:", "over the limit"}},
		{"runaway quote", hdr + "x,\"" + strings.Repeat("y\n", 200000), Options{MaxRecordBytes: 1000}, []string{"f.csv:2:", "over the limit"}},
		{"bad encoding", hdr, Options{Encoding: "ebcdic"}, []string{"unknown encoding"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := readAllCSV(c.in, c.opt)
			wantLoadError(t, err, c.want...)
		})
	}
	// BOM is stripped; Latin-1 is transcoded when asked for.
	if err := readAllCSV("\xef\xbb\xbf"+hdr+"x,y\n", Options{}); err != nil {
		t.Errorf("BOM: %v", err)
	}
	f, err := openCSV("f.csv", strings.NewReader(hdr+"x,Soci\xe9t\xe9\n"), Options{Encoding: "latin1"}, []string{"a"}, []string{"b"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.next()
	if err != nil || f.get(rec, "b") != "Société" {
		t.Errorf("latin1: %q, %v", rec, err)
	}
}

func readAllCSV(in string, opt Options) error {
	f, err := openCSV("f.csv", strings.NewReader(in), opt, []string{"a"}, []string{"b"})
	if err != nil {
		return err
	}
	for {
		_, err := f.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func TestPlanSummary(t *testing.T) {
	s := emptyStore(t)
	d, err := ReadDoD1260H(strings.NewReader(readTestdata(t, "dod1260h/edition-a.csv")), "a.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanLoad(context.Background(), s, d)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	p.Summary(&b, false)
	for _, w := range []string{"entities created: 5", "relations created:", "ds-dod1260h-2024-01-31"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, b.String())
		}
	}
	if st, _ := s.Stats(context.Background()); st.Entities != 0 {
		t.Errorf("PlanLoad wrote %d entities", st.Entities)
	}
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// garbage is a reader of n pseudo-random bytes that counts what was read.
type garbage struct {
	n, read int64
	x       uint64
	lines   bool
}

func (g *garbage) Read(p []byte) (int, error) {
	if g.read >= g.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n-g.read)]
	for i := range p {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		p[i] = byte(g.x)
		if !g.lines && (p[i] == '\n' || p[i] == '\r') {
			p[i] = 'x'
		}
	}
	g.read += int64(len(p))
	return len(p), nil
}

// TestGarbageStopsEarly feeds each loader a 1 GB stream of garbage (with
// and without line breaks): each fails with a located error after reading
// a few MB at most, so memory stays bounded.
func TestGarbageStopsEarly(t *testing.T) {
	readers := map[string]func(r io.Reader) error{
		"dod1260h": func(r io.Reader) error { _, err := ReadDoD1260H(r, "g.csv", Options{}); return err },
		"csl":      func(r io.Reader) error { _, err := ReadCSL(r, "g.csv", Options{}); return err },
		"csl-json": func(r io.Reader) error {
			_, err := ReadCSL(io.MultiReader(strings.NewReader(`{"results": [`), r), "g.csv", Options{})
			return err
		},
		"csl-json-nested": func(r io.Reader) error {
			_, err := ReadCSL(io.MultiReader(strings.NewReader(`{"results": [`+strings.Repeat("[", 3<<20)), r), "g.csv", Options{})
			return err
		},
		"ftm": func(r io.Reader) error { _, err := ReadFTM(r, "g.csv", Options{}); return err },
		"csv": func(r io.Reader) error {
			_, err := ReadCSVGraph([]string{"g.csv"}, map[string]io.Reader{"g.csv": r}, Options{})
			return err
		},
		"csv-header-ok": func(r io.Reader) error {
			_, err := ReadCSVGraph([]string{"g.csv"}, map[string]io.Reader{"g.csv": io.MultiReader(strings.NewReader("id,label,kind\n"), r)}, Options{})
			return err
		},
	}
	for name, read := range readers {
		for _, lines := range []bool{false, true} {
			g := &garbage{n: 1 << 30, x: 88172645463325252, lines: lines}
			err := read(g)
			if err == nil || graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), "g.csv") {
				t.Errorf("%s (lines %v): error %v", name, lines, err)
			}
			if g.read > 8<<20 {
				t.Errorf("%s (lines %v): read %d MB of garbage before failing", name, lines, g.read>>20)
			}
		}
	}
}

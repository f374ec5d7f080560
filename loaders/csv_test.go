package loaders

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
)

func readCSVFiles(t testing.TB, opt Options, paths ...string) (*Dataset, error) {
	t.Helper()
	files := map[string]io.Reader{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files[p] = f
	}
	return ReadCSVGraph(paths, files, opt)
}

func TestCSVGraph(t *testing.T) {
	// Edges first: node files are read before edges whatever the order.
	d, err := readCSVFiles(t, Options{Edition: "2026-01-02"}, "testdata/csvgraph/edges.csv", "testdata/csvgraph/nodes.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := seededStore(t)
	p := load(t, s, d)
	smic := entity(t, s, "smic")
	if !hasOrigin(smic.Origins, "csv") {
		t.Errorf("smic not merged: %+v (merged %+v)", smic, p.Merged)
	}
	// The file's founded column, typed as a number, beside the curated
	// founded date.
	if !slices.ContainsFunc(smic.Attributes, func(a graph.Attribute) bool {
		return a.Name == "founded" && a.Type == graph.AttrNumber && a.Value == "2000"
	}) {
		t.Errorf("no founded number 2000 from the file: %+v", smic.Attributes)
	}
	r := relation(t, s, "acme-lithography--supplies--smic")
	if w, ok := r.Prop("weight"); !ok || w.Type != graph.AttrNumber || r.ValidFrom != graph.MustDate("2020") || r.Category != "equipment" {
		t.Errorf("edge = %+v", r)
	}
	wantDated(t, s, "acme-lithography--supplies--smic", "2020", false)
	// No valid_from: first reported in the edition.
	wantDated(t, s, "acme-lithography--designs--acme-duv-scanner", "2026-01-02", true)
	relation(t, s, "smic--partners-with--huawei") // huawei: a chipgraph id, not in the node file
	if src, _ := s.Source(context.Background(), d.Sources[0].Key); src == nil || !strings.HasPrefix(src.URL, "file://localhost/") {
		t.Errorf("source = %+v", src)
	}
	// Loading again changes nothing; the nodes are found by csv:ID.
	d2, err := readCSVFiles(t, Options{Edition: "2026-01-02"}, "testdata/csvgraph/nodes.csv", "testdata/csvgraph/edges.csv")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := PlanLoad(context.Background(), s, d2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Created)+len(p2.Updated)+len(p2.RelCreated)+len(p2.RelUpdated) != 0 {
		t.Errorf("reload: %v %v %v %v", p2.Created, p2.Updated, p2.RelCreated, p2.RelUpdated)
	}
}

func TestCSVGraphNeo4jAndGephi(t *testing.T) {
	d, err := readCSVFiles(t, Options{SourceURL: "https://data.example/graph"}, "testdata/csvgraph/neo4j-nodes.csv", "testdata/csvgraph/neo4j-edges.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := emptyStore(t)
	load(t, s, d)
	r := relation(t, s, "beta-design--customer-of--acme-foundry")
	if p, ok := r.Prop("since"); !ok || p.Type != graph.AttrDate {
		t.Errorf("since = %+v", p)
	}
	if e := entity(t, s, "acme-foundry"); e.Kind != graph.KindCompany {
		t.Errorf("kind %s", e.Kind)
	}
	// Gephi: Type is Directed, the relation type is in Label.
	d, err = readCSVFiles(t, Options{}, "testdata/csvgraph/nodes.csv", "testdata/csvgraph/gephi-edges.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Relations) != 1 || d.Relations[0].Type != graph.PartnersWith {
		t.Errorf("gephi relations = %+v", d.Relations)
	}
}

func TestCSVGraphBadInput(t *testing.T) {
	nodes := "id,label,kind\nn1,A,COMPANY\nn2,B,COMPANY\n"
	for _, c := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"unknown kind", []string{"id,label,kind\nn1,A,PERSON\n"}, []string{"f0.csv:2:6: kind", "unknown kind"}},
		{"duplicate id", []string{"id,label,kind\nn1,A,COMPANY\nn1,B,COMPANY\n"}, []string{"f0.csv:3:1: id", "duplicate"}},
		{"no kind column", []string{"id,label\nn1,A\n"}, []string{"f0.csv:1:1", "kind column"}},
		{"neither", []string{"a,b\n1,2\n"}, []string{"f0.csv:1:1", "cannot tell"}},
		{"bad country", []string{"id,label,kind,country\nn1,A,COMPANY,China\n"}, []string{"f0.csv:2:", "country"}},
		{"bad number", []string{"id,label,kind,size:int\nn1,A,COMPANY,big\n"}, []string{"f0.csv:2:", "size:int", "not a number"}},
		{"unknown node", []string{nodes, "source,target,type\nn1,Not An Id,PARTNERS_WITH\n"}, []string{"f1.csv:2:4: target", "unknown node"}},
		{"unknown type", []string{nodes, "source,target,type\nn1,n2,LIKES\n"}, []string{"f1.csv:2:7: type", "unknown relation type"}},
		{"no category", []string{nodes, "source,target,type\nn1,n2,SUPPLIES\n"}, []string{"f1.csv:2", "category"}},
		{"self loop", []string{nodes, "source,target,type\nn1,n1,PARTNERS_WITH\n"}, []string{"f1.csv:2", "itself"}},
		{"bad date", []string{nodes, "source,target,type,valid_from\nn1,n2,PARTNERS_WITH,2020-13\n"}, []string{"f1.csv:2:", "valid_from"}},
		{"no type column", []string{nodes, "source,target\nn1,n2\n"}, []string{"f1.csv:1:1", "relation type column"}},
		{"truncated", []string{nodes, "source,target,type\nn1,n2,\"PART"}, []string{"f1.csv:2:"}},
		{"bad source url", []string{nodes}, []string{"source-url"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var names []string
			files := map[string]io.Reader{}
			for i, body := range c.files {
				n := fmt.Sprintf("f%d.csv", i)
				names = append(names, n)
				files[n] = strings.NewReader(body)
			}
			opt := Options{}
			if c.name == "bad source url" {
				opt.SourceURL = "ftp:/x"
			}
			_, err := ReadCSVGraph(names, files, opt)
			wantLoadError(t, err, c.want...)
		})
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("id,label,kind,x:float\nn1,A,COMPANY,1.5\nn2,B,Org,\n"), []byte("source,target,type,category\nn1,n2,SUPPLIES,eda\n"))
	f.Add([]byte("a:ID,:LABEL\nx,CHIP\n"), []byte(":START_ID,:END_ID,:TYPE\nx,x,DESIGNS\n"))
	f.Fuzz(func(t *testing.T, nodes, edges []byte) {
		files := map[string]io.Reader{"n.csv": strings.NewReader(string(nodes)), "e.csv": strings.NewReader(string(edges))}
		d, err := ReadCSVGraph([]string{"n.csv", "e.csv"}, files, Options{MaxRecordBytes: 4096, Edition: "2026-01-01"})
		if err != nil {
			if graph.ErrorCode(err) != graph.CodeInvalid || !strings.Contains(err.Error(), ".csv") {
				t.Fatalf("error without file or not INVALID: %v", err)
			}
			return
		}
		for _, r := range d.Relations {
			if !graph.ValidID(r.From) || !graph.ValidID(r.To) {
				t.Fatalf("bad endpoint in %+v", r)
			}
		}
		checkDatasetShape(t, d)
	})
}

// checkDatasetShape is checkDataset without validation against a store
// (edges may name chipgraph ids no store holds).
func checkDatasetShape(t *testing.T, d *Dataset) {
	t.Helper()
	for _, e := range d.Entities {
		if len(e.Origins) == 0 || len(e.Sources) == 0 || !graph.ValidID(e.ID) {
			t.Fatalf("entity %+v", e)
		}
	}
}

var csvRows = flag.Int("csvrows", 20000, "edge rows of the generated CSV for BenchmarkCSVLoad (1000000 for the reference numbers)")

// writeCSVGraph writes a generated node list (rows/10 nodes) and edge list
// (rows edges) into dir.
func writeCSVGraph(b testing.TB, dir string, rows int) (nodes, edges string) {
	b.Helper()
	nodes, edges = filepath.Join(dir, "nodes.csv"), filepath.Join(dir, "edges.csv")
	n := max(rows/10, 10)
	write := func(path string, fn func(w *bufio.Writer)) {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		fn(w)
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	write(nodes, func(w *bufio.Writer) {
		w.WriteString("id,label,kind,employees:int\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "n%d,Generated Company %d,COMPANY,%d\n", i, i, i%5000)
		}
	})
	write(edges, func(w *bufio.Writer) {
		w.WriteString("source,target,type,category,weight\n")
		x := uint64(1)
		for i := 0; i < rows; i++ {
			// A fixed xorshift sequence; every row a distinct pair.
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			from := i % n
			to := (from + 1 + int(x%uint64(n-1))) % n
			if to == from {
				to = (to + 1) % n
			}
			fmt.Fprintf(w, "n%d,n%d,SUPPLIES,equipment,%d\n", from, to, i%100)
		}
	})
	return nodes, edges
}

// peakHeap samples the heap until stop is called and returns its peak in
// bytes.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		peak = max(peak, m.HeapInuse)
		mu.Unlock()
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkCSVLoad loads a generated edge list of -csvrows rows (and
// rows/10 nodes) into an empty store as the load command does (ReadDataset,
// Load), reporting rows/s
// and the peak heap. Run the reference numbers with
//
//	go test -run '^$' -bench CSVLoad -benchtime 1x ./loaders/ -args -csvrows 1000000
func BenchmarkCSVLoad(b *testing.B) {
	dir := b.TempDir()
	nodes, edges := writeCSVGraph(b, dir, *csvRows)
	for _, backend := range []string{"memory", "bolt"} {
		b.Run(backend, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dsn := "memory:"
				if backend == "bolt" {
					dsn = "bolt:" + filepath.Join(b.TempDir(), "bench.db")
				}
				s, err := graph.Open(context.Background(), dsn)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := peakHeap()
				start := time.Now()
				sets, err := ReadDataset("csv", []string{nodes, edges}, Options{Edition: "2026-01-01"})
				if err != nil {
					b.Fatal(err)
				}
				read := time.Since(start)
				if _, _, err := Load(context.Background(), s, false, sets...); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				peak := stop()
				b.ReportMetric(float64(*csvRows)/took.Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.Logf("%s: %d edge rows: node files read in %v, edges streamed, resolved and written in %v; peak heap %.0f MB",
					backend, *csvRows, read, took-read, float64(peak)/(1<<20))
				s.Close()
			}
		})
	}
}

package loaders

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

// The export benchmarks run on the generated graph of about 1M quads
// (graphtest.Generate(100_000, 1) in a memory store, built once: ~30 s):
//
//	go test ./loaders -run '^$' -bench BenchmarkExport -benchtime 1x -timeout 30m
//
// Each reports, besides ns/op, the bytes written (MB/s via SetBytes), the
// selection's size, the peak heap in use during the export above the heap
// before it (sampled every millisecond) and the bytes allocated per export.
var (
	exportBenchOnce  sync.Once
	exportBenchStore graph.Store
	exportBenchErr   error
)

func exportBenchSetup(b *testing.B) graph.Store {
	b.Helper()
	exportBenchOnce.Do(func() {
		ctx := context.Background()
		s, err := graph.Open(ctx, "memory:")
		if err != nil {
			exportBenchErr = err
			return
		}
		if _, err := s.Apply(ctx, graphtest.Generate(100_000, 1)); err != nil {
			exportBenchErr = err
			return
		}
		// Warm the store's lazily built views, so the first benchmark
		// does not pay for them.
		if _, err := s.Subgraph(ctx, graph.Selection{}); err != nil {
			exportBenchErr = err
			return
		}
		exportBenchStore = s
	})
	if exportBenchErr != nil {
		b.Fatal(exportBenchErr)
	}
	return exportBenchStore
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkExport(b *testing.B) {
	sels := []struct {
		name string
		sel  graph.Selection
	}{
		{"whole", graph.Selection{}},
		{"2hops", graph.Selection{Seeds: []string{"company-100"}, Hops: 2}},
	}
	for _, sc := range sels {
		for _, f := range ExportFormats() {
			b.Run(sc.name+"/"+f.Name, func(b *testing.B) {
				s := exportBenchSetup(b)
				ctx := context.Background()
				var nodes, edges int
				opts := ExportOptions{Selected: func(n, e int, _ bool) { nodes, edges = n, e }}
				var w countingWriter
				if f.Name == "csv" {
					opts.CSVEdges = &w // both tables count
				}
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				var peak atomic.Uint64
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					var ms runtime.MemStats
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-done:
							return
						case <-t.C:
							runtime.ReadMemStats(&ms)
							if ms.HeapInuse > peak.Load() {
								peak.Store(ms.HeapInuse)
							}
						}
					}
				}()
				b.ResetTimer()
				for range b.N {
					w.n = 0
					if err := Export(ctx, s, sc.sel, f.Name, &w, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				close(done)
				wg.Wait()
				runtime.ReadMemStats(&after)
				b.SetBytes(w.n)
				b.ReportMetric(float64(nodes), "nodes")
				b.ReportMetric(float64(edges), "edges")
				b.ReportMetric(float64(w.n)/1e6, "MB-out")
				extra := int64(peak.Load()) - int64(before.HeapInuse)
				b.ReportMetric(float64(max(extra, 0))/1e6, "peak-heap-MB")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/1e6, "alloc-MB/op")
			})
		}
	}
}

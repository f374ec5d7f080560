package graphtest

import (
	"slices"
	"testing"
	"time"
)

// Compare times base(i) and measured(i) alternately b.N times, so machine
// noise hits both alike, and reports the median of each as
// "<baseName>-ns/op" and "<measuredName>-ns/op" and their ratio as "ratio".
// Performance claims quote the ratio, never an absolute time.
func Compare(b *testing.B, baseName, measuredName string, base, measured func(i int)) {
	bt := make([]time.Duration, 0, b.N)
	mt := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		base(i)
		t1 := time.Now()
		measured(i)
		t2 := time.Now()
		bt = append(bt, t1.Sub(t0))
		mt = append(mt, t2.Sub(t1))
	}
	slices.Sort(bt)
	slices.Sort(mt)
	mb, mm := bt[len(bt)/2], mt[len(mt)/2]
	b.ReportMetric(float64(mb.Nanoseconds()), baseName+"-ns/op")
	b.ReportMetric(float64(mm.Nanoseconds()), measuredName+"-ns/op")
	b.ReportMetric(float64(mm)/float64(mb), "ratio")
}

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
//
// The second of the two to run on the same input finds the caches warm (a
// 2-hop neighbourhood takes half the time the second time), so they take
// turns running first and only first runs are timed, each followed by the
// other, untimed, to keep the conditions alike. Both sides are timed on the
// same inputs, a quarter of the run apart: on one step base runs first on
// input k, on the next measured runs first on input k + N/4 (mod N/2), so
// each k in 0..N/2 is timed once for each, and a heavy-tailed input (a
// hub's neighbourhood) weighs on both medians alike. Callers map k to their
// inputs.
func Compare(b *testing.B, baseName, measuredName string, base, measured func(i int)) {
	if b.N < 2 { // the testing package's first, probing run
		base(0)
		measured(0)
		return
	}
	bt := make([]time.Duration, 0, b.N/2+1)
	mt := make([]time.Duration, 0, b.N/2+1)
	half := b.N / 2
	b.ResetTimer()
	for i := 0; i < 2*half; i++ {
		k := i / 2
		t0 := time.Now()
		if i%2 == 0 {
			base(k)
			bt = append(bt, time.Since(t0))
			measured(k)
		} else {
			k = (k + half/2) % half
			measured(k)
			mt = append(mt, time.Since(t0))
			base(k)
		}
	}
	slices.Sort(bt)
	slices.Sort(mt)
	mb, mm := bt[len(bt)/2], mt[len(mt)/2]
	b.ReportMetric(float64(mb.Nanoseconds()), baseName+"-ns/op")
	b.ReportMetric(float64(mm.Nanoseconds()), measuredName+"-ns/op")
	b.ReportMetric(float64(mm)/float64(mb), "ratio")
}

package graph_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

// Restarts of a replica over PostgreSQL from its snapshot file.

func openSnap(t testing.TB, dsn, file string) *graph.CayleyStore {
	t.Helper()
	s, err := graph.OpenWith(context.Background(), dsn, graph.Options{SnapshotFile: file})
	if err != nil {
		t.Fatalf("OpenWith(%s, %s): %v", dsn, file, err)
	}
	return s
}

func apply(t testing.TB, s graph.Store, b graph.Batch) {
	t.Helper()
	if _, err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// moreChanges is three writes: one adds, one updates, one deletes.
func moreChanges(t testing.TB, s graph.Store) {
	t.Helper()
	apply(t, s, graph.Batch{Entities: []graph.Entity{{ID: "later", Kind: graph.KindCompany, Name: "Written later", Sources: []string{"s2"}}},
		Relations: []graph.Relation{{Type: graph.Supplies, From: "later", To: "huawei", Category: "memory", Status: graph.StatusReported,
			ValidFrom: graph.MustDate("2025"), Sources: []string{"s2"}}}})
	apply(t, s, graph.Batch{Entities: []graph.Entity{{ID: "huawei", Kind: graph.KindCompany, Name: "Huawei (renamed)", Country: "CN", Sources: []string{"s1"}}}})
	apply(t, s, graph.Batch{DeleteEntities: []string{"bis"}, Cascade: true})
}

// withSnapshot makes a store over a fresh schema holding the fixture, and
// a snapshot file of it written at Close. It returns the DSN, the file and
// the file's revision.
func withSnapshot(t *testing.T) (dsn, file string, rev uint64) {
	dsn = postgresDSN(t)
	file = filepath.Join(t.TempDir(), "replica.snapshot")
	a := openSnap(t, dsn, file)
	if st := a.Started(); st.FromSnapshot || st.Refused || !strings.Contains(st.Reason, "no snapshot file") {
		t.Errorf("first start: %+v, want a full read because there is no file yet", st)
	}
	apply(t, a, graphtest.Fixture())
	rev = a.Version()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("Close wrote no snapshot file: %v", err)
	}
	return dsn, file, rev
}

// fromDatabase is the graph read whole from the database, to compare with.
func fromDatabase(t *testing.T, dsn string) *graph.CayleyStore {
	s := openT(t, dsn)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	dsn, file, rev := withSnapshot(t)
	// What a write killed half-way left, and one in progress elsewhere.
	stale, fresh := file+".tmp-1", file+".tmp-2"
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	b := openSnap(t, dsn, file)
	defer b.Close()
	if _, err := os.Stat(stale); err == nil {
		t.Error("a temporary file an hour old is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a recent temporary file was removed: %v", err)
	}
	st := b.Started()
	if !st.FromSnapshot || st.SnapshotRevision != rev || st.Applied != 0 || st.Revision != rev {
		t.Errorf("started %+v, want from the snapshot at %d with nothing to apply", st, rev)
	}
	if got := b.SyncStatus(); got.Start != st || got.SnapshotRevision != rev {
		t.Errorf("SyncStatus %+v", got)
	}
	sameGraph(t, b, fromDatabase(t, dsn))
	if !finds(t, b, "Cambricon", "cambricon") {
		t.Error("search after a start from a snapshot does not find cambricon")
	}
}

// TestSnapshotThenLog restarts from a file that the database has moved on
// from: the store applies the logged changes after it, and then follows
// the others as any replica does.
func TestSnapshotThenLog(t *testing.T) {
	dsn, file, rev := withSnapshot(t)
	w := fromDatabase(t, dsn)
	moreChanges(t, w)
	b := openSnap(t, dsn, file)
	defer b.Close()
	if st := b.Started(); !st.FromSnapshot || st.SnapshotRevision != rev || st.Applied != 3 || st.Revision != w.Version() {
		t.Errorf("started %+v, want from the snapshot at %d and 3 logged changes to %d", st, rev, w.Version())
	}
	sameGraph(t, b, w)
	if e, err := b.Entity(context.Background(), "huawei"); err != nil || e.Name != "Huawei (renamed)" {
		t.Errorf("huawei: %v %v", e, err)
	}
	// It follows later writes.
	apply(t, w, graph.Batch{Entities: []graph.Entity{{ID: "after-start", Kind: graph.KindCompany, Name: "After", Sources: []string{"s1"}}}})
	waitFor(t, b, w.Version())
	sameGraph(t, b, w)
	// Closed, it writes the file at its revision; the next start applies
	// nothing.
	b.Close()
	c := openSnap(t, dsn, file)
	defer c.Close()
	if st := c.Started(); !st.FromSnapshot || st.SnapshotRevision != w.Version() || st.Applied != 0 {
		t.Errorf("after Close: started %+v, want from the snapshot at %d", st, w.Version())
	}
}

// TestSnapshotBackground: while the graph moves on, the file is rewritten
// without a Close (a replica killed with SIGKILL has that file).
func TestSnapshotBackground(t *testing.T) {
	dsn := postgresDSN(t)
	file := filepath.Join(t.TempDir(), "replica.snapshot")
	a, err := graph.OpenWith(context.Background(), dsn, graph.Options{SnapshotFile: file, SnapshotEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	apply(t, a, graphtest.Fixture())
	moreChanges(t, a)
	deadline := time.Now().Add(20 * time.Second)
	for a.SyncStatus().SnapshotRevision != a.Version() {
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot at revision %d after 20s: %+v", a.Version(), a.SyncStatus())
		}
		time.Sleep(5 * time.Millisecond)
	}
	b := openSnap(t, dsn, file)
	defer b.Close()
	if st := b.Started(); !st.FromSnapshot || st.SnapshotRevision != a.Version() {
		t.Errorf("started %+v, want from the background snapshot at %d", st, a.Version())
	}
	sameGraph(t, a, b)
}

func exec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestSnapshotRefused: a file that is damaged, of another store, ahead of
// the database, of another history, or older than the log is never
// served: the store reads the whole graph, says why, and holds what the
// database holds.
func TestSnapshotRefused(t *testing.T) {
	edit := func(t *testing.T, file string, fn func([]byte) []byte) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, fn(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		reason string
		break_ func(t *testing.T, dsn, file string, rev uint64)
	}{
		{"truncated", "truncated", func(t *testing.T, dsn, file string, rev uint64) {
			edit(t, file, func(b []byte) []byte { return b[:len(b)/2] })
		}},
		{"trailer cut", "truncated", func(t *testing.T, dsn, file string, rev uint64) {
			edit(t, file, func(b []byte) []byte { return b[:len(b)-1] })
		}},
		{"flipped byte", "damaged", func(t *testing.T, dsn, file string, rev uint64) {
			// In a name, so that the JSON stays valid: only the
			// checksum tells.
			edit(t, file, func(b []byte) []byte {
				i := strings.Index(string(b), "HiSilicon")
				b[i+2] ^= 0x20
				return b
			})
		}},
		{"data after the checksum", "after the checksum", func(t *testing.T, dsn, file string, rev uint64) {
			edit(t, file, func(b []byte) []byte { return append(b, "e {}\n"...) })
		}},
		{"not a snapshot", "not a chipgraph snapshot", func(t *testing.T, dsn, file string, rev uint64) {
			edit(t, file, func([]byte) []byte { return []byte("hello\n") })
		}},
		{"empty file", "truncated", func(t *testing.T, dsn, file string, rev uint64) {
			edit(t, file, func([]byte) []byte { return nil })
		}},
		{"foreign store", "another store", func(t *testing.T, dsn, file string, rev uint64) {
			// The file of another schema holding the same graph.
			other := postgresDSN(t)
			o := openSnap(t, other, file)
			apply(t, o, graphtest.Fixture())
			o.Close()
		}},
		{"schema dropped and created again", "another store", func(t *testing.T, dsn, file string, rev uint64) {
			exec(t, dsn, "DROP TABLE quads, nodes, chipgraph_revision, chipgraph_changes, chipgraph_store CASCADE")
			s := openT(t, dsn)
			apply(t, s, graphtest.Fixture())
			s.Close()
		}},
		{"ahead of the database", "ahead of the database", func(t *testing.T, dsn, file string, rev uint64) {
			// The database restored from a backup taken before the
			// last write.
			exec(t, dsn, "DELETE FROM chipgraph_changes WHERE revision = (SELECT revision FROM chipgraph_revision)",
				"UPDATE chipgraph_revision SET revision = revision - 1")
		}},
		{"another history", "not the one it was taken after", func(t *testing.T, dsn, file string, rev uint64) {
			// Restored from that backup and written to since.
			exec(t, dsn, "DELETE FROM chipgraph_changes WHERE revision = (SELECT revision FROM chipgraph_revision)",
				"UPDATE chipgraph_revision SET revision = revision - 1")
			moreChanges(t, fromDatabase(t, dsn))
		}},
		{"log pruned past the file", "no longer holds its revision", func(t *testing.T, dsn, file string, rev uint64) {
			moreChanges(t, fromDatabase(t, dsn))
			exec(t, dsn, "DELETE FROM chipgraph_changes WHERE revision <= (SELECT revision - 2 FROM chipgraph_revision)")
		}},
		{"gap in the log", "does not hold every change", func(t *testing.T, dsn, file string, rev uint64) {
			moreChanges(t, fromDatabase(t, dsn))
			exec(t, dsn, "DELETE FROM chipgraph_changes WHERE revision = (SELECT revision - 1 FROM chipgraph_revision)")
		}},
		{"a reload since", "does not hold every change", func(t *testing.T, dsn, file string, rev uint64) {
			defer graph.SetLogLimit(1)()
			moreChanges(t, fromDatabase(t, dsn))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn, file, rev := withSnapshot(t)
			tc.break_(t, dsn, file, rev)
			s := openSnap(t, dsn, file)
			defer s.Close()
			st := s.Started()
			if st.FromSnapshot || !st.Refused || !strings.Contains(st.Reason, tc.reason) {
				t.Errorf("started %+v, want a full read because %q", st, tc.reason)
			}
			t.Logf("%s", st)
			sameGraph(t, s, fromDatabase(t, dsn))
		})
	}
}

func TestSnapshotOptionRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct{ dsn, file, want string }{
		{"memory:", filepath.Join(dir, "x"), "PostgreSQL"},
		{"bolt:" + filepath.Join(dir, "g.db"), filepath.Join(dir, "x"), "PostgreSQL"},
	} {
		s, err := graph.OpenWith(ctx, tc.dsn, graph.Options{SnapshotFile: tc.file})
		if err == nil {
			s.Close()
			t.Errorf("%s with a snapshot file opened", tc.dsn)
			continue
		}
		if ge, ok := err.(*graph.Error); !ok || ge.Code != graph.CodeInvalid || !strings.Contains(ge.Msg, tc.want) {
			t.Errorf("%s: %v, want CodeInvalid naming %s", tc.dsn, err, tc.want)
		}
	}
	if os.Getenv("CHIPGRAPH_TEST_POSTGRES") == "" {
		return
	}
	dsn := postgresDSN(t)
	for _, file := range []string{filepath.Join(dir, "missing", "x"), dir} {
		s, err := graph.OpenWith(ctx, dsn, graph.Options{SnapshotFile: file})
		if err == nil {
			s.Close()
			t.Errorf("snapshot file %s opened", file)
			continue
		}
		if ge, ok := err.(*graph.Error); !ok || ge.Code != graph.CodeInvalid || ge.Path != "snapshot" {
			t.Errorf("snapshot file %s: %v, want CodeInvalid at snapshot", file, err)
		}
	}
}

// BenchmarkReplicaRestart measures a replica's start over a large graph in
// PostgreSQL (graphtest.Generate, 20,000 entities unless -restart.entities
// says otherwise): reading the whole graph against loading its snapshot
// file and applying the 100 logged changes written after it. Each run opens
// one of each, taking turns to go first; only Open is timed. It reports
// both medians and their ratio.
func BenchmarkReplicaRestart(b *testing.B) {
	dsn := postgresDSN(b)
	ctx := context.Background()
	dir := b.TempDir()
	orig, file := filepath.Join(dir, "orig.snapshot"), filepath.Join(dir, "replica.snapshot")
	w := openSnap(b, dsn, orig)
	if _, err := w.Apply(ctx, graphtest.Generate(*restartEntities, 1)); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	w = openT(b, dsn)
	const logged = 100
	for i := range logged {
		apply(b, w, graph.Batch{Entities: []graph.Entity{{ID: fmt.Sprintf("after-%d", i), Kind: graph.KindCompany,
			Name: fmt.Sprintf("Written after the snapshot %d", i), Sources: []string{"gen-src-1"}}}})
	}
	st, _ := w.Stats(ctx)
	w.Close()
	b.Logf("%d entities, %d relations, %d quads; snapshot file then %d logged changes", st.Entities, st.Relations, st.Quads, logged)

	var full, snap []time.Duration
	open := func(fromFile bool) {
		opts := graph.Options{}
		if fromFile {
			copyFile(b, orig, file)
			opts.SnapshotFile = file
		}
		t0 := time.Now()
		s, err := graph.OpenWith(ctx, dsn, opts)
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if got := s.Started(); got.FromSnapshot != fromFile || (fromFile && got.Applied != logged) {
			b.Fatalf("started %+v", got)
		}
		if fromFile {
			snap = append(snap, d)
		} else {
			full = append(full, d)
		}
		s.Close()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		open(i%2 == 1)
		open(i%2 == 0)
	}
	b.StopTimer()
	slices.Sort(full)
	slices.Sort(snap)
	mf, ms := full[len(full)/2], snap[len(snap)/2]
	b.ReportMetric(mf.Seconds()*1000, "full-read-ms")
	b.ReportMetric(ms.Seconds()*1000, "snapshot-ms")
	b.ReportMetric(float64(ms)/float64(mf), "ratio")
}

var restartEntities = flag.Int("restart.entities", 20_000, "BenchmarkReplicaRestart: entities of the generated graph")

func copyFile(tb testing.TB, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

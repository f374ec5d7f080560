package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	hbolt "github.com/hidal-go/hidalgo/kv/bbolt"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// cayleyDump is what cayley's key-value layout in a bbolt file says, in
// values rather than ids (which depend on the order of writing) and
// without timestamps.
type cayleyDump struct {
	Values     map[string]uint64 // value (N-Quads) -> reference count
	Live, Dead []string          // the log's quads, sorted
	Index      map[string][]string
	Size       uint64
}

// dumpCayley reads db's cayley buckets and checks what cayley relies on:
// each value under its hash, its reference count the number of references
// from live quads, every index list increasing and listing every quad
// under its key.
func dumpCayley(t *testing.T, db *bolt.DB) cayleyDump {
	t.Helper()
	d := cayleyDump{Values: map[string]uint64{}, Index: map[string][]string{}}
	err := db.View(func(tx *bolt.Tx) error {
		log := tx.Bucket(logBucket)
		if log == nil {
			return nil
		}
		value := func(id uint64) (string, error) {
			if id == 0 {
				return "", nil
			}
			p, err := getPrimitive(log, id)
			if err != nil || p == nil || !p.IsNode() {
				return "", fmt.Errorf("id %d is not a value (%v)", id, err)
			}
			v, err := pquads.UnmarshalValue(p.Value)
			if err != nil {
				return "", err
			}
			return v.String(), nil
		}
		// A deleted quad's values may be gone (cayley deletes a value
		// with its last reference): "?" then.
		quadText := func(dirs [4]uint64, deleted bool) (string, error) {
			parts := make([]string, 4)
			for i, id := range dirs {
				var err error
				if parts[i], err = value(id); err != nil {
					if !deleted {
						return "", err
					}
					parts[i] = "?"
				}
			}
			if deleted {
				parts = append(parts, "(deleted)")
			}
			return strings.Join(parts, " "), nil
		}
		refCount := map[string]uint64{}
		quads := map[uint64][4]uint64{}
		dead := map[uint64]bool{}
		err := log.ForEach(func(k, v []byte) error {
			p := new(cproto.Primitive)
			if err := proto.Unmarshal(v, p); err != nil {
				return err
			}
			if p.IsNode() {
				return nil
			}
			dirs := [4]uint64{p.Subject, p.Predicate, p.Object, p.Label}
			text, err := quadText(dirs, p.Deleted)
			if err != nil {
				return err
			}
			quads[p.ID] = dirs
			dead[p.ID] = p.Deleted
			if p.Deleted {
				d.Dead = append(d.Dead, text)
				return nil
			}
			d.Live = append(d.Live, text)
			for _, id := range dirs {
				if id != 0 {
					s, _ := value(id)
					refCount[s]++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(d.Live)
		slices.Sort(d.Dead)
		err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if len(name) != 3 || name[0] != 'v' {
				return nil
			}
			nb := tx.Bucket([]byte{'n', name[1], name[2]})
			return b.ForEach(func(k, v []byte) error {
				id, _ := binary.Uvarint(v)
				s, err := value(id)
				if err != nil {
					return err
				}
				p, _ := getPrimitive(log, id)
				val, _ := pquads.UnmarshalValue(p.Value)
				if h := refs.HashOf(val); string(h[:]) != string(k) || h[0] != name[1] || h[1] != name[2] {
					return fmt.Errorf("value %s under the wrong hash", s)
				}
				count, _ := binary.Uvarint(nb.Get(k))
				d.Values[s] = count
				return nil
			})
		})
		if err != nil {
			return err
		}
		for s, n := range refCount {
			if d.Values[s] != n {
				return fmt.Errorf("value %s: reference count %d, live quads refer to it %d times", s, d.Values[s], n)
			}
		}
		for s, n := range d.Values {
			if refCount[s] != n {
				return fmt.Errorf("value %s: reference count %d, live quads refer to it %d times", s, n, refCount[s])
			}
		}
		meta := tx.Bucket(metaBucket)
		if v := meta.Get([]byte("size")); len(v) == 8 {
			d.Size = binary.LittleEndian.Uint64(v)
		}
		if d.Size != uint64(len(d.Live)) {
			return fmt.Errorf("size %d, %d live quads", d.Size, len(d.Live))
		}
		indexes, err := storeIndexes(meta)
		if err != nil {
			return err
		}
		listed := map[string]bool{}
		for _, ind := range indexes {
			b := tx.Bucket(indexBucket(ind))
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				ids, err := decodeIDs(v)
				if err != nil {
					return err
				}
				if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
					return fmt.Errorf("index %s: list %v not increasing", indexBucket(ind), ids)
				}
				var texts []string
				for _, id := range ids {
					dirs, ok := quads[id]
					if !ok {
						return fmt.Errorf("index %s lists %d, no quad", indexBucket(ind), id)
					}
					if string(indexKey(ind, dirs)) != string(k) {
						return fmt.Errorf("index %s lists quad %d under another key", indexBucket(ind), id)
					}
					text, _ := quadText(dirs, dead[id])
					texts = append(texts, text)
					listed[fmt.Sprint(string(indexBucket(ind)), id)] = true
				}
				key := make([]string, len(k)/8)
				for i := range key {
					var err error
					if key[i], err = value(binary.BigEndian.Uint64(k[8*i:])); err != nil {
						key[i] = "?"
					}
				}
				d.Index[string(indexBucket(ind))+" "+strings.Join(key, " ")] = texts
				return nil
			})
			if err != nil {
				return err
			}
			for id := range quads {
				if !listed[fmt.Sprint(string(indexBucket(ind)), id)] {
					return fmt.Errorf("index %s does not list quad %d", indexBucket(ind), id)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func boltDB(s *CayleyStore) *bolt.DB { return s.be.(*boltBackend).db }

// bulkBatches is a load and an update of it: renames that drop aliases,
// new entities and relations, a cascaded delete.
func bulkBatches() (load, change Batch) {
	src := []string{"s"}
	load.Sources = []Source{{Key: "s", Title: "T", URL: "https://example.org/", Publisher: "P", Published: MustDate("2024")}}
	for i := range 30 {
		load.Entities = append(load.Entities, Entity{ID: fmt.Sprintf("e%d", i), Kind: KindCompany, Name: fmt.Sprintf("E%d", i),
			Aliases: []string{fmt.Sprintf("alias %d", i), "shared alias"}, Country: "CN", Sources: src})
	}
	for i := range 29 {
		load.Relations = append(load.Relations, Relation{Type: CustomerOf, From: fmt.Sprintf("e%d", i), To: fmt.Sprintf("e%d", (i*7+1)%30),
			Status: StatusReported, Sources: src})
	}
	change = Batch{DeleteEntities: []string{"e29"}, Cascade: true}
	for i := range 10 {
		change.Entities = append(change.Entities, Entity{ID: fmt.Sprintf("e%d", i), Kind: KindCompany, Name: fmt.Sprintf("Renamed %d", i), Sources: src})
		change.Entities = append(change.Entities, Entity{ID: fmt.Sprintf("n%d", i), Kind: KindChip, Name: fmt.Sprintf("N%d", i), Sources: src})
		change.Relations = append(change.Relations, Relation{Type: Designs, From: fmt.Sprintf("e%d", i), To: fmt.Sprintf("n%d", i),
			Status: StatusConfirmed, Sources: src})
	}
	return load, change
}

// TestBulkWriteAsCayleyWrites writes the same batches into two files,
// through cayley's ApplyDeltas (writes of one transaction) and as bulk
// writes (writeChunk made tiny), and checks that the files say the same:
// the same values with the same reference counts, the same quads, live
// and deleted, and the same index lists.
func TestBulkWriteAsCayleyWrites(t *testing.T) {
	load, change := bulkBatches()
	// The update in pieces cayley writes in one transaction each (none
	// drops a node an added quad uses).
	var updates []Batch
	for i := range change.Entities {
		updates = append(updates, Batch{Entities: change.Entities[i : i+1]})
	}
	updates = append(updates, Batch{Relations: change.Relations}, Batch{DeleteEntities: change.DeleteEntities, Cascade: true})
	write := func(chunk int) (cayleyDump, []string) {
		defer func(n int) { writeChunk = n }(writeChunk)
		writeChunk = chunk
		s, err := Open(ctx, "bolt:"+filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i, b := range append([]Batch{load}, updates...) {
			if _, err := s.Apply(ctx, b); err != nil {
				t.Fatalf("chunk %d, batch %d: %v", chunk, i, err)
			}
		}
		var records []string
		if err := s.Quads(ctx, func(q quad.Quad) error { records = append(records, q.NQuad()); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(records)
		return dumpCayley(t, boltDB(s)), records
	}
	viaCayley, records := write(1 << 30)
	bulk, bulkRecords := write(4)
	if !slices.Equal(records, bulkRecords) {
		t.Fatal("the stores' quads differ")
	}
	if len(viaCayley.Dead) == 0 || len(viaCayley.Live) < 100 {
		t.Fatalf("too little written to compare: %d live quads, %d deleted", len(viaCayley.Live), len(viaCayley.Dead))
	}
	if !reflect.DeepEqual(viaCayley, bulk) {
		for s, n := range viaCayley.Values {
			if bulk.Values[s] != n {
				t.Errorf("value %s: %d references through cayley, %d bulk", s, n, bulk.Values[s])
			}
		}
		for k, l := range viaCayley.Index {
			if !slices.Equal(bulk.Index[k], l) {
				t.Errorf("index %s: %v through cayley, %v bulk", k, l, bulk.Index[k])
			}
		}
		t.Fatalf("the files differ: %d/%d values, %d/%d live, %d/%d dead, %d/%d index keys",
			len(viaCayley.Values), len(bulk.Values), len(viaCayley.Live), len(bulk.Live), len(viaCayley.Dead), len(bulk.Dead), len(viaCayley.Index), len(bulk.Index))
	}
}

// TestBulkWriteCayleyReads checks that cayley itself, with its default
// options (bloom filters read from the log), reads a bulk-written file
// as chipgraph wrote it, and can delete every quad, leaving no value
// behind: the reference counts are right.
func TestBulkWriteCayleyReads(t *testing.T) {
	defer func(n int) { writeChunk = n }(writeChunk)
	writeChunk = 7
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(ctx, "bolt:"+path)
	if err != nil {
		t.Fatal(err)
	}
	load, change := bulkBatches()
	for _, b := range []Batch{load, change} {
		if _, err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	s.Quads(ctx, func(q quad.Quad) error { want = append(want, q.NQuad()); return nil })
	slices.Sort(want)
	s.Close()

	db, err := hbolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ckv.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var all []cgraph.Delta
	if err := eachQuad(ctx, qs, quad.Any, nil, func(q quad.Quad) error {
		got = append(got, q.NQuad())
		all = append(all, cgraph.Delta{Quad: q, Action: cgraph.Delete})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("cayley reads %d quads, chipgraph wrote %d", len(got), len(want))
	}
	st, err := qs.Stats(ctx, true)
	if err != nil || st.Quads.Value != int64(len(want)) {
		t.Fatalf("cayley's stats: %+v, %v; want %d quads", st, err, len(want))
	}
	// A quad already there is refused, as cayley refuses it.
	if err := qs.ApplyDeltas([]cgraph.Delta{{Quad: all[0].Quad, Action: cgraph.Add}}, cgraph.IgnoreOpts{}); !errors.Is(err, cgraph.ErrQuadExists) {
		t.Errorf("adding a quad the file holds: %v, want ErrQuadExists", err)
	}
	if err := qs.ApplyDeltas(all, cgraph.IgnoreOpts{}); err != nil {
		t.Fatal(err)
	}
	d := dumpCayley(t, db.DB())
	if len(d.Values) != 0 || len(d.Live) != 0 {
		t.Errorf("after cayley deleted every quad: %d values, %d live quads left", len(d.Values), len(d.Live))
	}
	qs.Close()
}

// TestBulkWriteFailure fails a bulk write at each of its transactions in
// turn, with an error the write sees (as a full disk gives). Before the
// switch the write fails and undoes itself: the store, in memory and in
// its file, is as before, and the same write then succeeds. After it the
// write stands; the deletes it could not make, the next write makes.
func TestBulkWriteFailure(t *testing.T) {
	defer func(n int) { writeChunk = n }(writeChunk)
	writeChunk = 5
	load, change := bulkBatches()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	s, err := Open(ctx, "bolt:"+base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, load); err != nil {
		t.Fatal(err)
	}
	s.Close()
	baseFile, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	open := func() *CayleyStore {
		n++
		f := filepath.Join(dir, fmt.Sprintf("s%d.db", n))
		if err := os.WriteFile(f, baseFile, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, "bolt:"+f)
		if err != nil {
			t.Fatal(err)
		}
		boltDB(s).NoSync = true // no power cut here: the test is quicker
		return s
	}
	ref := open()
	if _, err := ref.Apply(ctx, change); err != nil {
		t.Fatal(err)
	}
	want, wantStats := dumpCayley(t, boltDB(ref)), mustStats(t, ref)
	ref.Close()
	failed, stood := 0, 0
	for failAt := 1; ; failAt++ {
		s := open()
		before, beforeStats := dumpCayley(t, boltDB(s)), mustStats(t, s)
		be := s.be.(*boltBackend)
		be.failAt, be.txns = failAt, 0
		_, err := s.Apply(ctx, change)
		took := be.txns
		be.failAt = 0
		switch {
		case errors.Is(err, errSimulatedFailure):
			failed++
			if after := dumpCayley(t, boltDB(s)); !reflect.DeepEqual(before, after) {
				t.Errorf("fail at transaction %d: the write failed, and the file changed", failAt)
			}
			if st := mustStats(t, s); !reflect.DeepEqual(st, beforeStats) {
				t.Errorf("fail at transaction %d: stats %+v, were %+v", failAt, st, beforeStats)
			}
			if _, err := s.Apply(ctx, change); err != nil {
				t.Fatalf("the write after a failure at %d: %v", failAt, err)
			}
		case err != nil:
			t.Fatalf("fail at %d: %v", failAt, err)
		default:
			stood++
			// Finish what the failure left: the next write does.
			if _, err := s.Apply(ctx, Batch{Sources: load.Sources}); err != nil {
				t.Fatal(err)
			}
		}
		if got := dumpCayley(t, boltDB(s)); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(mustStats(t, s), wantStats) {
			t.Errorf("fail at transaction %d: not the state the write gives", failAt)
		}
		s.Close()
		if took < failAt {
			break // no transaction failed
		}
	}
	if failed < 3 || stood < 2 {
		t.Errorf("%d failures undone, %d after the switch: want both", failed, stood)
	}
}

func mustStats(t *testing.T, s *CayleyStore) Stats {
	t.Helper()
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBulkUndoCrash crashes a bulk write just before its switch, then
// crashes the undo before each of its transactions in turn: reopening the
// file still gives the old state, value for value.
func TestBulkUndoCrash(t *testing.T) {
	defer func(n int) { writeChunk = n }(writeChunk)
	writeChunk = 5
	load, change := bulkBatches()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	s, err := Open(ctx, "bolt:"+base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, load); err != nil {
		t.Fatal(err)
	}
	want := dumpCayley(t, boltDB(s))
	s.Close()
	baseFile, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	// crashed copies the base, crashes the write before transaction k and
	// reports whether it had switched by then.
	crashed := func(k int) (*CayleyStore, string, bool) {
		n++
		f := filepath.Join(dir, fmt.Sprintf("c%d.db", n))
		if err := os.WriteFile(f, baseFile, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, "bolt:"+f)
		if err != nil {
			t.Fatal(err)
		}
		boltDB(s).NoSync = true
		be := s.be.(*boltBackend)
		be.crashAt = k
		if _, err := s.Apply(ctx, change); !errors.Is(err, errSimulatedCrash) {
			t.Fatalf("crash at %d: %v", k, err)
		}
		switched := false
		be.db.View(func(tx *bolt.Tx) error {
			switched = tx.Bucket(journalBucket).Get(keyJournalCommit[1]) != nil
			return nil
		})
		return s, f, switched
	}
	// The switch is the first transaction after which the file had switched.
	last := 0
	for k := 2; ; k++ {
		s, _, switched := crashed(k)
		s.be.(*boltBackend).qs.Close()
		if switched {
			last = k - 1 // a crash before the switch leaves the most to undo
			break
		}
	}
	if last < 3 {
		t.Fatalf("the write switched at transaction %d", last+1)
	}
	for m := 1; ; m++ {
		s, f, _ := crashed(last)
		be := s.be.(*boltBackend)
		be.crashAt = be.txns + m
		rerr := be.recover(ctx)
		be.qs.Close()
		if rerr != nil && !errors.Is(rerr, errSimulatedCrash) {
			t.Fatalf("undo, crash at %d: %v", m, rerr)
		}
		s, err := Open(ctx, "bolt:"+f)
		if err != nil {
			t.Fatalf("reopen after the undo crashed at %d: %v", m, err)
		}
		if got := dumpCayley(t, boltDB(s)); !reflect.DeepEqual(got, want) {
			t.Errorf("undo crashed at transaction %d: not the old state", m)
		}
		s.Close()
		if rerr == nil {
			if m < 4 {
				t.Errorf("the undo took %d transactions", m-1)
			}
			break
		}
	}
}

// TestBulkDeleteThenCayleyWrite deletes entities in a bulk write, then
// writes them again through cayley's ApplyDeltas: cayley must not reuse
// the ids it had cached for their IRIs, which the bulk delete deleted.
func TestBulkDeleteThenCayleyWrite(t *testing.T) {
	defer func(n int) { writeChunk = n }(writeChunk)
	load, _ := bulkBatches()
	s, err := Open(ctx, "bolt:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeChunk = 1 << 30 // through cayley, which caches the IRIs' ids
	if _, err := s.Apply(ctx, load); err != nil {
		t.Fatal(err)
	}
	writeChunk = 4 // in bulk
	if _, err := s.Apply(ctx, Batch{DeleteEntities: []string{"e1", "e2", "e3"}, Cascade: true}); err != nil {
		t.Fatal(err)
	}
	writeChunk = 1 << 30
	again := Batch{Entities: load.Entities[1:4], Relations: []Relation{{Type: CustomerOf, From: "e1", To: "e2", Status: StatusReported, Sources: []string{"s"}}}}
	if _, err := s.Apply(ctx, again); err != nil {
		t.Fatal(err)
	}
	d := dumpCayley(t, boltDB(s)) // fails on a quad whose value is gone
	if !slices.ContainsFunc(d.Live, func(q string) bool { return strings.HasPrefix(q, "<urn:chipgraph:entity:e1> ") }) {
		t.Errorf("e1 not written again")
	}
}

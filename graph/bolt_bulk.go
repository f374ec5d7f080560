package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// A staged write's adds are written straight into cayley's key-value
// layout (graph/kv: a log of primitives, the value and reference-count
// buckets keyed by value hash, the quad indexes), in three passes, rather
// than through cayley's ApplyDeltas a chunk at a time. Each of cayley's
// transactions touches every one of the 131,072 value buckets its chunk's
// values hash into, which in a large load is nearly all of them, whatever
// the chunk's size: the pages a transaction copies grow with the file, so
// a load's time grew with the square of its size (a 1M-row edge list had
// not finished after 23 minutes) and each transaction held hundreds of MB
// of pages. Here:
//
//  1. the quads are streamed in log order: each new value and each quad is
//     given the next id and appended to the log (sequential pages), values
//     already in the store are looked up; what is kept is a hash, an id and
//     a count per value and the ids of each quad;
//  2. the value and reference-count buckets are written in hash order, each
//     bucket once;
//  3. each quad index is written in key order, each key once.
//
// Every pass commits a transaction per writeChunk items, so a transaction
// holds a few MB of pages. The journal records the horizon (the last id)
// before the write, and how far pass 2 got; until the switch, recover
// undoes the write from the log entries above that horizon (undoBulk), so
// the file holds the old state or the whole new one, as with cayley's
// writer. The file stays cayley's: its own tools read it (TestCayleyReads).

var (
	logBucket  = []byte("log")
	metaBucket = []byte("meta")
	// keyJournalBulk holds the horizon before a bulk write (8 bytes) and
	// whether the store had one (1 byte); keyJournalBulkValues, the hash
	// prefix (2 bytes of the hash, as a uint32) below which pass 2 wrote the
	// value buckets.
	keyJournalBulk       = []byte("bulk")
	keyJournalBulkValues = []byte("bulk-values")
)

// bulkNode is a value a bulk write references: its hash, id and the
// references the write adds. A node the write created has an id above
// the write's base. 32 bytes: a load holds one per value.
type bulkNode struct {
	hash refs.ValueHash
	inc  uint32
	id   uint64
}

// bulkQuad is an added quad: the ids of its values in quad.Directions
// order (0 for none) and its own id.
type bulkQuad struct {
	dirs [4]uint64
	id   uint64
}

type bulkAdd struct {
	be      *boltBackend
	indexes []ckv.QuadIndex
	base    uint64 // the horizon before the write
	hadBase bool   // whether the store had a horizon
	horizon uint64 // the last id given
	index   map[refs.ValueHash]int32
	nodes   []bulkNode
	quads   []bulkQuad
	dels    int // journal entries of deletes
}

// writeBulk writes a plan's adds as above, lists its deletes in the
// journal, and switches; the deletes follow (recover). On an error before
// the switch it undoes what it wrote.
func (be *boltBackend) writeBulk(ctx context.Context, pl *plan, rev uint64) error {
	// Sized for a load, one new value a quad (the record's JSON, or the
	// relation's IRI); a write of many more grows them.
	w := &bulkAdd{be: be, index: make(map[refs.ValueHash]int32, pl.adds+64),
		nodes: make([]bulkNode, 0, pl.adds+64), quads: make([]bulkQuad, 0, pl.adds)}
	err := w.stream(ctx, pl)
	if err == nil {
		err = w.values(ctx)
	}
	if err == nil {
		err = w.writeIndexes(ctx)
	}
	if err == nil {
		err = w.switchOver(rev)
	}
	if errors.Is(err, errSimulatedCrash) {
		return err
	}
	if err != nil {
		w.index, w.nodes, w.quads = nil, nil, nil
		if rerr := be.recover(context.WithoutCancel(ctx)); rerr != nil {
			be.unfinished = true
			return fmt.Errorf("%w (and undoing it failed: %v; reopening the store undoes it)", err, rerr)
		}
		return err
	}
	w.index, w.nodes, w.quads = nil, nil, nil
	// Switched: the write stands. A failure to delete the old quads now
	// is finished by the next write or Open.
	if err := be.recover(context.WithoutCancel(ctx)); err != nil {
		if errors.Is(err, errSimulatedCrash) {
			return err
		}
		be.unfinished = true
	}
	return nil
}

// update runs fn in a read-write transaction of its own, one the crash
// tests count, and lets the file's pages go after.
func (be *boltBackend) update(fn func(tx *bolt.Tx) error) error {
	if err := be.crash(); err != nil {
		return err
	}
	defer dropPages(be.db)
	return be.db.Update(fn)
}

// stream is pass 1: the plan's adds into the log, writeChunk quads a
// transaction, its deletes listed in the journal.
func (w *bulkAdd) stream(ctx context.Context, pl *plan) error {
	var adds, dels []cgraph.Delta
	first := true
	flush := func() error {
		err := w.be.update(func(tx *bolt.Tx) error {
			if first {
				if err := w.begin(tx); err != nil {
					return err
				}
			}
			ts := time.Now().UnixNano()
			for _, d := range adds {
				if err := w.add(tx, d.Quad, ts); err != nil {
					return err
				}
			}
			if len(dels) > 0 {
				j, err := tx.CreateBucketIfNotExists(journalBucket)
				if err != nil {
					return err
				}
				if err := j.Put(journalKey("del", w.dels)[1], nquadsText(dels)); err != nil {
					return err
				}
			}
			return putMetaInt(tx, "horizon", w.horizon)
		})
		if err == nil {
			first = false
			adds = adds[:0]
			if len(dels) > 0 {
				w.dels++
				dels = dels[:0]
			}
		}
		return err
	}
	err := pl.deltas(func(d cgraph.Delta) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Action == cgraph.Delete {
			if dels = append(dels, d); len(dels) >= writeChunk {
				return flush()
			}
			return nil
		}
		if adds = append(adds, d); len(adds) >= writeChunk {
			return flush()
		}
		return nil
	})
	if err == nil && (first || len(adds)+len(dels) > 0) {
		err = flush()
	}
	return err
}

// begin reads the horizon and the indexes, and journals the write.
func (w *bulkAdd) begin(tx *bolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		return errors.New("not a cayley store: no meta bucket")
	}
	if v := meta.Get([]byte("horizon")); len(v) == 8 {
		w.base, w.hadBase = binary.LittleEndian.Uint64(v), true
	}
	w.horizon = w.base
	var err error
	if w.indexes, err = storeIndexes(meta); err != nil {
		return err
	}
	j, err := tx.CreateBucketIfNotExists(journalBucket)
	if err != nil {
		return err
	}
	had := byte(0)
	if w.hadBase {
		had = 1
	}
	return j.Put(keyJournalBulk, append(binary.BigEndian.AppendUint64(nil, w.base), had))
}

// storeIndexes reads the quad indexes of the store as cayley does
// (kv.readIndexesMeta): a store without the list has the indexes of
// cayley before 0.7.6.
func storeIndexes(meta *bolt.Bucket) ([]ckv.QuadIndex, error) {
	list := []ckv.QuadIndex{{Dirs: []quad.Direction{quad.Subject}}, {Dirs: []quad.Direction{quad.Object}}}
	if v := meta.Get([]byte("indexes")); v != nil {
		var stored []ckv.QuadIndex
		if err := json.Unmarshal(v, &stored); err != nil {
			return nil, fmt.Errorf("cannot decode indexes: %v", err)
		}
		if len(stored) > 0 {
			list = stored
		}
	}
	for _, ind := range list {
		if ind.Unique {
			return nil, errors.New("a unique quad index: not written by chipgraph")
		}
	}
	return list, nil
}

// add writes q's new values and q to the log.
func (w *bulkAdd) add(tx *bolt.Tx, q quad.Quad, ts int64) error {
	log, err := tx.CreateBucketIfNotExists(logBucket)
	if err != nil {
		return err
	}
	log.FillPercent = 1 // appended in key order
	var bq bulkQuad
	old := true
	for i, d := range quad.Directions {
		v := q.Get(d)
		if v == nil {
			continue
		}
		n, err := w.node(tx, log, v, ts)
		if err != nil {
			return err
		}
		bq.dirs[i] = n.id
		old = old && n.id <= w.base
	}
	if old {
		// Every value was in the store: so may the quad be.
		if ok, err := w.stored(tx, log, bq.dirs); err != nil || ok {
			if err == nil {
				err = fmt.Errorf("%w: %s", cgraph.ErrQuadExists, q.NQuad())
			}
			return err
		}
	}
	w.horizon++
	bq.id = w.horizon
	p := &cproto.Primitive{ID: bq.id, Subject: bq.dirs[0], Predicate: bq.dirs[1], Object: bq.dirs[2], Label: bq.dirs[3], Timestamp: ts}
	if err := putPrimitive(log, p); err != nil {
		return err
	}
	w.quads = append(w.quads, bq)
	return nil
}

// node finds or creates v's node and counts the reference.
func (w *bulkAdd) node(tx *bolt.Tx, log *bolt.Bucket, v quad.Value, ts int64) (*bulkNode, error) {
	h := refs.HashOf(v)
	if i, ok := w.index[h]; ok {
		w.nodes[i].inc++
		return &w.nodes[i], nil
	}
	if len(w.nodes) == 1<<31-1 {
		return nil, errors.New("more than 2^31 values in one write")
	}
	n := bulkNode{hash: h, inc: 1}
	if b := tx.Bucket(valueBucket('v', h)); b != nil {
		if x := b.Get(h[:]); len(x) > 0 {
			n.id, _ = binary.Uvarint(x)
		}
	}
	if n.id == 0 {
		raw, err := pquads.MarshalValue(v)
		if err != nil {
			return nil, err
		}
		w.horizon++
		n.id = w.horizon
		if err := putPrimitive(log, &cproto.Primitive{ID: n.id, Value: raw, Timestamp: ts}); err != nil {
			return nil, err
		}
	}
	w.index[h] = int32(len(w.nodes))
	w.nodes = append(w.nodes, n)
	return &w.nodes[len(w.nodes)-1], nil
}

// stored reports whether the store holds a live quad of these ids.
func (w *bulkAdd) stored(tx *bolt.Tx, log *bolt.Bucket, dirs [4]uint64) (bool, error) {
	p, err := livePrimitive(tx, log, w.indexes, dirs)
	return p != nil, err
}

// values is pass 2: the value and reference-count buckets in hash order,
// recording in the journal how far it got.
func (w *bulkAdd) values(ctx context.Context) error {
	w.index = nil
	slices.SortFunc(w.nodes, func(a, b bulkNode) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	for i := 0; i < len(w.nodes); {
		if err := ctx.Err(); err != nil {
			return err
		}
		// A transaction ends at a bucket boundary.
		j := min(i+writeChunk, len(w.nodes))
		for j < len(w.nodes) && hashPrefix(w.nodes[j].hash) == hashPrefix(w.nodes[j-1].hash) {
			j++
		}
		next := uint32(1 << 16)
		if j < len(w.nodes) {
			next = hashPrefix(w.nodes[j].hash)
		}
		err := w.be.update(func(tx *bolt.Tx) error {
			var vb, nb *bolt.Bucket
			prefix := uint32(1 << 16)
			for k := i; k < j; k++ {
				n := &w.nodes[k]
				if p := hashPrefix(n.hash); p != prefix {
					prefix = p
					var err error
					if vb, err = tx.CreateBucketIfNotExists(valueBucket('v', n.hash)); err != nil {
						return err
					}
					if nb, err = tx.CreateBucketIfNotExists(valueBucket('n', n.hash)); err != nil {
						return err
					}
				}
				count := uint64(n.inc)
				if n.id > w.base {
					if err := vb.Put(n.hash[:], binary.AppendUvarint(nil, n.id)); err != nil {
						return err
					}
				} else if x := nb.Get(n.hash[:]); len(x) > 0 {
					had, _ := binary.Uvarint(x)
					count += had
				}
				if err := nb.Put(n.hash[:], binary.AppendUvarint(nil, count)); err != nil {
					return err
				}
			}
			return tx.Bucket(journalBucket).Put(keyJournalBulkValues, binary.BigEndian.AppendUint32(nil, next))
		})
		if err != nil {
			return err
		}
		i = j
	}
	w.nodes = nil
	return nil
}

// writeIndexes is pass 3: each quad index in key order, the new quad ids
// appended to each key's list (which stays in increasing order, as cayley
// keeps it).
func (w *bulkAdd) writeIndexes(ctx context.Context) error {
	// Two equal quads in one write would be written twice.
	slices.SortFunc(w.quads, func(a, b bulkQuad) int { return cmpIDs(a.dirs[:], b.dirs[:]) })
	for i := 1; i < len(w.quads); i++ {
		if w.quads[i].dirs == w.quads[i-1].dirs {
			return fmt.Errorf("%w: quad %d is written twice", cgraph.ErrQuadExists, w.quads[i].id)
		}
	}
	for _, ind := range w.indexes {
		pos := dirPositions(ind)
		key := func(q *bulkQuad) []uint64 {
			k := make([]uint64, len(pos))
			for i, p := range pos {
				k[i] = q.dirs[p]
			}
			return k
		}
		slices.SortFunc(w.quads, func(a, b bulkQuad) int {
			for _, p := range pos {
				if c := cmp.Compare(a.dirs[p], b.dirs[p]); c != 0 {
					return c
				}
			}
			return cmp.Compare(a.id, b.id)
		})
		name := indexBucket(ind)
		for i := 0; i < len(w.quads); {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := w.be.update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				for keys := 0; keys < writeChunk && i < len(w.quads); keys++ {
					k := key(&w.quads[i])
					j := i + 1
					for j < len(w.quads) && slices.Equal(key(&w.quads[j]), k) {
						j++
					}
					kb := indexKey(ind, w.quads[i].dirs)
					list := slices.Clone(b.Get(kb))
					for ; i < j; i++ {
						list = binary.AppendUvarint(list, w.quads[i].id)
					}
					if err := b.Put(kb, list); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// switchOver commits the write: the quad count, the commit marker and the
// revision, in one transaction that also drops the bulk journal.
func (w *bulkAdd) switchOver(rev uint64) error {
	return w.be.update(func(tx *bolt.Tx) error {
		size := uint64(0)
		if v := tx.Bucket(metaBucket).Get([]byte("size")); len(v) == 8 {
			size = binary.LittleEndian.Uint64(v)
		}
		if err := putMetaInt(tx, "size", size+uint64(len(w.quads))); err != nil {
			return err
		}
		j := tx.Bucket(journalBucket)
		for _, k := range [][]byte{keyJournalBulk, keyJournalBulkValues} {
			if err := j.Delete(k); err != nil {
				return err
			}
		}
		if err := j.Put(keyJournalCommit[1], u64(rev)); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(boltBucket)
		if err != nil {
			return err
		}
		return b.Put(keyRevision[1], u64(rev))
	})
}

// undoBulk undoes a bulk write that had not switched, from the log
// entries above the horizon it journaled: the value buckets pass 2 wrote
// (from the top down, moving the journal's mark with them), the index
// entries, the log entries, the horizon. Each step can be run again after
// a crash in it.
func (be *boltBackend) undoBulk(ctx context.Context) error {
	var base uint64
	var hadBase bool
	done := uint32(0)
	var fresh []bulkNode         // created by the write
	inc := map[uint64]uint32{}   // references the write's quads add, by node id
	var quads [][4]uint64        // the write's quads
	var indexes []ckv.QuadIndex  // as the write used them
	old := map[uint64]bulkNode{} // nodes before the write that it referenced
	err := be.db.View(func(tx *bolt.Tx) error {
		j := tx.Bucket(journalBucket)
		v := j.Get(keyJournalBulk)
		if len(v) != 9 {
			return fmt.Errorf("bad bulk journal entry %x", v)
		}
		base, hadBase = binary.BigEndian.Uint64(v), v[8] == 1
		if v := j.Get(keyJournalBulkValues); len(v) == 4 {
			done = binary.BigEndian.Uint32(v)
		}
		var err error
		if indexes, err = storeIndexes(tx.Bucket(metaBucket)); err != nil {
			return err
		}
		log := tx.Bucket(logBucket)
		if log == nil {
			return nil
		}
		c := log.Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, base+1)); k != nil; k, v = c.Next() {
			var p cproto.Primitive
			if err := proto.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.IsNode() {
				val, err := pquads.UnmarshalValue(p.Value)
				if err != nil {
					return err
				}
				fresh = append(fresh, bulkNode{hash: refs.HashOf(val), id: p.ID})
				continue
			}
			q := [4]uint64{p.Subject, p.Predicate, p.Object, p.Label}
			quads = append(quads, q)
			for _, id := range q {
				if id != 0 {
					inc[id]++
				}
			}
		}
		for id := range inc {
			if id > base {
				continue
			}
			p, err := getPrimitive(log, id)
			if err != nil {
				return err
			}
			if p == nil || !p.IsNode() {
				return fmt.Errorf("quad references %d, not a value", id)
			}
			val, err := pquads.UnmarshalValue(p.Value)
			if err != nil {
				return err
			}
			old[id] = bulkNode{hash: refs.HashOf(val), id: id}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The value buckets, from the top down.
	nodes := fresh
	for _, n := range old {
		nodes = append(nodes, n)
	}
	for i := range nodes {
		nodes[i].inc = inc[nodes[i].id]
	}
	slices.SortFunc(nodes, func(a, b bulkNode) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	end, _ := slices.BinarySearchFunc(nodes, done, func(n bulkNode, p uint32) int { return cmp.Compare(hashPrefix(n.hash), p) })
	for end > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := max(end-writeChunk, 0)
		for start > 0 && hashPrefix(nodes[start].hash) == hashPrefix(nodes[start-1].hash) {
			start--
		}
		low := uint32(0)
		if start > 0 {
			low = hashPrefix(nodes[start].hash)
		}
		err := be.update(func(tx *bolt.Tx) error {
			for _, n := range nodes[start:end] {
				nb := tx.Bucket(valueBucket('n', n.hash))
				if nb == nil {
					continue
				}
				if n.id > base {
					if vb := tx.Bucket(valueBucket('v', n.hash)); vb != nil {
						if err := vb.Delete(n.hash[:]); err != nil {
							return err
						}
					}
					if err := nb.Delete(n.hash[:]); err != nil {
						return err
					}
					continue
				}
				count, _ := binary.Uvarint(nb.Get(n.hash[:]))
				if count < uint64(n.inc) {
					return fmt.Errorf("value %d has %d references, the write added %d", n.id, count, n.inc)
				}
				if err := nb.Put(n.hash[:], binary.AppendUvarint(nil, count-uint64(n.inc))); err != nil {
					return err
				}
			}
			return tx.Bucket(journalBucket).Put(keyJournalBulkValues, binary.BigEndian.AppendUint32(nil, low))
		})
		if err != nil {
			return err
		}
		end = start
	}
	// The index entries: every id above the horizon goes.
	for _, ind := range indexes {
		keys := make([][]byte, 0, len(quads))
		for _, q := range quads {
			keys = append(keys, indexKey(ind, q))
		}
		slices.SortFunc(keys, bytes.Compare)
		keys = slices.CompactFunc(keys, bytes.Equal)
		for len(keys) > 0 {
			chunk := keys[:min(writeChunk, len(keys))]
			keys = keys[len(chunk):]
			err := be.update(func(tx *bolt.Tx) error {
				b := tx.Bucket(indexBucket(ind))
				if b == nil {
					return nil
				}
				for _, k := range chunk {
					ids, err := decodeIDs(b.Get(k))
					if err != nil {
						return err
					}
					keep := slices.DeleteFunc(slices.Clone(ids), func(id uint64) bool { return id > base })
					switch {
					case len(keep) == len(ids):
					case len(keep) == 0:
						err = b.Delete(k)
					default:
						var list []byte
						for _, id := range keep {
							list = binary.AppendUvarint(list, id)
						}
						err = b.Put(k, list)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	// The log entries, then the horizon and the journal entry.
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		more := false
		err := be.update(func(tx *bolt.Tx) error {
			log := tx.Bucket(logBucket)
			if log == nil {
				return nil
			}
			var keys [][]byte
			c := log.Cursor()
			for k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, base+1)); k != nil && len(keys) < writeChunk; k, _ = c.Next() {
				keys = append(keys, slices.Clone(k))
			}
			more = len(keys) == writeChunk
			for _, k := range keys {
				if err := log.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	err = be.update(func(tx *bolt.Tx) error {
		var err error
		if hadBase {
			err = putMetaInt(tx, "horizon", base)
		} else {
			err = tx.Bucket(metaBucket).Delete([]byte("horizon"))
		}
		if err != nil {
			return err
		}
		j := tx.Bucket(journalBucket)
		if err := j.Delete(keyJournalBulkValues); err != nil {
			return err
		}
		return j.Delete(keyJournalBulk)
	})
	if err != nil {
		return err
	}
	// cayley's quad store caches the ids of IRIs: drop what it may hold
	// of the values deleted.
	return be.renewQuadStore()
}

func valueBucket(kind byte, h refs.ValueHash) []byte { return []byte{kind, h[0], h[1]} }

func hashPrefix(h refs.ValueHash) uint32 { return uint32(h[0])<<8 | uint32(h[1]) }

// indexBucket and indexKey name an index entry as cayley's
// QuadIndex.KeyFor does.
func indexBucket(ind ckv.QuadIndex) []byte {
	name := make([]byte, len(ind.Dirs))
	for i, d := range ind.Dirs {
		name[i] = d.Prefix()
	}
	return name
}

func indexKey(ind ckv.QuadIndex, dirs [4]uint64) []byte {
	key := make([]byte, 0, 8*len(ind.Dirs))
	for _, p := range dirPositions(ind) {
		key = binary.BigEndian.AppendUint64(key, dirs[p])
	}
	return key
}

// dirPositions gives the positions in quad.Directions of an index's
// directions.
func dirPositions(ind ckv.QuadIndex) []int {
	pos := make([]int, len(ind.Dirs))
	for i, d := range ind.Dirs {
		pos[i] = slices.Index(quad.Directions, d)
	}
	return pos
}

func cmpIDs(a, b []uint64) int { return slices.Compare(a, b) }

func decodeIDs(b []byte) ([]uint64, error) {
	var out []uint64
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad index list")
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// intersectIDs intersects two increasing lists.
func intersectIDs(a, b []uint64) []uint64 {
	var out []uint64
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			a = a[1:]
		case a[0] > b[0]:
			b = b[1:]
		default:
			out = append(out, a[0])
			a, b = a[1:], b[1:]
		}
	}
	return out
}

func putPrimitive(log *bolt.Bucket, p *cproto.Primitive) error {
	buf, err := proto.Marshal(p)
	if err != nil {
		return err
	}
	return log.Put(binary.BigEndian.AppendUint64(nil, p.ID), buf)
}

func getPrimitive(log *bolt.Bucket, id uint64) (*cproto.Primitive, error) {
	v := log.Get(binary.BigEndian.AppendUint64(nil, id))
	if v == nil {
		return nil, nil
	}
	var p cproto.Primitive
	if err := proto.Unmarshal(v, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// putMetaInt writes one of cayley's counters ("horizon", "size").
func putMetaInt(tx *bolt.Tx, key string, n uint64) error {
	return tx.Bucket(metaBucket).Put([]byte(key), binary.LittleEndian.AppendUint64(nil, n))
}

// keyJournalDecDone holds the hash prefix (as a uint32) below which
// deleteBulk has applied the dec- entries to the reference counts.
var keyJournalDecDone = []byte("decrements-done")

// deleteBulk makes the deletes a switched write lists in its journal (the
// del- entries), as cayley's ApplyDeltas would but touching each value
// bucket once, not once a chunk. First, each del- entry in a transaction
// of its own: its quads found and marked deleted in the log, as cayley
// marks them (index lists keep the ids of deleted quads, as cayley's do),
// the quad count lowered, and the entry replaced by a dec- entry listing
// the references those quads held, by value hash. Then the reference
// counts in hash order, the values left with none deleted (their bucket
// entries and log entries), the journal noting how far it got; last, the
// dec- entries go. Run again after a crash, it carries on.
func (be *boltBackend) deleteBulk(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var key []byte
		be.db.View(func(tx *bolt.Tx) error {
			if j := tx.Bucket(journalBucket); j != nil {
				if k, _ := j.Cursor().Seek([]byte("del-")); bytes.HasPrefix(k, []byte("del-")) {
					key = slices.Clone(k)
				}
			}
			return nil
		})
		if key == nil {
			break
		}
		err := be.update(func(tx *bolt.Tx) error {
			j := tx.Bucket(journalBucket)
			quads, err := parseNQuads(string(j.Get(key)))
			if err != nil {
				return fmt.Errorf("journal %s: %w", key, err)
			}
			meta := tx.Bucket(metaBucket)
			indexes, err := storeIndexes(meta)
			if err != nil {
				return err
			}
			log := tx.Bucket(logBucket)
			dec := map[refs.ValueHash]uint64{}
			dead := uint64(0)
		quads:
			for _, q := range quads {
				var dirs [4]uint64
				var hashes [4]refs.ValueHash
				for i, d := range quad.Directions {
					v := q.Get(d)
					if v == nil {
						continue
					}
					hashes[i] = refs.HashOf(v)
					if vb := tx.Bucket(valueBucket('v', hashes[i])); vb != nil {
						dirs[i], _ = binary.Uvarint(vb.Get(hashes[i][:]))
					}
					if dirs[i] == 0 {
						continue quads // not there: nothing to delete
					}
				}
				p, err := livePrimitive(tx, log, indexes, dirs)
				if err != nil {
					return err
				}
				if p == nil {
					continue
				}
				p.Deleted = true
				if err := putPrimitive(log, p); err != nil {
					return err
				}
				dead++
				for i, id := range dirs {
					if id != 0 {
						dec[hashes[i]]++
					}
				}
			}
			size := uint64(0)
			if v := meta.Get([]byte("size")); len(v) == 8 {
				size = binary.LittleEndian.Uint64(v)
			}
			if err := putMetaInt(tx, "size", size-min(size, dead)); err != nil {
				return err
			}
			var list []byte
			for h, n := range dec {
				list = binary.AppendUvarint(append(list, h[:]...), n)
			}
			if err := j.Put(append([]byte("dec-"), key[len("del-"):]...), list); err != nil {
				return err
			}
			return j.Delete(key)
		})
		if err != nil {
			return err
		}
	}
	// The reference counts.
	var decKeys [][]byte
	total := map[refs.ValueHash]uint64{}
	done := uint32(0)
	err := be.db.View(func(tx *bolt.Tx) error {
		j := tx.Bucket(journalBucket)
		if j == nil {
			return nil
		}
		if v := j.Get(keyJournalDecDone); len(v) == 4 {
			done = binary.BigEndian.Uint32(v)
		}
		c := j.Cursor()
		for k, v := c.Seek([]byte("dec-")); bytes.HasPrefix(k, []byte("dec-")); k, v = c.Next() {
			decKeys = append(decKeys, slices.Clone(k))
			for len(v) > 0 {
				if len(v) < len(refs.ValueHash{}) {
					return fmt.Errorf("journal %s: truncated", k)
				}
				h := refs.ValueHash(v[:len(refs.ValueHash{})])
				n, size := binary.Uvarint(v[len(h):])
				if size <= 0 {
					return fmt.Errorf("journal %s: bad count", k)
				}
				total[h] += n
				v = v[len(h)+size:]
			}
		}
		return nil
	})
	if err != nil || len(decKeys) == 0 {
		return err
	}
	nodes := make([]bulkNode, 0, len(total))
	for h, n := range total {
		if hashPrefix(h) >= done {
			nodes = append(nodes, bulkNode{hash: h, id: n}) // id: the references to take
		}
	}
	total = nil
	slices.SortFunc(nodes, func(a, b bulkNode) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	for i := 0; i < len(nodes); {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := min(i+writeChunk, len(nodes))
		for j < len(nodes) && hashPrefix(nodes[j].hash) == hashPrefix(nodes[j-1].hash) {
			j++
		}
		next := uint32(1 << 16)
		if j < len(nodes) {
			next = hashPrefix(nodes[j].hash)
		}
		err := be.update(func(tx *bolt.Tx) error {
			log := tx.Bucket(logBucket)
			for _, n := range nodes[i:j] {
				nb, vb := tx.Bucket(valueBucket('n', n.hash)), tx.Bucket(valueBucket('v', n.hash))
				if nb == nil || vb == nil {
					continue
				}
				count, _ := binary.Uvarint(nb.Get(n.hash[:]))
				if count > n.id {
					if err := nb.Put(n.hash[:], binary.AppendUvarint(nil, count-n.id)); err != nil {
						return err
					}
					continue
				}
				// The last reference: the value goes, as cayley's decNodes
				// deletes it.
				id, _ := binary.Uvarint(vb.Get(n.hash[:]))
				if err := nb.Delete(n.hash[:]); err != nil {
					return err
				}
				if err := vb.Delete(n.hash[:]); err != nil {
					return err
				}
				if id != 0 {
					if err := log.Delete(binary.BigEndian.AppendUint64(nil, id)); err != nil {
						return err
					}
				}
			}
			return tx.Bucket(journalBucket).Put(keyJournalDecDone, binary.BigEndian.AppendUint32(nil, next))
		})
		if err != nil {
			return err
		}
		i = j
	}
	err = be.update(func(tx *bolt.Tx) error {
		j := tx.Bucket(journalBucket)
		for _, k := range append(decKeys, keyJournalDecDone) {
			if err := j.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// cayley's quad store caches the ids of IRIs: drop what it may hold
	// of the values deleted.
	return be.renewQuadStore()
}

// livePrimitive finds the live quad of these ids, as cayley's
// hasPrimitive does: the intersection of its index lists, the latest
// first.
func livePrimitive(tx *bolt.Tx, log *bolt.Bucket, indexes []ckv.QuadIndex, dirs [4]uint64) (*cproto.Primitive, error) {
	var cand []uint64
	for i, ind := range indexes {
		b := tx.Bucket(indexBucket(ind))
		if b == nil {
			return nil, nil
		}
		list, err := decodeIDs(b.Get(indexKey(ind, dirs)))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			cand = list
		} else {
			cand = intersectIDs(cand, list)
		}
	}
	for i := len(cand) - 1; i >= 0; i-- {
		p, err := getPrimitive(log, cand[i])
		if err != nil {
			return nil, err
		}
		if p != nil && !p.Deleted && p.Subject == dirs[0] && p.Predicate == dirs[1] && p.Object == dirs[2] && p.Label == dirs[3] {
			return p, nil
		}
	}
	return nil, nil
}

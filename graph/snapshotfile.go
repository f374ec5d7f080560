package graph

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A replica over PostgreSQL may keep a snapshot file: its graph at one
// revision, so that a restart loads the file and applies the change log
// after it instead of reading the whole graph from the database.
//
// The file is lines of text:
//
//	chipgraph-snapshot 1 {"store":ID,"revision":R,"log":FP,"quads":Q,"records":N}
//	s {source JSON}      the sources,
//	e {entity JSON}      the entities,
//	r {relation JSON}    the relations: N lines in all, each record as
//	                     its record quad holds it
//	sha256 HEX           of every byte above
//
// ID is the store's identity (chipgraph_store), FP the fingerprint of the
// change log's entry at R (see fingerprint). It is written to a temporary
// file in the same directory, synced, renamed over the old one and the
// directory synced, so the path holds the old file or the whole new one.
// It is written from a published snapshot, which never changes: no lock is
// held, and readers and writers go on meanwhile.
//
// A file is used only when it is whole (N records, the checksum, nothing
// after it), belongs to this store, is not ahead of the database, the log
// still holds its revision with the same fingerprint and every revision
// after it, and none of those is a reload. Otherwise the store reads the
// whole graph, and StartInfo says why.

const snapshotMagic = "chipgraph-snapshot 1 "

// maxSnapshotLine bounds a line of a snapshot file, so that a damaged file
// cannot make a reader hold more than that.
const maxSnapshotLine = 64 << 20

// Options are the settings of OpenWith beyond the DSN.
type Options struct {
	// SnapshotFile, over PostgreSQL, is where the store keeps a snapshot
	// of its graph (see above); empty keeps none. Other backends refuse it.
	SnapshotFile string
	// SnapshotEvery is how often at most a snapshot is written while the
	// graph moves on (0: DefaultSnapshotEvery). One is also written once
	// snapshotRevisions revisions have landed since the last, and at
	// Close.
	SnapshotEvery time.Duration
	// Log receives what the store does on its own: snapshot files
	// written, and failures to write them. Nil discards.
	Log *slog.Logger
}

// DefaultSnapshotEvery is Options.SnapshotEvery's default: well inside the
// hour the change log is kept at least (keepChanges), so a file kept up to
// date is always usable, at the cost of one write of the graph in five
// minutes while it changes (about 1 s per 100,000 records).
const DefaultSnapshotEvery = 5 * time.Minute

// snapshotRevisions is how many revisions may land before a snapshot is
// written whatever the time: a restart then applies at most about that
// many logged changes.
const snapshotRevisions = 1000

// StartInfo says how a store got its graph at Open.
type StartInfo struct {
	// FromSnapshot is true when it loaded a snapshot file at revision
	// SnapshotRevision and applied the Applied logged changes after it.
	FromSnapshot     bool
	SnapshotRevision uint64
	Applied          int
	// Revision is the revision it started at.
	Revision uint64
	// Reason says why a store over PostgreSQL read the whole graph;
	// Refused is true when a snapshot file was there but not used.
	Reason  string
	Refused bool
}

func (s StartInfo) String() string {
	if s.FromSnapshot {
		return fmt.Sprintf("started from snapshot at revision %d, applied %d logged changes, now at revision %d",
			s.SnapshotRevision, s.Applied, s.Revision)
	}
	if s.Reason == "" {
		return fmt.Sprintf("read the whole graph at revision %d", s.Revision)
	}
	return fmt.Sprintf("read the whole graph at revision %d: %s", s.Revision, s.Reason)
}

// snapshotHeader is the first line of a snapshot file, after the magic.
type snapshotHeader struct {
	Store    string `json:"store"`
	Revision uint64 `json:"revision"`
	Log      string `json:"log"`
	Quads    int    `json:"quads"`
	Records  int    `json:"records"`
}

// writeSnapshotFile writes p to path atomically (see above).
func writeSnapshotFile(ctx context.Context, path string, p *snapshot, storeID, logFP string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	sum := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	h, _ := json.Marshal(snapshotHeader{Store: storeID, Revision: p.rev, Log: logFP, Quads: p.quads,
		Records: p.sources.n + p.nodeIDs.n + p.edgeIDs.n})
	w.WriteString(snapshotMagic)
	w.Write(h)
	w.WriteByte('\n')
	enc := json.NewEncoder(w)
	n := 0
	put := func(tag string, v any) bool {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			return false
		}
		w.WriteString(tag)
		err = enc.Encode(v) // the record's JSON, as its record quad holds it, and "\n"
		return err == nil
	}
	p.sources.each(func(_ string, s *Source) bool { return put("s ", s) })
	if err == nil {
		p.nodeIDs.each(func(_ string, i int32) bool { return put("e ", p.node(i).entity) })
	}
	if err == nil {
		p.edgeIDs.each(func(_ string, i int32) bool { return put("r ", p.edge(i).rel) })
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "sha256 %x\n", sum.Sum(nil)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// snapshotReader streams a snapshot file, checking it as it goes.
type snapshotReader struct {
	r    *bufio.Reader
	sum  hash.Hash
	line int
	buf  []byte
}

// errSnapshot is a snapshot file that is damaged or not one.
type errSnapshot struct {
	line int
	msg  string
}

func (e *errSnapshot) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// next returns the next line without its newline, and hashes it unless it
// is the trailer. It is only valid until the next call.
func (r *snapshotReader) next() ([]byte, error) {
	r.line++
	r.buf = r.buf[:0]
	for {
		part, err := r.r.ReadSlice('\n')
		r.buf = append(r.buf, part...)
		if len(r.buf) > maxSnapshotLine {
			return nil, &errSnapshot{r.line, fmt.Sprintf("longer than %d bytes", maxSnapshotLine)}
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil, &errSnapshot{r.line, "the file ends here: truncated"}
		}
		return nil, err
	}
	if !bytes.HasPrefix(r.buf, []byte("sha256 ")) {
		r.sum.Write(r.buf)
	}
	return r.buf[:len(r.buf)-1], nil
}

// header reads the first line.
func (r *snapshotReader) header() (snapshotHeader, error) {
	var h snapshotHeader
	line, err := r.next()
	if err != nil {
		return h, err
	}
	js, ok := bytes.CutPrefix(line, []byte(snapshotMagic))
	if !ok {
		return h, &errSnapshot{r.line, "not a chipgraph snapshot file (version 1)"}
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return h, &errSnapshot{r.line, "header: " + err.Error()}
	}
	if h.Records < 0 || h.Quads < 0 {
		return h, &errSnapshot{r.line, "header: negative count"}
	}
	return h, nil
}

// records calls fn with the h.Records records that follow the header, in
// order, then checks the trailer and that nothing follows it. The records
// are decoded on another goroutine, a batch at a time, while fn builds: the
// JSON takes about half the time of a start from a file.
func (r *snapshotReader) records(ctx context.Context, h snapshotHeader, fn func(any)) error {
	batches := make(chan []any, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		errc <- r.decode(ctx, h, batches)
	}()
	for batch := range batches {
		for _, rec := range batch {
			fn(rec)
		}
	}
	return <-errc
}

const decodeBatch = 512

func (r *snapshotReader) decode(ctx context.Context, h snapshotHeader, batches chan<- []any) error {
	batch := make([]any, 0, decodeBatch)
	for i := 0; i < h.Records; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if len(batch) == decodeBatch {
			batches <- batch
			batch = make([]any, 0, decodeBatch)
		}
		line, err := r.next()
		if err != nil {
			return err
		}
		if len(line) < 2 || line[1] != ' ' {
			return &errSnapshot{r.line, "not a record line"}
		}
		var rec any
		switch line[0] {
		case 's':
			var s Source
			err, rec = json.Unmarshal(line[2:], &s), &s
			if err == nil && s.Key == "" {
				err = errors.New("source without a key")
			}
		case 'e':
			var e Entity
			err, rec = json.Unmarshal(line[2:], &e), &e
			if err == nil && e.ID == "" {
				err = errors.New("entity without an id")
			}
		case 'r':
			var rel Relation
			err, rec = json.Unmarshal(line[2:], &rel), &rel
			if err == nil && (rel.ID == "" || rel.From == "" || rel.To == "") {
				err = errors.New("relation without an id or an endpoint")
			}
		default:
			if bytes.HasPrefix(line, []byte("sha256 ")) {
				return &errSnapshot{r.line, fmt.Sprintf("the header says %d records, the file holds %d", h.Records, i)}
			}
			err = errors.New("not a record line")
		}
		if err != nil {
			return &errSnapshot{r.line, err.Error()}
		}
		batch = append(batch, rec)
	}
	batches <- batch
	line, err := r.next()
	if err != nil {
		return err
	}
	want := "sha256 " + hex.EncodeToString(r.sum.Sum(nil))
	if string(line) != want {
		if !bytes.HasPrefix(line, []byte("sha256 ")) {
			return &errSnapshot{r.line, fmt.Sprintf("more than the %d records the header says", h.Records)}
		}
		return &errSnapshot{r.line, "checksum mismatch: the file is damaged"}
	}
	if _, err := r.r.ReadByte(); !errors.Is(err, io.EOF) {
		return &errSnapshot{r.line + 1, "data after the checksum"}
	}
	return nil
}

// errRefused is a snapshot file that is whole but must not be used; the
// message says why.
type errRefused string

func (e errRefused) Error() string { return string(e) }

// restore builds the graph from the snapshot file at path and the change
// log after it, at one revision of the database. An error of type
// *errSnapshot or errRefused, or a missing file, means the file is not
// to be used; any other error is the database's.
func (s *CayleyStore) restore(ctx context.Context, be *pgBackend, path string) (*snapshot, StartInfo, error) {
	var info StartInfo
	f, err := os.Open(path)
	if err != nil {
		return nil, info, err
	}
	defer f.Close()
	r := &snapshotReader{r: bufio.NewReaderSize(f, 1<<20), sum: sha256.New()}
	h, err := r.header()
	if err != nil {
		return nil, info, err
	}
	if h.Store != be.storeID {
		return nil, info, errRefused(fmt.Sprintf("it is of another store (id %q; this database's is %q)", h.Store, be.storeID))
	}
	// One repeatable-read transaction: the revision, the fingerprint and
	// the changes after the file are of one state of the database.
	tx, err := be.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, info, err
	}
	defer tx.Rollback()
	var latest uint64
	if err := tx.QueryRowContext(ctx, `SELECT revision FROM chipgraph_revision`).Scan(&latest); err != nil {
		return nil, info, err
	}
	if h.Revision > latest {
		return nil, info, errRefused(fmt.Sprintf("it is at revision %d, ahead of the database at %d (restored from a backup?)", h.Revision, latest))
	}
	if h.Revision > 0 {
		fp, err := fingerprint(ctx, tx, h.Revision)
		if err != nil {
			return nil, info, err
		}
		switch {
		case fp == "":
			return nil, info, errRefused(fmt.Sprintf("the change log no longer holds its revision %d (now at %d)", h.Revision, latest))
		case fp != h.Log:
			return nil, info, errRefused(fmt.Sprintf("the database's change at revision %d is not the one it was taken after (restored from a backup?)", h.Revision))
		}
	}
	l := s.newLoader()
	if err := r.records(ctx, h, l.add); err != nil {
		return nil, info, err
	}
	b, err := l.finish(h.Quads)
	if err != nil {
		return nil, info, &errSnapshot{r.line, err.Error()}
	}
	last := h.Revision
	err = readChanges(ctx, tx, h.Revision, func(rev uint64, c *changeSet) error {
		s.own(c, b.p).applyTo(b)
		last = rev
		info.Applied++
		return nil
	})
	if errors.Is(err, errLogPruned) {
		return nil, info, errRefused(fmt.Sprintf("the change log does not hold every change after its revision %d (pruned, or a bulk load logged as a reload)", h.Revision))
	}
	if err != nil {
		return nil, info, err
	}
	if last != latest {
		return nil, info, errRefused(fmt.Sprintf("the change log ends at revision %d, the database is at %d", last, latest))
	}
	if err := tx.Commit(); err != nil {
		return nil, info, err
	}
	info.FromSnapshot, info.SnapshotRevision, info.Revision = true, h.Revision, latest
	return b.finish(latest), info, nil
}

// openFromSnapshot starts s from its snapshot file if it can, else by
// reading the whole graph, saying why in the StartInfo.
func (s *CayleyStore) openFromSnapshot(ctx context.Context, be *pgBackend, path string) (*snapshot, StartInfo, error) {
	snap, info, err := s.restore(ctx, be, path)
	if err == nil {
		return snap, info, nil
	}
	var damaged *errSnapshot
	var refused errRefused
	switch {
	case errors.Is(err, os.ErrNotExist):
		info.Reason = "no snapshot file at " + path + " yet"
	case errors.As(err, &damaged):
		info.Reason = "snapshot file " + path + " is damaged: " + damaged.Error()
	case errors.As(err, &refused):
		info.Reason = "snapshot file " + path + " not used: " + refused.Error()
	case ctx.Err() != nil:
		return nil, info, ctx.Err()
	default:
		// The database failed us, or the file cannot be read: the full
		// read says whether the database can be reached.
		info.Reason = "snapshot file " + path + " not used: " + err.Error()
	}
	info.Refused = !errors.Is(err, os.ErrNotExist)
	// What the failed attempt interned is no longer needed.
	s.in = newInterner()
	info.Applied = 0
	snap, err = s.rebuild(ctx)
	if err != nil {
		return nil, info, err
	}
	info.Revision = snap.rev
	return snap, info, nil
}

// snapshotter writes the store's snapshot file in the background while the
// graph moves on, and at Close.
type snapshotter struct {
	s     *CayleyStore
	be    *pgBackend
	path  string
	every time.Duration
	log   *slog.Logger

	quit   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc // stops a write in progress at Close

	writing sync.Mutex // one write at a time
	mu      sync.Mutex
	written uint64 // the revision of the file at path, 0 for none
	at      time.Time
}

func startSnapshotter(s *CayleyStore, be *pgBackend, o Options, start StartInfo) *snapshotter {
	w := &snapshotter{s: s, be: be, path: o.SnapshotFile, every: o.SnapshotEvery, log: o.Log,
		quit: make(chan struct{}), done: make(chan struct{})}
	if w.every <= 0 {
		w.every = DefaultSnapshotEvery
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if start.FromSnapshot {
		w.written, w.at = start.SnapshotRevision, time.Now()
	}
	removeStaleTemps(w.path)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.run(ctx)
	return w
}

func (w *snapshotter) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(min(w.every, 10*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-tick.C:
		}
		cur := w.s.cur.Load()
		if cur == nil {
			return
		}
		w.mu.Lock()
		due := cur.rev > w.written && (time.Since(w.at) >= w.every || cur.rev-w.written >= snapshotRevisions)
		w.mu.Unlock()
		if due {
			w.write(ctx, cur)
		}
	}
}

// stop ends the background writes and writes the latest snapshot, if the
// file is not at it already. The backend must still be open.
func (w *snapshotter) stop() {
	w.cancel()
	close(w.quit)
	<-w.done
	if cur := w.s.cur.Load(); cur != nil {
		w.write(context.Background(), cur)
	}
}

// write writes p to the file unless the file is at p's revision already,
// logging what it did.
func (w *snapshotter) write(ctx context.Context, p *snapshot) {
	w.writing.Lock()
	defer w.writing.Unlock()
	w.mu.Lock()
	written := w.written
	w.mu.Unlock()
	if p.rev == written || p.rev == 0 {
		return
	}
	start := time.Now()
	err := func() error {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		fp, err := fingerprint(qctx, w.be.db, p.rev)
		cancel()
		if err != nil {
			return fmt.Errorf("cannot reach the database: %w", err)
		}
		if fp == "" {
			return fmt.Errorf("the change log no longer holds revision %d", p.rev)
		}
		return writeSnapshotFile(ctx, w.path, p, w.be.storeID, fp)
	}()
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("cannot write the snapshot file", "file", w.path, "revision", p.rev, "err", err)
		}
		return
	}
	w.mu.Lock()
	w.written, w.at = p.rev, time.Now()
	w.mu.Unlock()
	w.log.Info("wrote the snapshot file", "file", w.path, "revision", p.rev,
		"records", p.sources.n+p.nodeIDs.n+p.edgeIDs.n, "seconds", time.Since(start).Seconds())
}

// revision is the revision of the snapshot file this process last wrote
// or started from.
func (w *snapshotter) revision() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// removeStaleTemps removes the temporary files of writes to path that a
// crash left behind (each as large as the graph). One younger than
// staleTemp may be another replica's write in progress, in a directory
// replicas share, and is left alone.
func removeStaleTemps(path string) {
	temps, _ := filepath.Glob(path + ".tmp-*")
	for _, t := range temps {
		if st, err := os.Stat(t); err == nil && time.Since(st.ModTime()) > staleTemp {
			os.Remove(t)
		}
	}
}

const staleTemp = 10 * time.Minute

// checkSnapshotPath refuses a snapshot file whose directory is not there,
// so that a typo is an error at start rather than a failed write later.
func checkSnapshotPath(path string) error {
	if strings.HasSuffix(path, string(os.PathSeparator)) {
		return &Error{Code: CodeInvalid, Path: "snapshot", Msg: fmt.Sprintf("snapshot file %q: want a file name, not a directory", path)}
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return &Error{Code: CodeInvalid, Path: "snapshot", Msg: fmt.Sprintf("snapshot file %q: directory %q is not there", path, dir)}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &Error{Code: CodeInvalid, Path: "snapshot", Msg: fmt.Sprintf("snapshot file %q is a directory", path)}
	}
	return nil
}

package graph

import (
	"context"
	"sync"
	"time"
)

// SyncStatus is how far a store is behind the shared database it follows.
// A store over a file or memory is its own database and always in sync.
type SyncStatus struct {
	// Shared is true when the store follows a database other processes
	// write to (PostgreSQL).
	Shared bool
	// Revision is the revision this process serves; Latest the newest one
	// the database was seen at.
	Revision, Latest uint64
	// Lag is how long this process has known of a change it has not yet
	// applied, or has failed to reach the database; 0 when in sync.
	Lag time.Duration
	// Err is the last failure to reach the database, nil once it answers.
	Err error
	// Start is how the store got its graph at Open.
	Start StartInfo
	// SnapshotRevision is the revision of the snapshot file this process
	// last wrote or started from; 0 when none.
	SnapshotRevision uint64
}

type pinKey struct{}

// pin is the view a request reads from; a write through the same request
// moves it forward, so the request reads its own writes.
type pin struct {
	owner Store
	mu    sync.Mutex
	view  View
}

// Pin returns a ctx carrying s's latest view. s's read methods called with
// it (or a context derived from it) answer from that view, so a request that
// reads many times sees one revision, however many writes land meanwhile. A
// write through s with the same ctx moves the pin to the revision that holds
// the write, so the request then reads what it wrote.
func Pin(ctx context.Context, s Store) context.Context {
	return context.WithValue(ctx, pinKey{}, &pin{owner: s, view: s.View()})
}

// Pinned returns the view pinned for s in ctx by Pin, if any.
func Pinned(ctx context.Context, s Store) (View, bool) {
	p, ok := ctx.Value(pinKey{}).(*pin)
	if !ok || p.owner != s {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view, true
}

// advancePin moves the pin for s in ctx, if any, to v when v is newer.
func advancePin(ctx context.Context, s Store, v View) {
	p, ok := ctx.Value(pinKey{}).(*pin)
	if !ok || p.owner != s {
		return
	}
	p.mu.Lock()
	if v.Revision() > p.view.Revision() {
		p.view = v
	}
	p.mu.Unlock()
}

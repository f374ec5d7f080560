package graph

import (
	"context"
	"errors"

	cgraph "github.com/cayleygraph/cayley/graph"
	_ "github.com/cayleygraph/cayley/graph/sql/postgres" // registers "postgres"
	"github.com/cayleygraph/quad"
)

// pgBackend keeps the quads in PostgreSQL through cayley's SQL store.
type pgBackend struct {
	qs cgraph.QuadStore
}

func openPostgres(ctx context.Context, dsn string) (*pgBackend, error) {
	if err := cgraph.InitQuadStore("postgres", dsn, nil); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
		return nil, err
	}
	qs, err := cgraph.NewQuadStore("postgres", dsn, nil)
	if err != nil {
		return nil, err
	}
	return &pgBackend{qs: qs}, nil
}

func (be *pgBackend) close() error { return be.qs.Close() }

func (be *pgBackend) read(ctx context.Context, fn func(quad.Quad) error) (int, uint64, error) {
	st, err := be.qs.Stats(ctx, true)
	if err != nil {
		return 0, 0, err
	}
	return int(st.Quads.Value), 0, eachQuad(ctx, be.qs, quad.Predicate, predRecord, fn)
}

func (be *pgBackend) begin(ctx context.Context, rev uint64) (txn, error) {
	return &pgTxn{be: be, rev: rev}, nil
}

// pgTxn writes through cayley's ApplyDeltas, one transaction.
type pgTxn struct {
	be  *pgBackend
	rev uint64
}

func (t *pgTxn) latest() uint64 { return t.rev }
func (t *pgTxn) changes(context.Context, uint64, func(uint64, *changeSet) error) error {
	return nil
}
func (t *pgTxn) write(ctx context.Context, pl *plan, rev uint64) error {
	var ds []cgraph.Delta
	if err := pl.deltas(func(d cgraph.Delta) error { ds = append(ds, d); return nil }); err != nil {
		return err
	}
	return t.be.qs.ApplyDeltas(ds, cgraph.IgnoreOpts{})
}
func (t *pgTxn) commit(context.Context) error { return nil }
func (t *pgTxn) rollback()                    {}

// follower applies other processes' writes; none yet.
type follower struct{}

func (f *follower) status() SyncStatus { return SyncStatus{} }
func (f *follower) stop()              {}

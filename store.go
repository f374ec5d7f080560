package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

// Opening stores. Commands that write (serve, load) create a store that is
// not there; a store that holds nothing yet starts from the curated graph,
// unless the user opts out. Commands that only read never create one: a
// missing store is an error, and the default in-memory store is loaded
// with the curated data.

// storeSeed is how a new store is seeded: from dir (empty: the embedded
// data), or not at all when bare.
type storeSeed struct {
	dir   string
	bare  bool
	level slog.Level // of the log line saying the store was seeded
	// options are how the store is opened (serve: its snapshot file).
	options graph.Options
}

// openForWriting opens the store at dsn, creating it if need be, and seeds
// it when it holds nothing yet.
func openForWriting(ctx context.Context, e *env, dsn string, seed storeSeed) (*graph.CayleyStore, error) {
	e.log.Debug("opening store", "db", graph.RedactDSN(dsn))
	store, err := graph.OpenWith(ctx, dsn, seed.options)
	if err != nil {
		return nil, err
	}
	if seed.bare {
		return store, nil
	}
	if err := seedStore(ctx, e, store, seed); err != nil {
		closeStore(e, store)
		return nil, err
	}
	return store, nil
}

// openForReading opens the existing store at dsn without creating it (a
// missing one is CodeNotFound, saying how to make it). The in-memory store
// is loaded with the curated data (CHIPGRAPH_DATA, or the embedded data),
// as serve does.
func openForReading(ctx context.Context, e *env, dsn string) (*graph.CayleyStore, error) {
	e.log.Debug("opening store", "db", graph.RedactDSN(dsn))
	store, err := graph.OpenExisting(ctx, dsn)
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Code == graph.CodeNotFound {
		c := *ge
		c.Msg += ": a command that only reads never creates a store (chipgraph load or serve with --db " + graph.RedactDSN(dsn) + " makes one)"
		return nil, &c
	}
	if err != nil {
		return nil, err
	}
	if isMemory(dsn) {
		if err := seedStore(ctx, e, store, storeSeed{dir: e.getenv(envData), level: slog.LevelDebug}); err != nil {
			closeStore(e, store)
			return nil, err
		}
	}
	return store, nil
}

// exists reports whether the store at dsn is there to be read: a memory:
// store always is, a bolt file when it exists; a database is assumed to be.
func exists(dsn string) bool {
	file, ok := strings.CutPrefix(dsn, "bolt:")
	if !ok {
		return true
	}
	_, err := os.Stat(file)
	return err == nil
}

func isMemory(dsn string) bool { return dsn == "" || strings.HasPrefix(dsn, "memory:") }

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// seedStore loads the curated data into store when it holds no entity.
func seedStore(ctx context.Context, e *env, store graph.Store, seed storeSeed) error {
	start := time.Now()
	res, seeded, err := loaders.SeedIfEmpty(ctx, store, seed.dir)
	if err != nil || !seeded {
		return err
	}
	from := seed.dir
	if from == "" {
		from = "embedded data"
	}
	e.log.Log(ctx, seed.level, "a new store starts from the curated graph", "from", from, "created", res.Created,
		"quads", res.Quads, "seconds", time.Since(start).Seconds())
	return nil
}

func closeStore(e *env, s graph.Store) {
	if err := s.Close(); err != nil {
		e.log.Warn("closing store", "err", err)
	}
}

package main

import (
	"context"
	"fmt"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

func cmdValidate(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "validate", "[--db DSN] [PATH...]", `
Parse and validate curated YAML and print every problem with its
file:line. Without PATH, the data embedded in the binary; a directory is
validated as a whole. Files given one by one are validated against the
rest of the data they belong to: what they refer to may be in the other
YAML files of their directory (or, for files outside one, in the embedded
data). With --db, references resolve against that store instead; it must
exist and is only read, never written.`)
	dsn := f.String("db", "", "resolve references against this store (read only)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	var c *loaders.Curated
	if len(pos) > 0 {
		c, err = loaders.ReadCuratedOS(pos...)
	} else {
		c, err = loaders.ReadCuratedData("")
	}
	if c == nil {
		return err
	}
	if err := validateCurated(ctx, e, c, pos, *dsn); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok: %s in %d files\n", curatedCounts(c), len(c.Files))
	return nil
}

// validateCurated validates c, read from paths, against the store at dsn
// when given (only reading it), else against the rest of the curated data
// the paths belong to.
func validateCurated(ctx context.Context, e *env, c *loaders.Curated, paths []string, dsn string) error {
	var existing graph.Lookup
	switch {
	case dsn != "":
		store, err := openForReading(ctx, e, dsn)
		if err != nil {
			return err
		}
		defer closeStore(e, store)
		existing = store
	case len(paths) > 0:
		rest, err := loaders.CuratedContext(paths...)
		if err != nil {
			return err
		}
		existing = rest.Lookup()
	}
	return c.Validate(existing)
}

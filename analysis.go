package main

// What the analyst's commands share (search, exposure, timeline, diff and
// chokepoints, each in its cmd_NAME.go): the command-line equivalents of
// the GraphQL fields of the same names, printing a table or CSV.

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

// table is the output of an analysis command: a header and rows, printed
// as aligned columns or CSV.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, format string) error {
	if format == "csv" {
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		cw.WriteAll(t.rows)
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			// A tab or newline in a cell would break the columns.
			fmt.Fprint(tw, strings.Join(strings.Fields(c), " "))
		}
		fmt.Fprintln(tw)
	}
	line(t.header)
	for _, r := range t.rows {
		line(r)
	}
	return tw.Flush()
}

// analysisFlags are the flags every analysis command has.
type analysisFlags struct {
	*flags
	format *string
	dsn    *string
}

func newAnalysisFlags(e *env, name, synopsis, doc string) *analysisFlags {
	f := &analysisFlags{flags: newFlags(e, name, synopsis+" [--format table|csv] [--db DSN]", doc+`
An entity is named by its id, or by a name or alias (SMIC, 中芯国际). The
store must exist (never created); the default in-memory store holds the
curated data.`)}
	f.format = f.String("format", "table", "output: table or csv")
	f.dsn = f.dbFlag()
	return f
}

// parse parses args and checks --format.
func (f *analysisFlags) parse(args []string) ([]string, error) {
	pos, err := f.flags.parse(args)
	if err != nil {
		return nil, err
	}
	if *f.format != "table" && *f.format != "csv" {
		return nil, usagef("unknown --format %q (want table or csv)", *f.format)
	}
	return pos, nil
}

// run opens the store (never creating one; the in-memory store holds the
// curated data), runs fn and prints its table.
func (f *analysisFlags) run(ctx context.Context, fn func(graph.Store) (*table, error)) error {
	store, err := openForReading(ctx, f.e, *f.dsn)
	if err != nil {
		return err
	}
	defer closeStore(f.e, store)
	t, err := fn(store)
	if graph.ErrorCode(err) == graph.CodeInvalid {
		// Only the arguments can be invalid here.
		return usagef("%s", graph.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return t.write(f.e.stdout, *f.format)
}

func parseDateFlag(name, v string) (graph.Date, error) {
	d, err := graph.ParseDate(v)
	if err != nil {
		return d, usagef("--%s: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", name, v)
	}
	return d, nil
}

func parseTypesFlag(name, v string) ([]graph.RelationType, error) {
	var out []graph.RelationType
	for _, s := range splitList(v) {
		t := graph.RelationType(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
		if !t.Valid() {
			return nil, usagef("--%s: unknown relation type %q", name, s)
		}
		out = append(out, t)
	}
	return out, nil
}

func parseKindsFlag(name, v string) ([]graph.Kind, error) {
	var out []graph.Kind
	for _, s := range splitList(v) {
		k := graph.Kind(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
		if !k.Valid() {
			return nil, usagef("--%s: unknown entity kind %q", name, s)
		}
		out = append(out, k)
	}
	return out, nil
}

func checkRange(name string, n, lo, hi int) error {
	if n < lo || n > hi {
		return usagef("--%s must be between %d and %d, not %d", name, lo, hi, n)
	}
	return nil
}

// oneArg returns the single positional argument called what.
func oneArg(pos []string, what string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing %s", what)
	case 1:
		return pos[0], nil
	}
	return "", usagef("unexpected argument %q after %s", pos[1], what)
}

// pathText writes a path as "a -TYPE-> b <-TYPE- c".
func pathText(p graph.Path) string {
	var b strings.Builder
	for i, e := range p.Entities {
		if i > 0 {
			r := p.Relations[i-1]
			if r.From == e.ID {
				fmt.Fprintf(&b, " <-%s- ", r.Type)
			} else {
				fmt.Fprintf(&b, " -%s-> ", r.Type)
			}
		}
		b.WriteString(e.ID)
	}
	return b.String()
}

func sourceKeys(list []*graph.Source) string {
	keys := make([]string, len(list))
	for i, s := range list {
		keys[i] = s.Key
	}
	return strings.Join(keys, ";")
}

// resolveIDs returns the entity ids that ids name (ids, names or aliases),
// what naming the argument in messages.
func resolveIDs(ctx context.Context, s graph.Store, what string, ids ...string) ([]string, error) {
	out, err := loaders.ResolveSeeds(ctx, s, ids)
	var ge *graph.Error
	if errors.As(err, &ge) {
		c := *ge
		c.Path = what
		return nil, &c
	}
	return out, err
}

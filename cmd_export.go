package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

func cmdExport(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "export", "--format F [--seed ID]... [--hops N] [--types T,...] [--kinds K,...] [--countries C,...] [--as-of DATE] [--direction D] [--limit N] [--links edges|links] [-o FILE|DIR] [--db DSN]", `
Write the whole store, or the subgraph the flags select, in format F:
`+exportFormatHelp()+`
With --seed (an id, or a name or alias such as SMIC or 中芯国际), the seeds
and what lies within --hops relations of them (of --types, toward
--direction, valid --as-of); without, the whole graph. The store must
exist: export never creates one.
--kinds and --countries keep only such entities (seeds are always kept);
--limit bounds the number of entities.
csv writes two files: -o FILE gives FILE-nodes.csv and FILE-edges.csv
(a trailing .csv is dropped), -o DIR gives DIR/nodes.csv and DIR/edges.csv.
With -o each file is written beside its final name and renamed into place,
so it is never seen half-written.`)
	format := f.String("format", "nquads", "output format: "+loaders.ExportFormatNames())
	out := f.String("o", "", "output file (default: standard output); a directory for csv")
	var seeds, types, kinds, countries listFlag
	f.Var(&seeds, "seed", "seed entity: an id, name or alias (repeat for more)")
	hops := f.String("hops", "1", "hops from the seeds")
	f.Var(&types, "types", "follow only these relation types (comma-separated)")
	f.Var(&kinds, "kinds", "keep only entities of these kinds (comma-separated)")
	f.Var(&countries, "countries", "keep only entities of these countries (comma-separated)")
	asOf := f.String("as-of", "", "only relations valid on this date (YYYY, YYYY-MM or YYYY-MM-DD)")
	direction := f.String("direction", "", "follow relations OUT, IN or BOTH (default BOTH)")
	limit := f.String("limit", "0", "at most this many entities (0: no limit)")
	links := f.String("links", "edges", "nodelink: key of the edge list, edges (NetworkX) or links (D3)")
	dsn := f.dbFlag()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if _, ok := loaders.LookupExportFormat(*format); !ok {
		return usagef("unknown --format %q (want one of %s)", *format, loaders.ExportFormatNames())
	}
	sel, err := loaders.SelectionArgs{
		Seeds: seeds, Hops: *hops, Types: types, Kinds: kinds, Countries: countries,
		AsOf: *asOf, Direction: *direction, Limit: *limit,
	}.Selection()
	if err != nil {
		return flagError(err)
	}
	if *links != "edges" && *links != "links" {
		return usagef("unknown --links %q (want edges or links)", *links)
	}
	toStdout := *out == "" || *out == "-"
	if *format == "csv" && toStdout {
		return usagef(`--format "csv" writes two files: give -o FILE (FILE-nodes.csv, FILE-edges.csv) or -o DIR`)
	}
	store, err := openForReading(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if sel.Seeds, err = loaders.ResolveSeeds(ctx, store, sel.Seeds); err != nil {
		return flagError(err)
	}
	opts := loaders.ExportOptions{LinksKey: *links}
	switch {
	case *format == "csv":
		nodes, edges := csvExportPaths(*out)
		return writeFileAtomic(nodes, func(w io.Writer) error {
			return writeFileAtomic(edges, func(ew io.Writer) error {
				opts.CSVEdges = ew
				return loaders.Export(ctx, store, sel, "csv", w, opts)
			})
		})
	case toStdout:
		w := bufio.NewWriter(e.stdout)
		if err := loaders.Export(ctx, store, sel, *format, w, opts); err != nil {
			return err
		}
		return w.Flush()
	}
	return writeFileAtomic(*out, func(w io.Writer) error {
		return loaders.Export(ctx, store, sel, *format, w, opts)
	})
}

// exportFormatHelp lists the export formats for the usage text.
func exportFormatHelp() string {
	var b strings.Builder
	for _, f := range loaders.ExportFormats() {
		fmt.Fprintf(&b, "  %-10s %s\n", f.Name, f.Title)
	}
	return strings.TrimRight(b.String(), "\n")
}

// csvExportPaths returns where csv export to out writes its node and edge
// tables: DIR/nodes.csv and DIR/edges.csv for a directory (existing, or
// named with a trailing slash), else FILE-nodes.csv and FILE-edges.csv.
func csvExportPaths(out string) (nodes, edges string) {
	if st, err := os.Stat(out); (err == nil && st.IsDir()) || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		return filepath.Join(out, "nodes.csv"), filepath.Join(out, "edges.csv")
	}
	base := strings.TrimSuffix(out, ".csv")
	return base + "-nodes.csv", base + "-edges.csv"
}

// writeFileAtomic writes name through a temporary file in the same directory
// that is synced and renamed into place only when write succeeded.
func writeFileAtomic(name string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// flagError turns an invalid-argument error of the selection (its path a
// parameter name such as "hops") into a usage error naming the flag; a
// seed naming no entity stays a data error.
func flagError(err error) error {
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Code != graph.CodeInvalid {
		return err
	}
	flag := ge.Path
	if flag == "asOf" {
		flag = "as-of"
	}
	return usagef("--%s: %s", flag, ge.Msg)
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

// loadMemoryLimit is the soft limit on a load's memory (GOMEMLIMIT
// overrides it). A load holds the graph it builds, which is the next
// snapshot, and makes garbage on the way; with GOGC alone the heap grows to
// twice what is live (a 1M-row edge list peaked near 3 GB where about
// 1.2 GB was live). Near the limit the collector runs more often instead;
// a load that needs more still runs, only slower.
const loadMemoryLimit = 1400 << 20

func cmdLoad(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "load", "[--format "+strings.Join(loaders.LoadFormats, "|")+"] [--dry-run] [--no-curated] [--db DSN] PATH...", `
Load files into the store in one atomic change: either all of it lands or,
on any error, nothing does. Curated PATHs are YAML files or directories of
them; N-Quads PATHs are files, or - for standard input.

A store that holds nothing yet, such as a new bolt file, first gets the
curated graph (the embedded data, or --data DIR), in its own atomic
change, so what is loaded merges into it rather than starting a second
graph beside it; --no-curated starts it empty instead.

External datasets are resolved against what the store holds: a record that
denotes an entity already there (same external id, or same name after
dropping legal forms such as "Co., Ltd.") is merged into it, never
duplicated; likely matches left unmerged are reported. Every imported fact
records its dataset, edition and row. Editions are ordered by their dates:
a newer edition updates that dataset's facts and ends relations it no
longer gives; an older one ends nothing the newer holds. Load one edition
of a dataset at a time.

  eto       the ETO Advanced Semiconductor Supply Chain dataset folder
  csl       US Consolidated Screening List, CSV (either layout) or JSON
  dod1260h  US DoD Section 1260H list CSV
  ftm       FollowTheMoney JSON lines (OpenSanctions, Aleph)
  csv       node and edge list CSV files (id,label,kind,... / source,target,type,...)

Without --format each PATH's format is detected from its name and first
bytes. --dry-run resolves against the store as it is, or would start, and
writes nothing: it never creates a store.`)
	format := f.String("format", "", "input format: "+strings.Join(loaders.LoadFormats, ", ")+" (default: detected)")
	dsn := f.dbFlag()
	dir := f.String("data", e.getenv(envData), "curated data a new store starts from (env "+envData+"; default: embedded data)")
	bare := f.Bool("no-curated", false, "start a new store empty, not from the curated graph")
	dryRun := f.Bool("dry-run", false, "print what would be created, merged, changed and ended, and write nothing")
	all := f.Bool("all", false, "with datasets, list every record in the report, not only the first few")
	encoding := f.String("encoding", "utf-8", "character encoding of dataset CSV files: utf-8 or latin1")
	edition := f.String("edition", "", "dataset edition (a date YYYY-MM-DD, or a name), overriding the one derived from the data")
	lists := f.String("lists", "", "csl: keep only these lists, comma-separated names or abbreviations (e.g. EL,MEU)")
	countries := f.String("countries", "", "csl: keep only rows with an address or nationality in these ISO codes, comma-separated (e.g. CN,HK)")
	sourceURL := f.String("source-url", "", "csv, ftm: public home of the data, cited as its source (default: the file, as a file:// URL)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if e.getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(loadMemoryLimit))
	}
	if len(pos) == 0 {
		return usagef("no PATH to load")
	}
	if *format != "" && !slices.Contains(loaders.LoadFormats, *format) {
		return usagef("unknown --format %q (want %s)", *format, strings.Join(loaders.LoadFormats, ", "))
	}
	opt := loaders.Options{Encoding: *encoding, Edition: *edition, Lists: splitList(*lists), Countries: splitList(*countries), SourceURL: *sourceURL}
	seed := storeSeed{dir: *dir, bare: *bare, level: slog.LevelInfo}

	// The format of each PATH: given, or detected.
	formats := map[string][]string{}
	var order []string
	for _, p := range pos {
		ft := *format
		if ft == "" {
			if ft, err = loaders.DetectFormat(p); err != nil {
				return err
			}
		}
		if _, ok := formats[ft]; !ok {
			order = append(order, ft)
		}
		formats[ft] = append(formats[ft], p)
	}
	datasets := !slices.ContainsFunc(order, func(ft string) bool { return !loaders.IsDatasetFormat(ft) })
	if len(order) > 1 && !datasets {
		return usagef("cannot load %s together in one run: load them one format at a time", strings.Join(order, " and "))
	}
	if *dryRun && !datasets {
		return usagef("--dry-run is for dataset formats (%s); use chipgraph validate for curated files", strings.Join(loaders.DatasetFormats, ", "))
	}
	if datasets {
		return loadDatasets(ctx, e, *dsn, seed, order, formats, opt, *dryRun, *all)
	}
	pos = formats[order[0]]

	start := time.Now()
	prog := startProgress(e, "reading")
	defer prog.stop()

	// Every input is read or opened before the store is: a missing or
	// broken file fails without touching it.
	var apply func(graph.Store) (graph.ApplyResult, error)
	var counts string
	switch order[0] {
	case "curated":
		c, err := loaders.ReadCuratedOS(pos...)
		if err != nil {
			prog.stop()
			if c != nil {
				// Mistakes in the files: report them along with every
				// validation problem, against the store they would load
				// into, or the curated data a new one would start from.
				against := *dsn
				if !exists(against) {
					against = ""
				}
				return validateCurated(ctx, e, c, pos, against)
			}
			return err
		}
		counts = curatedCounts(c)
		apply = func(s graph.Store) (graph.ApplyResult, error) { return c.Apply(ctx, s) }
	case "nquads":
		in, err := loaders.OpenNQuads(e.stdin, pos...)
		if err != nil {
			return err
		}
		defer in.Close()
		apply = func(s graph.Store) (graph.ApplyResult, error) { return in.Import(ctx, s) }
	}

	if isMemory(*dsn) {
		e.log.Warn("loading into an in-memory store, which is discarded at exit; use --db bolt:FILE or postgres://...")
	}
	store, err := openForWriting(ctx, e, *dsn, seed)
	if err != nil {
		prog.stop()
		return err
	}
	defer closeStore(e, store)
	before, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	prog.set("applying")
	res, err := apply(store)
	prog.stop()
	if err != nil {
		return err
	}
	after, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	if counts == "" {
		counts = fmt.Sprintf("%d entities, %d relations, %d sources",
			after.Entities-before.Entities, after.Relations-before.Relations, after.Sources-before.Sources)
	}
	fmt.Fprintf(e.stdout, "loaded %s (created %d, updated %d, unchanged %d; %d quads) in %.2fs; store holds %d entities, %d relations, %d sources\n",
		counts, res.Created, res.Updated, res.Unchanged, res.Quads, time.Since(start).Seconds(),
		after.Entities, after.Relations, after.Sources)
	return nil
}

// loadDatasets reads external datasets (formats in order, each with its
// paths), resolves them against the store and applies them in one batch,
// or with dryRun only reports what would change.
func loadDatasets(ctx context.Context, e *env, dsn string, seed storeSeed, order []string, formats map[string][]string,
	opt loaders.Options, dryRun, all bool) error {
	start := time.Now()
	prog := startProgress(e, "reading")
	defer prog.stop()
	var sets []*loaders.Dataset
	for _, ft := range order {
		more, err := loaders.ReadDataset(ft, formats[ft], opt)
		if err != nil {
			return err
		}
		sets = append(sets, more...)
	}
	if isMemory(dsn) && !dryRun {
		e.log.Warn("loading into an in-memory store, which is discarded at exit; use --db bolt:FILE or postgres://...")
	}
	seed.level = slog.LevelDebug
	open := openForWriting
	if dryRun {
		open = openForDryRun
	}
	store, err := open(ctx, e, dsn, seed)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	prog.set("resolving and writing")
	plan, res, err := loaders.Load(ctx, store, dryRun, sets...)
	prog.stop()
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintln(e.stdout, "dry run: nothing written")
		plan.Summary(e.stdout, all)
		return nil
	}
	after, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	plan.Summary(e.stdout, all)
	fmt.Fprintf(e.stdout, "loaded %d dataset(s) (created %d, updated %d, unchanged %d; %d quads) in %.2fs; store holds %d entities, %d relations, %d sources\n",
		len(sets), res.Created, res.Updated, res.Unchanged, res.Quads, time.Since(start).Seconds(),
		after.Entities, after.Relations, after.Sources)
	return nil
}

// curatedCounts describes what c holds, e.g. "12 entities, 30 relations, 8
// sources".
func curatedCounts(c *loaders.Curated) string {
	b := &c.Batch
	return fmt.Sprintf("%d entities, %d relations, %d sources", len(b.Entities), len(b.Relations), len(b.Sources))
}

// openForDryRun opens what a load would write to without writing: the
// store at dsn when it exists and holds data, else an in-memory store
// holding what a new store would start from.
func openForDryRun(ctx context.Context, e *env, dsn string, seed storeSeed) (*graph.CayleyStore, error) {
	store, err := graph.OpenExisting(ctx, dsn)
	if graph.ErrorCode(err) == graph.CodeNotFound {
		return openForWriting(ctx, e, "memory:", seed)
	}
	if err != nil || seed.bare {
		return store, err
	}
	st, err := store.Stats(ctx)
	if err != nil {
		closeStore(e, store)
		return nil, err
	}
	if st.Entities > 0 {
		return store, nil
	}
	closeStore(e, store)
	return openForWriting(ctx, e, "memory:", seed)
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/server"
)

// ---- serve ----

func cmdServe(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "serve", "[--addr HOST:PORT] [--data DIR] [--db DSN] [--tokens-file FILE]", `
Open the store and, when it is empty, load the curated data (embedded in the
binary, or from --data DIR), then serve HTTP until SIGINT or SIGTERM.
Write tokens come from CHIPGRAPH_TOKENS (comma-separated) and --tokens-file
(one per line, # comments). With port 0 a free port is chosen; the
"serving" log line gives the address.`)
	addr := f.addrFlag("listen address")
	dir := f.String("data", e.getenv(envData), "curated data directory to seed an empty store (env "+envData+"; default: embedded data)")
	dsn := f.dbFlag()
	tokensFile := f.String("tokens-file", "", "file of write tokens, one per line")
	cors := f.String("cors", "", "comma-separated origins allowed cross-origin access (* for any)")
	rate := f.Float64("rate-limit", 0, "requests per second allowed per client IP on /graphql (0: no limit)")
	trustProxy := f.Bool("trust-proxy", false, "take the client IP from X-Forwarded-For (only behind your own proxy)")
	limits := schema.DefaultConfig()
	f.IntVar(&limits.MaxDepth, "max-depth", limits.MaxDepth, "GraphQL: deepest field nesting, introspection included")
	f.IntVar(&limits.MaxComplexity, "max-complexity", limits.MaxComplexity, "GraphQL: estimated objects per query (each object field costs 1, times its first/limit)")
	f.IntVar(&limits.MaxAliases, "max-aliases", limits.MaxAliases, "GraphQL: aliased fields per document")
	f.IntVar(&limits.MaxOperations, "max-operations", limits.MaxOperations, "GraphQL: operations per document")
	f.DurationVar(&limits.Timeout, "timeout", limits.Timeout, "GraphQL: time a request may take, from parsing to the last byte of data")
	f.IntVar(&limits.MaxHops, "max-hops", limits.MaxHops, "GraphQL and /export: hops of paths, neighbourhoods and subgraphs")
	f.IntVar(&limits.MaxNeighborhood, "max-nodes", limits.MaxNeighborhood, "GraphQL and /export: entities in a neighbourhood or subgraph (truncated beyond)")
	f.IntVar(&limits.MaxPageSize, "max-page", limits.MaxPageSize, "GraphQL: first on connections, search and paths")
	f.IntVar(&limits.MaxQueryBytes, "max-query-bytes", limits.MaxQueryBytes, "GraphQL: bytes of a query document")
	f.IntVar(&limits.MaxTokens, "max-tokens", limits.MaxTokens, "GraphQL: lexical tokens of a query document")
	f.IntVar(&limits.MaxFields, "max-fields", limits.MaxFields, "GraphQL: fields of an operation once fragments are expanded")
	f.IntVar(&limits.MaxSelectionWidth, "max-selection-width", limits.MaxSelectionWidth, "GraphQL: fields of one selection set once fragments are expanded")
	f.IntVar(&limits.MaxVariables, "max-variables", limits.MaxVariables, "GraphQL: variables of an operation or a request")
	bodyLimit := f.Int64("max-body", 1<<20, "bytes of a request body (413 beyond)")
	readTimeout := f.Duration("read-timeout", server.DefaultReadTimeout, "time a client may take to send a request's headers, and then its body (408 beyond)")
	maxHeader := f.Int("max-header-bytes", server.DefaultMaxHeaderBytes, "bytes of a request's line and headers, so of a GET query too (431 beyond)")
	maxInFlight := f.Int("max-inflight", 0, "/graphql and /export requests executing at once, 503 when none frees within 1s (0: 8 per CPU)")
	maxLag := f.Duration("max-lag", 5*time.Second, "over PostgreSQL: /readyz turns unready when this replica is this far behind the database, or cannot reach it for this long")
	cacheBytes := f.Int64("cache-bytes", server.DefaultCacheBytes, "bytes of /graphql query responses to cache (0 disables; env CHIPGRAPH_CACHE_BYTES)")
	if v := f.envString("CHIPGRAPH_CACHE_BYTES", ""); v != "" {
		// The command line, parsed next, still wins.
		if err := f.Set("cache-bytes", v); err != nil {
			return usagef("CHIPGRAPH_CACHE_BYTES=%q: want a number of bytes", v)
		}
	}
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	tokens, err := readTokens(e.getenv(envTokens), *tokensFile)
	if err != nil {
		return err
	}

	store, err := openStore(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if err := seedIfEmpty(ctx, e, store, *dir, slog.LevelInfo); err != nil {
		return err
	}

	srv, err := server.New(store, server.Config{
		Tokens:         tokens,
		Schema:         *limits,
		BodyLimit:      *bodyLimit,
		ReadTimeout:    *readTimeout,
		MaxHeaderBytes: *maxHeader,
		MaxInFlight:    *maxInFlight,
		CORSOrigins:    splitList(*cors),
		RateLimit:      *rate,
		TrustProxy:     *trustProxy,
		CacheBytes:     cacheBytesConfig(*cacheBytes),
		MaxLag:         *maxLag,
	}, e.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return graph.Errorf(graph.CodeInvalid, "addr", "cannot listen on %s: %v", *addr, err)
	}
	e.log.Info("serving", "addr", ln.Addr().String(), "db", graph.RedactDSN(*dsn),
		"writes", len(tokens) > 0)
	err = srv.ServeListener(ctx, ln)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("shut down")
	return nil
}

// cacheBytesConfig maps --cache-bytes (0 disables) to server.Config's
// CacheBytes (0 is the default, negative disables).
func cacheBytesConfig(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var list []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			list = append(list, x)
		}
	}
	return list
}

// readTokens merges the comma-separated tokens of envValue with the lines of
// file (blank lines and # comments skipped).
func readTokens(envValue, file string) ([]string, error) {
	tokens := splitList(envValue)
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("tokens file: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				tokens = append(tokens, line)
			}
		}
	}
	slices.Sort(tokens)
	return slices.Compact(tokens), nil
}

// seedIfEmpty loads the curated data into store when it holds no entity:
// from dir on disk, or the embedded data when dir is empty. level is the
// level of the log message saying so.
func seedIfEmpty(ctx context.Context, e *env, store graph.Store, dir string, level slog.Level) error {
	st, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	if st.Entities > 0 {
		e.log.Info("store already holds data", "entities", st.Entities, "relations", st.Relations)
		return nil
	}
	start := time.Now()
	var c *loaders.Curated
	from := "embedded data"
	if dir != "" {
		from = dir
		c, err = loaders.ReadCuratedOS(dir)
	} else {
		c, err = loaders.ReadCurated(data.FS, ".")
	}
	if err != nil {
		return err
	}
	res, err := c.Apply(ctx, store)
	if err != nil {
		return err
	}
	e.log.Log(ctx, level, "seeded empty store", "from", from, "created", res.Created,
		"quads", res.Quads, "seconds", time.Since(start).Seconds())
	return nil
}

// ---- load ----

func cmdLoad(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "load", "[--format "+strings.Join(loaders.LoadFormats, "|")+"] [--dry-run] [--db DSN] PATH...", `
Load files into the store in one atomic change: either all of it lands or,
on any error, nothing does. Curated PATHs are YAML files or directories of
them; N-Quads PATHs are files, or - for standard input.

External datasets are resolved against what the store holds: a record that
denotes an entity already there (same external id, or same name after
dropping legal forms such as "Co., Ltd.") is merged into it, never
duplicated; likely matches left unmerged are reported. Every imported fact
records its dataset, edition and row. Loading a newer edition updates that
dataset's facts and closes (validTo) relations it no longer gives.

  eto       the ETO Advanced Semiconductor Supply Chain dataset folder
  csl       US Consolidated Screening List, CSV (either layout) or JSON
  dod1260h  US DoD Section 1260H list CSV
  ftm       FollowTheMoney JSON lines (OpenSanctions, Aleph)
  csv       node and edge list CSV files (id,label,kind,... / source,target,type,...)

Without --format each PATH's format is detected from its name and first
bytes. Loading a dataset into the default in-memory store first seeds it
with the embedded curated data, so --dry-run shows what would merge.`)
	format := f.String("format", "", "input format: "+strings.Join(loaders.LoadFormats, ", ")+" (default: detected)")
	dsn := f.dbFlag()
	dryRun := f.Bool("dry-run", false, "print what would be created, merged, changed and closed, and write nothing")
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
	if len(pos) == 0 {
		return usagef("no PATH to load")
	}
	if *format != "" && !slices.Contains(loaders.LoadFormats, *format) {
		return usagef("unknown --format %q (want %s)", *format, strings.Join(loaders.LoadFormats, ", "))
	}
	opt := loaders.Options{Encoding: *encoding, Edition: *edition, Lists: splitList(*lists), Countries: splitList(*countries), SourceURL: *sourceURL}

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
		return loadDatasets(ctx, e, *dsn, order, formats, opt, *dryRun, *all)
	}
	pos = formats[order[0]]

	start := time.Now()
	prog := startProgress(e, "reading")
	defer prog.stop()

	var apply func(graph.Store) (graph.ApplyResult, error)
	var counts string
	switch order[0] {
	case "curated":
		c, err := loaders.ReadCuratedOS(pos...)
		if err != nil {
			prog.stop()
			if c != nil {
				// Mistakes in the files: report them along with every
				// validation problem, against what the store holds.
				return validateAgainst(ctx, e, c, *dsn)
			}
			return err
		}
		counts = curatedCounts(c)
		apply = func(s graph.Store) (graph.ApplyResult, error) { return c.Apply(ctx, s) }
	case "nquads":
		r, name, fixPaths, closeAll, err := openInputs(e, pos)
		if err != nil {
			return err
		}
		defer closeAll()
		apply = func(s graph.Store) (graph.ApplyResult, error) {
			res, err := loaders.ImportNQuads(ctx, s, r, name)
			return res, fixPaths(err)
		}
	}

	if strings.HasPrefix(*dsn, "memory:") || *dsn == "" {
		e.log.Warn("loading into an in-memory store, which is discarded at exit; use --db bolt:FILE or postgres://...")
	}
	store, err := openStore(ctx, e, *dsn)
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
func loadDatasets(ctx context.Context, e *env, dsn string, order []string, formats map[string][]string,
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
	memory := strings.HasPrefix(dsn, "memory:") || dsn == ""
	seed := memory
	if memory && !dryRun {
		e.log.Warn("loading into an in-memory store, which is discarded at exit; use --db bolt:FILE or postgres://...")
	}
	if path, ok := strings.CutPrefix(dsn, "bolt:"); ok && dryRun {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// Opening would create the file: resolve against an empty
			// store instead.
			dsn = "memory:"
		}
	}
	store, err := openStore(ctx, e, dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if seed {
		// The default store: resolve against the embedded curated data.
		if err := seedIfEmpty(ctx, e, store, "", slog.LevelDebug); err != nil {
			return err
		}
	}
	prog.set("resolving")
	plan, err := loaders.PlanLoad(ctx, store, sets...)
	if err != nil {
		return err
	}
	if dryRun {
		if err := plan.Validate(ctx, store); err != nil {
			prog.stop()
			return err
		}
		prog.stop()
		fmt.Fprintln(e.stdout, "dry run: nothing written")
		plan.Summary(e.stdout, all)
		return nil
	}
	prog.set("applying")
	res, err := plan.Apply(ctx, store)
	prog.stop()
	if err != nil {
		return err
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

// openInputs opens N-Quads inputs ("-" is stdin) as one reader and the name
// messages call it. Several inputs are read into memory and joined, and
// fixPaths maps the "name:LINE" of an error back to its own file and line.
func openInputs(e *env, paths []string) (r io.Reader, name string, fixPaths func(error) error, closeAll func(), err error) {
	noFix := func(err error) error { return err }
	if len(paths) == 1 {
		if paths[0] == "-" {
			return e.stdin, "<stdin>", noFix, func() {}, nil
		}
		f, err := os.Open(paths[0])
		if err != nil {
			return nil, "", nil, nil, err
		}
		return bufio.NewReader(f), paths[0], noFix, func() { f.Close() }, nil
	}
	type part struct {
		name  string
		first int // line of the joined input where this part starts
	}
	var (
		joined bytes.Buffer
		parts  []part
		line   = 1
	)
	for _, p := range paths {
		var b []byte
		if p == "-" {
			b, err = io.ReadAll(e.stdin)
			p = "<stdin>"
		} else {
			b, err = os.ReadFile(p)
		}
		if err != nil {
			return nil, "", nil, nil, err
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		parts = append(parts, part{p, line})
		line += bytes.Count(b, []byte{'\n'})
		joined.Write(b)
	}
	const joinedName = "<nquads>"
	fix := func(err error) error {
		fixOne := func(ge *graph.Error) *graph.Error {
			rest, ok := strings.CutPrefix(ge.Path, joinedName+":")
			if !ok {
				return ge
			}
			numStr, tail, _ := strings.Cut(rest, ":")
			n, convErr := strconv.Atoi(numStr)
			if convErr != nil {
				return ge
			}
			for i := len(parts) - 1; i >= 0; i-- {
				if n >= parts[i].first {
					g := *ge
					g.Path = fmt.Sprintf("%s:%d", parts[i].name, n-parts[i].first+1)
					if tail != "" {
						g.Path += ":" + tail
					}
					return &g
				}
			}
			return ge
		}
		var list graph.Errors
		var one *graph.Error
		switch {
		case errors.As(err, &list):
			out := make(graph.Errors, len(list))
			for i, ge := range list {
				out[i] = fixOne(ge)
			}
			return out
		case errors.As(err, &one):
			return fixOne(one)
		}
		return err
	}
	return &joined, joinedName, fix, func() {}, nil
}

// ---- validate ----

func cmdValidate(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "validate", "[--db DSN] [PATH...]", `
Parse and validate curated YAML (files or directories; default: the data
embedded in the binary) and print every problem with its file:line. With
--db, references may also point at what that store holds; the store is only
read, never written.`)
	dsn := f.String("db", "", "also resolve references against this store (read only)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	var c *loaders.Curated
	if len(pos) > 0 {
		c, err = loaders.ReadCuratedOS(pos...)
	} else {
		c, err = loaders.ReadCurated(data.FS, ".")
	}
	if c == nil {
		return err
	}
	if *dsn != "" {
		if err := mustExist(*dsn); err != nil {
			return err
		}
	}
	if err := validateAgainst(ctx, e, c, *dsn); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok: %s in %d files\n", curatedCounts(c), len(c.Files))
	return nil
}

// validateAgainst validates c against what the store at dsn holds (nothing
// when dsn is empty), only reading the store.
func validateAgainst(ctx context.Context, e *env, c *loaders.Curated, dsn string) error {
	var existing graph.Lookup
	if dsn != "" {
		store, err := openStore(ctx, e, dsn)
		if err != nil {
			return err
		}
		defer closeStore(e, store)
		existing = store
	}
	return c.Validate(existing)
}

// mustExist refuses a bolt DSN whose file is missing, so that validate never
// creates a store.
func mustExist(dsn string) error {
	if file, ok := strings.CutPrefix(dsn, "bolt:"); ok {
		if _, err := os.Stat(file); err != nil {
			return graph.Errorf(graph.CodeNotFound, file, "no store there")
		}
	}
	return nil
}

// ---- export ----

func cmdExport(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "export", "--format F [--seed ID]... [--hops N] [--types T,...] [--kinds K,...] [--countries C,...] [--as-of DATE] [--direction D] [--limit N] [--links edges|links] [-o FILE|DIR] [--db DSN]", `
Write the whole store, or the subgraph the flags select, in format F:
`+exportFormatHelp()+`
With --seed, the seeds and what lies within --hops relations of them (of
--types, toward --direction, valid --as-of); without, the whole graph.
--kinds and --countries keep only such entities (seeds are always kept);
--limit bounds the number of entities.
csv writes two files: -o FILE gives FILE-nodes.csv and FILE-edges.csv
(a trailing .csv is dropped), -o DIR gives DIR/nodes.csv and DIR/edges.csv.
With -o each file is written beside its final name and renamed into place,
so it is never seen half-written.`)
	format := f.String("format", "nquads", "output format: "+loaders.ExportFormatNames())
	out := f.String("o", "", "output file (default: standard output); a directory for csv")
	var seeds, types, kinds, countries listFlag
	f.Var(&seeds, "seed", "seed entity id (repeat for more)")
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
		return usagef("%s", graph.ErrorMessage(err))
	}
	if *links != "edges" && *links != "links" {
		return usagef("unknown --links %q (want edges or links)", *links)
	}
	toStdout := *out == "" || *out == "-"
	if *format == "csv" && toStdout {
		return usagef(`--format "csv" writes two files: give -o FILE (FILE-nodes.csv, FILE-edges.csv) or -o DIR`)
	}
	store, err := openStore(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if err := seedIfEmptyMemory(ctx, e, store, *dsn); err != nil {
		return err
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

// listFlag is a flag that may be repeated; each value is kept as given.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

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

// ---- stats ----

type statsJSON struct {
	Entities  int                        `json:"entities"`
	Relations int                        `json:"relations"`
	Sources   int                        `json:"sources"`
	Quads     int                        `json:"quads"`
	ByKind    map[graph.Kind]int         `json:"byKind"`
	ByType    map[graph.RelationType]int `json:"byType"`
	Version   uint64                     `json:"version"`
}

func cmdStats(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "stats", "[--json] [--db DSN]", `
Count entities by kind, relations by type, sources and quads. An empty
in-memory store is first seeded with the embedded data, as serve does.`)
	asJSON := f.Bool("json", false, "print JSON")
	dsn := f.dbFlag()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	store, err := openStore(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if err := seedIfEmptyMemory(ctx, e, store, *dsn); err != nil {
		return err
	}
	st, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	if st.ByKind == nil {
		st.ByKind = map[graph.Kind]int{}
	}
	if st.ByType == nil {
		st.ByType = map[graph.RelationType]int{}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statsJSON{st.Entities, st.Relations, st.Sources, st.Quads, st.ByKind, st.ByType, st.Version})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "entities\t%d\nrelations\t%d\nsources\t%d\nquads\t%d\n", st.Entities, st.Relations, st.Sources, st.Quads)
	fmt.Fprintf(tw, "\nentities by kind:\n")
	for _, k := range sortedKeys(st.ByKind, graph.Kinds) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, st.ByKind[k])
	}
	fmt.Fprintf(tw, "\nrelations by type:\n")
	for _, t := range sortedKeys(st.ByType, graph.RelationTypes) {
		fmt.Fprintf(tw, "  %s\t%d\n", t, st.ByType[t])
	}
	return tw.Flush()
}

// sortedKeys returns the keys of m with a non-zero count: those in order
// first, in that order, then any others sorted.
func sortedKeys[K ~string](m map[K]int, order []K) []K {
	var keys, extra []K
	for _, k := range order {
		if m[k] != 0 {
			keys = append(keys, k)
		}
	}
	for k, n := range m {
		if n != 0 && !slices.Contains(order, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(keys, extra...)
}

// seedIfEmptyMemory seeds an in-memory store with the embedded data, so that
// `chipgraph stats` with no store shows the curated counts.
func seedIfEmptyMemory(ctx context.Context, e *env, store graph.Store, dsn string) error {
	if !strings.HasPrefix(dsn, "memory:") {
		return nil
	}
	return seedIfEmpty(ctx, e, store, e.getenv(envData), slog.LevelDebug)
}

// ---- health ----

func cmdHealth(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "health", "[--addr HOST:PORT]", `
GET /healthz of a running server (for container health checks: the image has
no curl). Exit status 0 when it answers 2xx, 1 otherwise.`)
	addr := f.addrFlag("server address")
	timeout := f.Duration("timeout", 5*time.Second, "give up after this long")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	url, err := healthURL(*addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("bad --addr %q: %v", *addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "unhealthy: %v\n", err)
		return &errReported{exitData}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(e.stderr, "unhealthy: %s: %s\n", resp.Status, strings.TrimSpace(string(body)))
		return &errReported{exitData}
	}
	fmt.Fprintf(e.stdout, "healthy: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// healthURL turns a listen address into the URL of /healthz, dialing
// loopback for a wildcard host.
func healthURL(addr string) (string, error) {
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		return strings.TrimSuffix(addr, "/") + "/healthz", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("bad --addr %q: %v", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// ---- store ----

func openStore(ctx context.Context, e *env, dsn string) (*graph.CayleyStore, error) {
	e.log.Debug("opening store", "db", graph.RedactDSN(dsn))
	return graph.Open(ctx, dsn)
}

func closeStore(e *env, s graph.Store) {
	if err := s.Close(); err != nil {
		e.log.Warn("closing store", "err", err)
	}
}

// ---- progress ----

// progress shows a spinner with a phase and elapsed time on a terminal's
// stderr; elsewhere it does nothing.
type progress struct {
	phase chan string
	done  chan struct{}
	quit  chan struct{}
}

func startProgress(e *env, phase string) *progress {
	p := &progress{}
	if !e.tty {
		return p
	}
	p.phase = make(chan string, 1)
	p.done = make(chan struct{})
	p.quit = make(chan struct{})
	go func() {
		defer close(p.done)
		frames := `|/-\`
		start := time.Now()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case phase = <-p.phase:
			case <-t.C:
			case <-p.quit:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			}
			fmt.Fprintf(e.stderr, "\r\033[K%c %s… %.1fs", frames[i%len(frames)], phase, time.Since(start).Seconds())
		}
	}()
	return p
}

func (p *progress) set(phase string) {
	if p.phase == nil {
		return
	}
	select {
	case p.phase <- phase:
	default:
	}
}

func (p *progress) stop() {
	if p.quit == nil {
		return
	}
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}

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
		Tokens:      tokens,
		CORSOrigins: splitList(*cors),
		RateLimit:   *rate,
		TrustProxy:  *trustProxy,
	}, e.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return graph.Errorf(graph.CodeInvalid, "addr", "cannot listen on %s: %v", *addr, err)
	}
	e.log.Info("serving", "addr", ln.Addr().String(), "db", redactDSN(*dsn),
		"writes", len(tokens) > 0)
	err = srv.ServeListener(ctx, ln)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("shut down")
	return nil
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
	f := newFlags(e, "load", "[--format curated|nquads] [--db DSN] PATH...", `
Load files into the store in one atomic change: either all of it lands or,
on any error, nothing does. Curated PATHs are YAML files or directories of
them; N-Quads PATHs are files, or - for standard input.`)
	format := f.String("format", "curated", "input format: curated or nquads")
	dsn := f.dbFlag()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("no PATH to load")
	}
	if *format != "curated" && *format != "nquads" {
		return usagef("unknown --format %q (want curated or nquads)", *format)
	}

	start := time.Now()
	prog := startProgress(e, "reading")
	defer prog.stop()

	var apply func(graph.Store) (graph.ApplyResult, error)
	var counts string
	switch *format {
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
		if existing, err = storeLookup(ctx, store); err != nil {
			return err
		}
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

// lookup is a graph.Lookup over a snapshot of a store.
type lookup struct {
	kinds   map[string]graph.Kind
	sources map[string]bool
}

func (l *lookup) EntityKind(id string) (graph.Kind, bool) { k, ok := l.kinds[id]; return k, ok }
func (l *lookup) HasSource(key string) bool               { return l.sources[key] }

func storeLookup(ctx context.Context, s graph.Store) (graph.Lookup, error) {
	ents, err := s.Entities(ctx, graph.EntityFilter{})
	if err != nil {
		return nil, err
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	l := &lookup{kinds: make(map[string]graph.Kind, len(ents)), sources: make(map[string]bool, len(srcs))}
	for _, en := range ents {
		l.kinds[en.ID] = en.Kind
	}
	for _, so := range srcs {
		l.sources[so.Key] = true
	}
	return l, nil
}

// ---- export ----

func cmdExport(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "export", "--format nquads [-o FILE] [--db DSN]", `
Write every quad of the store. With -o the file is written beside its final
name and renamed into place, so it is never seen half-written.`)
	format := f.String("format", "nquads", "output format: nquads")
	out := f.String("o", "", "output file (default: standard output)")
	dsn := f.dbFlag()
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *format != "nquads" {
		return usagef("unknown --format %q (want nquads)", *format)
	}
	store, err := openStore(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if err := seedIfEmptyMemory(ctx, e, store, *dsn); err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		w := bufio.NewWriter(e.stdout)
		if err := loaders.ExportNQuads(ctx, store, w); err != nil {
			return err
		}
		return w.Flush()
	}
	return writeFileAtomic(*out, func(w io.Writer) error {
		return loaders.ExportNQuads(ctx, store, w)
	})
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

func openStore(ctx context.Context, e *env, dsn string) (graph.Store, error) {
	e.log.Debug("opening store", "db", redactDSN(dsn))
	s, err := graph.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func closeStore(e *env, s graph.Store) {
	if err := s.Close(); err != nil {
		e.log.Warn("closing store", "err", err)
	}
}

// redactDSN hides a password in a postgres DSN.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":xxx" + rest[at:]
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

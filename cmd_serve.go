package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/server"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "serve", "[--addr HOST:PORT] [--data DIR] [--db DSN] [--tokens-file FILE]", `
Open the store, creating it if need be; a store that holds nothing yet
starts from the curated data (embedded in the binary, or from --data DIR).
Then serve HTTP until SIGINT or SIGTERM.
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
	bodyLimit := f.Int64("max-body", server.DefaultBodyLimit, "bytes of a request body (413 beyond)")
	readTimeout := f.Duration("read-timeout", server.DefaultReadTimeout, "time a client may take to send a request's headers, and then its body (408 beyond)")
	maxHeader := f.Int("max-header-bytes", server.DefaultMaxHeaderBytes, "bytes of a request's line and headers, so of a GET query too (431 beyond)")
	maxInFlight := f.Int("max-inflight", 0, "/graphql and /export requests executing at once, 503 when none frees within 1s (0: 8 per CPU)")
	snapshot := f.String("snapshot", f.envString(envSnapshot, ""), "over PostgreSQL: file to keep this replica's graph in, so that a restart loads it and applies the change log after it instead of reading the whole graph (env "+envSnapshot+"; default: none)")
	snapshotEvery := f.Duration("snapshot-every", graph.DefaultSnapshotEvery, "over PostgreSQL with --snapshot: how often at most the file is rewritten while the graph changes (also every 1,000 revisions, and at shutdown)")
	maxLag := f.Duration("max-lag", server.DefaultMaxLag, "over PostgreSQL: /readyz turns unready when this replica is this far behind the database, or cannot reach it for this long")
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
	if *snapshot != "" && !isPostgres(*dsn) {
		return usagef("--snapshot (or %s) is for a replica over PostgreSQL (--db postgres://...), not %s", envSnapshot, graph.RedactDSN(*dsn))
	}
	if *snapshotEvery <= 0 {
		return usagef("--snapshot-every %v: want a positive duration", *snapshotEvery)
	}

	store, err := openForWriting(ctx, e, *dsn, storeSeed{dir: *dir, level: slog.LevelInfo,
		options: graph.Options{SnapshotFile: *snapshot, SnapshotEvery: *snapshotEvery, Log: e.log}})
	if err != nil {
		return err
	}
	defer closeStore(e, store)
	if st := store.SyncStatus(); st.Shared {
		// How the replica got its graph, in one line: from its snapshot
		// file and the change log, or read whole (and why).
		level := slog.LevelInfo
		if st.Start.Refused {
			level = slog.LevelWarn
		}
		e.log.Log(ctx, level, st.Start.String(), "revision", st.Start.Revision, "fromSnapshot", st.Start.FromSnapshot,
			"snapshotRevision", st.Start.SnapshotRevision, "applied", st.Start.Applied)
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

// Package server serves chipgraph over HTTP with echo: GraphQL over HTTP at
// /graphql (with a response cache), subgraph exports in every format at
// /export, the GraphiQL page and the /explore graph explorer (offline
// bundles embedded in the binary), health and readiness probes and
// Prometheus metrics, under the bounds of Config. It maps every error to
// an HTTP status in one place (statusFor).
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
)

// Config configures a Server. Zero fields take the defaults given.
type Config struct {
	// Tokens are the bearer tokens that authorise writes. With none the
	// server is read-only.
	Tokens []string

	// Schema holds the GraphQL limits (depth, complexity, timeout, ...).
	// AllowWrites is set from Tokens.
	Schema schema.Config

	// BodyLimit bounds a request body in bytes; default 1 MiB.
	BodyLimit int64

	// CORSOrigins lists the origins allowed cross-origin access ("*" for
	// any). Empty means same-origin only: no CORS headers are sent.
	CORSOrigins []string

	// RateLimit is the steady requests per second allowed per client IP on
	// /graphql, with RateBurst on top (default 2×RateLimit). 0 turns rate
	// limiting off (the default).
	RateLimit float64
	RateBurst int

	// TrustProxy takes the client IP from X-Forwarded-For (set only behind
	// a proxy you control); otherwise the connection's address is used.
	TrustProxy bool

	// ShutdownTimeout bounds the graceful shutdown; default 10s.
	ShutdownTimeout time.Duration

	// ReadTimeout bounds how long a client may take to send a whole
	// request, headers and body (408 when the body is late); default 10s.
	// It is http.Server.ReadTimeout, not a WriteTimeout: net/http lifts the
	// read deadline once the body is read, so it never cuts a long answer
	// (an /export streaming) or cancels a request still running.
	ReadTimeout time.Duration

	// MaxHeaderBytes bounds the request line and headers, so also the
	// length of a GET query; default 64 KiB (431 beyond).
	MaxHeaderBytes int

	// MaxInFlight bounds the /graphql and /export requests executing at
	// once (answers from the response cache do not count); default 8 per
	// CPU (GOMAXPROCS): the work is CPU-bound, so more at once only adds
	// latency and memory.
	// A request that finds no free slot within a second, or before its
	// timeout, gets 503 SERVER_BUSY with Retry-After.
	MaxInFlight int

	// MaxLag is how far behind its shared database (PostgreSQL) a replica
	// may fall, or how long it may fail to reach it, before /readyz says
	// it is not ready; default 5s.
	MaxLag time.Duration

	// CacheBytes bounds the response cache of /graphql queries (see
	// responseCache); default 64 MiB. A negative value disables it.
	CacheBytes int64
}

// Defaults of Config.
const (
	DefaultBodyLimit      = 1 << 20
	DefaultCacheBytes     = 64 << 20
	DefaultReadTimeout    = 10 * time.Second
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxLag         = 5 * time.Second
)

// Server is chipgraph's HTTP server.
type Server struct {
	cfg     Config
	store   graph.Store
	schema  *schema.Schema
	log     *slog.Logger
	echo    *echo.Echo
	tokens  [][sha256.Size]byte
	metrics *metrics
	cache   *responseCache // nil when disabled
	slots   chan struct{}  // one per request executing (MaxInFlight)
	alog    accessLogBuffer
}

// New builds a Server over store. A nil log discards logs.
func New(store graph.Store, cfg Config, log *slog.Logger) (*Server, error) {
	if store == nil {
		return nil, errors.New("server: nil store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 8 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = DefaultMaxLag
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	s := &Server{cfg: cfg, store: store, log: log, cache: newResponseCache(cfg.CacheBytes),
		slots: make(chan struct{}, cfg.MaxInFlight)}
	for _, t := range cfg.Tokens {
		if t == "" {
			return nil, errors.New("server: empty token")
		}
		s.tokens = append(s.tokens, sha256.Sum256([]byte(t)))
	}
	sc := cfg.Schema
	sc.AllowWrites = len(s.tokens) > 0
	if sc.Logger == nil {
		sc.Logger = log
	}
	var err error
	if s.schema, err = schema.New(store, sc); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(store)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(discard{})
	e.HTTPErrorHandler = s.httpError
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Use(s.requestID, s.accessLog, s.instrument, s.recover)
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
			AllowHeaders:  []string{"Content-Type", "Authorization", "Accept", headerRequestID},
			ExposeHeaders: []string{headerRequestID, headerCache, headerRevision},
			MaxAge:        600,
		}))
	}
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}))

	gql := []echo.MiddlewareFunc{}
	if cfg.RateLimit > 0 {
		burst := cfg.RateBurst
		if burst <= 0 {
			burst = max(1, int(2*cfg.RateLimit))
		}
		gql = append(gql, middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
			Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
				Rate: rate.Limit(cfg.RateLimit), Burst: burst, ExpiresIn: 3 * time.Minute,
			}),
			DenyHandler: func(c echo.Context, _ string, _ error) error {
				c.Response().Header().Set("Retry-After", "1")
				return s.fail(c, codeRateLimited, "too many requests: slow down")
			},
		}))
	}
	e.Any("/graphql", s.graphql, gql...)
	e.GET("/export", s.export, gql...)
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(s.metrics.handler()))
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/graphiql") })
	graphiqlPage.register(e, "/graphiql")
	explorePage.register(e, "/explore")
	s.echo = e
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// ServeListener serves on ln (which it closes) until ctx ends, then shuts
// down gracefully: in-flight requests get ShutdownTimeout to finish. It
// returns nil after a shutdown caused by ctx.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:        s.echo,
		ReadTimeout:    s.cfg.ReadTimeout,
		MaxHeaderBytes: s.cfg.MaxHeaderBytes,
		IdleTimeout:    2 * time.Minute,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	stopLog := s.alog.start(s.log.Handler())
	defer stopLog() // after the shutdown below: every access line is written
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("http: listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		hs.Close()
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}

// authorized checks the Authorization header. It reports whether the
// request carries a valid token, and an error code when it carries an
// invalid one (which is refused rather than served read-only).
func (s *Server) authorized(r *http.Request) (bool, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return false, ""
	}
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !equalFold(h[:len(prefix)], prefix) {
		return false, schema.CodeUnauthenticated
	}
	sum := sha256.Sum256([]byte(h[len(prefix):]))
	ok := 0
	for i := range s.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], s.tokens[i][:])
	}
	if ok != 1 {
		return false, schema.CodeUnauthenticated
	}
	return true, ""
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	st, err := s.store.Stats(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "readyz: store not ready", "error", err, "request_id", requestIDOf(c))
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	body := map[string]any{"status": "ready", "entities": st.Entities, "relations": st.Relations, "revision": st.Version}
	sync := s.store.SyncStatus()
	if !sync.Shared {
		return c.JSON(http.StatusOK, body)
	}
	// A replica: how far it is behind the shared database, and whether
	// it can reach it. Past MaxLag it is unready, so a load balancer
	// sends its requests elsewhere until it has caught up.
	body["revision"], body["latest"] = sync.Revision, sync.Latest
	body["lagSeconds"] = sync.Lag.Seconds()
	// How it got its graph at start: its snapshot file and the change log
	// after it, or the whole graph read from the database. Why a file was
	// refused is in the log only: it names paths and database errors.
	start := map[string]any{"from": "database", "revision": sync.Start.Revision}
	if sync.Start.FromSnapshot {
		start["from"] = "snapshot"
		start["snapshotRevision"], start["applied"] = sync.Start.SnapshotRevision, sync.Start.Applied
	} else if sync.Start.Refused {
		start["snapshotRefused"] = true
	}
	body["start"] = start
	if sync.SnapshotRevision > 0 {
		body["snapshotRevision"] = sync.SnapshotRevision
	}
	if sync.Err != nil {
		body["database"] = "unreachable"
	}
	if sync.Lag > s.cfg.MaxLag {
		body["status"] = "lagging"
		if sync.Err != nil {
			s.log.WarnContext(ctx, "readyz: cannot reach the database", "error", sync.Err, "lag", sync.Lag.String())
		}
		return c.JSON(http.StatusServiceUnavailable, body)
	}
	return c.JSON(http.StatusOK, body)
}

// ---- request ids, logging, recovery ----

const headerRequestID = "X-Request-Id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID keeps a well-formed incoming X-Request-Id or makes one, and
// echoes it in the response.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !requestIDPattern.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(headerRequestID, id)
		c.Response().Header().Set(headerRequestID, id)
		return next(c)
	}
}

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(headerRequestID).(string)
	return id
}

// accessLog logs every request at info level. While ServeListener runs the
// lines go through accessLogBuffer (written by one goroutine, at most
// accessLogFlush later, and all of them at shutdown); otherwise, as with
// Handler in tests, they are written before the response returns.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		ctx := r.Context()
		h := s.log.Handler()
		if !h.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		end := time.Now()
		e := accessEntry{
			time: end, method: r.Method, path: r.URL.Path, status: c.Response().Status,
			bytes: c.Response().Size, duration: end.Sub(start),
			remote: c.RealIP(), requestID: requestIDOf(c),
		}
		e.operation, _ = c.Get(keyOperation).(string)
		e.operationName, _ = c.Get(keyOperationName).(string)
		e.code, _ = c.Get(keyCode).(string)
		if !s.alog.add(e) {
			_ = h.Handle(ctx, e.record())
		}
		return nil
	}
}

// accessEntry is one access log line.
type accessEntry struct {
	time                           time.Time
	method, path                   string
	status                         int
	bytes                          int64
	duration                       time.Duration
	remote, requestID              string
	operation, operationName, code string
}

func (e *accessEntry) record() slog.Record {
	rec := slog.NewRecord(e.time, slog.LevelInfo, "http request", 0)
	rec.AddAttrs(
		slog.String("method", e.method), slog.String("path", e.path), slog.Int("status", e.status),
		slog.Int64("bytes", e.bytes), slog.Float64("duration_ms", float64(e.duration.Microseconds())/1000),
		slog.String("remote", e.remote), slog.String("request_id", e.requestID),
	)
	if e.operation != "" {
		rec.AddAttrs(slog.String("operation", e.operation))
	}
	if e.operationName != "" {
		rec.AddAttrs(slog.String("operation_name", e.operationName))
	}
	if e.code != "" {
		rec.AddAttrs(slog.String("code", e.code))
	}
	return rec
}

// accessLogFlush is how often the buffered access log is written.
const accessLogFlush = 100 * time.Millisecond

// accessLogBuffer takes access log lines off the request path: requests
// append them under a mutex, and one goroutine writes them to the log
// handler every accessLogFlush (sooner when many are pending) and at stop.
// No line is dropped: when the buffer is not running, add returns false and
// the caller writes the line itself.
type accessLogBuffer struct {
	mu      sync.Mutex
	running bool
	pending []accessEntry
	kick    chan struct{}
}

// start runs the writer goroutine over h; the function it returns stops it
// after writing every pending line.
func (b *accessLogBuffer) start(h slog.Handler) (stop func()) {
	b.mu.Lock()
	if b.running { // a second ServeListener on the same Server: write directly
		b.mu.Unlock()
		return func() {}
	}
	b.running = true
	b.kick = make(chan struct{}, 1)
	b.mu.Unlock()
	done, exited := make(chan struct{}), make(chan struct{})
	var spare []accessEntry
	flush := func() {
		b.mu.Lock()
		batch := b.pending
		b.pending = spare[:0]
		b.mu.Unlock()
		ctx := context.Background()
		for i := range batch {
			_ = h.Handle(ctx, batch[i].record())
			batch[i] = accessEntry{}
		}
		spare = batch
	}
	go func() {
		defer close(exited)
		t := time.NewTicker(accessLogFlush)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-b.kick:
			case <-done:
				return
			}
			flush()
		}
	}()
	return func() {
		close(done)
		<-exited
		b.mu.Lock()
		b.running = false // later lines (a request outliving a forced close) are written directly
		b.mu.Unlock()
		flush()
	}
}

// accessLogKick is the number of pending lines that wakes the writer early.
const accessLogKick = 4096

// add queues e; false when the buffer is not running.
func (b *accessLogBuffer) add(e accessEntry) bool {
	b.mu.Lock()
	if !b.running {
		b.mu.Unlock()
		return false
	}
	b.pending = append(b.pending, e)
	n := len(b.pending)
	b.mu.Unlock()
	if n == accessLogKick {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// recover turns a panic in a handler into a 500 INTERNAL error that carries
// only the request id; the panic and stack go to the log.
func (s *Server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.ErrorContext(c.Request().Context(), "http: panic", "request_id", requestIDOf(c),
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if c.Response().Committed {
					// Part of an answer is out: cut the connection, so the
					// client sees a broken transfer, not an error glued to
					// a half-written body.
					panic(http.ErrAbortHandler)
				}
				err = s.fail(c, schema.CodeInternal, "internal error")
			}
		}()
		return next(c)
	}
}

// ---- bounds on clients ----

// maxQueueWait is how long a request waits for a free execution slot.
const maxQueueWait = time.Second

// acquire takes one of the MaxInFlight execution slots, waiting at most
// maxQueueWait or until ctx ends; ok is false when none came free.
func (s *Server) acquire(ctx context.Context) (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		return s.release, true
	default:
	}
	t := time.NewTimer(maxQueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return s.release, true
	case <-ctx.Done():
	case <-t.C:
	}
	return nil, false
}

func (s *Server) release() { <-s.slots }

// busy answers a request that found no execution slot.
func (s *Server) busy(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return s.fail(c, codeServerBusy, "the server is busy: retry shortly")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

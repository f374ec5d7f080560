// Package server serves chipgraph over HTTP with echo: GraphQL over HTTP at
// /graphql, health and readiness probes, Prometheus metrics, and a GraphiQL
// page. It maps every error to an HTTP status in one place (statusFor).
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
	"runtime/debug"
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
	// ReadHeaderTimeout of the http.Server; default 10s.
	ReadHeaderTimeout time.Duration
}

// Server is chipgraph's HTTP server.
type Server struct {
	cfg     Config
	store   graph.Store
	schema  *schema.Schema
	log     *slog.Logger
	echo    *echo.Echo
	tokens  [][sha256.Size]byte
	metrics *metrics
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
		cfg.BodyLimit = 1 << 20
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, store: store, log: log}
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
			ExposeHeaders: []string{headerRequestID},
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
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(s.metrics.handler()))
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/graphiql") })
	e.GET("/graphiql", s.graphiql)
	e.Match([]string{http.MethodGet, http.MethodHead}, "/graphiql/assets/*", s.graphiqlAsset)
	s.echo = e
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Schema returns the GraphQL schema the server executes.
func (s *Server) Schema() *schema.Schema { return s.schema }

// Serve listens on addr and serves until ctx ends, then shuts down
// gracefully: in-flight requests get ShutdownTimeout to finish. It returns
// nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened; it closes ln.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
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
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "entities": st.Entities, "relations": st.Relations})
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

func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		attrs := []any{
			"method", r.Method, "path", r.URL.Path, "status", c.Response().Status,
			"bytes", c.Response().Size, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"remote", c.RealIP(), "request_id", requestIDOf(c),
		}
		if op, ok := c.Get(keyOperation).(string); ok && op != "" {
			attrs = append(attrs, "operation", op)
		}
		if name, ok := c.Get(keyOperationName).(string); ok && name != "" {
			attrs = append(attrs, "operation_name", name)
		}
		if code, ok := c.Get(keyCode).(string); ok && code != "" {
			attrs = append(attrs, "code", code)
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", slogAttrs(attrs)...)
		return nil
	}
}

func slogAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
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
				err = s.fail(c, schema.CodeInternal, "internal error")
			}
		}()
		return next(c)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

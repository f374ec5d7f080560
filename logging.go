package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/cayleygraph/cayley/clog"
)

// setupLogging builds the logger for a command: slog text to a terminal,
// JSON otherwise, at level (debug, info, warn, error). verbose routes cayley's
// clog through it; otherwise cayley is silenced.
func setupLogging(e *env, level string, verbose bool) error {
	var lvl slog.Level
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "", "info":
		lvl = slog.LevelInfo
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return usagef("bad log level %q (want debug, info, warn or error)", level)
	}
	if verbose && lvl > slog.LevelDebug {
		lvl = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if e.tty {
		h = slog.NewTextHandler(e.stderr, opts)
	} else {
		h = slog.NewJSONHandler(e.stderr, opts)
	}
	e.log = slog.New(h)
	clog.SetLogger(&cayleyLogger{log: e.log.With("component", "cayley"), verbose: verbose})
	return nil
}

// cayleyLogger adapts cayley's clog to slog. Unless verbose, it drops
// cayley's info and warning chatter and keeps its errors at debug level.
type cayleyLogger struct {
	log     *slog.Logger
	verbose bool
	v       int
}

func (c *cayleyLogger) Infof(format string, args ...any) {
	if c.verbose {
		c.log.Info(fmt.Sprintf(format, args...))
	}
}

func (c *cayleyLogger) Warningf(format string, args ...any) {
	if c.verbose {
		c.log.Warn(fmt.Sprintf(format, args...))
	}
}

func (c *cayleyLogger) Errorf(format string, args ...any) {
	if c.verbose {
		c.log.Error(fmt.Sprintf(format, args...))
	} else {
		c.log.Debug(fmt.Sprintf(format, args...))
	}
}

func (c *cayleyLogger) Fatalf(format string, args ...any) {
	c.log.Error(fmt.Sprintf(format, args...))
	os.Exit(exitInternal)
}

func (c *cayleyLogger) V(level int) bool { return c.verbose && level <= c.v }
func (c *cayleyLogger) SetV(level int)   { c.v = level }

// Command chipgraph serves, loads, validates, exports, counts and analyses
// the knowledge graph of the China AI-chip ecosystem. Each command is in
// its own file, cmd_NAME.go; what they share is here (running a command,
// exit statuses), in flags.go, store.go (opening stores), logging.go and
// progress.go.
//
//	chipgraph serve    [--addr 127.0.0.1:8080] [--data DIR] [--db DSN] [--tokens-file FILE]
//	chipgraph load     [--format F] [--db DSN] [--no-curated] [--dry-run] PATH...
//	chipgraph validate [--db DSN] [PATH...]
//	chipgraph export   --format F [--seed ID|NAME]... [--hops N] [-o FILE] [--db DSN]
//	chipgraph stats    [--json] [--db DSN]
//	chipgraph health   [--addr 127.0.0.1:8080]
//	chipgraph search   [--kinds K,...] TEXT...
//	chipgraph exposure [--as-of DATE] [--max-hops N] ID
//	chipgraph timeline [--from DATE] [--to DATE] ID
//	chipgraph diff     [--ids ID,...] [--hops N] FROM TO
//	chipgraph chokepoints [--category C] [--as-of DATE]
//
// Every command also takes --verbose (cayley's own logging) and --log-level.
// Flags default to the environment: CHIPGRAPH_DB, CHIPGRAPH_ADDR,
// CHIPGRAPH_DATA, CHIPGRAPH_TOKENS, CHIPGRAPH_LOG_LEVEL.
//
// Exit status: 0 ok, 1 data or validation error (a missing store
// included), 2 usage error, 3 internal error, 4 the store's database
// cannot be reached.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"

	"github.com/chipgraph/chipgraph/graph"
)

// Exit statuses.
const (
	exitOK          = 0
	exitData        = 1
	exitUsage       = 2
	exitInternal    = 3
	exitUnavailable = 4 // the store's database (PostgreSQL) cannot be reached
)

// Environment variables that give flag defaults.
const (
	envDB       = "CHIPGRAPH_DB"
	envAddr     = "CHIPGRAPH_ADDR"
	envData     = "CHIPGRAPH_DATA"
	envTokens   = "CHIPGRAPH_TOKENS"
	envLogLevel = "CHIPGRAPH_LOG_LEVEL"
	envSnapshot = "CHIPGRAPH_SNAPSHOT"
)

const (
	defaultDSN  = "memory:"
	defaultAddr = "127.0.0.1:8080"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		tty:    isTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}

// env is what a command sees of the process, so tests can run commands in
// process as well as as subprocesses.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	tty            bool // stderr is a terminal: text logs and progress
	log            *slog.Logger
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands are the subcommands, each defined in its cmd_NAME.go.
func commands() []command {
	return []command{
		{"serve", "run the HTTP/GraphQL server", cmdServe},
		{"load", "load curated YAML, public datasets or N-Quads into a store, all or nothing", cmdLoad},
		{"validate", "parse and validate curated data without writing anything", cmdValidate},
		{"export", "write the graph or a subgraph as GraphML, GEXF, Cytoscape, node-link, CSV, N-Quads or FtM", cmdExport},
		{"stats", "count what a store holds", cmdStats},
		{"health", "probe a running server's /healthz (exit 0 healthy, 1 not)", cmdHealth},
		{"search", "full-text search for entities", cmdSearch},
		{"exposure", "the sanctions reaching an entity through its supply chain", cmdExposure},
		{"timeline", "the dated events about an entity, in order", cmdTimeline},
		{"diff", "the relations added and ended, and attributes changed, between two dates", cmdDiff},
		{"chokepoints", "the entities whose removal cuts off the most of China's AI chips and systems", cmdChokepoints},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: chipgraph COMMAND [FLAGS] [ARGS]

commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Run 'chipgraph COMMAND -h' for a command's flags. Flags default to the
environment: %s, %s, %s, %s, %s, %s.
Exit status: 0 ok, 1 data or validation error (a missing store included),
2 usage error, 3 internal error, 4 the store's database cannot be reached.
`, envDB, envAddr, envData, envTokens, envLogLevel, envSnapshot)
}

// run runs the command line args (without the program name) and returns the
// exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "chipgraph: missing command")
		usage(e.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run(ctx, []string{rest[0], "-h"}, e)
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, e, rest)
			return report(e, name, err)
		}
	}
	fmt.Fprintf(e.stderr, "chipgraph: unknown command %q\n", name)
	usage(e.stderr)
	return exitUsage
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errReported marks an error whose details the command already printed; it
// carries only the exit status.
type errReported struct{ code int }

func (r *errReported) Error() string { return fmt.Sprintf("exit status %d", r.code) }

// report prints err and maps it to an exit status.
func report(e *env, name string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	var rep *errReported
	if errors.As(err, &rep) {
		return rep.code
	}
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprintf(e.stderr, "chipgraph %s: %s\n", name, u.msg)
		fmt.Fprintf(e.stderr, "Run 'chipgraph %s -h' for usage.\n", name)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.stderr, "chipgraph %s: interrupted\n", name)
		return exitInternal
	}
	code := exitCode(err)
	if code == exitUnavailable {
		fmt.Fprintf(e.stderr, "chipgraph %s: %s\n", name, unavailableMessage(err))
		return code
	}
	if code == exitInternal {
		if e.log != nil {
			e.log.Error("internal error", "command", name, "err", err)
		}
		fmt.Fprintf(e.stderr, "chipgraph %s: internal error: %v\n", name, err)
		return code
	}
	printErrors(e.stderr, err)
	return code
}

// exitCode maps an error to an exit status through the graph error codes.
func exitCode(err error) int {
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	if unreachable(err) {
		return exitUnavailable
	}
	switch graph.ErrorCode(err) {
	case graph.CodeInvalid, graph.CodeNotFound, graph.CodeConflict, graph.CodeUnauthorized:
		return exitData
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		// A missing or unreadable input file is the user's data problem.
		return exitData
	}
	return exitInternal
}

// printErrors prints every error of err on its own line: a graph.Errors list
// one line per item (each starting with its file:line when the loader knew
// it), anything else as one line.
func printErrors(w io.Writer, err error) {
	var list graph.Errors
	if errors.As(err, &list) {
		for _, item := range list {
			fmt.Fprintln(w, oneLine(item.Error()))
		}
		if len(list) > 1 {
			fmt.Fprintf(w, "%d errors\n", len(list))
		}
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(w, line)
		}
	}
}

// unreachable reports whether err is a failure to reach the store's
// database over the network (refused, timed out, no such host).
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

// unavailableMessage says that the store's database cannot be reached, and
// why, without internals.
func unavailableMessage(err error) string {
	msg := graph.ErrorMessage(err)
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		msg = dns.Error()
	case errors.As(err, &op):
		msg = op.Error()
	}
	return "cannot connect to the store's database: " + msg + " (is PostgreSQL running and the --db address right?)"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

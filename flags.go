package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errHelp is returned when -h or --help was asked for: usage is printed and
// the exit status is 0.
var errHelp = flag.ErrHelp

// flags is a command's flag set with the flags every command shares.
type flags struct {
	*flag.FlagSet
	e        *env
	verbose  bool
	logLevel string
}

// newFlags makes the flag set of command name; synopsis is its usage line
// after "chipgraph NAME".
func newFlags(e *env, name, synopsis, doc string) *flags {
	fs := flag.NewFlagSet("chipgraph "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := &flags{FlagSet: fs, e: e}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: chipgraph %s %s\n", name, synopsis)
		if doc != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(doc))
		}
		fmt.Fprintln(w, "\nflags:")
		fs.PrintDefaults()
	}
	fs.BoolVar(&f.verbose, "verbose", false, "enable cayley's own logging (and debug logs)")
	fs.StringVar(&f.logLevel, "log-level", e.getenv(envLogLevel),
		"log level: debug, info, warn or error (env "+envLogLevel+"; default info)")
	return f
}

// envString returns the environment variable key, or def when it is unset or
// empty.
func (f *flags) envString(key, def string) string {
	if v := f.e.getenv(key); v != "" {
		return v
	}
	return def
}

// dbFlag defines --db.
func (f *flags) dbFlag() *string {
	return f.String("db", f.envString(envDB, defaultDSN),
		"store DSN: memory:, bolt:FILE or postgres://... (env "+envDB+")")
}

// addrFlag defines --addr.
func (f *flags) addrFlag(help string) *string {
	return f.String("addr", f.envString(envAddr, defaultAddr), help+" (env "+envAddr+")")
}

// parse parses args, allowing flags after positional arguments (a "--"
// ends the flags), sets up logging, and returns the positional arguments.
// A bad flag has already been reported by the flag package, with usage, so
// the error only carries exit status 2.
func (f *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &errReported{exitUsage}
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if err := setupLogging(f.e, f.logLevel, f.verbose); err != nil {
		return nil, err
	}
	return pos, nil
}

// noArgs rejects positional arguments.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
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

// listFlag is a flag that may be repeated; each value is kept as given.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Command vulndb runs govulncheck offline in CI.
//
// "vulndb build" turns the OSV entries of the golang.org/x/vulndb module (its
// data/osv folder) into a Go vulnerability database in the v1 layout that
// govulncheck reads with -db file:///DIR, so CI needs no access to
// vuln.go.dev. It does what x/vulndb's cmd/indexdb does, with the standard
// library only: indexdb pulls in x/vulndb's whole dependency tree, which takes
// minutes to build on a fresh machine. The optional "fixed" hint of
// index/modules.json is left out, so govulncheck reads every entry of a module
// it uses and decides from the entry's own ranges.
//
// "vulndb check" reads govulncheck's -format json stream on stdin and fails
// when a finding is reachable (its trace reaches a function: govulncheck's
// "your code is affected") unless the allow file lists its id with a reason.
// It also fails on an allow entry that no longer matches a finding, so the
// list cannot outlive its reasons.
//
//	go run ./.ci/vulndb build -osv "$(go mod download -json golang.org/x/vulndb@V | ...)/data/osv" -out DIR
//	govulncheck -db file://DIR -format json ./... | go run ./.ci/vulndb check -allow .ci/govulncheck-allow
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is the part of an OSV entry the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "build":
		f := flag.NewFlagSet("build", flag.ExitOnError)
		osvDir := f.String("osv", "", "folder of OSV JSON entries (x/vulndb's data/osv)")
		out := f.String("out", "", "folder to write the database to (created; must not exist)")
		_ = f.Parse(args)
		if *osvDir == "" || *out == "" || f.NArg() > 0 {
			usage()
		}
		err = build(*osvDir, *out)
	case "check":
		f := flag.NewFlagSet("check", flag.ExitOnError)
		allow := f.String("allow", "", "file of allowed advisories: one id per line, then a reason")
		_ = f.Parse(args)
		if *allow == "" || f.NArg() > 0 {
			usage()
		}
		err = check(os.Stdin, *allow)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vulndb build -osv DIR -out DIR | vulndb check -allow FILE < govulncheck.json")
	os.Exit(2)
}

func build(osvDir, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists", out)
	}
	// Write into a sibling and rename, so an interrupted run leaves no
	// half-built database behind for a cache to pick up.
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no OSV entries", osvDir)
	}
	var (
		dbModified time.Time
		modules    = map[string]*module{}
		vulns      []vuln
		seen       = map[string]bool{}
	)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if e.ID == "" || e.ID+".json" != filepath.Base(f) {
			return fmt.Errorf("%s: id %q does not match the file name", f, e.ID)
		}
		if seen[e.ID] {
			return fmt.Errorf("%s: id %s appears twice", f, e.ID)
		}
		seen[e.ID] = true
		if e.Modified.After(dbModified) {
			dbModified = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			p := a.Package.Name
			if p == "" {
				return fmt.Errorf("%s: an affected entry has no package name", f)
			}
			m := modules[p]
			if m == nil {
				m = &module{Path: p}
				modules[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
	}
	slices.SortFunc(vulns, func(a, b vuln) int { return strings.Compare(a.ID, b.ID) })
	var mods []*module
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })
	for name, v := range map[string]any{
		"db": struct {
			Modified time.Time `json:"modified"`
		}{dbModified},
		"modules": mods,
		"vulns":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index", name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	fmt.Printf("vulndb: %d entries, %d modules -> %s\n", len(vulns), len(mods), out)
	return nil
}

// finding is the part of a govulncheck JSON finding that check needs.
type finding struct {
	OSV   string `json:"osv"`
	Trace []struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
	} `json:"trace"`
	FixedVersion string `json:"fixed_version"`
}

func check(in io.Reader, allowFile string) error {
	allowed, err := readAllow(allowFile)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(in)
	reachable := map[string]finding{}
	var ids []string
	for {
		var msg struct {
			Finding *finding `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("reading govulncheck's output: %v", err)
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // module or package level: imported, not called
		}
		if _, ok := reachable[f.OSV]; !ok {
			ids = append(ids, f.OSV)
			reachable[f.OSV] = *f
		}
	}
	slices.Sort(ids)
	var bad []string
	for _, id := range ids {
		f := reachable[id]
		where := f.Trace[0].Module + "@" + f.Trace[0].Version
		fixed := f.FixedVersion
		if fixed == "" {
			fixed = "no fixed version"
		}
		if reason, ok := allowed[id]; ok {
			fmt.Printf("allowed   %s in %s (%s): %s\n", id, where, fixed, reason)
			continue
		}
		fmt.Printf("REACHABLE %s in %s, fixed in %s\n", id, where, fixed)
		bad = append(bad, id)
	}
	var stale []string
	for id := range allowed {
		if _, ok := reachable[id]; !ok {
			stale = append(stale, id)
		}
	}
	slices.Sort(stale)
	switch {
	case len(bad) > 0:
		return fmt.Errorf("%d reachable advisories: %s (update the module or toolchain; see govulncheck -db file://... ./... for the call paths)", len(bad), strings.Join(bad, ", "))
	case len(stale) > 0:
		return fmt.Errorf("%s lists advisories govulncheck no longer reports: %s; remove them", allowFile, strings.Join(stale, ", "))
	}
	fmt.Printf("govulncheck: no reachable advisories beyond the %d allowed\n", len(allowed))
	return nil
}

// readAllow reads lines "ID reason..."; # starts a comment. A reason is
// required.
func readAllow(name string) (map[string]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if reason = strings.TrimSpace(reason); reason == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", name, n, id)
		}
		out[id] = reason
	}
	return out, sc.Err()
}

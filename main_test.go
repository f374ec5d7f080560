package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/internal/pgtest"
)

// The tests run the real binary as subprocesses, built once per test run.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary returns the path of the chipgraph binary, building it on first use.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "chipgraph-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "chipgraph")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// testEnv is the environment for subprocesses: this one without any
// CHIPGRAPH_ setting (other than test settings) that would change defaults.
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CHIPGRAPH_") && !strings.HasPrefix(kv, "CHIPGRAPH_TEST_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

type result struct {
	code           int
	stdout, stderr string
}

// chipgraph runs the binary with args in dir (the repo root when empty) and
// returns its exit status and output.
func chipgraph(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Dir = dir
	cmd.Env = testEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("chipgraph %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// dataDir is the curated data directory on disk: ./data, or
// CHIPGRAPH_TEST_DATA when set.
func dataDir(t *testing.T) string {
	t.Helper()
	d := "data"
	if v := os.Getenv("CHIPGRAPH_TEST_DATA"); v != "" {
		d = v
	}
	d, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// copyData copies data/*.yaml into a new directory and returns it.
func copyData(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	files, err := filepath.Glob(filepath.Join(dataDir(t), "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no curated data files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, name string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// storeStats opens the store at dsn in this process, reads its Stats and
// closes it.
func storeStats(t *testing.T, dsn string) graph.Stats {
	t.Helper()
	ctx := context.Background()
	s, err := graph.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("reopening %s: %v", dsn, err)
	}
	defer s.Close()
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatalf("stats of %s: %v", dsn, err)
	}
	return st
}

// tinyData is a small valid curated file.
const tinyData = `sources:
  - key: zz-tiny-source
    title: A tiny source for tests
    url: https://example.com/tiny
    publisher: Test
    published: 2024-05-01
entities:
  - id: zz-tiny-company
    kind: COMPANY
    name: ZZ Tiny Company
    country: CN
    sources: [zz-tiny-source]
`

// bigData writes a valid curated file of n entities, each partnering with
// the next, to a new directory and returns the directory.
func bigData(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sources:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  - key: zz-big-source-%d\n    title: Big source %d\n    url: https://example.com/big/%d\n    publisher: Test\n    published: 2024-05\n", i, i, i)
	}
	b.WriteString("entities:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: zz-big-%d\n    kind: COMPANY\n    name: Big Company %d\n    aliases: [BC%d]\n    country: CN\n    sources: [zz-big-source-%d]\n", i, i, i, i%20)
	}
	b.WriteString("relations:\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  - type: PARTNERS_WITH\n    from: zz-big-%d\n    to: zz-big-%d\n    status: reported\n    validFrom: 2020\n    sources: [zz-big-source-%d]\n", i, i+1, i%20)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.yaml"), b.String())
	return dir
}

// mistakes holds five mistakes, one of each kind, at known lines.
const mistakes = `sources:
  - key: zz-src
    title: Test source
    url: https://example.com/zz
    publisher: Test
    published: 2024-13-45
entities:
  - id: zz-one
    kind: COMPANY
    name: ZZ One
    colour: blue
    sources: [zz-src]
  - id: zz-two
    kind: COMPANY
    name: ZZ Two
    sources: [zz-no-such-source]
  - id: zz-one
    kind: COMPANY
    name: ZZ One Again
    sources: [zz-src]
relations:
  - type: PARTNERS_WITH
    from: zz-two
    to: zz-nowhere
    status: reported
    sources: [zz-src]
`

func TestValidateReportsEveryMistake(t *testing.T) {
	dir := copyData(t)
	writeFile(t, filepath.Join(dir, "zz-mistakes.yaml"), mistakes)

	// A bbolt store holding something, to validate against read-only.
	tiny := t.TempDir()
	writeFile(t, filepath.Join(tiny, "tiny.yaml"), tinyData)
	dbFile := filepath.Join(t.TempDir(), "store.db")
	if r := chipgraph(t, "", "load", "--db", "bolt:"+dbFile, tiny); r.code != 0 {
		t.Fatalf("load tiny: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	hashBefore := fileHash(t, dbFile)
	statsBefore := storeStats(t, "bolt:"+dbFile)

	// Run from the parent so the paths printed are "NAME/zz-mistakes.yaml".
	r := chipgraph(t, filepath.Dir(dir), "validate", "--db", "bolt:"+dbFile, filepath.Base(dir))
	if r.code != exitData {
		t.Errorf("validate exit status = %d, want %d", r.code, exitData)
	}
	file := filepath.Base(dir) + "/zz-mistakes.yaml"
	want := []struct {
		lines []string // where the mistake is (a record's line is fine too)
		what  string
	}{
		{[]string{"6"}, "2024-13-45"},               // bad date
		{[]string{"11"}, "colour"},                  // unknown field
		{[]string{"13", "16"}, "zz-no-such-source"}, // unknown source key
		{[]string{"17"}, "zz-one"},                  // duplicate id
		{[]string{"22", "23", "24"}, "zz-nowhere"},  // dangling reference
	}
	errLines := strings.Split(r.stderr, "\n")
	for _, w := range want {
		found := false
		for _, l := range errLines {
			rest, ok := strings.CutPrefix(l, file+":")
			lineNo, _, _ := strings.Cut(rest, ":")
			if ok && slices.Contains(w.lines, lineNo) && strings.Contains(l, w.what) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no error line %s:%s mentioning %q", file, strings.Join(w.lines, "|"), w.what)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}

	if h := fileHash(t, dbFile); h != hashBefore {
		t.Error("validate changed the bolt file")
	}
	if st := storeStats(t, "bolt:"+dbFile); !reflect.DeepEqual(st, statsBefore) {
		t.Errorf("store stats changed: %+v -> %+v", statsBefore, st)
	}
}

func TestValidateEmbeddedData(t *testing.T) {
	r := chipgraph(t, "", "validate")
	if r.code != 0 {
		t.Fatalf("validate of the embedded data: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestValidateNeverCreatesStore(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "missing.db")
	r := chipgraph(t, "", "validate", "--db", "bolt:"+dbFile)
	if r.code != exitData {
		t.Errorf("exit %d, want %d\n%s", r.code, exitData, r.stderr)
	}
	if _, err := os.Stat(dbFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("validate created %s", dbFile)
	}
}

func TestStatsJSON(t *testing.T) {
	r := chipgraph(t, "", "stats", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var st statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("stats --json output is not JSON: %v\n%s", err, r.stdout)
	}
	if st.Entities <= 0 || st.Relations <= 0 || st.Sources <= 0 || st.Quads <= 0 {
		t.Errorf("want counts > 0, got %+v", st)
	}
	if len(st.ByKind) == 0 || len(st.ByType) == 0 {
		t.Errorf("want counts by kind and type, got %+v", st)
	}
	sum := 0
	for _, n := range st.ByKind {
		sum += n
	}
	if sum != st.Entities {
		t.Errorf("byKind sums to %d, entities = %d", sum, st.Entities)
	}

	text := chipgraph(t, "", "stats")
	if text.code != 0 || !strings.Contains(text.stdout, "entities") || !strings.Contains(text.stdout, "COMPANY") {
		t.Errorf("stats: exit %d\n%s%s", text.code, text.stdout, text.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `"frobnicate"`},
		{[]string{"stats", "--frob"}, "-frob"},
		{[]string{"load"}, "no PATH"},
		{[]string{"load", "--format", "xml", "x"}, `"xml"`},
		{[]string{"export", "--format", "csv"}, `"csv"`},
		{[]string{"stats", "extra"}, `"extra"`},
		{[]string{"stats", "--log-level", "loud"}, `"loud"`},
		{nil, "missing command"},
	} {
		r := chipgraph(t, "", tc.args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d", tc.args, r.code, exitUsage)
		}
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: stderr does not name %s:\n%s", tc.args, tc.want, r.stderr)
		}
	}
	if r := chipgraph(t, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "serve") {
		t.Errorf("help: exit %d\n%s", r.code, r.stdout)
	}
	if r := chipgraph(t, "", "load", "-h"); r.code != 0 || !strings.Contains(r.stderr, "--format") && !strings.Contains(r.stderr, "-format") {
		t.Errorf("load -h: exit %d\n%s", r.code, r.stderr)
	}
}

func TestLoadErrorsExit1WithFileLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.yaml"), mistakes)
	dbFile := filepath.Join(t.TempDir(), "store.db")
	r := chipgraph(t, dir, "load", "--db", "bolt:"+dbFile, "bad.yaml")
	if r.code != exitData {
		t.Errorf("exit %d, want %d", r.code, exitData)
	}
	n := 0
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "bad.yaml:") {
			n++
		}
	}
	if n < 5 {
		t.Errorf("want >= 5 bad.yaml:LINE errors, got %d:\n%s", n, r.stderr)
	}
	if st := storeStats(t, "bolt:"+dbFile); st.Entities+st.Sources+st.Relations != 0 {
		t.Errorf("a failed load left %+v", st)
	}
}

func TestExportAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "graph.nq")
	r := chipgraph(t, "", "export", "--format", "nquads", "-o", out)
	if r.code != 0 {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("smic")) || bytes.Count(b, []byte("\n")) < 10 {
		t.Errorf("export looks empty: %d bytes", len(b))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("export left %d files in its directory, want 1", len(entries))
	}

	// The export loads back into a fresh store with the same counts.
	dbFile := filepath.Join(t.TempDir(), "store.db")
	if r := chipgraph(t, "", "load", "--format", "nquads", "--db", "bolt:"+dbFile, out); r.code != 0 {
		t.Fatalf("load of the export: exit %d\n%s", r.code, r.stderr)
	}
	mem := chipgraph(t, "", "stats", "--json")
	var want statsJSON
	if err := json.Unmarshal([]byte(mem.stdout), &want); err != nil {
		t.Fatal(err)
	}
	got := storeStats(t, "bolt:"+dbFile)
	if got.Entities != want.Entities || got.Relations != want.Relations || got.Sources != want.Sources {
		t.Errorf("round trip: got %d/%d/%d entities/relations/sources, want %d/%d/%d",
			got.Entities, got.Relations, got.Sources, want.Entities, want.Relations, want.Sources)
	}
}

// lockedBuffer collects a subprocess's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// servingAddr returns the address of the JSON log line {"msg":"serving"}.
func servingAddr(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
			return rec.Addr
		}
	}
	return ""
}

func TestServe(t *testing.T) {
	bin := binary(t)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = testEnv()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	var addr string
	for {
		if addr == "" {
			addr = servingAddr(stderr.String())
		}
		if addr != "" {
			resp, err := client.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no healthy /healthz (addr %q) within 60s\n%s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	base := "http://" + addr
	q := url.QueryEscape(`{entity(id:"smic"){name}}`)
	resp, err := client.Get(base + "/graphql?query=" + q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var gq struct {
		Data struct {
			Entity *struct{ Name string }
		}
		Errors []any
	}
	if err := json.Unmarshal(body, &gq); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("graphql: status %d, %v\n%s", resp.StatusCode, err, body)
	} else if gq.Data.Entity == nil || gq.Data.Entity.Name == "" || len(gq.Errors) > 0 {
		t.Errorf("graphql: no smic in %s", body)
	}

	if r := chipgraph(t, "", "health", "--addr", addr); r.code != 0 {
		t.Errorf("health: exit %d\n%s", r.code, r.stderr)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30s of SIGTERM\n%s", stderr.String())
	}

	if r := chipgraph(t, "", "health", "--addr", addr, "--timeout", "2s"); r.code != exitData {
		t.Errorf("health of a stopped server: exit %d, want %d", r.code, exitData)
	}
}

// TestLoadCrash kills `chipgraph load` at points during its run and checks
// the bolt store holds either the state before the load or the whole load.
// The killed loads write in chunks of 500 quad deltas, so most are staged
// over several bbolt transactions.
func TestLoadCrash(t *testing.T) {
	cache := map[string][]byte{}
	loadCrash(t, func(t *testing.T, paths ...string) string {
		key := strings.Join(paths, "\x00")
		f := filepath.Join(t.TempDir(), "crash.db")
		if len(paths) == 0 {
			return "bolt:" + f
		}
		if b, ok := cache[key]; ok {
			writeFile(t, f, string(b))
			return "bolt:" + f
		}
		for _, p := range paths {
			if r := chipgraph(t, "", "load", "--no-curated", "--db", "bolt:"+f, p); r.code != 0 {
				t.Fatalf("load of %s: exit %d\n%s", p, r.code, r.stderr)
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cache[key] = b
		return "bolt:" + f
	}, []time.Duration{0, 5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 200 * time.Millisecond}, 3)
}

// TestLoadCrashPostgres is TestLoadCrash on PostgreSQL, where a load is
// one transaction; the killed loads that add at least as many quads as
// the store holds are bulk writes (graph/postgres_bulk.go), which drop the
// quads table's foreign keys and secondary indexes until they commit:
// after each kill the table has them all.
func TestLoadCrashPostgres(t *testing.T) {
	pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if pg == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	loadCrash(t, func(t *testing.T, paths ...string) string {
		dsn := pgtest.FreshSchema(t, pg)
		for _, p := range paths {
			if r := chipgraph(t, "", "load", "--no-curated", "--db", dsn, p); r.code != 0 {
				t.Fatalf("load of %s: exit %d\n%s", p, r.code, r.stderr)
			}
		}
		return dsn
	}, []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond}, 1)
}

// quadKeysWhole checks that the PostgreSQL store dsn's quads table has
// cayley's four validated foreign keys and seven indexes.
func quadKeysWhole(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fks, indexes int
	if err := db.QueryRow(`SELECT
  (SELECT count(*) FROM pg_constraint WHERE conrelid = 'quads'::regclass AND contype = 'f' AND convalidated),
  (SELECT count(*) FROM pg_index WHERE indrelid = 'quads'::regclass)`).Scan(&fks, &indexes); err != nil {
		t.Fatal(err)
	}
	if fks != 4 || indexes != 7 {
		t.Errorf("the quads table has %d validated foreign keys and %d indexes, want 4 and 7", fks, indexes)
	}
}

// loadCrash runs the crash test over stores that store(paths...) makes,
// with the given paths loaded. The loads are killed after each of fixed,
// and at spread points spread over a load's run.
func loadCrash(t *testing.T, store func(t *testing.T, paths ...string) string, fixed []time.Duration, spread int) {
	bin := binary(t)
	data := copyData(t) // a snapshot, in case data/ is edited meanwhile
	tiny := t.TempDir()
	writeFile(t, filepath.Join(tiny, "tiny.yaml"), tinyData)

	const bigN = 500
	big := bigData(t, bigN)

	// Reference states.
	ref := func(paths ...string) graph.Stats { return storeStats(t, store(t, paths...)) }
	empty := graph.Stats{ByKind: map[graph.Kind]int{}, ByType: map[graph.RelationType]int{}}
	tinyOnly := ref(tiny)
	start := time.Now()
	full := ref(data)
	tookCurated := time.Since(start)
	tinyFull := ref(tiny, data)
	fullBig := ref(data, big)
	start = time.Now()
	ref(big)
	took := time.Since(start)
	t.Logf("loading the curated data took %v; %d big entities, %v", tookCurated, bigN, took)
	if full.Entities == 0 || reflect.DeepEqual(tinyOnly, tinyFull) || reflect.DeepEqual(full, fullBig) {
		t.Fatalf("reference states do not differ: %+v / %+v / %+v", tinyOnly, tinyFull, fullBig)
	}

	spreadOver := func(total time.Duration, n int) []time.Duration {
		list := slices.Clone(fixed)
		for i := 1; i <= n; i++ {
			list = append(list, total*time.Duration(i)/time.Duration(n))
		}
		return list
	}

	outcomes := map[string]int{}
	for _, c := range []struct {
		name        string
		base        []string // loaded before the killed load
		load        string
		old, loaded graph.Stats
		delays      []time.Duration
	}{
		{"curated-on-empty", nil, data, empty, full, spreadOver(tookCurated, spread)},
		{"curated-on-tiny", []string{tiny}, data, tinyOnly, tinyFull, spreadOver(tookCurated, spread)},
		{"big-on-curated", []string{data}, big, full, fullBig, spreadOver(took, spread)},
	} {
		for _, d := range c.delays {
			dsn := store(t, c.base...)
			cmd := exec.Command(bin, "load", "--no-curated", "--db", dsn, c.load)
			cmd.Env = testEnv("CHIPGRAPH_WRITE_CHUNK=500", "CHIPGRAPH_PG_BULK_MIN=500")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(d)
			cmd.Process.Signal(syscall.SIGKILL)
			finished := cmd.Wait() == nil

			st := storeStats(t, dsn)
			if strings.HasPrefix(dsn, "postgres") {
				quadKeysWhole(t, dsn)
			}
			switch {
			case reflect.DeepEqual(st, c.old):
				outcomes[c.name+"/old"]++
				if finished {
					t.Errorf("%s/%v: load exited 0 but the store holds the old state", c.name, d)
				}
			case reflect.DeepEqual(st, c.loaded):
				outcomes[c.name+"/loaded"]++
			default:
				t.Errorf("%s, killed after %v: store holds neither the old state nor the whole load:\n got  %+v\n old  %+v\n full %+v",
					c.name, d, st, c.old, c.loaded)
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

// In-process tests of the helpers.

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080":         "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":           "http://127.0.0.1:8080/healthz",
		":9000":                  "http://127.0.0.1:9000/healthz",
		"[::]:9000":              "http://127.0.0.1:9000/healthz",
		"example.test:80":        "http://example.test:80/healthz",
		"http://localhost:8080/": "http://localhost:8080/healthz",
	} {
		got, err := healthURL(in)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := healthURL("nonsense"); exitCode(err) != exitUsage {
		t.Errorf("healthURL(nonsense): %v, want a usage error", err)
	}
}

func TestReadTokens(t *testing.T) {
	f := filepath.Join(t.TempDir(), "tokens")
	writeFile(t, f, "# comment\n\n  tok-b \ntok-c\n")
	got, err := readTokens(" tok-a, ,tok-b", f)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tok-a", "tok-b", "tok-c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("readTokens = %q, want %q", got, want)
	}
	if _, err := readTokens("", filepath.Join(t.TempDir(), "missing")); exitCode(err) != exitUsage {
		t.Errorf("missing tokens file: %v, want a usage error", err)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{usagef("bad"), exitUsage},
		{graph.Errorf(graph.CodeInvalid, "x.yaml:3", "bad"), exitData},
		{graph.Errors{graph.Errorf(graph.CodeInvalid, "x.yaml:3", "bad")}, exitData},
		{graph.Errorf(graph.CodeNotFound, "x", "missing"), exitData},
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrNotExist}, exitData},
		{errors.New("boom"), exitInternal},
		{&graph.Error{Code: graph.CodeInternal, Err: errors.New("disk")}, exitInternal},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func testEnvFor(stdout, stderr *bytes.Buffer, vars map[string]string) *env {
	return &env{
		stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv: func(k string) string { return vars[k] },
	}
}

func TestFlagsInterspersedAndEnv(t *testing.T) {
	var out, errOut bytes.Buffer
	e := testEnvFor(&out, &errOut, map[string]string{envDB: "bolt:from-env.db", envLogLevel: "warn"})
	f := newFlags(e, "load", "PATH...", "")
	db := f.dbFlag()
	format := f.String("format", "curated", "")
	pos, err := f.parse([]string{"a.yaml", "--format", "nquads", "b.nq", "--", "--c"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "b.nq", "--c"}; !reflect.DeepEqual(pos, want) {
		t.Errorf("positional = %q, want %q", pos, want)
	}
	if *format != "nquads" || *db != "bolt:from-env.db" {
		t.Errorf("format %q db %q", *format, *db)
	}
	if e.log == nil || e.log.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("CHIPGRAPH_LOG_LEVEL=warn did not set the level")
	}

	_, err = newFlags(e, "stats", "", "").parse([]string{"--nope"})
	if exitCode(err) != exitUsage && !isReported(err, exitUsage) {
		t.Errorf("unknown flag: %v", err)
	}
	if !strings.Contains(errOut.String(), "-nope") {
		t.Errorf("unknown flag not named: %s", errOut.String())
	}
}

func isReported(err error, code int) bool {
	var r *errReported
	return errors.As(err, &r) && r.code == code
}

func TestRunInProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	e := testEnvFor(&out, &errOut, nil)
	if code := run(context.Background(), []string{"help"}, e); code != 0 || !strings.Contains(out.String(), "validate") {
		t.Errorf("help: %d %s", code, out.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"stats", "-h"}, e); code != 0 || !strings.Contains(errOut.String(), "-json") {
		t.Errorf("stats -h: %d %s", code, errOut.String())
	}
}

func TestWriteFileAtomicKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.nq")
	writeFile(t, name, "old\n")
	err := writeFileAtomic(name, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("failed midway")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(name); string(b) != "old\n" {
		t.Errorf("file now %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temp file left behind: %d entries", len(entries))
	}
	if err := writeFileAtomic(name, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "new\n" {
		t.Errorf("file now %q", b)
	}
}

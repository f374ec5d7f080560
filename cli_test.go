package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/internal/pgtest"
)

// Subprocess tests of what a new user ran into in the first hour (issue 14).

// exportedIDs runs `chipgraph export --format nodelink ARGS...` and returns
// the ids of the nodes it wrote.
func exportedIDs(t *testing.T, args ...string) []string {
	t.Helper()
	r := chipgraph(t, "", append([]string{"export", "--format", "nodelink"}, args...)...)
	if r.code != 0 {
		t.Fatalf("export %v: exit %d\n%s", args, r.code, r.stderr)
	}
	var g struct{ Nodes []struct{ ID string } }
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatalf("export %v: %v", args, err)
	}
	ids := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		ids[i] = n.ID
	}
	return ids
}

// TestNewStoreStartsFromCurated: loading a public dataset into a new bbolt
// store gives the curated graph with the dataset merged into it (SMIC is
// still one entity, Huawei is there); loading data/ afterwards adds no
// duplicates; --no-curated starts the store empty.
func TestNewStoreStartsFromCurated(t *testing.T) {
	dataset, err := filepath.Abs("loaders/testdata/dod1260h/edition-a.csv")
	if err != nil {
		t.Fatal(err)
	}
	dsn := "bolt:" + filepath.Join(t.TempDir(), "new.db")
	if r := chipgraph(t, "", "load", "--db", dsn, dataset); r.code != 0 {
		t.Fatalf("load: exit %d\n%s", r.code, r.stderr)
	}
	var want statsJSON
	if r := chipgraph(t, "", "stats", "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &want) != nil {
		t.Fatalf("stats of the curated graph: exit %d\n%s", r.code, r.stderr)
	}
	after := storeStats(t, dsn)
	if after.Entities <= want.Entities {
		t.Errorf("the new store holds %d entities, fewer than the curated graph's %d", after.Entities, want.Entities)
	}
	if ids := exportedIDs(t, "--db", dsn, "--seed", "huawei", "--hops", "0"); len(ids) != 1 || ids[0] != "huawei" {
		t.Errorf("huawei in the new store: %v", ids)
	}
	// The dataset's SMIC merged into the curated one.
	if ids := exportedIDs(t, "--db", dsn, "--kinds", "COMPANY", "--seed", "smic", "--hops", "1", "--types", "SUBSIDIARY_OF"); !contains(ids, "smic-holdings-limited") {
		t.Errorf("the dataset's SMIC subsidiary is not linked to the curated smic: %v", ids)
	}

	if r := chipgraph(t, "", "load", "--db", dsn, dataDir(t)); r.code != 0 {
		t.Fatalf("load data/: exit %d\n%s", r.code, r.stderr)
	}
	if again := storeStats(t, dsn); again.Entities != after.Entities || again.Relations != after.Relations {
		t.Errorf("loading data/ into it changed the counts %d/%d to %d/%d: duplicates", after.Entities, after.Relations, again.Entities, again.Relations)
	}

	bare := "bolt:" + filepath.Join(t.TempDir(), "bare.db")
	if r := chipgraph(t, "", "load", "--no-curated", "--db", bare, dataset); r.code != 0 {
		t.Fatalf("load --no-curated: exit %d\n%s", r.code, r.stderr)
	}
	if st := storeStats(t, bare); st.Entities == 0 || st.Entities >= want.Entities {
		t.Errorf("--no-curated store holds %d entities; want only the dataset's", st.Entities)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSeedNames: --seed takes names and aliases as entity(name:) does, and
// says which seed names nothing. (The analysis commands take them too.)
func TestSeedNames(t *testing.T) {
	for _, seed := range []string{"smic", "SMIC", "中芯国际", "Semiconductor Manufacturing International Corporation"} {
		if ids := exportedIDs(t, "--seed", seed, "--hops", "0"); len(ids) != 1 || ids[0] != "smic" {
			t.Errorf("--seed %q exported %v, want [smic]", seed, ids)
		}
	}
	r := chipgraph(t, "", "export", "--format", "nodelink", "--seed", "No Such Company")
	if r.code != exitData || !strings.Contains(r.stderr, `"No Such Company"`) {
		t.Errorf("--seed naming nothing: exit %d, want %d naming it\n%s", r.code, exitData, r.stderr)
	}
	if r := chipgraph(t, "", "timeline", "--first", "1", "SMIC"); r.code != 0 || !strings.Contains(r.stdout, "date") {
		t.Errorf("timeline SMIC: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestReadingNeverCreatesStore: a command that only reads, given a store
// that is not there, says so with exit 1 and creates neither the file nor
// its directories.
func TestReadingNeverCreatesStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mistyped")
	dsn := "bolt:" + filepath.Join(dir, "sub", "x.db")
	for _, args := range [][]string{
		{"stats"},
		{"export", "--format", "nquads"},
		{"search", "smic"},
		{"exposure", "huawei"},
		{"timeline", "smic"},
		{"diff", "2019", "2021"},
		{"chokepoints"},
		{"validate"},
	} {
		r := chipgraph(t, "", append(args, "--db", dsn)...)
		if r.code != exitData || !strings.Contains(r.stderr, "no store there") {
			t.Errorf("%s on a missing store: exit %d, want %d saying so\n%s", args[0], r.code, exitData, r.stderr)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s created %s", args[0], dir)
		}
	}
}

// TestReadingNeverCreatesStorePostgres: on PostgreSQL, a reading command
// given a schema holding no store says so and creates no table in it.
func TestReadingNeverCreatesStorePostgres(t *testing.T) {
	pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if pg == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	dsn := pgtest.FreshSchema(t, pg)
	r := chipgraph(t, "", "stats", "--db", dsn)
	if r.code != exitData || !strings.Contains(r.stderr, "no chipgraph store") {
		t.Errorf("stats on an empty schema: exit %d, want %d saying so\n%s", r.code, exitData, r.stderr)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("stats created %d tables", tables)
	}
}

// TestHopsMessage: a bad --hops is a usage error naming the flag.
func TestHopsMessage(t *testing.T) {
	r := chipgraph(t, "", "export", "--format", "nodelink", "--hops", "two")
	want := `chipgraph export: --hops: want a whole number ≥ 0, not "two"`
	if r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, want %d with %q\n%s", r.code, exitUsage, want, r.stderr)
	}
}

// TestStoreUnreachable: a PostgreSQL store that cannot be reached is its
// own exit status with a message saying so, not an internal error.
func TestStoreUnreachable(t *testing.T) {
	// Nothing listens on port 1 of the loopback address.
	r := chipgraph(t, "", "stats", "--db", "postgres://chipgraph:x@127.0.0.1:1/chipgraph?sslmode=disable")
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "cannot connect to the store's database") ||
		strings.Contains(r.stderr, "internal error") || strings.Contains(r.stderr, ":x@") {
		t.Errorf("exit %d, want %d with a connection message and no password\n%s", r.code, exitUnavailable, r.stderr)
	}
}

// TestValidateOneFile: a file validated on its own resolves what it refers
// to against the rest of its data directory (or, outside one, the embedded
// data, or --db), and still reports its own mistakes.
func TestValidateOneFile(t *testing.T) {
	dir := copyData(t)
	r := chipgraph(t, dir, "validate", "companies.yaml")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") {
		t.Errorf("validate companies.yaml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A new file elsewhere referring to curated entities and sources.
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "new.yaml"), `relations:
  - type: PARTNERS_WITH
    from: smic
    to: huawei
    status: reported
    validFrom: 2024
    sources: [laotiantimes-2025-02-26-910c-yield]
  - type: PARTNERS_WITH
    from: smic
    to: zz-nowhere
    status: reported
    validFrom: 2024
    sources: [laotiantimes-2025-02-26-910c-yield]
`)
	r = chipgraph(t, other, "validate", "new.yaml")
	if r.code != exitData || strings.Contains(r.stderr, `"smic"`) || strings.Contains(r.stderr, `"huawei"`) ||
		!strings.Contains(r.stderr, "zz-nowhere") || strings.Count(r.stderr, "new.yaml:") != 1 {
		t.Errorf("validate new.yaml: exit %d, want one error, about zz-nowhere\n%s", r.code, r.stderr)
	}
}

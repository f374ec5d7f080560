package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand exports a selection in several formats through the
// binary: stdout, -o FILE, and csv's two files.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()

	r := chipgraph(t, "", "export", "--format", "nodelink", "--seed", "huawei", "--hops", "2", "--kinds", "COMPANY,CHIP", "--links", "links")
	if r.code != 0 {
		t.Fatalf("nodelink: exit %d\n%s", r.code, r.stderr)
	}
	var nl struct {
		Nodes []map[string]any
		Links []map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &nl); err != nil || len(nl.Nodes) < 5 || len(nl.Links) == 0 {
		t.Fatalf("nodelink: %v, %d nodes, %d links", err, len(nl.Nodes), len(nl.Links))
	}
	for _, n := range nl.Nodes {
		if k := n["kind"]; k != "COMPANY" && k != "CHIP" && n["id"] != "huawei" {
			t.Errorf("node %v of kind %v", n["id"], k)
		}
	}

	out := filepath.Join(dir, "g.graphml")
	if r := chipgraph(t, "", "export", "--format", "graphml", "--seed", "smic", "--types", "FABRICATES", "--as-of", "2024", "-o", out); r.code != 0 {
		t.Fatalf("graphml: exit %d\n%s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), `<node id="smic">`) {
		t.Errorf("graphml: %v\n%.300s", err, b)
	}

	// csv: FILE-nodes.csv and FILE-edges.csv, or DIR/nodes.csv and DIR/edges.csv.
	if r := chipgraph(t, "", "export", "--format", "csv", "-o", filepath.Join(dir, "all.csv")); r.code != 0 {
		t.Fatalf("csv: exit %d\n%s", r.code, r.stderr)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := chipgraph(t, "", "export", "--format", "csv", "--seed", "huawei", "-o", sub); r.code != 0 {
		t.Fatalf("csv to dir: exit %d\n%s", r.code, r.stderr)
	}
	for _, name := range []string{"all-nodes.csv", "all-edges.csv", "sub/nodes.csv", "sub/edges.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		header := strings.SplitN(string(b), "\n", 2)[0]
		if !strings.HasPrefix(header, "Id,Label,kind") && !strings.HasPrefix(header, "Source,Target,Type,Id,Label") {
			t.Errorf("%s: header %q", name, header)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--format", "dot"}, `"dot"`},
		{[]string{"export", "--format", "csv"}, `"csv"`},
		{[]string{"export", "--format", "graphml", "--kinds", "PERSON"}, `"PERSON"`},
		{[]string{"export", "--format", "graphml", "--hops", "-1"}, "hops"},
		{[]string{"export", "--format", "nodelink", "--links", "arcs"}, `"arcs"`},
	} {
		r := chipgraph(t, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d naming %s", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}
	if r := chipgraph(t, "", "export", "--format", "graphml", "--seed", "no-such-entity"); r.code == 0 || !strings.Contains(r.stderr, "no-such-entity") {
		t.Errorf("unknown seed: exit %d, stderr %q", r.code, r.stderr)
	}
}

package loaders

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

func TestOpenNQuadsMapsLines(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.nq"), filepath.Join(dir, "b.nq")
	if err := os.WriteFile(a, []byte("l1\nl2\nl3"), 0o644); err != nil { // no final newline
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("m1\nm2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenNQuads(nil, a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	all, _ := io.ReadAll(in.r)
	if string(all) != "l1\nl2\nl3\nm1\nm2\n" {
		t.Errorf("joined %q", all)
	}
	got := in.fixPaths(graph.Errors{
		graph.Errorf(graph.CodeInvalid, in.name+":2", "x"),
		graph.Errorf(graph.CodeInvalid, in.name+":5", "y"),
		graph.Errorf(graph.CodeInvalid, in.name+": relations[1]", "z"),
	})
	var list graph.Errors
	if !errors.As(got, &list) || len(list) != 3 {
		t.Fatalf("fixPaths = %v", got)
	}
	for i, want := range []string{a + ":2", b + ":2", in.name + ": relations[1]"} {
		if list[i].Path != want {
			t.Errorf("path %d = %q, want %q", i, list[i].Path, want)
		}
	}
	if in.fixPaths(nil) != nil {
		t.Error("fixPaths(nil) != nil")
	}
	if _, err := OpenNQuads(nil, a, filepath.Join(dir, "missing.nq")); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("a missing input: %v, want NOT_FOUND", err)
	}
}

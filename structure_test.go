package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSingleLRU keeps one least-recently-used cache in the code:
// internal/lru. The schema's document cache and the server's response
// cache were two copies of it.
func TestSingleLRU(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if imp == "container/list" && !strings.HasSuffix(fields[0], "/internal/lru") {
				t.Errorf("%s imports container/list: use internal/lru rather than another LRU", fields[0])
			}
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/questions/*.golden.json from the current answers")

var graphqlBlock = regexp.MustCompile("(?s)```graphql\n(.*?)```")

// TestREADMEQuestions runs every query of the README's "Questions this graph
// answers" against the curated data and compares the answers with golden
// files, so the README's queries stay valid and its answers current. After
// a change to data/, run `go test -run READMEQuestions -update .` and read
// the diff of testdata/questions/ before updating the README's prose.
func TestREADMEQuestions(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## Questions this graph answers")
	if start < 0 {
		t.Fatal(`README.md has no "## Questions this graph answers" section`)
	}
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	blocks := graphqlBlock.FindAllStringSubmatch(section, -1)
	if len(blocks) < 10 {
		t.Fatalf("the README section has %d graphql queries, want at least 10", len(blocks))
	}

	ctx := context.Background()
	store, err := loaders.OpenCurated(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := schema.New(store, schema.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		name := fmt.Sprintf("%02d", i+1)
		t.Run(name, func(t *testing.T) {
			res := s.Execute(ctx, schema.Request{Query: b[1]})
			if len(res.Errors) > 0 {
				t.Fatalf("query %s:\n%s\nerrors: %+v", name, b[1], res.Errors)
			}
			raw, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			golden := filepath.Join("testdata", "questions", name+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run READMEQuestions -update . to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("README question %s answers differently from %s now; run with -update and review the diff", name, golden)
			}
		})
	}
}

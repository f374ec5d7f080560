package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// readmeCommandsNotRun are the README's shell commands (by prefix) that
// TestREADMECommands does not run, each with the reason.
var readmeCommandsNotRun = map[string]string{
	"go test": "it is the command that runs this test",
	"docker":  "CI machines have no Docker daemon; the image builds the same binary with `go build`",
}

// readmeCommands returns the commands of the README's ```sh blocks in order,
// a command continued over lines (a trailing backslash, an open quote)
// joined into one.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, block := range shellBlock.FindAllStringSubmatch(string(readme), -1) {
		var cur strings.Builder
		for _, line := range strings.Split(strings.TrimRight(block[1], "\n"), "\n") {
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(line)
			s := cur.String()
			if strings.HasSuffix(s, `\`) || strings.Count(s, "'")%2 == 1 {
				continue
			}
			if s = strings.TrimSpace(s); s != "" {
				cmds = append(cmds, s)
			}
			cur.Reset()
		}
		if cur.Len() > 0 {
			t.Fatalf("README: unterminated shell command %q", cur.String())
		}
	}
	return cmds
}

// TestREADMECommands runs the commands of the README's ```sh blocks as a
// new user pastes them, in order, in one directory: `go run . serve` starts
// the server (the built binary, on a free port standing in for
// localhost:8080) that later curl commands talk to, and `chipgraph` is the
// built binary. Each must exit 0, and neither its output nor a file it
// writes may be a GraphQL error answer. A command that is neither run nor
// listed in readmeCommandsNotRun fails the test.
func TestREADMECommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	bin := binary(t)
	dir := t.TempDir()
	pathEnv := "PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	var srv *serveProcess
	for i, command := range readmeCommands(t) {
		if strings.HasPrefix(command, "go run . serve") {
			srv = startServe(t, strings.Fields(strings.TrimPrefix(strings.SplitN(command, "#", 2)[0], "go run . serve")))
			continue
		}
		if reason := notRunReason(command); reason != "" {
			t.Logf("not run: %s (%s)", command, reason)
			continue
		}
		t.Run(fmt.Sprintf("%02d", i+1), func(t *testing.T) {
			if first := strings.Fields(command)[0]; first != "chipgraph" && first != "curl" {
				t.Fatalf("README command %q is neither run here nor listed in readmeCommandsNotRun", command)
			}
			if strings.Contains(command, "localhost:8080") {
				if srv == nil {
					t.Fatalf("%q needs the server, but no `go run . serve` comes before it", command)
				}
				command = strings.ReplaceAll(command, "localhost:8080", strings.TrimPrefix(srv.base, "http://"))
			}
			before := dirFiles(t, dir)
			cmd := exec.Command("bash", "-c", command)
			cmd.Dir = dir
			cmd.Env = testEnv(pathEnv)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s\n%v\nstdout: %.2000s\nstderr: %.2000s", command, err, stdout.String(), stderr.String())
			}
			outputs := map[string][]byte{"standard output": stdout.Bytes()}
			for name := range dirFiles(t, dir) {
				if !before[name] {
					b, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					if len(b) == 0 {
						t.Errorf("%s: wrote an empty %s", command, name)
					}
					outputs[name] = b
				}
			}
			if len(outputs) == 1 && stdout.Len() == 0 {
				t.Errorf("%s: no output and no file written", command)
			}
			for name, b := range outputs {
				var answer struct {
					Errors json.RawMessage `json:"errors"`
				}
				if json.Unmarshal(b, &answer) == nil && answer.Errors != nil {
					t.Errorf("%s: %s is an error answer: %.2000s", command, name, b)
				}
			}
		})
	}
	if srv == nil {
		t.Error("the README has no `go run . serve` command")
	}
}

// notRunReason is why TestREADMECommands does not run command, or "".
func notRunReason(command string) string {
	for prefix, reason := range readmeCommandsNotRun {
		if strings.HasPrefix(command, prefix) {
			return reason
		}
	}
	return ""
}

// dirFiles returns the names of the files in dir.
func dirFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	return names
}

var dependencyChain = regexp.MustCompile("`([a-z/]+(?: → [a-z/]+)+)`")

// TestREADMEDependencies holds the README's "Dependencies point one way"
// sentence to the code: every import between chipgraph's packages must
// follow from its arrows (main → server → schema → graph implies main →
// graph), and every arrow must be a direct import.
func TestREADMEDependencies(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sentence, ok := strings.Cut(string(readme), "Dependencies point one way:")
	if !ok {
		t.Fatal(`README.md has no "Dependencies point one way:" sentence`)
	}
	sentence, _, _ = strings.Cut(sentence, ";")
	stated := map[string][]string{}
	for _, m := range dependencyChain.FindAllStringSubmatch(sentence, -1) {
		pkgs := strings.Split(m[1], " → ")
		for i := 1; i < len(pkgs); i++ {
			stated[pkgs[i-1]] = append(stated[pkgs[i-1]], pkgs[i])
		}
	}
	if len(stated) == 0 {
		t.Fatal("no `a → b` chains in the README's dependency sentence")
	}

	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/chipgraph/chipgraph"
	short := func(path string) string {
		if path == module {
			return "main"
		}
		return strings.TrimPrefix(path, module+"/")
	}
	actual := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from := short(fields[0])
		if strings.HasSuffix(from, "test") { // graphtest, schematest: test helpers
			continue
		}
		if strings.HasPrefix(from, "internal/") {
			for _, imp := range fields[1:] {
				if strings.HasPrefix(imp, module+"/") {
					t.Errorf("%s imports %s; internal packages are leaves", from, imp)
				}
			}
			continue
		}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module+"/internal/") {
				continue // leaf utilities any package may use
			}
			if strings.HasPrefix(imp, module+"/") {
				actual[from] = append(actual[from], short(imp))
			}
		}
	}

	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		var walk func(string) bool
		walk = func(p string) bool {
			if p == to {
				return true
			}
			if seen[p] {
				return false
			}
			seen[p] = true
			return slices.ContainsFunc(stated[p], walk)
		}
		return walk(from)
	}
	for from, imports := range actual {
		for _, to := range imports {
			if !reaches(from, to) {
				t.Errorf("%s imports %s, which the README's dependency arrows do not allow", from, to)
			}
		}
	}
	deps, err := exec.Command("go", "list", "-deps", "./graph").Output()
	if err != nil {
		t.Fatalf("go list -deps ./graph: %v", err)
	}
	for _, dep := range strings.Fields(string(deps)) {
		for _, banned := range []string{"github.com/labstack/echo", "github.com/graphql-go/graphql", "github.com/vektah/gqlparser", module + "/loaders"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("graph depends on %s; the README says it imports no HTTP, GraphQL or loader code", dep)
			}
		}
	}
	for from, tos := range stated {
		for _, to := range tos {
			if !slices.Contains(actual[from], to) {
				t.Errorf("the README says %s → %s, but %s does not import %s", from, to, from, to)
			}
		}
	}
}

// TestREADMETestCommandIsCIs: the README's test command, the second of its
// two commands, is the one .ci/run runs.
func TestREADMETestCommandIsCIs(t *testing.T) {
	var readmeCmd string
	for _, c := range readmeCommands(t) {
		if strings.HasPrefix(c, "go test") {
			readmeCmd = strings.TrimSpace(strings.SplitN(c, "#", 2)[0])
			break
		}
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TEST_CMD="([^"]+)"`).FindSubmatch(ci)
	if m == nil {
		t.Fatal(".ci/run sets no TEST_CMD")
	}
	if readmeCmd != string(m[1]) {
		t.Errorf("the README's test command is %q, .ci/run's %q", readmeCmd, m[1])
	}
	if !regexp.MustCompile(`(?m)^\$TEST_CMD\s*$`).Match(ci) {
		t.Error(".ci/run does not run $TEST_CMD")
	}
}

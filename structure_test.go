package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
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

// TestErrorOpOnlyOnInternal holds graph.Error's rule: Op is set on internal
// errors only, where Error prints it for the operator; an error a user can
// act on names a path instead. It reads every Error literal of the code.
func TestErrorOpOnlyOnInternal(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"graph", "graph/analysis", "graph/fulltext", "loaders", "schema", "server"} {
		more, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, more...)
	}
	checked := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !isErrorType(lit.Type) {
				return true
			}
			checked++
			var op, code ast.Expr
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					switch kv.Key.(*ast.Ident).Name {
					case "Op":
						op = kv.Value
					case "Code":
						code = kv.Value
					}
				}
			}
			if op != nil && code != nil {
				if name := codeName(code); name != "" && name != "CodeInternal" {
					t.Errorf("%s: an Error with Op and %s: Op is for internal errors only", file, name)
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Errorf("read %d Error literals; the test no longer finds them", checked)
	}
}

func isErrorType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "Error"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "graph" && x.Sel.Name == "Error"
	}
	return false
}

// codeName is the name of a Code constant (CodeInvalid, graph.CodeInvalid),
// or "" for anything else.
func codeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		if strings.HasPrefix(x.Name, "Code") {
			return x.Name
		}
	case *ast.SelectorExpr:
		if strings.HasPrefix(x.Sel.Name, "Code") {
			return x.Sel.Name
		}
	}
	return ""
}

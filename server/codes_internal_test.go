package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodesDistinct: every extensions.code the server or the schema
// declares (the constants named code... or Code...) has its own value, so
// statusFor cannot mistake one for another (the route-not-found code was
// once the schema's NOT_FOUND).
func TestErrorCodesDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, file := range []string{"graphql.go", filepath.Join("..", "schema", "errors.go")} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(strings.ToLower(name.Name), "code") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if other, dup := seen[v]; dup {
						t.Errorf("%s and %s are both %q", other, name.Name, v)
					}
					seen[v] = name.Name
				}
			}
		}
	}
	if len(seen) < 20 {
		t.Errorf("found %d codes; the test no longer reads the declarations", len(seen))
	}
}

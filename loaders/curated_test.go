package loaders

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var testFS = os.DirFS("testdata")

func TestReadCuratedValid(t *testing.T) {
	c, err := ReadCurated(testFS, "valid")
	if err != nil {
		t.Fatalf("ReadCurated: %v", err)
	}
	if err := c.Validate(nil); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if want := []string{"valid/chips.yaml", "valid/companies.yaml"}; !slices.Equal(c.Files, want) {
		t.Errorf("Files = %q, want %q", c.Files, want)
	}

	b := &c.Batch
	var ids []string
	for _, e := range b.Entities {
		ids = append(ids, e.ID)
	}
	if want := []string{"ascend-910b", "smic-n-plus-2", "huawei", "smic", "cn"}; !slices.Equal(ids, want) {
		t.Errorf("entity ids = %q, want %q (files by name, records in file order)", ids, want)
	}
	ids = nil
	for _, r := range b.Relations {
		ids = append(ids, r.ID)
	}
	if want := []string{"huawei--designs--ascend-910b", "smic-fabs-910b", "huawei--located-in--cn"}; !slices.Equal(ids, want) {
		t.Errorf("relation ids = %q, want %q", ids, want)
	}

	wantSources := []graph.Source{{
		Key: "huawei-2024", Title: "Ascend 910B launch", URL: "https://example.com/huawei", Publisher: "Huawei",
		Published: graph.MustDate("2024-05-01"), Retrieved: graph.MustDate("2024"),
	}, {
		Key: "smic-2023", Title: "SMIC annual report", URL: "https://example.com/smic", Publisher: "SMIC",
		Published: graph.MustDate("2023-03"), Quote: "capacity expanded",
	}, {
		Key: "fab-page", Title: "A fab page that shows no date", URL: "https://example.com/fab", Publisher: "Example",
		Undated: true, Retrieved: graph.MustDate("2026-11-28"),
	}}
	if !reflect.DeepEqual(b.Sources, wantSources) {
		t.Errorf("sources =\n%+v\nwant\n%+v", b.Sources, wantSources)
	}

	wantHuawei := graph.Entity{
		ID: "huawei", Kind: graph.KindCompany, Name: "Huawei",
		Aliases: []string{"华为", "Huawei Technologies"}, Country: "CN",
		Description: "Designer of the Ascend chips.",
		Attributes: []graph.Attribute{
			{Name: "founded", Type: graph.AttrNumber, Value: "1987", Sources: []string{"huawei-2024"}},
			{Name: "listed", Type: graph.AttrBool, Value: "false", Sources: []string{"huawei-2024"}},
		},
		ExternalIDs: []graph.ExternalID{{Scheme: "lei", Value: "5299000000000000HW"}, {Scheme: "wikidata", Value: "Q160120"}},
		Sources:     []string{"huawei-2024"},
	}
	if !reflect.DeepEqual(b.Entities[2], wantHuawei) {
		t.Errorf("huawei =\n%+v\nwant\n%+v", b.Entities[2], wantHuawei)
	}

	attrs := []struct {
		name  string
		typ   graph.AttrType
		value string
	}{
		{"launched", graph.AttrDate, "2024-05-01"},   // unquoted YAML timestamp
		{"codename", graph.AttrString, "2024-05-01"}, // quoted: a string
		{"fp16_tflops", graph.AttrNumber, "320.5"},
		{"release_year", graph.AttrDate, "2024"}, // YAML int with type: date
		{"hbm_stacks", graph.AttrNumber, "4"},    // YAML string with type: number
	}
	chip := b.Entities[0]
	if len(chip.Attributes) != len(attrs) {
		t.Fatalf("ascend-910b has %d attributes, want %d", len(chip.Attributes), len(attrs))
	}
	for i, w := range attrs {
		a := chip.Attributes[i]
		if a.Name != w.name || a.Type != w.typ || a.Value != w.value {
			t.Errorf("attribute %d = %s %s %q, want %s %s %q", i, a.Name, a.Type, a.Value, w.name, w.typ, w.value)
		}
	}
	if a := chip.Attributes[2]; a.Unit != "TFLOPS" || a.AsOf != graph.MustDate("2024-05") || a.Status != graph.StatusReported {
		t.Errorf("fp16_tflops unit/asOf/status = %q %v %q", a.Unit, a.AsOf, a.Status)
	}

	fab := b.Relations[1]
	wantFab := graph.Relation{
		ID: "smic-fabs-910b", Type: graph.Fabricates, From: "smic", To: "ascend-910b",
		Properties: []graph.Attribute{{Name: "process_node", Type: graph.AttrString, Value: "smic-n-plus-2", Sources: []string{"smic-2023"}}},
		ValidFrom:  graph.MustDate("2023"), Status: graph.StatusReported,
		Sources: []string{"smic-2023", "huawei-2024"},
	}
	if !reflect.DeepEqual(fab, wantFab) {
		t.Errorf("relation =\n%+v\nwant\n%+v", fab, wantFab)
	}

	positions := []struct{ path, want string }{
		{"entities[0]", "valid/chips.yaml:2: entities[0]"},
		{"entities[0].attributes[1].value", "valid/chips.yaml:10: entities[0].attributes[1].value"},
		{"entities[1].kind", "valid/chips.yaml:28: entities[1].kind"},
		{"entities[2].id", "valid/companies.yaml:22: entities[0].id"},
		{"entities[2].externalIds[0]", "valid/companies.yaml:30: entities[0].externalIds.lei"},
		{"entities[2].externalIds[1].value", "valid/companies.yaml:29: entities[0].externalIds.wikidata.value"},
		{"entities[4].country", "valid/companies.yaml:44: entities[2].country"}, // absent: the record's line
		{"relations[0].id", "valid/chips.yaml:32: relations[0].id"},             // defaulted: the record's line
		{"relations[1].properties[0].value", "valid/chips.yaml:45: relations[1].properties[0].value"},
		{"relations[1].sources[1]", "valid/chips.yaml:47: relations[1].sources[1]"},
		{"sources[1].published", "valid/companies.yaml:13: sources[1].published"},
	}
	for _, p := range positions {
		if got, ok := c.Locate(p.path); !ok || got != p.want {
			t.Errorf("Locate(%q) = %q, %v; want %q", p.path, got, ok, p.want)
		}
	}
	if got, ok := c.Locate("deleteEntities[0]"); ok {
		t.Errorf("Locate(deleteEntities[0]) = %q, want not found", got)
	}
}

// errorLines renders an error as one line per graph.Error.
func errorLines(err error) string {
	var list graph.Errors
	if !errors.As(err, &list) {
		return "not graph.Errors: " + err.Error() + "\n"
	}
	var b strings.Builder
	for _, e := range list {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

func TestReadCuratedMistakes(t *testing.T) {
	c, err := ReadCurated(testFS, "mistakes")
	if err == nil {
		t.Fatal("ReadCurated: no error")
	}
	if graph.ErrorCode(err) != graph.CodeInvalid || !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("ReadCurated error code = %s, want INVALID", graph.ErrorCode(err))
	}
	if c == nil {
		t.Fatal("ReadCurated returned no Curated with its parse errors")
	}
	verr := c.Validate(nil)
	got := errorLines(verr)
	golden(t, "mistakes", got)

	// Every kind of mistake is there, at the right place, whatever the
	// golden file says.
	for _, w := range []struct{ what, line string }{
		{"bad date", `mistakes/a.yaml:6: sources[0].published: bad date "2024-13-01"`},
		{"unknown field", `mistakes/a.yaml:11: entities[0].colour: unknown field "colour"`},
		{"unknown kind", `mistakes/a.yaml:14: entities[1].kind: unknown kind "GADGET"`},
		{"wrong attribute type", `mistakes/a.yaml:23: entities[2].attributes[0].value: "abc" is not a number`},
		{"bool given type date", `mistakes/a.yaml:27: entities[2].attributes[1].value: want a date (YYYY, YYYY-MM or YYYY-MM-DD), got bool true`},
		{"unknown attribute type", `mistakes/a.yaml:30: entities[2].attributes[2].type: unknown attribute type "text"`},
		{"unknown source key", `mistakes/a.yaml:33: entities[2].sources[0]: unknown source "src-missing"`},
		{"unknown relation type", `mistakes/a.yaml:35: relations[0].type: unknown relation type "BUILDS"`},
		{"dangling reference", `mistakes/a.yaml:42: relations[1].to: unknown entity "ghost"`},
		{"YAML type error (list for string)", `mistakes/a.yaml:46: relations[2].from: want a string, got a list`},
		{"unknown status", `mistakes/a.yaml:48: relations[2].status: unknown status "rumoured"`},
		{"YAML type error (string for list)", `mistakes/a.yaml:49: relations[2].sources: want a list, got "src-a"`},
		{"duplicate id across files", `mistakes/b.yaml:2: entities[0].id: duplicate entity id "acme" (first defined at mistakes/a.yaml:8)`},
		{"misspelt field", `mistakes/b.yaml:9: entities[1].externalIDs: unknown field "externalIDs": did you mean "externalIds"?`},
		{"record not a mapping", `mistakes/b.yaml:11: entities[2]: want a mapping, got "just a string"`},
		{"bad date in a relation", `mistakes/b.yaml:16: relations[0].validFrom: bad date "2024-02-30"`},
		{"missing status", `mistakes/b.yaml:13: relations[0].status: required`},
		{"ended without validTo", `mistakes/b.yaml:23: relations[2].validTo: required when status is ended`},
		{"firstReported without validFrom", `mistakes/b.yaml:30: relations[3].validFrom: required when firstReported is true`},
		{"firstReported not a bool", `mistakes/b.yaml:43: relations[4].firstReported: want true or false, got "yes"`},
		{"duplicate default relation id", `mistakes/b.yaml:18: relations[1].id: duplicate relation "acme--designs--gizmo" (first defined at mistakes/b.yaml:13)`},
	} {
		if !strings.Contains(got, w.line) {
			t.Errorf("%s: no error %q", w.what, w.line)
		}
	}
	// Parse errors come first in ReadCurated's error too, and a field with
	// a parse error is not reported again by Validate.
	if n := strings.Count(got, "relations[2].from:"); n != 1 {
		t.Errorf("relations[2].from reported %d times, want once", n)
	}
	if n := strings.Count(got, "entities[0].id:"); n != 1 {
		t.Errorf("entities[0].id reported %d times, want once", n)
	}
	if !strings.Contains(errorLines(err), "mistakes/a.yaml:46: relations[2].from: want a string") {
		t.Errorf("ReadCurated error lacks the YAML type error:\n%s", errorLines(err))
	}

	// Apply refuses a batch with parse errors.
	s := newTestStore(t)
	if _, err := c.Apply(context.Background(), s); err == nil || !s.empty(t) {
		t.Errorf("Apply with parse errors: err %v, %d batches applied", err, s.applied)
	}
}

func TestReadCuratedSyntaxError(t *testing.T) {
	c, err := ReadCurated(testFS, "syntax")
	if err == nil {
		t.Fatal("no error")
	}
	got := errorLines(err)
	golden(t, "syntax", got)
	for _, want := range []string{
		"syntax/bad.yaml:4: invalid YAML: did not find expected ',' or ']'",
		"syntax/multi.yaml:6: a second YAML document (after ---)",
		// The other file is still read and checked.
		`syntax/good.yaml:5: entities[0].colour: unknown field "colour"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no error %q in\n%s", want, got)
		}
	}
	if len(c.Batch.Entities) != 2 || c.Batch.Entities[0].ID != "fine" || c.Batch.Entities[1].ID != "one" {
		t.Errorf("entities = %+v, want those of good.yaml and multi.yaml", c.Batch.Entities)
	}
}

func TestReadCuratedPaths(t *testing.T) {
	tests := []struct {
		name      string
		read      func() (*Curated, error)
		wantFiles []string
		wantCode  graph.Code
	}{
		{"fs file", func() (*Curated, error) { return ReadCurated(testFS, "valid/companies.yaml") }, []string{"valid/companies.yaml"}, ""},
		{"fs dir and file, deduplicated", func() (*Curated, error) {
			return ReadCurated(testFS, "valid/companies.yaml", "valid/")
		}, []string{"valid/chips.yaml", "valid/companies.yaml"}, ""},
		{"fs root", func() (*Curated, error) { return ReadCurated(os.DirFS("testdata/valid"), ".") }, []string{"chips.yaml", "companies.yaml"}, ""},
		{"os dir", func() (*Curated, error) { return ReadCuratedOS("testdata/valid") }, []string{"testdata/valid/chips.yaml", "testdata/valid/companies.yaml"}, ""},
		{"os file", func() (*Curated, error) { return ReadCuratedOS("testdata/valid/chips.yaml") }, []string{"testdata/valid/chips.yaml"}, ""},
		{"os missing", func() (*Curated, error) { return ReadCuratedOS("testdata/nope.yaml") }, nil, graph.CodeNotFound},
		{"fs bad path", func() (*Curated, error) { return ReadCurated(testFS, "../loaders") }, nil, graph.CodeInvalid},
		{"fs missing", func() (*Curated, error) { return ReadCurated(testFS, "nope") }, nil, graph.CodeNotFound},
		{"dir without yaml", func() (*Curated, error) { return ReadCurated(os.DirFS("."), ".") }, nil, graph.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.read()
			if tt.wantCode != "" {
				if graph.ErrorCode(err) != tt.wantCode {
					t.Fatalf("err = %v (code %s), want code %s", err, graph.ErrorCode(err), tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Files, tt.wantFiles) {
				t.Errorf("Files = %q, want %q", c.Files, tt.wantFiles)
			}
		})
	}

	// OS paths print as given in messages.
	c, err := ReadCuratedOS("testdata/valid/chips.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(nil) // the sources live in companies.yaml
	if want := `testdata/valid/chips.yaml:8: entities[0].attributes[0].sources[0]: unknown source "huawei-2024"`; !strings.Contains(errorLines(err), want) {
		t.Errorf("no error %q in\n%s", want, errorLines(err))
	}
}

func TestCuratedApply(t *testing.T) {
	ctx := context.Background()
	c, err := ReadCurated(testFS, "valid")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		err     error
		want    string
		wantErr bool
	}{
		{name: "ok"},
		{
			name:    "errors",
			err:     graph.Errors{graph.Errorf(graph.CodeInvalid, "relations[1].to", "unknown entity %q", "x"), graph.Errorf(graph.CodeInvalid, "deleteEntities[0]", "bad")},
			want:    "valid/chips.yaml:40: relations[1].to: unknown entity \"x\"\ndeleteEntities[0]: bad\n",
			wantErr: true,
		},
		{
			name:    "one error",
			err:     &graph.Error{Op: "store.Apply", Code: graph.CodeConflict, Path: "entities[3]", Msg: "conflict"},
			want:    "valid/companies.yaml:39: entities[1]: conflict",
			wantErr: true,
		},
		{
			name:    "other error",
			err:     context.Canceled,
			want:    "context canceled",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			s.applyErr = tt.err
			res, err := c.Apply(ctx, s)
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if res.Created != 11 {
					t.Errorf("Created = %d, want 11", res.Created)
				}
				return
			}
			var got string
			if _, ok := err.(graph.Errors); ok {
				got = errorLines(err)
			} else if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("err =\n%s\nwant\n%s", got, tt.want)
			}
			if tt.err != nil && graph.ErrorCode(err) != graph.ErrorCode(tt.err) {
				t.Errorf("code = %s, want %s", graph.ErrorCode(err), graph.ErrorCode(tt.err))
			}
		})
	}
}

// TestEmbeddedData reads, validates and loads the curated data into the
// memory store, twice: the second load changes nothing.
func TestEmbeddedData(t *testing.T) {
	ctx := context.Background()
	c, err := ReadCurated(data.FS, ".")
	if err != nil {
		t.Fatalf("ReadCurated(data.FS):\n%s", errorLines(err))
	}
	if len(c.Files) == 0 || len(c.Batch.Entities) == 0 {
		t.Fatalf("data.FS holds %d files, %d entities", len(c.Files), len(c.Batch.Entities))
	}
	if err := c.Validate(nil); err != nil {
		t.Fatalf("Validate(data.FS):\n%s", errorLines(err))
	}
	s := newTestStore(t)
	res, err := c.Apply(ctx, s)
	if err != nil {
		t.Fatalf("Apply(data.FS):\n%s", errorLines(err))
	}
	if res.Created != len(c.Batch.Sources)+len(c.Batch.Entities)+len(c.Batch.Relations) {
		t.Errorf("Created = %d for %d records", res.Created, len(c.Batch.Sources)+len(c.Batch.Entities)+len(c.Batch.Relations))
	}
	// The same data again changes nothing.
	res, err = c.Apply(ctx, s)
	if err != nil || res.Created+res.Updated+res.Deleted != 0 {
		t.Errorf("second Apply = %+v, %v; want no change", res, err)
	}
}

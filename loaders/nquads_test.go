package loaders

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/chipgraph/chipgraph/graph"
)

const record = "<urn:chipgraph:record>"

// quadsStore is the real memory store with Quads returning fixed quads, to
// check the N-Quads escaping of exactly these.
type quadsStore struct {
	graph.Store
	quads []quad.Quad
}

func (s quadsStore) Quads(ctx context.Context, fn func(quad.Quad) error) error {
	for _, q := range s.quads {
		if err := fn(q); err != nil {
			return err
		}
	}
	return nil
}

func TestExportNQuads(t *testing.T) {
	s := quadsStore{Store: newTestStore(t)}
	s.quads = []quad.Quad{
		{Subject: quad.IRI("urn:chipgraph:entity:huawei"), Predicate: quad.IRI("urn:chipgraph:record"), Object: quad.String(`{"id":"huawei","name":"Huawei \"HW\""}`)},
		{Subject: quad.IRI("urn:chipgraph:entity:huawei"), Predicate: quad.IRI("http://schema.org/name"), Object: quad.String("华为")},
		{Subject: quad.IRI("urn:chipgraph:entity:huawei"), Predicate: quad.IRI("urn:chipgraph:rel:DESIGNS"), Object: quad.IRI("urn:chipgraph:entity:ascend"), Label: quad.IRI("urn:chipgraph:relation:r1")},
	}
	var out bytes.Buffer
	if err := ExportNQuads(context.Background(), s, &out); err != nil {
		t.Fatal(err)
	}
	want := `<urn:chipgraph:entity:huawei> <urn:chipgraph:record> "{\"id\":\"huawei\",\"name\":\"Huawei \\\"HW\\\"\"}" .
<urn:chipgraph:entity:huawei> <http://schema.org/name> "华为" .
<urn:chipgraph:entity:huawei> <urn:chipgraph:rel:DESIGNS> <urn:chipgraph:entity:ascend> <urn:chipgraph:relation:r1> .
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}

	// Writing fails: CodeInternal.
	err := ExportNQuads(context.Background(), s, failingWriter{})
	if graph.ErrorCode(err) != graph.CodeInternal {
		t.Errorf("failing writer: err = %v, code %s", err, graph.ErrorCode(err))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestImportNQuads(t *testing.T) {
	ent := func(id, kind, src string) string {
		return `<urn:chipgraph:entity:` + id + `> ` + record + ` "{\"id\":\"` + id + `\",\"kind\":\"` + kind + `\",\"name\":\"` + id + `\",\"sources\":[\"` + src + `\"]}" .`
	}
	src := `<urn:chipgraph:source:s1> ` + record + ` "{\"key\":\"s1\",\"title\":\"T\",\"url\":\"https://example.com\",\"publisher\":\"P\",\"published\":\"2024\"}" .`
	rel := func(from, to string) string {
		id := from + "--designs--" + to
		return `<urn:chipgraph:relation:` + id + `> ` + record + ` "{\"id\":\"` + id + `\",\"type\":\"DESIGNS\",\"from\":\"` + from + `\",\"to\":\"` + to + `\",\"status\":\"confirmed\",\"sources\":[\"s1\"]}" .`
	}
	structural := `<urn:chipgraph:entity:huawei> <http://schema.org/name> "huawei" .`

	tests := []struct {
		name    string
		input   string
		want    string // error lines; empty for success
		created int
	}{
		{
			name:    "records",
			input:   "# chipgraph export\n" + src + "\n\n" + ent("huawei", "COMPANY", "s1") + "\n" + structural + "\n" + ent("ascend", "CHIP", "s1") + "\n" + rel("huawei", "ascend"),
			created: 4,
		},
		{
			name:  "malformed lines, all reported",
			input: src + "\n<a> <b> .\n# fine\n<a> <b> \"unterminated .\n" + ent("huawei", "COMPANY", "s1") + "\n<a> <b> <c> <d> <e> .\n",
			want:  "in.nq:2: incomplete N-Quad\nin.nq:4: incomplete N-Quad\nin.nq:6: invalid N-Quad: unexpected rune '<' at 16\n",
		},
		{
			name:  "foreign record",
			input: src + "\n\n<urn:other:x> " + record + " \"{}\" .\n",
			want:  "in.nq:3: record subject urn:other:x is not a chipgraph entity, relation or source\n",
		},
		{
			name:  "store rejects",
			input: src + "\n" + ent("huawei", "COMPANY", "s1") + "\n" + rel("huawei", "ghost") + "\n",
			want:  "in.nq: relations[0].to: unknown entity \"ghost\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			res, err := ImportNQuads(context.Background(), s, strings.NewReader(tt.input), "in.nq")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if res.Created != tt.created {
					t.Errorf("Created = %d, want %d", res.Created, tt.created)
				}
				return
			}
			if got := errorLines(err); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
			if graph.ErrorCode(err) != graph.CodeInvalid {
				t.Errorf("code = %s, want INVALID", graph.ErrorCode(err))
			}
			if !s.empty(t) {
				t.Errorf("%d batches applied, want none", s.applied)
			}
		})
	}
}

// TestNQuadsRoundTrip exports a cayley store loaded from YAML, imports the
// export into a fresh store and checks that exporting that gives the same.
func TestNQuadsRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, err := ReadCurated(testFS, "valid")
	if err != nil {
		t.Fatal(err)
	}
	s1, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if _, err := c.Apply(ctx, s1); err != nil {
		t.Fatal(errorLines(err))
	}
	var first bytes.Buffer
	if err := ExportNQuads(ctx, s1, &first); err != nil {
		t.Fatal(err)
	}

	s2, err := graph.Open(ctx, "memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	res, err := ImportNQuads(ctx, s2, bytes.NewReader(first.Bytes()), "export.nq")
	if err != nil {
		t.Fatal(errorLines(err))
	}
	if want := len(c.Batch.Sources) + len(c.Batch.Entities) + len(c.Batch.Relations); res.Created != want {
		t.Errorf("Created = %d, want %d", res.Created, want)
	}
	var second bytes.Buffer
	if err := ExportNQuads(ctx, s2, &second); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("export after import differs:\n%s\nvs\n%s", first.String(), second.String())
	}
	r, err := s2.Relation(ctx, "smic-fabs-910b")
	if err != nil || r.ValidFrom != graph.MustDate("2023") {
		t.Errorf("imported relation = %+v, %v", r, err)
	}
}

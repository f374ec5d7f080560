package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/schema/schematest"
)

// directQueries exercise what the direct executor implements: aliases and
// merged fields, named and inline fragments on the interface and on
// objects, __typename, @skip/@include from literals and variables,
// variables with defaults, a single value coerced to a list, enums, dates,
// connections, paths, neighbourhoods, Chinese text and HTML-escaped
// characters.
var directQueries = []struct {
	query string
	vars  map[string]any
}{
	{`{entity(name:"中芯国际"){id kind name aliases country description __typename}}`, nil},
	{`{a: entity(id:"smic"){id} b: entity(id:"huawei"){name id} a2: entity(id:"smic"){name}}`, nil},
	{`{entity(id:"smic"){id ... on Company{customers{id type category from{id} to{name}} parent{id} subsidiaries{id}} id name}}`, nil},
	{`query($id: ID!){entity(id:$id){...E ... on Chip{designer{id} foundries{id properties{name value unit asOf status note}} processNode{id} memory{id} usedIn{id}}}} fragment E on Entity{id kind attributes{name type value unit asOf status note sources{key title url publisher published retrieved quote}}}`, map[string]any{"id": "ascend-910c"}},
	{`query($s: Boolean!, $i: Boolean = true){entity(id:"huawei"){id name @skip(if:$s) country @include(if:$i) description @include(if:false) kind @skip(if:false)}}`, map[string]any{"s": true}},
	{`query($s: Boolean!, $i: Boolean = true){entity(id:"huawei"){id name @skip(if:$s) country @include(if:$i)}}`, map[string]any{"s": false, "i": false}},
	{`query($t: [RelationType!] = [SUPPLIES]){relations(types:$t, category:"memory", first:5){totalCount pageInfo{hasNextPage hasPreviousPage startCursor endCursor} edges{cursor node{id type status validFrom validTo product category note sources{key}}}}}`, nil},
	{`query($t: [RelationType!]){relations(types:$t, first:3){totalCount nodes{id}}}`, map[string]any{"t": "TARGETS"}},
	{`{relations(types:[TARGETS], asOf:"2020-06", first:20){nodes{from{id __typename ... on Sanction{date legalCitation issuedBy{id} targets{id}} ... on Regulation{date legalCitation}} to{id}}}}`, nil},
	{`{entities(kind:FUND, first:10){totalCount nodes{id name ... on Fund{investments{to{id} properties{name value}}}}}}`, nil},
	{`{entities(country:"CN", first:7){edges{cursor node{id}} pageInfo{endCursor}}}`, nil},
	{`{search(text:"ascend", first:5){id name} s2: search(text:"hynx", kinds:[COMPANY]){id}}`, nil},
	{`{paths(from:"sk-hynix", to:"cloudmatrix-384", maxHops:4, first:3){length nodes{id kind} relations{id type fromId toId}}}`, nil},
	{`query($ids:[ID!]!){neighborhood(ids:$ids, hops:2, limit:60){truncated nodes{id __typename} relations{id type from{id} to{id}}}}`, map[string]any{"ids": []any{"cambricon"}}},
	{`{neighborhood(ids:"smic", hops:1, types:[SUPPLIES, FABRICATES], direction:OUT, kinds:[COMPANY, CHIP]){nodes{id} relations{id}}}`, nil},
	{`{stats{entities relations sources version byKind{kind count} byType{type count}}}`, nil},
	{`{sources(first:3){totalCount nodes{key title url publisher published quote}}}`, nil},
	{`{entity(id:"no-such-entity"){id}}`, nil},
	{`query Q { __typename entity(id:"smic"){__typename id} }`, nil},
	{`query($a: ID!){neighborhood(ids:[$a, "smic"]){nodes{id}}}`, map[string]any{"a": "cambricon"}},
	{`query($x: Boolean!){entity(id:"smic"){id ... on Company @include(if:$x){parent{id}} ...F @skip(if:$x)}} fragment F on Entity{name ...G} fragment G on Company{country}`, map[string]any{"x": false}},
	{`query($x: Boolean!){entity(id:"smic"){id ... on Company @include(if:$x){parent{id}} ...F @skip(if:$x)}} fragment F on Entity{name ...G} fragment G on Company{country}`, map[string]any{"x": true}},
	{`query($d: Direction, $n: Int){neighborhood(ids:["smic"], direction:$d, limit:$n){nodes{id} relations{id}}}`, map[string]any{"d": "OUT", "n": 5.0}},
	{`query($t: [RelationType!] = [SUPPLIES, DESIGNS], $c: String){relations(types:$t, category:$c, first:3){nodes{type}}}`, map[string]any{"t": nil, "c": nil}},
}

// TestQueriesAnswer runs every query above and every query of the README
// on the curated data and wants data without errors.
func TestQueriesAnswer(t *testing.T) {
	store, err := loaders.OpenCurated(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	queries := directQueries
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if q := strings.TrimSpace(m[1]); !strings.HasPrefix(q, "{") && !strings.HasPrefix(q, "query") {
			continue // a schema outline, not a query
		}
		queries = append(queries, struct {
			query string
			vars  map[string]any
		}{m[1], nil})
	}
	if want := len(directQueries) + 10; len(queries) < want {
		t.Errorf("%d queries, want at least %d (the README's ten included)", len(queries), want)
	}
	for _, q := range queries {
		res := s.Execute(context.Background(), Request{Query: q.query, Variables: q.vars})
		if len(res.Errors) > 0 || !res.HasData {
			t.Errorf("%s: %+v", q.query, res.Errors)
			continue
		}
		if !json.Valid(res.Data) {
			t.Errorf("%s: invalid JSON %s", q.query, res.Data)
		}
	}
}

// TestFieldOrder: the response follows the query's field order, as the
// specification asks.
func TestFieldOrder(t *testing.T) {
	s := newTestSchema(t)
	res := s.Execute(context.Background(), Request{Query: `{stats{sources entities} entity(id:"smic"){name id}}`})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	keys := regexp.MustCompile(`"([a-z]+)":`).FindAllStringSubmatch(string(res.Data), -1)
	var order []string
	for _, k := range keys {
		order = append(order, k[1])
	}
	if got, want := strings.Join(order, " "), "stats sources entities entity name id"; got != want {
		t.Errorf("keys in order %q, want %q\n%s", got, want, res.Data)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "SMIC", "中芯国际", "a\"b\\c", "<script>&amp;", "tab\there\n", "\u2028\u2029", "\xff\xfe", "\x00\x1f", "Ascend 910C (SMIC N+2)"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	// Every byte at every place of plain strings of every length to 24, as
	// they are checked a word at a time, the last word overlapping.
	for n := 1; n <= 24; n++ {
		for at := range n {
			for c := range 256 {
				b := []byte("abcdefghijklmnopqrstuvwx"[:n])
				b[at] = byte(c)
				s := string(b)
				if want, _ := json.Marshal(s); string(appendJSONString(nil, s)) != string(want) {
					t.Fatalf("appendJSONString(%q) = %s, want %s", s, appendJSONString(nil, s), want)
				}
			}
		}
	}
}

// TestLeafObject: an object whose fields are all leaves is written in one
// go, or not at all when a leaf cannot be read off the source, so that
// object can resolve it instead.
func TestLeafObject(t *testing.T) {
	leafOf := func(v string, ok bool) func(any) (string, bool) {
		return func(any) (string, bool) { return v, ok }
	}
	plan := func(key string, leaf func(any) (string, bool)) *fieldPlan {
		return &fieldPlan{key: key, member: `"` + key + `":`, leaf: leaf}
	}
	x := &execution{buf: []byte("[")}
	if !x.leafObject([]*fieldPlan{plan("id", leafOf("smic", true)), plan("name", leafOf(`S"M`, true))}, nil) {
		t.Fatal("leafObject refused leaves that read")
	}
	if want := `[{"id":"smic","name":"S\"M"}`; string(x.buf) != want {
		t.Errorf("wrote %s, want %s", x.buf, want)
	}
	before := string(x.buf)
	if x.leafObject([]*fieldPlan{plan("id", leafOf("a", true)), plan("name", leafOf("", false))}, nil) {
		t.Error("leafObject wrote an object with a leaf that does not read")
	}
	if string(x.buf) != before {
		t.Errorf("a refused object left %q behind", strings.TrimPrefix(string(x.buf), before))
	}
	if allLeaves(nil) || allLeaves([]*fieldPlan{plan("id", leafOf("a", true)), {key: "x"}}) {
		t.Error("allLeaves: true for no plans or a plan with no leaf")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("<a href=\"x\">中</a>\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestRandomQueriesRewritten runs queries generated from the schema (random
// fields of every object type reached, inline fragments on the Entity
// implementations, aliases, fields selected twice, __typename, to a depth
// of four) twice: as generated, and rewritten into an equivalent document
// whose selections sit inside fragments without a type condition, under
// @include(if: true), and in named fragments. CollectFields must make both
// give the same bytes.
func TestRandomQueriesRewritten(t *testing.T) {
	s, err := New(schematest.Open(t), Config{MaxComplexity: 1 << 20, MaxAliases: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	roots := []string{
		`entity(id:"smic")`, `entity(id:"huawei")`, `entity(name:"SK hynix")`,
		`neighborhood(ids:["huawei"], hops:2)`, `relations(first:4)`, `entities(first:4)`,
		`search(text:"a", first:3)`, `paths(from:"sk-hynix", to:"ascend-910c")`, `stats`, `sources(first:2)`,
	}
	for i := range 300 {
		g := &queryGen{r: r, s: s, rewritten: &strings.Builder{}}
		g.write("{")
		for j, n := 0, 1+r.IntN(3); j < n; j++ {
			root := roots[r.IntN(len(roots))]
			name := root
			if k := strings.IndexByte(root, '('); k > 0 {
				name = root[:k]
			}
			g.write(fmt.Sprintf(" r%d: %s", j, root))
			g.selection(s.gql.QueryType().Fields()[name].Type, 0)
		}
		g.write(" }")
		q, rewritten := g.plain.String(), g.rewritten.String()+g.fragments.String()
		if testing.Verbose() && i < 3 {
			t.Log(q, "\n", rewritten)
		}
		a := s.Execute(ctx, Request{Query: q})
		b := s.Execute(ctx, Request{Query: rewritten})
		if len(a.Errors) > 0 || len(b.Errors) > 0 {
			t.Fatalf("%s: %v\n%s: %v", q, a.Errors, rewritten, b.Errors)
		}
		if !json.Valid(a.Data) {
			t.Fatalf("%s: invalid JSON %s", q, a.Data)
		}
		if string(a.Data) != string(b.Data) {
			t.Errorf("%s\n%.1500s\n%s\n%.1500s", q, a.Data, rewritten, b.Data)
		}
	}
}

// queryGen writes a random query and an equivalent rewriting of it.
type queryGen struct {
	r                *rand.Rand
	s                *Schema
	plain, fragments strings.Builder
	rewritten        *strings.Builder
	aliases, frags   int
}

func (g *queryGen) write(s string) {
	g.plain.WriteString(s)
	g.rewritten.WriteString(s)
}

// selection writes a random selection set for type t (nothing for a leaf),
// choosing only fields whose arguments are all optional.
func (g *queryGen) selection(t graphql.Type, depth int) {
	var fields graphql.FieldDefinitionMap
	var impls []*graphql.Object
	switch u := unwrapType(t).(type) {
	case *graphql.Object:
		fields = u.Fields()
	case *graphql.Interface:
		fields = u.Fields()
		impls = g.s.gql.PossibleTypes(u)
	default:
		return // a leaf
	}
	var names []string
	for name, fd := range fields {
		optional := true
		for _, a := range fd.Args {
			if _, required := a.Type.(*graphql.NonNull); required {
				optional = false
			}
		}
		leaf := true
		switch graphql.GetNullable(fd.Type).(type) {
		case *graphql.Object, *graphql.Interface, *graphql.List:
			leaf = false
		}
		if optional && (leaf || depth < 3) {
			names = append(names, name)
		}
	}
	slices.Sort(names) // map order is random; the generator must not be
	g.write(" {")
	// The rewriting wraps the set's fields in a fragment without a type
	// condition, or in one under @include(if: true), or leaves them.
	wrap := g.r.IntN(3)
	switch wrap {
	case 0:
		g.rewritten.WriteString(" ... {")
	case 1:
		g.rewritten.WriteString(" ... @include(if: true) {")
	}
	if g.r.IntN(3) == 0 {
		g.write(" __typename")
	}
	for i, n := 0, 1+g.r.IntN(4); i < n && len(names) > 0; i++ {
		name := names[g.r.IntN(len(names))]
		switch g.r.IntN(4) {
		case 0:
			g.aliases++
			g.write(fmt.Sprintf(" a%d: %s", g.aliases, name))
		default:
			g.write(" " + name) // possibly twice: merged
		}
		g.selection(fields[name].Type, depth+1)
	}
	if len(impls) > 0 && g.r.IntN(2) == 0 {
		// An inline fragment in the query, a named one in the rewriting.
		o := impls[g.r.IntN(len(impls))]
		g.frags++
		name := fmt.Sprintf("F%d", g.frags)
		g.plain.WriteString(" ... on " + o.Name())
		g.rewritten.WriteString(" ..." + name)
		outer := g.rewritten
		g.rewritten = &strings.Builder{}
		g.rewritten.WriteString(fmt.Sprintf(" fragment %s on %s", name, o.Name()))
		g.selection(o, depth+1)
		g.fragments.WriteString(g.rewritten.String())
		g.rewritten = outer
	}
	if wrap < 2 {
		g.rewritten.WriteString(" }")
	}
	g.write(" }")
}

func unwrapType(t graphql.Type) graphql.Type {
	for {
		switch u := t.(type) {
		case *graphql.NonNull:
			t = u.OfType
		case *graphql.List:
			t = u.OfType
		default:
			return t
		}
	}
}

// TestWriteRefusalOneAnswer: the resolvers' second line of defence refuses
// a write as Execute does, FORBIDDEN on a read-only server even for an
// authorised request, UNAUTHENTICATED without a token.
func TestWriteRefusalOneAnswer(t *testing.T) {
	ro, err := New(schematest.Open(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	x := &execution{reqInfo: reqInfo{authorized: true}}
	x.ctx = requestContext{parent: context.Background(), x: x}
	authorised := &x.ctx
	var e *apiError
	if err := ro.apply(authorised, graph.Batch{}); !errors.As(err, &e) || e.code != CodeForbidden {
		t.Errorf("apply on a read-only server, authorised: %v, want %s", err, CodeForbidden)
	}
	if _, err := ro.del(authorised, "x", graph.Batch{}); !errors.As(err, &e) || e.code != CodeForbidden {
		t.Errorf("delete on a read-only server, authorised: %v, want %s", err, CodeForbidden)
	}
	rw, err := New(schematest.Open(t), Config{AllowWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.apply(context.Background(), graph.Batch{}); !errors.As(err, &e) || e.code != CodeUnauthenticated {
		t.Errorf("apply without a token: %v, want %s", err, CodeUnauthenticated)
	}
}

// TestSubgraphLookahead: a neighbourhood finds the relations among its
// nodes only when the query asks for them (selects), however it asks.
func TestSubgraphLookahead(t *testing.T) {
	store := &selectionRecorder{Store: schematest.Open(t)}
	s, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(q string) map[string]any {
		t.Helper()
		res := s.Execute(context.Background(), Request{Query: q})
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", q, res.Errors)
		}
		var out struct{ Data map[string]any }
		if err := json.Unmarshal([]byte(`{"data":`+string(res.Data)+`}`), &out); err != nil {
			t.Fatal(err)
		}
		return out.Data["n"].(map[string]any)
	}
	const args = `(ids:["huawei"], hops:2)`
	want := run(`{n: neighborhood` + args + `{nodes{id} relations{id}}}`)
	if len(want["relations"].([]any)) == 0 {
		t.Fatal("no relations to look for")
	}
	for _, q := range []string{
		`{n: neighborhood` + args + `{nodes{id} ... on Subgraph{relations{id}}}}`,
		`{n: neighborhood` + args + `{nodes{id} ...F}} fragment F on Subgraph{...G} fragment G on Subgraph{relations{id}}`,
		`{n: neighborhood` + args + `{nodes{id} relations @skip(if:false){id}}}`,
		`{n: subgraph(seeds:["huawei"], hops:2){nodes{id} relations{id}}}`,
	} {
		if got := run(q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", q, got, want)
		}
	}
	if store.last.NoRelations {
		t.Error("the store was asked for no relations, yet the query named them")
	}
	got := run(`{n: neighborhood` + args + `{nodes{id} truncated}}`)
	if !reflect.DeepEqual(got["nodes"], want["nodes"]) {
		t.Errorf("nodes alone: %v, want %v", got["nodes"], want["nodes"])
	}
	if !store.last.NoRelations {
		t.Error("the store was asked for relations no one selected")
	}
}

// selectionRecorder keeps the last selection asked of the store.
type selectionRecorder struct {
	graph.Store
	last graph.Selection
}

func (r *selectionRecorder) Subgraph(ctx context.Context, sel graph.Selection) (*graph.Subgraph, error) {
	r.last = sel
	return r.Store.Subgraph(ctx, sel)
}

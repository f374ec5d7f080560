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

	"github.com/chipgraph/chipgraph/loaders"
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

// TestDirectExecutorMatchesGraphQLGo runs every query above and every query
// of the README through both executors and wants the direct one to take it
// and to give the same data.
func TestDirectExecutorMatchesGraphQLGo(t *testing.T) {
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
	ctx := context.Background()
	compared := 0
	defer func() {
		if want := len(directQueries) + 10; compared < want {
			t.Errorf("compared %d queries, want at least %d (the README's ten included)", compared, want)
		}
	}()
	for _, q := range queries {
		pd := s.document(q.query)
		if pd.parseErr != nil || len(pd.validate(s)) > 0 || len(pd.ops) != 1 {
			t.Errorf("%s: does not parse or validate: %v %v", q.query, pd.parseErr, pd.validate(s))
			continue
		}
		direct, err := s.executeDirect(ctx, pd.doc, pd.ops[0], q.vars)
		if err != nil {
			t.Errorf("%s: the direct executor gave up: %v", q.query, err)
			continue
		}
		vars := q.vars
		if vars == nil {
			vars = map[string]any{}
		}
		ref := s.run(ctx, pd.doc, Request{Query: q.query, Variables: vars})
		if len(ref.Errors) > 0 {
			t.Errorf("%s: graphql-go: %v", q.query, ref.Errors)
			continue
		}
		var got any
		if err := json.Unmarshal(direct, &got); err != nil {
			t.Errorf("%s: the direct executor wrote invalid JSON: %v\n%s", q.query, err, direct)
			continue
		}
		refJSON, _ := json.Marshal(ref.Data)
		var want any
		json.Unmarshal(refJSON, &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ndirect:     %.2000s\ngraphql-go: %.2000s", q.query, direct, refJSON)
		}
		compared++
	}
}

// TestDirectExecutorGivesUp: requests that raise an error, that need
// introspection, or that mutate are left to graphql-go, whose answers the
// rest of the tests check.
func TestDirectExecutorGivesUp(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{`{entities(first:2, after:"not-a-cursor"){totalCount}}`, nil},                  // resolver error
		{`{__schema{queryType{name}}}`, nil},                                            // introspection
		{`{__type(name:"Chip"){name}}`, nil},                                            // introspection
		{`query($id: ID!){entity(id:$id){id}}`, nil},                                    // required variable missing
		{`query($n: Int){entities(first:$n){totalCount}}`, map[string]any{"n": "many"}}, // variable does not coerce
		{`mutation{deleteSource(key:"x")}`, nil},                                        // a mutation
		{`{search(text:" "){id}}`, nil},                                                 // user error
	} {
		pd := s.document(q.query)
		if pd.parseErr != nil || len(pd.ops) != 1 {
			t.Fatalf("%s: %v", q.query, pd.parseErr)
		}
		if data, err := s.executeDirect(ctx, pd.doc, pd.ops[0], q.vars); !errors.Is(err, errDirectUnsupported) {
			t.Errorf("%s: executeDirect = %s, %v; want errDirectUnsupported", q.query, data, err)
		}
	}
}

// TestDirectExecutorFieldOrder: the response follows the query's field
// order, as the specification asks (graphql-go's maps sort it instead).
func TestDirectExecutorFieldOrder(t *testing.T) {
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

// TestDirectExecutorRandomQueries compares the two executors on queries
// generated from the schema itself: random fields of every object type
// reached, inline fragments on the Entity implementations, aliases, fields
// selected twice (merged), __typename, to a depth of four.
func TestDirectExecutorRandomQueries(t *testing.T) {
	s := newTestSchema(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	roots := []string{
		`entity(id:"smic")`, `entity(id:"huawei")`, `entity(name:"SK hynix")`,
		`neighborhood(ids:["huawei"], hops:2)`, `relations(first:4)`, `entities(first:4)`,
		`search(text:"a", first:3)`, `paths(from:"sk-hynix", to:"ascend-910c")`, `stats`, `sources(first:2)`,
	}
	compared := 0
	for range 300 {
		var b strings.Builder
		aliases := 0
		b.WriteString("{")
		for i, n := 0, 1+r.IntN(3); i < n; i++ {
			root := roots[r.IntN(len(roots))]
			name := root
			if k := strings.IndexByte(root, '('); k > 0 {
				name = root[:k]
			}
			fmt.Fprintf(&b, " r%d: %s", i, root)
			randomSelection(&b, r, s.gql.QueryType().Fields()[name].Type, s, 0, &aliases)
		}
		b.WriteString(" }")
		q := b.String()
		if testing.Verbose() && compared < 3 {
			t.Log(q)
		}
		pd := s.document(q)
		if pd.parseErr != nil || len(pd.validate(s)) > 0 {
			t.Fatalf("generated an invalid query %s: %v %v", q, pd.parseErr, pd.validate(s))
		}
		direct, err := s.executeDirect(ctx, pd.doc, pd.ops[0], nil)
		if err != nil {
			t.Errorf("%s: the direct executor gave up: %v", q, err)
			continue
		}
		ref := s.run(ctx, pd.doc, Request{Query: q, Variables: map[string]any{}})
		if len(ref.Errors) > 0 {
			t.Errorf("%s: graphql-go: %v", q, ref.Errors)
			continue
		}
		var got, want any
		if err := json.Unmarshal(direct, &got); err != nil {
			t.Fatalf("%s: invalid JSON %v", q, err)
		}
		refJSON, _ := json.Marshal(ref.Data)
		json.Unmarshal(refJSON, &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ndirect:     %.1500s\ngraphql-go: %.1500s", q, direct, refJSON)
		}
		compared++
	}
	if compared < 300 {
		t.Errorf("compared %d of 300 queries", compared)
	}
}

// randomSelection writes a random selection set for type t (nothing for a
// leaf), choosing only fields whose arguments are all optional.
func randomSelection(b *strings.Builder, r *rand.Rand, t graphql.Type, s *Schema, depth int, aliases *int) {
	for {
		switch u := t.(type) {
		case *graphql.NonNull:
			t = u.OfType
			continue
		case *graphql.List:
			t = u.OfType
			continue
		}
		break
	}
	var fields graphql.FieldDefinitionMap
	var impls []*graphql.Object
	switch u := t.(type) {
	case *graphql.Object:
		fields = u.Fields()
	case *graphql.Interface:
		fields = u.Fields()
		impls = s.gql.PossibleTypes(u)
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
	b.WriteString(" {")
	if r.IntN(3) == 0 {
		b.WriteString(" __typename")
	}
	for i, n := 0, 1+r.IntN(4); i < n && len(names) > 0; i++ {
		name := names[r.IntN(len(names))]
		switch r.IntN(4) {
		case 0:
			*aliases++
			fmt.Fprintf(b, " a%d: %s", *aliases, name)
		default:
			b.WriteString(" " + name) // possibly twice: merged
		}
		randomSelection(b, r, fields[name].Type, s, depth+1, aliases)
	}
	if len(impls) > 0 && r.IntN(2) == 0 {
		o := impls[r.IntN(len(impls))]
		fmt.Fprintf(b, " ... on %s", o.Name())
		randomSelection(b, r, o, s, depth+1, aliases)
	}
	b.WriteString(" }")
}

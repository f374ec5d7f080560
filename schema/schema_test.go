package schema_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/schema/schematest"
)

func newSchema(t *testing.T, store graph.Store, cfg schema.Config) *schema.Schema {
	t.Helper()
	s, err := schema.New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run executes q and returns the response as decoded JSON.
func run(t *testing.T, s *schema.Schema, req schema.Request) map[string]any {
	t.Helper()
	res := s.Execute(context.Background(), req)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func query(t *testing.T, s *schema.Schema, q string, vars map[string]any) map[string]any {
	t.Helper()
	return run(t, s, schema.Request{Query: q, Variables: vars})
}

// get walks decoded JSON by keys and indexes: get(v, "data", "entity", "id").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// ids collects field "id" (or key) of each element of a list.
func ids(v any, field string) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, get(x, field).(string))
	}
	return out
}

func codes(resp map[string]any) []string {
	var out []string
	list, _ := resp["errors"].([]any)
	for _, e := range list {
		out = append(out, get(e, "extensions", "code").(string))
	}
	return out
}

func noErrors(t *testing.T, resp map[string]any) {
	t.Helper()
	if resp["errors"] != nil {
		t.Fatalf("errors: %v", resp["errors"])
	}
}

func TestQueries(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		path  []any
		field string // when set, collect this field of each element at path
		want  any    // expected value at path (or list of fields)
	}{
		{"entity by id", `{entity(id:"smic"){id}}`, nil, []any{"data", "entity", "id"}, "", "smic"},
		{"entity by Chinese alias", `{entity(name:"中芯国际"){id}}`, nil, []any{"data", "entity", "id"}, "", "smic"},
		{"entity by name ignoring case", `{entity(name:"sk HYNIX"){id}}`, nil, []any{"data", "entity", "id"}, "", "sk-hynix"},
		{"unknown entity is null", `{entity(id:"nope"){id}}`, nil, []any{"data", "entity"}, "", nil},
		{"typename per kind", `{entity(id:"ascend-910c"){__typename kind}}`, nil, []any{"data", "entity", "__typename"}, "", "Chip"},
		{"aliases", `{entity(id:"smic"){aliases}}`, nil, []any{"data", "entity", "aliases"}, "", []any{"SMIC", "中芯国际"}},
		{"external ids", `{entity(id:"smic"){externalIds{scheme value}}}`, nil, []any{"data", "entity", "externalIds", 0, "value"}, "", "0981.HK"},
		{"sources", `{entity(id:"smic"){sources{key published}}}`, nil, []any{"data", "entity", "sources", 0, "published"}, "", "2024-03"},
		{"attribute", `{entity(id:"ascend-910c"){attributes{name type value unit asOf status sources{key}}}}`, nil, []any{"data", "entity", "attributes", 0, "type"}, "", "NUMBER"},
		{"search", `{search(text:"hua", kinds:[COMPANY]){id}}`, nil, []any{"data", "search"}, "id", []string{"huawei"}},
		{"search kinds", `{search(text:"s", kinds:[COMPANY], first:2){id}}`, nil, []any{"data", "search"}, "id", []string{"smic", "sk-hynix"}}, // both prefix matches: the shorter leftover ranks first
		{"entities kind", `{entities(kind:MEMORY){totalCount edges{node{id}}}}`, nil, []any{"data", "entities", "edges"}, "", []any{map[string]any{"node": map[string]any{"id": "hbm3"}}}},
		{"entities country", `{entities(country:"kr"){nodes{id}}}`, nil, []any{"data", "entities", "nodes"}, "id", []string{"sk-hynix"}},
		{"relations memory supplies", `{relations(types:[SUPPLIES], category:"memory"){nodes{id from{id} to{id} category product status}}}`, nil, []any{"data", "relations", "nodes"}, "id", []string{"sk-hynix--supplies--huawei"}},
		{"relations asOf excludes ended", `{relations(types:[CUSTOMER_OF], asOf:"2021"){totalCount}}`, nil, []any{"data", "relations", "totalCount"}, "", 0.0},
		{"firstReported", `{relations(types:[SUPPLIES]){nodes{validFrom firstReported}}}`, nil, []any{"data", "relations", "nodes", 0}, "", map[string]any{"validFrom": "2024-03", "firstReported": true}},
		{"firstReported false", `{relations(types:[TARGETS]){nodes{firstReported}}}`, nil, []any{"data", "relations", "nodes", 0, "firstReported"}, "", false},
		{"asOf: no validFrom holds on no date", `{relations(types:[DESIGNS], asOf:"2025"){totalCount}}`, nil, []any{"data", "relations", "totalCount"}, "", 0.0},
		{"relations asOf includes", `{relations(types:[CUSTOMER_OF], asOf:"2019-06"){totalCount}}`, nil, []any{"data", "relations", "totalCount"}, "", 1.0},
		{"relations from", `{relations(from:"smic"){nodes{id}}}`, nil, []any{"data", "relations", "nodes"}, "id", []string{"smic--fabricates--ascend-910c", "smic--located-in--cn"}},
		{"entity relations in", `{entity(id:"huawei"){relations(direction:IN, types:[SUPPLIES, TARGETS]){nodes{id}}}}`, nil, []any{"data", "entity", "relations", "nodes"}, "id", []string{"entity-list-2019--targets--huawei", "sk-hynix--supplies--huawei"}},
		{"company suppliers", `{entity(id:"huawei"){... on Company{suppliers{id}}}}`, nil, []any{"data", "entity", "suppliers"}, "id", []string{"huawei--customer-of--smic", "sk-hynix--supplies--huawei"}},
		{"company suppliers by category", `{entity(id:"huawei"){... on Company{suppliers(category:"memory"){from{id}}}}}`, nil, []any{"data", "entity", "suppliers", 0, "from", "id"}, "", "sk-hynix"},
		{"company customers", `{entity(id:"smic"){... on Company{customers{id}}}}`, nil, []any{"data", "entity", "customers"}, "id", []string{"huawei--customer-of--smic"}},
		{"company designs", `{entity(id:"hisilicon"){... on Company{designs{id}}}}`, nil, []any{"data", "entity", "designs"}, "id", []string{"ascend-910c"}},
		{"company fabricates", `{entity(id:"smic"){... on Company{fabricates{to{id}}}}}`, nil, []any{"data", "entity", "fabricates", 0, "to", "id"}, "", "ascend-910c"},
		{"company investors", `{entity(id:"smic"){... on Company{investors{from{id} properties{name value}}}}}`, nil, []any{"data", "entity", "investors", 0, "from", "id"}, "", "big-fund"},
		{"company sanctions", `{entity(id:"huawei"){... on Company{sanctions{from{id} validFrom}}}}`, nil, []any{"data", "entity", "sanctions", 0, "validFrom"}, "", "2019-05-16"},
		{"company parent", `{entity(id:"hisilicon"){... on Company{parent{id}}}}`, nil, []any{"data", "entity", "parent", "id"}, "", "huawei"},
		{"company subsidiaries", `{entity(id:"huawei"){... on Company{subsidiaries{id}}}}`, nil, []any{"data", "entity", "subsidiaries"}, "id", []string{"hisilicon"}},
		{"no parent is null", `{entity(id:"huawei"){... on Company{parent{id}}}}`, nil, []any{"data", "entity", "parent"}, "", nil},
		{"chip designer", `{entity(id:"ascend-910c"){... on Chip{designer{id}}}}`, nil, []any{"data", "entity", "designer", "id"}, "", "hisilicon"},
		{"chip foundries", `{entity(id:"ascend-910c"){... on Chip{foundries{from{id}}}}}`, nil, []any{"data", "entity", "foundries", 0, "from", "id"}, "", "smic"},
		{"chip process node", `{entity(id:"ascend-910c"){... on Chip{processNode{id}}}}`, nil, []any{"data", "entity", "processNode", "id"}, "", "smic-n7"},
		{"chip memory", `{entity(id:"ascend-910c"){... on Chip{memory{id}}}}`, nil, []any{"data", "entity", "memory"}, "id", []string{"hbm3"}},
		{"chip usedIn", `{entity(id:"ascend-910c"){... on Chip{usedIn{id}}}}`, nil, []any{"data", "entity", "usedIn"}, "id", []string{"cloudmatrix-384"}},
		{"sanction date", `{entity(id:"entity-list-2019"){... on Sanction{date legalCitation}}}`, nil, []any{"data", "entity", "date"}, "", "2019-05-16"},
		{"sanction citation", `{entity(id:"entity-list-2019"){... on Sanction{legalCitation}}}`, nil, []any{"data", "entity", "legalCitation"}, "", "84 FR 22961"},
		{"sanction targets", `{entity(id:"entity-list-2019"){... on Sanction{targets{id}}}}`, nil, []any{"data", "entity", "targets"}, "id", []string{"huawei"}},
		{"sanction issuedBy", `{entity(id:"entity-list-2019"){... on Sanction{issuedBy{id}}}}`, nil, []any{"data", "entity", "issuedBy", "id"}, "", "bis"},
		{"fund investments", `{entity(id:"big-fund"){... on Fund{investments{to{id}}}}}`, nil, []any{"data", "entity", "investments", 0, "to", "id"}, "", "smic"},
		{"paths", `{paths(from:"sk-hynix", to:"cloudmatrix-384"){length nodes{id}}}`, nil, []any{"data", "paths", 1, "nodes"}, "id", []string{"sk-hynix", "hbm3", "ascend-910c", "cloudmatrix-384"}},
		{"shortest path first", `{paths(from:"sk-hynix", to:"cloudmatrix-384"){length nodes{id}}}`, nil, []any{"data", "paths", 0, "nodes"}, "id", []string{"sk-hynix", "huawei", "cloudmatrix-384"}},
		{"paths out only none", `{paths(from:"cloudmatrix-384", to:"sk-hynix", direction:OUT){length}}`, nil, []any{"data", "paths"}, "", []any{}},
		{"neighborhood", `{neighborhood(ids:["hbm3"]){nodes{id} relations{id} truncated}}`, nil, []any{"data", "neighborhood", "nodes"}, "id", []string{"hbm3", "ascend-910c", "sk-hynix"}}, // the seed first, then as reached
		{"neighborhood limit truncates", `{neighborhood(ids:["hbm3"], limit:2){truncated}}`, nil, []any{"data", "neighborhood", "truncated"}, "", true},
		{"subgraph countries", `{subgraph(countries:["us"]){nodes{id}}}`, nil, []any{"data", "subgraph", "nodes"}, "id", []string{"bis", "entity-list-2019"}},
		{"subgraph seeds kinds", `{subgraph(seeds:["smic"], kinds:[FUND]){nodes{id}}}`, nil, []any{"data", "subgraph", "nodes"}, "id", []string{"smic", "big-fund"}},
		{"stats", `{stats{entities relations sources byKind{kind count} byType{type count} version}}`, nil, []any{"data", "stats", "entities"}, "", 14.0},
		{"sources page", `{sources(first:1){nodes{key} pageInfo{hasNextPage}}}`, nil, []any{"data", "sources", "nodes"}, "key", []string{"src-a"}},
		{"source", `{source(key:"src-b"){title url publisher published retrieved quote}}`, nil, []any{"data", "source", "published"}, "", "2023"},
		{"missing source null", `{source(key:"nope"){key}}`, nil, []any{"data", "source"}, "", nil},
		{"variables", `query($id: ID!){entity(id:$id){name}}`, map[string]any{"id": "bis"}, []any{"data", "entity", "name"}, "", "Bureau of Industry and Security"},
		{"date variable", `query($d: Date){relations(types:[CUSTOMER_OF], asOf:$d){totalCount}}`, map[string]any{"d": "2016-02-29"}, []any{"data", "relations", "totalCount"}, "", 1.0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := query(t, s, tc.query, tc.vars)
			noErrors(t, resp)
			got := get(resp, tc.path...)
			if tc.field != "" {
				got = ids(got, tc.field)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	var all []string
	after := ""
	for page := 0; page < 20; page++ {
		resp := query(t, s, `query($after: String){entities(first:4, after:$after){totalCount edges{cursor node{id}} pageInfo{hasNextPage hasPreviousPage startCursor endCursor}}}`,
			map[string]any{"after": after})
		noErrors(t, resp)
		conn := get(resp, "data", "entities")
		if n := get(conn, "totalCount"); n != 14.0 {
			t.Fatalf("totalCount %v", n)
		}
		for _, e := range get(conn, "edges").([]any) {
			all = append(all, get(e, "node", "id").(string))
		}
		if get(conn, "pageInfo", "hasPreviousPage") != (page > 0) {
			t.Errorf("page %d: hasPreviousPage wrong", page)
		}
		if get(conn, "pageInfo", "hasNextPage") == false {
			break
		}
		after = get(conn, "pageInfo", "endCursor").(string)
	}
	if len(all) != 14 || all[0] != "ascend-910c" || all[13] != "ymtc" {
		t.Errorf("paged ids %v", all)
	}

	for _, bad := range []string{"!!!", "bm90IGEgaWQ=" /* "not a id" */} {
		resp := query(t, s, `query($a: String){entities(after:$a){totalCount}}`, map[string]any{"a": bad})
		if c := codes(resp); len(c) != 1 || c[0] != schema.CodeBadUserInput {
			t.Errorf("cursor %q: codes %v", bad, c)
		}
		if !strings.Contains(fmt.Sprint(resp["errors"]), "malformed cursor") {
			t.Errorf("cursor %q: %v", bad, resp["errors"])
		}
	}
}

func TestErrors(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	tests := []struct {
		name, query string
		vars        map[string]any
		code        string
		contains    string
		hasData     bool
	}{
		{"parse", `{entity(id:"x"){id}`, nil, schema.CodeParseFailed, "Syntax Error", false},
		{"empty", ``, nil, schema.CodeParseFailed, "query is required", false},
		{"unknown field", `{entity(id:"smic"){nmae}}`, nil, schema.CodeValidationFailed, `Cannot query field "nmae"`, false},
		{"unknown arg", `{entities(frist: 3){totalCount}}`, nil, schema.CodeValidationFailed, `Unknown argument "frist"`, false},
		{"bad date literal", `{relations(asOf:"2024-13"){totalCount}}`, nil, schema.CodeValidationFailed, "YYYY, YYYY-MM or YYYY-MM-DD", false},
		{"bad date variable", `query($d: Date){relations(asOf:$d){totalCount}}`, map[string]any{"d": "24/1/2020"}, schema.CodeBadUserInput, "YYYY, YYYY-MM or YYYY-MM-DD", false},
		{"ambiguous name", `{entity(name:"CJ Memory"){id}}`, nil, schema.CodeBadUserInput, "cxmt, ymtc", true},
		{"id and name", `{entity(id:"smic", name:"SMIC"){id}}`, nil, schema.CodeBadUserInput, "not both", true},
		{"first too big", `{entities(first: 100000){totalCount}}`, nil, schema.CodeBadUserInput, "first must be between 0 and 1000", true},
		{"first too complex", `{entities(first: 100000){nodes{id}}}`, nil, schema.CodeTooComplex, "complexity is 100001", false},
		{"negative first", `{entities(first: -1){totalCount}}`, nil, schema.CodeBadUserInput, "first must be between", true},
		{"maxHops too big", `{paths(from:"smic", to:"bis", maxHops: 9){length}}`, nil, schema.CodeBadUserInput, "maxHops must be between 1 and 6", true},
		{"paths unknown endpoint", `{paths(from:"smic", to:"nope"){length}}`, nil, schema.CodeNotFound, "nope", true},
		{"neighborhood unknown seed", `{neighborhood(ids:["nope"]){truncated}}`, nil, schema.CodeNotFound, "nope", true},
		{"neighborhood limit too big", `{neighborhood(ids:["smic"], limit: 2001){truncated}}`, nil, schema.CodeBadUserInput, "limit must be between 1 and 2000", true},
		{"empty search", `{search(text:"  "){id}}`, nil, schema.CodeBadUserInput, "text", true},
		{"unknown operation", `query A{stats{entities}} query B{stats{entities}}`, nil, schema.CodeBadRequest, "operationName is required", false},
		{"mutation unauthenticated", `mutation{deleteRelation(id:"smic--located-in--cn"){deleted}}`, nil, schema.CodeUnauthenticated, "Bearer", false},
		{"missing variable", `query($id: ID!){entity(id:$id){id}}`, nil, schema.CodeBadUserInput, `Variable "$id"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := query(t, s, tc.query, tc.vars)
			c := codes(resp)
			if len(c) == 0 || c[0] != tc.code {
				t.Fatalf("codes %v, want %s: %v", c, tc.code, resp["errors"])
			}
			msg := fmt.Sprint(resp["errors"])
			if !strings.Contains(msg, tc.contains) {
				t.Errorf("errors %s lack %q", msg, tc.contains)
			}
			if strings.Contains(msg, "Did you mean") {
				t.Errorf("suggestion leaked: %s", msg)
			}
			if _, ok := resp["data"]; ok != tc.hasData {
				t.Errorf("data present %v, want %v", ok, tc.hasData)
			}
		})
	}
}

func TestAmbiguousCandidates(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	resp := query(t, s, `{entity(name:"cj memory"){id}}`, nil)
	got := get(resp, "errors", 0, "extensions", "candidates")
	if !reflect.DeepEqual(got, []any{"cxmt", "ymtc"}) {
		t.Errorf("candidates %v", got)
	}
}

func TestLimits(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{MaxDepth: 5, MaxComplexity: 200, MaxAliases: 2, MaxOperations: 2})
	tests := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"depth", `{entity(id:"smic"){relations{edges{node{from{id}}}}}}`, nil, schema.CodeTooDeep},
		{"depth through fragment", `{entity(id:"smic"){...F}} fragment F on Entity{relations{edges{node{to{id}}}}}`, nil, schema.CodeTooDeep},
		{"complexity by first", `{entities(first:300){nodes{id}}}`, nil, schema.CodeTooComplex},
		{"complexity by variable", `query($n:Int){entities(first:$n){nodes{id}}}`, map[string]any{"n": 300.0}, schema.CodeTooComplex},
		{"complexity by nested default lists", `{entities(first:20){nodes{sources{key} attributes{name}}}}`, nil, schema.CodeTooComplex},
		{"complexity by limit", `{neighborhood(ids:["smic"], limit:300){nodes{id}}}`, nil, schema.CodeTooComplex},
		{"aliases", `{a:stats{entities} b:stats{entities} c:stats{entities}}`, nil, schema.CodeTooManyAliases},
		{"operations", `query A{stats{entities}} query B{stats{entities}} query C{stats{entities}}`, nil, schema.CodeTooManyOperations},
		{"fragment bomb", fragmentBomb(20), nil, schema.CodeTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := query(t, s, tc.query, tc.vars)
			if c := codes(resp); len(c) == 0 || c[0] != tc.code {
				t.Fatalf("codes %v, want %s: %v", c, tc.code, resp["errors"])
			}
			if _, ok := resp["data"]; ok {
				t.Error("a rejected query has data")
			}
		})
	}
	ok := []string{
		`{entity(id:"smic"){relations{nodes{id}}}}`,
		`{entities(first:10){nodes{id name}}}`,
		`{a:stats{entities} b:stats{relations}}`,
		`{__type(name:"Stats"){name fields{name type{name}}}}`,
	}
	for _, q := range ok {
		noErrors(t, query(t, s, q, nil))
	}
}

// Introspection counts toward depth and complexity like any other field.
func TestIntrospectionLimits(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{MaxComplexity: 200})
	for _, tc := range []struct{ name, query, code string }{
		{"over the complexity limit", introspectionQuery, schema.CodeTooComplex},
		{"nested past the introspection depth", `{__type(name:"Entity"){possibleTypes{interfaces{possibleTypes{interfaces{name}}}}}}`, schema.CodeValidationFailed},
		{"deeper than the depth limit", `{__type(name:"Entity"){fields{type{ofType{ofType{ofType{ofType{ofType{ofType{ofType{ofType{ofType{ofType{ofType{ofType{name}}}}}}}}}}}}}}}}`, schema.CodeTooDeep},
	} {
		resp := query(t, s, tc.query, nil)
		if c := codes(resp); len(c) == 0 || c[0] != tc.code {
			t.Errorf("%s: codes %v, want %s: %v", tc.name, c, tc.code, resp["errors"])
		}
	}
	noErrors(t, query(t, s, `{__type(name:"Stats"){name fields{name type{name ofType{name ofType{name}}}}}}`, nil))
}

// fragmentBomb builds n fragments each spreading the previous one twice.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString(`{stats{...F0}} fragment F0 on Stats{entities}`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ` fragment F%d on Stats{...F%d ...F%d}`, i, i-1, i-1)
	}
	return strings.Replace(b.String(), "...F0}}", fmt.Sprintf("...F%d}}", n), 1)
}

func TestDefaultLimitsAllowCommonQueries(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	for _, q := range []string{
		`{neighborhood(ids:["smic"]){nodes{id name kind} relations{id type fromId toId}}}`,
		`{neighborhood(ids:["smic"], limit:2000){nodes{id name} relations{id fromId toId}}}`,
		`{entities{edges{cursor node{id name kind country}} pageInfo{endCursor hasNextPage}}}`,
		`{paths(from:"sk-hynix", to:"cloudmatrix-384"){length nodes{id name} relations{id type}}}`,
		introspectionQuery,
	} {
		noErrors(t, query(t, s, q, nil))
	}
}

func TestMutations(t *testing.T) {
	store := schematest.Open(t)
	s := newSchema(t, store, schema.Config{AllowWrites: true})
	auth := func(q string, vars map[string]any) map[string]any {
		return run(t, s, schema.Request{Query: q, Variables: vars, Authorized: true})
	}

	resp := auth(`mutation($in: SourceInput!){upsertSource(input:$in){key published}}`, map[string]any{"in": map[string]any{
		"key": "src-c", "title": "C", "url": "https://example.org/c", "publisher": "P", "published": "2025-01-02",
	}})
	noErrors(t, resp)
	if get(resp, "data", "upsertSource", "published") != "2025-01-02" {
		t.Errorf("upsertSource %v", resp)
	}
	// A page that shows no date: undated, with the date it was read.
	resp = auth(`mutation{upsertSource(input:{key:"src-u", title:"U", url:"https://example.org/u", publisher:"P", undated:true, retrieved:"2026-11-28"}){published undated retrieved}}`, nil)
	noErrors(t, resp)
	if d := get(resp, "data", "upsertSource"); !reflect.DeepEqual(d, map[string]any{"published": nil, "undated": true, "retrieved": "2026-11-28"}) {
		t.Errorf("undated upsertSource %v", resp)
	}
	resp = auth(`mutation{upsertSource(input:{key:"src-v", title:"V", url:"https://example.org/v", publisher:"P"}){key}}`, nil)
	if c := codes(resp); len(c) != 1 || c[0] != schema.CodeBadUserInput || !strings.Contains(fmt.Sprint(resp), "published") {
		t.Errorf("a source with no date: %v", resp)
	}

	resp = auth(`mutation{upsertEntity(input:{id:"cambricon", kind:COMPANY, name:"Cambricon", aliases:["寒武纪"], country:"CN",
		attributes:[{name:"founded", type:DATE, value:"2016", sources:["src-c"]}],
		externalIds:[{scheme:"ticker", value:"688256.SS"}], sources:["src-c"]}){id __typename aliases attributes{value}}}`, nil)
	noErrors(t, resp)
	if get(resp, "data", "upsertEntity", "__typename") != "Company" {
		t.Errorf("upsertEntity %v", resp)
	}

	resp = auth(`mutation{upsertRelation(input:{type:SUPPLIES, from:"smic", to:"cambricon", category:"foundry", status:CONFIRMED, validFrom:"2020", firstReported:true, sources:["src-c"]}){id validFrom firstReported}}`, nil)
	noErrors(t, resp)
	if get(resp, "data", "upsertRelation", "id") != "smic--supplies--cambricon" || get(resp, "data", "upsertRelation", "firstReported") != true {
		t.Errorf("upsertRelation %v", resp)
	}
	// Time rules: a first report needs its date, an end needs validTo.
	for _, tc := range []struct{ input, field string }{
		{`{type:SUPPLIES, from:"smic", to:"cambricon", category:"foundry", status:REPORTED, firstReported:true, sources:["src-c"]}`, "relations[0].validFrom"},
		{`{type:SUPPLIES, from:"smic", to:"cambricon", category:"foundry", status:ENDED, validFrom:"2020", sources:["src-c"]}`, "relations[0].validTo"},
	} {
		resp = auth(`mutation{upsertRelation(input:`+tc.input+`){id}}`, nil)
		if c := codes(resp); len(c) != 1 || c[0] != schema.CodeBadUserInput || !strings.Contains(fmt.Sprint(resp), tc.field) {
			t.Errorf("upsertRelation(%s): want BAD_USER_INPUT naming %s, got %v", tc.input, tc.field, resp)
		}
	}

	// Validation: every problem, with paths.
	resp = auth(`mutation{upsertRelation(input:{type:SUPPLIES, from:"smic", to:"ghost", status:REPORTED, sources:["nope"]}){id}}`, nil)
	if c := codes(resp); c[0] != schema.CodeBadUserInput {
		t.Fatalf("codes %v", c)
	}
	details, _ := get(resp, "errors", 0, "extensions", "errors").([]any)
	if len(details) < 3 {
		t.Errorf("want every validation problem, got %v", resp["errors"])
	}

	// Delete without cascade conflicts; with it, relations go too.
	resp = auth(`mutation{deleteEntity(id:"cambricon"){deleted}}`, nil)
	if c := codes(resp); c[0] != schema.CodeConflict {
		t.Fatalf("codes %v", c)
	}
	resp = auth(`mutation{deleteEntity(id:"cambricon", cascade:true){id deleted}}`, nil)
	noErrors(t, resp)
	if get(resp, "data", "deleteEntity", "deleted") != 2.0 {
		t.Errorf("deleteEntity %v", resp)
	}
	resp = auth(`mutation{deleteRelation(id:"nope--x--y"){deleted}}`, nil)
	if c := codes(resp); c[0] != schema.CodeNotFound {
		t.Fatalf("codes %v", c)
	}
	resp = auth(`mutation{deleteSource(key:"src-a"){deleted}}`, nil)
	if c := codes(resp); c[0] != schema.CodeConflict {
		t.Fatalf("codes %v", c)
	}

	// Unauthorised and read-only requests cannot write.
	resp = run(t, s, schema.Request{Query: `mutation{deleteSource(key:"src-c"){deleted}}`})
	if c := codes(resp); c[0] != schema.CodeUnauthenticated {
		t.Fatalf("codes %v", c)
	}
	resp = run(t, s, schema.Request{Query: `mutation{deleteSource(key:"src-c"){deleted}}`, Authorized: true, ReadOnly: true})
	if c := codes(resp); c[0] != schema.CodeMutationNotAllowed {
		t.Fatalf("codes %v", c)
	}
	ro := newSchema(t, store, schema.Config{})
	resp = run(t, ro, schema.Request{Query: `mutation{deleteSource(key:"src-c"){deleted}}`, Authorized: true})
	if c := codes(resp); c[0] != schema.CodeForbidden {
		t.Fatalf("codes %v", c)
	}
	if _, err := store.Source(context.Background(), "src-c"); err != nil {
		t.Errorf("src-c was deleted: %v", err)
	}
}

// panicStore panics in Stats and fails Sources with an internal cause.
type panicStore struct{ graph.Store }

func (panicStore) Stats(context.Context) (graph.Stats, error) {
	panic("secret panic text /etc/passwd")
}

func (panicStore) Sources(context.Context) ([]*graph.Source, error) {
	return nil, fmt.Errorf("dial tcp 10.0.0.1: secret cause")
}

func TestPanicAndInternalErrorsDoNotLeak(t *testing.T) {
	s := newSchema(t, panicStore{schematest.Open(t)}, schema.Config{})
	for _, q := range []string{`{stats{entities}}`, `{sources{totalCount}}`} {
		resp := run(t, s, schema.Request{Query: q, RequestID: "req-42"})
		b, _ := json.Marshal(resp)
		if strings.Contains(string(b), "secret") || strings.Contains(string(b), "goroutine") {
			t.Errorf("leak: %s", b)
		}
		if c := codes(resp); len(c) != 1 || c[0] != schema.CodeInternal {
			t.Errorf("codes %v", c)
		}
		if get(resp, "errors", 0, "extensions", "requestId") != "req-42" {
			t.Errorf("no request id: %s", b)
		}
	}
	// stats is non-null, so the error nulls data, which is still present.
	resp := query(t, s, `{entity(id:"smic"){id} stats{entities}}`, nil)
	if d, ok := resp["data"]; !ok || d != nil {
		t.Errorf("data: %v", resp)
	}
	if get(resp, "errors", 0, "path", 0) != "stats" {
		t.Errorf("path: %v", resp)
	}
}

// slowStore blocks until the context ends.
type slowStore struct{ graph.Store }

func (slowStore) Stats(ctx context.Context) (graph.Stats, error) {
	<-ctx.Done()
	return graph.Stats{}, ctx.Err()
}

// pollingStore works until its context's Err says stop, as the store's
// walks do, without waiting on Done.
type pollingStore struct{ graph.Store }

func (pollingStore) Stats(ctx context.Context) (graph.Stats, error) {
	for i := 0; ctx.Err() == nil && i < 5000; i++ { // 5 s at most: a failure, not a hang
		time.Sleep(time.Millisecond)
	}
	return graph.Stats{}, ctx.Err()
}

func TestTimeout(t *testing.T) {
	for name, store := range map[string]graph.Store{
		"waits on Done": slowStore{schematest.Open(t)},
		"polls Err":     pollingStore{schematest.Open(t)},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSchema(t, store, schema.Config{Timeout: 50 * time.Millisecond})
			start := time.Now()
			resp := query(t, s, `{stats{entities}}`, nil)
			if time.Since(start) > 2*time.Second {
				t.Error("timeout not enforced")
			}
			if c := codes(resp); len(c) == 0 || c[0] != schema.CodeTimeout {
				t.Errorf("codes %v: %v", c, resp)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{AllowWrites: true})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				q := `{entity(name:"SMIC"){id kind ... on Company{customers{status type}}} relations(types:[SUPPLIES]){nodes{status type}} stats{byKind{kind}}}`
				res := s.Execute(context.Background(), schema.Request{Query: q})
				if len(res.Errors) > 0 {
					t.Errorf("errors: %v", res.Errors)
					return
				}
				if i%4 == 0 {
					m := fmt.Sprintf(`mutation{upsertSource(input:{key:"c-%d-%d", title:"t", url:"https://x.org", publisher:"p", published:"2024"}){key}}`, i, j)
					if res := s.Execute(context.Background(), schema.Request{Query: m, Authorized: true}); len(res.Errors) > 0 {
						t.Errorf("errors: %v", res.Errors)
					}
				}
			}
		}()
	}
	wg.Wait()
}

const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

// countingHandler counts log records by message.
type countingHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// TestInternalErrorsLoggedOnce: a failing query runs on the direct executor
// and then on graphql-go's; its panic or internal error is logged once.
func TestInternalErrorsLoggedOnce(t *testing.T) {
	h := &countingHandler{counts: map[string]int{}}
	s := newSchema(t, panicStore{schematest.Open(t)}, schema.Config{Logger: slog.New(h)})
	run(t, s, schema.Request{Query: `{stats{entities}}`})
	run(t, s, schema.Request{Query: `{sources{totalCount}}`})
	want := map[string]int{"graphql: panic in resolver": 1, "graphql: internal error": 1}
	if !maps.Equal(h.counts, want) {
		t.Errorf("log records %v, want %v", h.counts, want)
	}
}

// TestResultJSON: a Result encodes as a GraphQL response, "errors" only
// when there are some and "data" only when execution started, and
// JSONParts, which the server writes out piece by piece, gives the same
// bytes as MarshalJSON.
func TestResultJSON(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	for _, c := range []struct {
		query string
		keys  []string
	}{
		{`{entity(id:"smic"){id}}`, []string{"data"}},
		{`{neighborhood(ids:["no-such-entity"]){nodes{id}}}`, []string{"data", "errors"}},
		{`{entity(id:`, []string{"errors"}},
	} {
		res := s.Execute(context.Background(), schema.Request{Query: c.query})
		body, err := res.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		parts, err := res.JSONParts()
		if err != nil {
			t.Fatal(err)
		}
		if joined := bytes.Join(parts, nil); string(joined) != string(body) {
			t.Errorf("%s: JSONParts gives %s, MarshalJSON %s", c.query, joined, body)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %s is not JSON: %v", c.query, body, err)
		}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, c.keys) {
			t.Errorf("%s: keys %v, want %v (%s)", c.query, got, c.keys, body)
		}
		res.Release()
	}
}

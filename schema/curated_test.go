package schema_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/schema"
)

var (
	curatedOnce  sync.Once
	curatedStore *graph.CayleyStore
	curatedErr   error
)

// curated returns a memory store loaded with the curated data, shared by the
// read-only tests below.
func curated(t *testing.T) *graph.CayleyStore {
	t.Helper()
	curatedOnce.Do(func() {
		curatedStore, curatedErr = loaders.OpenCurated(context.Background())
	})
	if curatedErr != nil {
		t.Fatalf("loading curated data: %v", curatedErr)
	}
	return curatedStore
}

func TestCuratedData(t *testing.T) {
	s := newSchema(t, curated(t), schema.Config{})
	tests := []struct {
		name  string
		query string
		path  []any
		check func(t *testing.T, v any)
	}{
		{"中芯国际 is smic", `{entity(name:"中芯国际"){id kind}}`, []any{"data", "entity", "id"}, equals("smic")},
		{"alias SMIC", `{entity(name:"smic"){__typename}}`, []any{"data", "entity", "__typename"}, equals("Company")},
		{"memory supplies", `{relations(types:[SUPPLIES], category:"memory"){totalCount nodes{from{id} to{id} category}}}`,
			[]any{"data", "relations", "nodes"}, func(t *testing.T, v any) {
				list := v.([]any)
				if len(list) == 0 {
					t.Fatal("no memory SUPPLIES relations")
				}
				for _, r := range list {
					if get(r, "category") != "memory" {
						t.Errorf("category %v", get(r, "category"))
					}
				}
				if !slices.Contains(fromTo(list), "sk-hynix->huawei") {
					t.Errorf("sk-hynix -> huawei missing from %v", fromTo(list))
				}
			}},
		{"paths sk-hynix to cloudmatrix-384", `{paths(from:"sk-hynix", to:"cloudmatrix-384", maxHops:4, first:3){length nodes{id}}}`,
			[]any{"data", "paths"}, func(t *testing.T, v any) {
				list := v.([]any)
				if len(list) == 0 {
					t.Fatal("no path")
				}
				nodes := ids(get(list[0], "nodes"), "id")
				if nodes[0] != "sk-hynix" || nodes[len(nodes)-1] != "cloudmatrix-384" {
					t.Errorf("path %v", nodes)
				}
				if int(get(list[0], "length").(float64)) != len(nodes)-1 {
					t.Errorf("length %v for %v", get(list[0], "length"), nodes)
				}
			}},
		{"910C process node", `{entity(id:"ascend-910c"){... on Chip{processNode{id} foundries{from{id}}}}}`,
			[]any{"data", "entity", "processNode", "id"}, equals("smic-n-plus-2")},
		{"910C foundries", `{entity(id:"ascend-910c"){... on Chip{foundries{from{id}}}}}`,
			[]any{"data", "entity", "foundries"}, func(t *testing.T, v any) {
				var from []string
				for _, r := range v.([]any) {
					from = append(from, get(r, "from", "id").(string))
				}
				slices.Sort(from)
				if !reflect.DeepEqual(from, []string{"smic", "tsmc"}) {
					t.Errorf("foundries %v", from)
				}
			}},
		{"sanction date and citation", `{entity(id:"entity-list-2020-12-smic"){... on Sanction{date legalCitation}}}`,
			[]any{"data", "entity", "legalCitation"}, equals("85 FR 83416")},
		{"sanction date", `{entity(id:"entity-list-2019-05-huawei"){... on Sanction{date}}}`,
			[]any{"data", "entity", "date"}, equals("2019-05-16")},
		{"smic is sanctioned", `{entity(id:"smic"){... on Company{sanctions{from{id}}}}}`,
			[]any{"data", "entity", "sanctions"}, func(t *testing.T, v any) {
				var from []string
				for _, r := range v.([]any) {
					from = append(from, get(r, "from", "id").(string))
				}
				if !slices.Contains(from, "entity-list-2020-12-smic") {
					t.Errorf("sanctions %v", from)
				}
			}},
		{"stats", `{stats{entities relations sources byKind{kind count}}}`, []any{"data", "stats", "entities"}, func(t *testing.T, v any) {
			if v.(float64) < 20 {
				t.Errorf("only %v entities", v)
			}
		}},
		{"neighborhood", `{neighborhood(ids:["cloudmatrix-384"], hops:2){nodes{id} relations{fromId toId} truncated}}`,
			[]any{"data", "neighborhood", "nodes"}, func(t *testing.T, v any) {
				if !slices.Contains(ids(v, "id"), "ascend-910c") {
					t.Errorf("ascend-910c not within 2 hops of cloudmatrix-384: %v", ids(v, "id"))
				}
			}},
		{"paging every entity", `{entities(first:1000){totalCount nodes{id}}}`, []any{"data", "entities", "nodes"}, func(t *testing.T, v any) {
			got := ids(v, "id")
			if !slices.IsSorted(got) {
				t.Error("not sorted by id")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := query(t, s, tc.query, nil)
			noErrors(t, resp)
			tc.check(t, get(resp, tc.path...))
		})
	}
}

func TestCuratedMutationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, err := loaders.OpenCurated(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := newSchema(t, store, schema.Config{AllowWrites: true})
	auth := func(q string) map[string]any {
		return run(t, s, schema.Request{Query: q, Authorized: true})
	}
	resp := auth(`mutation{upsertRelation(input:{type:SUPPLIES, from:"sk-hynix", to:"smic", category:"memory", status:DISPUTED,
		sources:["tweaktown-2024-03-14-hbm-suppliers"]}){id status}}`)
	noErrors(t, resp)
	if get(resp, "data", "upsertRelation", "id") != "sk-hynix--supplies--smic" {
		t.Fatalf("%v", resp)
	}
	resp = query(t, s, `{entity(id:"smic"){... on Company{suppliers(category:"memory"){from{id} status}}}}`, nil)
	noErrors(t, resp)
	if get(resp, "data", "entity", "suppliers", 0, "status") != "DISPUTED" {
		t.Errorf("%v", resp)
	}
	resp = auth(`mutation{upsertRelation(input:{type:ISSUED_BY, from:"smic", to:"huawei", status:REPORTED, sources:["nope"]}){id}}`)
	if c := codes(resp); len(c) == 0 || c[0] != schema.CodeBadUserInput {
		t.Fatalf("codes %v", c)
	}
	resp = auth(`mutation{deleteEntity(id:"smic"){deleted}}`)
	if c := codes(resp); len(c) == 0 || c[0] != schema.CodeConflict {
		t.Fatalf("codes %v: %v", c, resp)
	}
	resp = auth(`mutation{deleteRelation(id:"sk-hynix--supplies--smic"){deleted}}`)
	noErrors(t, resp)
	if get(resp, "data", "deleteRelation", "deleted") != 1.0 {
		t.Errorf("%v", resp)
	}
}

func equals(want any) func(t *testing.T, v any) {
	return func(t *testing.T, v any) {
		t.Helper()
		if !reflect.DeepEqual(v, want) {
			t.Errorf("got %#v, want %#v", v, want)
		}
	}
}

func fromTo(list []any) []string {
	var out []string
	for _, r := range list {
		out = append(out, get(r, "from", "id").(string)+"->"+get(r, "to", "id").(string))
	}
	return out
}

// Package graphtest is the test suite every graph.Store backend runs, in the
// manner of cayley's graph/graphtest: one set of behaviours, checked the same
// way on memory, bbolt and PostgreSQL.
package graphtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/cayleygraph/quad"
	"github.com/chipgraph/chipgraph/graph"
)

// Backend opens stores for the suite.
type Backend struct {
	// Open returns a new, empty store. The suite closes it.
	Open func(t *testing.T) graph.Store
	// Reopen closes s and opens the same storage again; nil for a backend
	// that does not persist.
	Reopen func(t *testing.T, s graph.Store) graph.Store
}

// Fixture is a small graph shaped like the curated data.
func Fixture() graph.Batch {
	src := []string{"s1"}
	d := graph.MustDate
	return graph.Batch{
		Sources: []graph.Source{
			{Key: "s1", Title: "First source", URL: "https://example.org/1", Publisher: "Example", Published: d("2024-05-01")},
			{Key: "s2", Title: "Second source", URL: "https://example.org/2", Publisher: "Example", Published: d("2025")},
			{Key: "s3", Title: "An undated page", URL: "https://example.org/3", Publisher: "Example", Undated: true, Retrieved: d("2026-11-28")},
		},
		Entities: []graph.Entity{
			{ID: "huawei", Kind: graph.KindCompany, Name: "Huawei Technologies", Aliases: []string{"华为", "Huawei"}, Country: "CN", Sources: src},
			{ID: "hisilicon", Kind: graph.KindCompany, Name: "HiSilicon", Aliases: []string{"海思"}, Country: "CN", Sources: src},
			{ID: "smic", Kind: graph.KindCompany, Name: "Semiconductor Manufacturing International Corporation", Aliases: []string{"SMIC", "中芯国际"}, Country: "CN", Sources: src,
				Attributes:  []graph.Attribute{{Name: "revenue", Type: graph.AttrNumber, Value: "8030000000", Unit: "USD", AsOf: d("2024"), Sources: []string{"s2"}}},
				ExternalIDs: []graph.ExternalID{{Scheme: "ticker", Value: "0981.HK"}}},
			{ID: "sk-hynix", Kind: graph.KindCompany, Name: "SK hynix", Aliases: []string{"SK Hynix Inc."}, Country: "KR", Sources: src},
			{ID: "cambricon", Kind: graph.KindCompany, Name: "Cambricon Technologies", Aliases: []string{"寒武纪"}, Country: "CN", Sources: []string{"s1", "s3"}},
			{ID: "ascend-910b", Kind: graph.KindChip, Name: "Ascend 910B", Sources: src},
			{ID: "ascend-910c", Kind: graph.KindChip, Name: "Ascend 910C", Sources: src},
			{ID: "cloudmatrix-384", Kind: graph.KindSystem, Name: "CloudMatrix 384", Sources: src},
			{ID: "smic-n2", Kind: graph.KindProcessNode, Name: "SMIC N+2", Sources: src},
			{ID: "bis", Kind: graph.KindGovernmentBody, Name: "Bureau of Industry and Security", Aliases: []string{"BIS"}, Country: "US", Sources: src},
			{ID: "entity-list-huawei-2019", Kind: graph.KindSanction, Name: "Entity List: Huawei (2019)", Sources: src,
				Attributes: []graph.Attribute{{Name: "date", Type: graph.AttrDate, Value: "2019-05-16", Sources: src}}},
		},
		Relations: []graph.Relation{
			{Type: graph.SubsidiaryOf, From: "hisilicon", To: "huawei", Status: graph.StatusConfirmed, ValidFrom: d("2004-10"), Sources: src},
			{Type: graph.Designs, From: "hisilicon", To: "ascend-910b", Status: graph.StatusConfirmed, ValidFrom: d("2023"), FirstReported: true, Sources: src},
			{Type: graph.Designs, From: "hisilicon", To: "ascend-910c", Status: graph.StatusConfirmed, ValidFrom: d("2024"), FirstReported: true, Sources: src},
			{Type: graph.Fabricates, From: "smic", To: "ascend-910b", Status: graph.StatusReported, ValidFrom: d("2023"), FirstReported: true, Sources: src,
				Properties: []graph.Attribute{{Name: "process_node", Type: graph.AttrString, Value: "smic-n2", Sources: src}}},
			{Type: graph.Supplies, From: "sk-hynix", To: "huawei", Category: "memory", Product: "HBM", Status: graph.StatusEnded,
				ValidFrom: d("2019"), ValidTo: d("2020-09"), Sources: src},
			{Type: graph.UsesComponent, From: "cloudmatrix-384", To: "ascend-910c", Status: graph.StatusConfirmed, ValidFrom: d("2025-04"), Sources: []string{"s2"}},
			{Type: graph.Designs, From: "huawei", To: "cloudmatrix-384", Status: graph.StatusConfirmed, ValidFrom: d("2025-04"), Sources: src},
			{Type: graph.Targets, From: "entity-list-huawei-2019", To: "huawei", Status: graph.StatusConfirmed, ValidFrom: d("2019-05-16"), Sources: src},
			{Type: graph.IssuedBy, From: "entity-list-huawei-2019", To: "bis", Status: graph.StatusConfirmed, ValidFrom: d("2019-05-16"), Sources: src},
			// No validFrom: it holds on no given date (graph.Relation.ValidAt).
			{Type: graph.CompetesWith, From: "cambricon", To: "huawei", Status: graph.StatusReported, Sources: src},
		},
	}
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"ApplyAndGet", testApplyAndGet},
		{"Idempotent", testIdempotent},
		{"InvalidBatchWritesNothing", testInvalidBatchWritesNothing},
		{"Resolve", testResolve},
		{"Search", testSearch},
		{"SearchFollowsWrites", testSearchFollowsWrites},
		{"Entities", testEntities},
		{"Relations", testRelations},
		{"Subgraph", testSubgraph},
		{"Paths", testPaths},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"QuadsRoundTrip", testQuadsRoundTrip},
		{"Reopen", testReopen},
		{"Concurrent", testConcurrent},
		{"ApplyCopiesBatch", testApplyCopiesBatch},
		{"ViewPinsRevision", testViewPinsRevision},
		{"ReadersNeverSeeHalfABatch", testReadersNeverSeeHalfABatch},
		{"Write", testWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, b) })
	}
}

var ctx = context.Background()

func open(t *testing.T, b Backend) graph.Store {
	t.Helper()
	s := b.Open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func loaded(t *testing.T, b Backend) graph.Store {
	t.Helper()
	s := open(t, b)
	if _, err := s.Apply(ctx, Fixture()); err != nil {
		t.Fatalf("Apply(Fixture): %v", err)
	}
	return s
}

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

func entityIDs(list []*graph.Entity) []string {
	return ids(list, func(e *graph.Entity) string { return e.ID })
}
func relationIDs(list []*graph.Relation) []string {
	return ids(list, func(r *graph.Relation) string { return r.ID })
}

func wantCode(t *testing.T, err error, code graph.Code) {
	t.Helper()
	if got := graph.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func testApplyAndGet(t *testing.T, b Backend) {
	s := open(t, b)
	fx := Fixture()
	res, err := s.Apply(ctx, fx)
	if err != nil {
		t.Fatal(err)
	}
	want := len(fx.Sources) + len(fx.Entities) + len(fx.Relations)
	if res.Created != want || res.Updated != 0 || res.Unchanged != 0 {
		t.Errorf("Apply = %+v, want %d created", res, want)
	}
	e, err := s.Entity(ctx, "smic")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*e, fx.Entities[2]) {
		t.Errorf("Entity(smic) = %+v\nwant %+v", *e, fx.Entities[2])
	}
	r, err := s.Relation(ctx, "smic--fabricates--ascend-910b")
	if err != nil {
		t.Fatalf("default relation id: %v", err)
	}
	if r.Properties[0].Value != "smic-n2" {
		t.Errorf("process_node = %q", r.Properties[0].Value)
	}
	if !r.FirstReported || r.ValidFrom != graph.MustDate("2023") {
		t.Errorf("smic--fabricates--ascend-910b: validFrom %s, firstReported %v; want 2023, true", r.ValidFrom, r.FirstReported)
	}
	src, err := s.Source(ctx, "s2")
	if err != nil || src.Published != graph.MustDate("2025") {
		t.Errorf("Source(s2) = %+v, %v", src, err)
	}
	if src, err := s.Source(ctx, "s3"); err != nil || !src.Undated || !src.Published.IsZero() || src.Retrieved != graph.MustDate("2026-11-28") {
		t.Errorf("Source(s3) = %+v, %v; want undated, retrieved 2026-11-28", src, err)
	}
	_, err = s.Entity(ctx, "nope")
	wantCode(t, err, graph.CodeNotFound)
	if !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}
	_, err = s.Relation(ctx, "nope")
	wantCode(t, err, graph.CodeNotFound)
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entities != len(fx.Entities) || st.Relations != len(fx.Relations) || st.Sources != 3 ||
		st.ByKind[graph.KindCompany] != 5 || st.ByType[graph.Designs] != 3 || st.Quads == 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func testIdempotent(t *testing.T, b Backend) {
	s := loaded(t, b)
	before, _ := s.Stats(ctx)
	res, err := s.Apply(ctx, Fixture())
	if err != nil {
		t.Fatal(err)
	}
	if res.Created+res.Updated+res.Deleted != 0 || res.Quads != 0 || res.Unchanged == 0 {
		t.Errorf("second Apply = %+v, want only unchanged", res)
	}
	after, _ := s.Stats(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("stats changed: %+v -> %+v", before, after)
	}
}

func testInvalidBatchWritesNothing(t *testing.T, b Backend) {
	s := loaded(t, b)
	before, _ := s.Stats(ctx)
	bad := graph.Batch{
		Entities: []graph.Entity{
			{ID: "new-co", Kind: graph.KindCompany, Name: "New Co", Sources: []string{"s1"}}, // valid
			{ID: "Bad ID", Kind: "PLANET", Name: "", Sources: []string{"missing"}},
		},
		Relations: []graph.Relation{
			{Type: "LIKES", From: "new-co", To: "ghost", Status: "rumoured", Sources: []string{"s1"}},
			{Type: graph.Supplies, From: "sk-hynix", To: "new-co", Status: graph.StatusReported, Sources: []string{"s1"}},
			{Type: graph.Designs, From: "new-co", To: "ascend-910b", Status: graph.StatusEnded, ValidFrom: graph.MustDate("2020"), Sources: []string{"s1"}},
			{Type: graph.Designs, From: "new-co", To: "ascend-910c", Status: graph.StatusReported, FirstReported: true, Sources: []string{"s1"}},
		},
	}
	_, err := s.Apply(ctx, bad)
	var list graph.Errors
	if !errors.As(err, &list) {
		t.Fatalf("Apply(bad) = %v, want graph.Errors", err)
	}
	wantPaths := []string{
		"entities[1].id", "entities[1].kind", "entities[1].name", "entities[1].sources[0]",
		"relations[0].type", "relations[0].to", "relations[0].status", "relations[1].category",
		"relations[2].validTo", "relations[3].validFrom",
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Path)
	}
	for _, p := range wantPaths {
		if !slices.Contains(got, p) {
			t.Errorf("no error at %s; got %v", p, list)
		}
	}
	wantCode(t, err, graph.CodeInvalid)
	after, _ := s.Stats(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("invalid batch changed the store: %+v -> %+v", before, after)
	}
	if _, err := s.Entity(ctx, "new-co"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("valid part of an invalid batch was written: %v", err)
	}
}

func testResolve(t *testing.T, b Backend) {
	s := loaded(t, b)
	for _, name := range []string{"smic", "SMIC", "中芯国际", "ＳＭＩＣ", "S.M.I.C.", "semiconductor manufacturing international corporation"} {
		got, err := s.Resolve(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if ids := entityIDs(got); !slices.Equal(ids, []string{"smic"}) {
			t.Errorf("Resolve(%q) = %v, want [smic]", name, ids)
		}
	}
	got, _ := s.Resolve(ctx, "nothing like it")
	if len(got) != 0 {
		t.Errorf("Resolve(unknown) = %v", entityIDs(got))
	}
}

func testSearch(t *testing.T, b Backend) {
	s := loaded(t, b)
	tests := []struct {
		text  string
		kinds []graph.Kind
		first string
	}{
		{"smic", nil, "smic"},
		{"camb", nil, "cambricon"},     // prefix
		{"cambrcon", nil, "cambricon"}, // typo
		{"sk hynex", nil, "sk-hynix"},  // typo with space
		{"华为", nil, "huawei"},          // Chinese
		{"ascend", []graph.Kind{graph.KindChip}, "ascend-910b"},
		{"910c", nil, "ascend-910c"}, // substring
	}
	for _, tt := range tests {
		got, err := s.Search(ctx, tt.text, tt.kinds, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].Entity.ID != tt.first {
			var ids []string
			for _, m := range got {
				ids = append(ids, fmt.Sprintf("%s(%.0f)", m.Entity.ID, m.Score))
			}
			t.Errorf("Search(%q) = %v, want %s first", tt.text, ids, tt.first)
		}
		for _, m := range got {
			if len(tt.kinds) > 0 && !slices.Contains(tt.kinds, m.Entity.Kind) {
				t.Errorf("Search(%q, %v) returned a %s", tt.text, tt.kinds, m.Entity.Kind)
			}
		}
	}
	if got, _ := s.Search(ctx, "ascend", nil, 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d", len(got))
	}
	_, err := s.Search(ctx, " ", nil, 5)
	wantCode(t, err, graph.CodeInvalid)
}

func testEntities(t *testing.T, b Backend) {
	s := loaded(t, b)
	got, _ := s.Entities(ctx, graph.EntityFilter{Kinds: []graph.Kind{graph.KindChip}})
	if ids := entityIDs(got); !slices.Equal(ids, []string{"ascend-910b", "ascend-910c"}) {
		t.Errorf("chips = %v", ids)
	}
	got, _ = s.Entities(ctx, graph.EntityFilter{Kinds: []graph.Kind{graph.KindCompany}, Countries: []string{"KR"}})
	if ids := entityIDs(got); !slices.Equal(ids, []string{"sk-hynix"}) {
		t.Errorf("KR companies = %v", ids)
	}
	got, _ = s.Entities(ctx, graph.EntityFilter{})
	if len(got) != len(Fixture().Entities) || !slices.IsSorted(entityIDs(got)) {
		t.Errorf("all entities: %v", entityIDs(got))
	}
}

func testRelations(t *testing.T, b Backend) {
	s := loaded(t, b)
	tests := []struct {
		name string
		f    graph.RelationFilter
		want []string
	}{
		{"memory supply", graph.RelationFilter{Types: []graph.RelationType{graph.Supplies}, Category: "memory"},
			[]string{"sk-hynix--supplies--huawei"}},
		{"designs by hisilicon", graph.RelationFilter{Types: []graph.RelationType{graph.Designs}, From: "hisilicon"},
			[]string{"hisilicon--designs--ascend-910b", "hisilicon--designs--ascend-910c"}},
		{"into huawei", graph.RelationFilter{Entity: "huawei", Direction: graph.In},
			[]string{"cambricon--competes-with--huawei", "entity-list-huawei-2019--targets--huawei", "hisilicon--subsidiary-of--huawei", "sk-hynix--supplies--huawei"}},
		{"out of huawei", graph.RelationFilter{Entity: "huawei", Direction: graph.Out},
			[]string{"huawei--designs--cloudmatrix-384"}},
		{"asOf 2022 drops ended supply, a relation not yet begun and one with no validFrom", graph.RelationFilter{Entity: "huawei", AsOf: graph.MustDate("2022")},
			[]string{"entity-list-huawei-2019--targets--huawei", "hisilicon--subsidiary-of--huawei"}},
		{"asOf 2025-06 keeps open-ended and first-reported relations", graph.RelationFilter{Entity: "huawei", AsOf: graph.MustDate("2025-06")},
			[]string{"entity-list-huawei-2019--targets--huawei", "hisilicon--subsidiary-of--huawei", "huawei--designs--cloudmatrix-384"}},
		{"asOf 2020 month precision", graph.RelationFilter{Types: []graph.RelationType{graph.Supplies}, AsOf: graph.MustDate("2020-09-30")},
			[]string{"sk-hynix--supplies--huawei"}},
		{"asOf before validFrom", graph.RelationFilter{To: "ascend-910c", AsOf: graph.MustDate("2025-03")},
			[]string{"hisilicon--designs--ascend-910c"}},
		{"from and to", graph.RelationFilter{From: "smic", To: "ascend-910b"}, []string{"smic--fabricates--ascend-910b"}},
		{"unknown endpoint", graph.RelationFilter{From: "ghost"}, nil},
		{"status", graph.RelationFilter{Statuses: []graph.Status{graph.StatusEnded}}, []string{"sk-hynix--supplies--huawei"}},
	}
	for _, tt := range tests {
		got, err := s.Relations(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if ids := relationIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("%s: Relations = %v, want %v", tt.name, ids, tt.want)
		}
	}
	all, _ := s.Relations(ctx, graph.RelationFilter{})
	if len(all) != len(Fixture().Relations) || !slices.IsSorted(relationIDs(all)) {
		t.Errorf("all relations unsorted or incomplete: %v", relationIDs(all))
	}
}

func testSubgraph(t *testing.T, b Backend) {
	s := loaded(t, b)
	tests := []struct {
		name      string
		sel       graph.Selection
		entities  []string // in the order reached (see graph.Subgraph)
		relations int
		truncated bool
	}{
		{"seed only", graph.Selection{Seeds: []string{"smic"}}, []string{"smic"}, 0, false},
		{"1 hop", graph.Selection{Seeds: []string{"smic"}, Hops: 1}, []string{"smic", "ascend-910b"}, 1, false},
		{"2 hops", graph.Selection{Seeds: []string{"smic"}, Hops: 2}, []string{"smic", "ascend-910b", "hisilicon"}, 2, false},
		{"3 hops out only", graph.Selection{Seeds: []string{"hisilicon"}, Hops: 3, Direction: graph.Out},
			[]string{"hisilicon", "ascend-910b", "ascend-910c", "huawei", "cloudmatrix-384"}, 5, false},
		{"types", graph.Selection{Seeds: []string{"huawei"}, Hops: 1, Types: []graph.RelationType{graph.Targets}},
			[]string{"huawei", "entity-list-huawei-2019"}, 1, false},
		{"kinds", graph.Selection{Seeds: []string{"huawei"}, Hops: 2, Kinds: []graph.Kind{graph.KindCompany}},
			[]string{"huawei", "cambricon", "hisilicon", "sk-hynix"}, 3, false},
		{"asOf", graph.Selection{Seeds: []string{"sk-hynix"}, Hops: 1, AsOf: graph.MustDate("2023")}, []string{"sk-hynix"}, 0, false},
		{"limit", graph.Selection{Seeds: []string{"huawei"}, Hops: 1, Limit: 3}, nil, -1, true},
		{"whole graph by kind", graph.Selection{Kinds: []graph.Kind{graph.KindChip, graph.KindSystem}},
			[]string{"ascend-910b", "ascend-910c", "cloudmatrix-384"}, 1, false},
		{"whole graph countries", graph.Selection{Countries: []string{"KR", "US"}}, []string{"bis", "sk-hynix"}, 0, false},
	}
	for _, tt := range tests {
		g, err := s.Subgraph(ctx, tt.sel)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.entities != nil && !slices.Equal(entityIDs(g.Entities), tt.entities) {
			t.Errorf("%s: entities %v, want %v", tt.name, entityIDs(g.Entities), tt.entities)
		}
		if tt.relations >= 0 && len(g.Relations) != tt.relations {
			t.Errorf("%s: relations %v, want %d", tt.name, relationIDs(g.Relations), tt.relations)
		}
		if g.Truncated != tt.truncated {
			t.Errorf("%s: truncated = %v", tt.name, g.Truncated)
		}
		if tt.sel.Limit > 0 && len(g.Entities) > tt.sel.Limit {
			t.Errorf("%s: %d entities over limit %d", tt.name, len(g.Entities), tt.sel.Limit)
		}
		in := map[string]bool{}
		for _, e := range g.Entities {
			in[e.ID] = true
		}
		for _, r := range g.Relations {
			if !in[r.From] || !in[r.To] {
				t.Errorf("%s: relation %s leaves the subgraph", tt.name, r.ID)
			}
		}
		// NoRelations: the same entities in the same order, and no relations.
		sel := tt.sel
		sel.NoRelations = true
		bare, err := s.Subgraph(ctx, sel)
		if err != nil {
			t.Fatalf("%s, no relations: %v", tt.name, err)
		}
		if !slices.Equal(entityIDs(bare.Entities), entityIDs(g.Entities)) || len(bare.Relations) != 0 || bare.Truncated != g.Truncated {
			t.Errorf("%s, no relations: entities %v, %d relations, truncated %v; want %v, 0, %v",
				tt.name, entityIDs(bare.Entities), len(bare.Relations), bare.Truncated, entityIDs(g.Entities), g.Truncated)
		}
	}
	_, err := s.Subgraph(ctx, graph.Selection{Seeds: []string{"ghost"}})
	wantCode(t, err, graph.CodeNotFound)
	_, err = s.Subgraph(ctx, graph.Selection{Seeds: []string{"smic"}, Hops: -1})
	wantCode(t, err, graph.CodeInvalid)
}

func testPaths(t *testing.T, b Backend) {
	s := loaded(t, b)
	paths, err := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 4, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no path from sk-hynix to cloudmatrix-384")
	}
	first := entityIDs(paths[0].Entities)
	if want := []string{"sk-hynix", "huawei", "cloudmatrix-384"}; !slices.Equal(first, want) {
		t.Errorf("shortest path %v, want %v", first, want)
	}
	for i, p := range paths {
		if len(p.Relations) != len(p.Entities)-1 {
			t.Fatalf("path %d: %d relations for %d entities", i, len(p.Relations), len(p.Entities))
		}
		for j, r := range p.Relations {
			a, c := p.Entities[j].ID, p.Entities[j+1].ID
			if !(r.From == a && r.To == c) && !(r.From == c && r.To == a) {
				t.Errorf("path %d step %d: relation %s does not join %s and %s", i, j, r.ID, a, c)
			}
		}
		if i > 0 && len(p.Relations) < len(paths[i-1].Relations) {
			t.Errorf("paths not shortest first: %d after %d", len(p.Relations), len(paths[i-1].Relations))
		}
		seen := map[string]bool{}
		for _, e := range p.Entities {
			if seen[e.ID] {
				t.Errorf("path %d revisits %s", i, e.ID)
			}
			seen[e.ID] = true
		}
	}
	if len(paths) < 2 {
		t.Errorf("want a second, longer path (via hisilicon), got %d", len(paths))
	}
	// Following direction: sk-hynix -> huawei <- ... nothing leads out of huawei to cloudmatrix except DESIGNS.
	out, _ := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 4, K: 5, Direction: graph.Out})
	if len(out) != 1 || len(out[0].Relations) != 2 {
		t.Errorf("OUT paths = %d", len(out))
	}
	// asOf 2022: the supply had ended, so no path through it.
	none, _ := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 4, K: 5, AsOf: graph.MustDate("2022")})
	if len(none) != 0 {
		t.Errorf("asOf 2022: %d paths, want 0", len(none))
	}
	one, _ := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 1, K: 5})
	if len(one) != 0 {
		t.Errorf("maxHops 1: %d paths", len(one))
	}
	_, err = s.Paths(ctx, graph.PathQuery{From: "smic", To: "huawei", MaxHops: 7, K: 1})
	wantCode(t, err, graph.CodeInvalid)
	_, err = s.Paths(ctx, graph.PathQuery{From: "smic", To: "ghost", MaxHops: 3, K: 1})
	wantCode(t, err, graph.CodeNotFound)
}

func testUpdate(t *testing.T, b Backend) {
	s := loaded(t, b)
	e, _ := s.Entity(ctx, "cambricon")
	old := *e
	upd := old
	upd.Name = "Cambricon"
	upd.Aliases = []string{"中科寒武纪"}
	res, err := s.Apply(ctx, graph.Batch{Entities: []graph.Entity{upd}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 {
		t.Errorf("Apply(update) = %+v", res)
	}
	if got, _ := s.Resolve(ctx, "寒武纪"); len(got) != 0 {
		t.Errorf("old alias still resolves: %v", entityIDs(got))
	}
	if got, _ := s.Resolve(ctx, "中科寒武纪"); !slices.Equal(entityIDs(got), []string{"cambricon"}) {
		t.Errorf("new alias: %v", entityIDs(got))
	}
	// The old value handed out before stays as it was.
	if e.Name != old.Name {
		t.Errorf("a returned entity changed under the caller")
	}
	// Relations survive an entity update.
	rels, _ := s.Relations(ctx, graph.RelationFilter{Entity: "cambricon"})
	if len(rels) != 1 {
		t.Errorf("relations after update: %v", relationIDs(rels))
	}
	// Moving a relation's endpoint.
	r, _ := s.Relation(ctx, "cambricon--competes-with--huawei")
	moved := *r
	moved.To = "smic"
	if _, err := s.Apply(ctx, graph.Batch{Relations: []graph.Relation{moved}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Relations(ctx, graph.RelationFilter{Entity: "huawei", Types: []graph.RelationType{graph.CompetesWith}}); len(got) != 0 {
		t.Errorf("moved relation still at huawei")
	}
	if got, _ := s.Relations(ctx, graph.RelationFilter{To: "smic"}); !slices.Equal(relationIDs(got), []string{"cambricon--competes-with--huawei"}) {
		t.Errorf("moved relation not at smic: %v", relationIDs(got))
	}
}

func testDelete(t *testing.T, b Backend) {
	s := loaded(t, b)
	_, err := s.Apply(ctx, graph.Batch{DeleteEntities: []string{"smic"}})
	wantCode(t, err, graph.CodeConflict)
	_, err = s.Apply(ctx, graph.Batch{DeleteEntities: []string{"ghost"}})
	wantCode(t, err, graph.CodeNotFound)
	_, err = s.Apply(ctx, graph.Batch{DeleteSources: []string{"s2"}})
	wantCode(t, err, graph.CodeConflict)

	res, err := s.Apply(ctx, graph.Batch{DeleteEntities: []string{"smic", "smic-n2"}, Cascade: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 3 {
		t.Errorf("cascade delete = %+v, want 3 deleted", res)
	}
	if _, err := s.Relation(ctx, "smic--fabricates--ascend-910b"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("cascaded relation still there: %v", err)
	}
	if got, _ := s.Resolve(ctx, "中芯国际"); len(got) != 0 {
		t.Errorf("deleted entity still resolves")
	}
	if got, _ := s.Relations(ctx, graph.RelationFilter{To: "ascend-910b"}); len(got) != 1 {
		t.Errorf("ascend-910b relations: %v", relationIDs(got))
	}
	if _, err := s.Apply(ctx, graph.Batch{DeleteRelations: []string{"hisilicon--designs--ascend-910b"}}); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	fx := Fixture()
	if st.Entities != len(fx.Entities)-2 || st.Relations != len(fx.Relations)-2 {
		t.Errorf("after deletes: %+v", st)
	}
}

func allQuads(t *testing.T, s graph.Store) []quad.Quad {
	t.Helper()
	var out []quad.Quad
	if err := s.Quads(ctx, func(q quad.Quad) error { out = append(out, q); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func testQuadsRoundTrip(t *testing.T, b Backend) {
	s := loaded(t, b)
	qs := allQuads(t, s)
	st, _ := s.Stats(ctx)
	if len(qs) != st.Quads {
		t.Errorf("Quads gave %d, Stats.Quads = %d", len(qs), st.Quads)
	}
	batch, err := graph.BatchFromQuads(qs)
	if err != nil {
		t.Fatal(err)
	}
	s2 := open(t, b)
	if _, err := s2.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if qs2 := allQuads(t, s2); !reflect.DeepEqual(qs, qs2) {
		t.Errorf("quads differ after round trip: %d vs %d", len(qs), len(qs2))
	}
}

func testReopen(t *testing.T, b Backend) {
	if b.Reopen == nil {
		t.Skip("backend does not persist")
	}
	s := b.Open(t)
	if _, err := s.Apply(ctx, Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, graph.Batch{DeleteRelations: []string{"cambricon--competes-with--huawei"}}); err != nil {
		t.Fatal(err)
	}
	// An update that drops aliases and a delete in one batch: on bbolt,
	// cayley mis-writes such batches unless the store works around it.
	smic, _ := s.Entity(ctx, "smic")
	upd := *smic
	upd.Name, upd.Aliases = "SMIC", nil
	if _, err := s.Apply(ctx, graph.Batch{Entities: []graph.Entity{upd}, DeleteRelations: []string{"hisilicon--designs--ascend-910c"}}); err != nil {
		t.Fatal(err)
	}
	wantQuads := allQuads(t, s)
	wantStats, _ := s.Stats(ctx)
	wantSMIC, _ := s.Entity(ctx, "smic")
	s = b.Reopen(t, s)
	defer s.Close()
	gotStats, _ := s.Stats(ctx)
	wantStats.Version, gotStats.Version = 0, 0
	if !reflect.DeepEqual(gotStats, wantStats) {
		t.Errorf("stats after reopen %+v, want %+v", gotStats, wantStats)
	}
	if got := allQuads(t, s); !reflect.DeepEqual(got, wantQuads) {
		t.Errorf("quads differ after reopen")
	}
	got, err := s.Entity(ctx, "smic")
	if err != nil || !reflect.DeepEqual(got, wantSMIC) {
		t.Errorf("smic after reopen = %+v, %v", got, err)
	}
	if paths, _ := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 3, K: 1}); len(paths) != 1 {
		t.Errorf("paths after reopen: %d", len(paths))
	}
	if src, err := s.Source(ctx, "s3"); err != nil || !src.Undated || !src.Published.IsZero() {
		t.Errorf("undated source after reopen = %+v, %v", src, err)
	}
}

// testConcurrent runs writers and readers together; under -race it checks
// that the store is safe for concurrent use.
func testConcurrent(t *testing.T, b Backend) {
	s := loaded(t, b)
	const writers, readers, rounds = 2, 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds+readers*rounds)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				id := fmt.Sprintf("co-%d-%d", w, i)
				_, err := s.Apply(ctx, graph.Batch{
					Entities:  []graph.Entity{{ID: id, Kind: graph.KindCompany, Name: "Co " + id, Sources: []string{"s1"}}},
					Relations: []graph.Relation{{Type: graph.CustomerOf, From: id, To: "huawei", Status: graph.StatusReported, Sources: []string{"s1"}}},
				})
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if _, err := s.Subgraph(ctx, graph.Selection{Seeds: []string{"huawei"}, Hops: 2}); err != nil {
					errs <- err
				}
				if _, err := s.Paths(ctx, graph.PathQuery{From: "smic", To: "huawei", MaxHops: 4, K: 3}); err != nil {
					errs <- err
				}
				if _, err := s.Search(ctx, "co", nil, 10); err != nil {
					errs <- err
				}
				if _, err := s.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.CustomerOf}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rels, _ := s.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.CustomerOf}})
	if len(rels) != writers*rounds {
		t.Errorf("%d CUSTOMER_OF relations, want %d", len(rels), writers*rounds)
	}
}

// testApplyCopiesBatch edits every slice of a batch after Apply: the store
// must have kept its own copy.
func testApplyCopiesBatch(t *testing.T, b Backend) {
	s := open(t, b)
	fx := Fixture()
	if _, err := s.Apply(ctx, fx); err != nil {
		t.Fatal(err)
	}
	want := Fixture()
	smic := &fx.Entities[2]
	smic.Name = "changed"
	smic.Aliases[0] = "changed"
	smic.Sources[0] = "changed"
	smic.Attributes[0].Value = "0"
	smic.Attributes[0].Sources[0] = "changed"
	smic.ExternalIDs[0].Value = "changed"
	fab := &fx.Relations[3]
	fab.ID, fab.Status = "changed", graph.StatusDisputed
	fab.Properties[0].Value = "changed"
	fab.Sources[0] = "changed"
	fx.Sources[0].Title = "changed"
	fx.Entities[0] = graph.Entity{ID: "changed"}
	fx.Relations[0] = graph.Relation{ID: "changed"}
	if e, err := s.Entity(ctx, "smic"); err != nil || !reflect.DeepEqual(*e, want.Entities[2]) {
		t.Errorf("after editing the batch, smic = %+v, %v\nwant %+v", e, err, want.Entities[2])
	}
	if e, err := s.Entity(ctx, "huawei"); err != nil || !reflect.DeepEqual(*e, want.Entities[0]) {
		t.Errorf("after editing the batch, huawei = %+v, %v", e, err)
	}
	r, err := s.Relation(ctx, "smic--fabricates--ascend-910b")
	if err != nil || r.Status != graph.StatusReported || r.Properties[0].Value != "smic-n2" || r.Sources[0] != "s1" {
		t.Errorf("after editing the batch, the relation = %+v, %v", r, err)
	}
	if src, err := s.Source(ctx, "s1"); err != nil || src.Title != want.Sources[0].Title {
		t.Errorf("after editing the batch, s1 = %+v, %v", src, err)
	}
}

// testViewPinsRevision checks revisions: each write that changes something
// moves the revision on, a view keeps answering from its own, and a
// pinned context reads its own writes.
func testViewPinsRevision(t *testing.T, b Backend) {
	s := loaded(t, b)
	v1 := s.View()
	r1 := v1.Revision()
	if r1 == 0 || r1 != s.Version() {
		t.Fatalf("revision after a write = %d (Version %d), want the same non-zero", r1, s.Version())
	}
	if _, err := s.Apply(ctx, Fixture()); err != nil {
		t.Fatal(err)
	}
	if s.Version() != r1 {
		t.Errorf("a write that changed nothing moved the revision %d -> %d", r1, s.Version())
	}
	pinned := graph.Pin(ctx, s)
	add := graph.Batch{Entities: []graph.Entity{{ID: "new-co", Kind: graph.KindCompany, Name: "New Co", Sources: []string{"s1"}}}}
	if _, err := s.Apply(ctx, add); err != nil {
		t.Fatal(err)
	}
	if s.Version() <= r1 {
		t.Errorf("revision did not grow with a write: %d -> %d", r1, s.Version())
	}
	if _, err := v1.Entity(ctx, "new-co"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("the view at revision %d sees a later write: %v", r1, err)
	}
	if _, err := s.Entity(pinned, "new-co"); graph.ErrorCode(err) != graph.CodeNotFound {
		t.Errorf("a context pinned before a write sees it: %v", err)
	}
	if _, err := s.Entity(ctx, "new-co"); err != nil {
		t.Errorf("the store does not see its latest write: %v", err)
	}
	// A write through the pinned context moves the pin: read your writes.
	more := graph.Batch{Entities: []graph.Entity{{ID: "newer-co", Kind: graph.KindCompany, Name: "Newer Co", Sources: []string{"s1"}}}}
	if _, err := s.Apply(pinned, more); err != nil {
		t.Fatal(err)
	}
	if v, ok := graph.Pinned(pinned, s); !ok || v.Revision() != s.Version() {
		t.Errorf("after a write through it the pin is at %v, want %d", v, s.Version())
	}
	for _, id := range []string{"new-co", "newer-co"} {
		if _, err := s.Entity(pinned, id); err != nil {
			t.Errorf("after writing through the pinned context, %s: %v", id, err)
		}
	}
	if st, _ := v1.Stats(ctx); st.Entities != len(Fixture().Entities) || st.Version != r1 {
		t.Errorf("stats of the old view = %+v", st)
	}
}

// testReadersNeverSeeHalfABatch writes batches that rename a group of
// entities and move relations together while readers check, through
// views, pinned contexts and single calls, that every answer shows one
// batch whole.
func testReadersNeverSeeHalfABatch(t *testing.T, b Backend) {
	s := open(t, b)
	const group = 20
	src := []string{"s1"}
	batch := func(gen int) graph.Batch {
		bt := graph.Batch{Sources: []graph.Source{{Key: "s1", Title: "T", URL: "https://example.org/", Publisher: "P", Published: graph.MustDate("2024")}}}
		bt.Entities = append(bt.Entities, graph.Entity{ID: "hub", Kind: graph.KindCompany, Name: "Hub", Sources: src})
		for i := range group {
			bt.Entities = append(bt.Entities, graph.Entity{ID: fmt.Sprintf("e%d", i), Kind: graph.KindCompany,
				Name: fmt.Sprintf("gen %d", gen), Sources: src})
			// Odd generations link the even members, even ones the odd.
			if i%2 == gen%2 {
				bt.Relations = append(bt.Relations, graph.Relation{ID: fmt.Sprintf("r%d", i), Type: graph.CustomerOf,
					From: fmt.Sprintf("e%d", i), To: "hub", Status: graph.StatusReported, Sources: src})
			}
		}
		if gen > 0 {
			for i := range group {
				if i%2 != gen%2 {
					bt.DeleteRelations = append(bt.DeleteRelations, fmt.Sprintf("r%d", i))
				}
			}
		}
		return bt
	}
	if _, err := s.Apply(ctx, batch(0)); err != nil {
		t.Fatal(err)
	}
	// check returns a description of what is inconsistent in one answer.
	check := func(ents []*graph.Entity, rels []*graph.Relation) string {
		names := map[string]bool{}
		for _, e := range ents {
			if e.ID != "hub" {
				names[e.Name] = true
			}
		}
		if len(names) != 1 {
			return fmt.Sprintf("names of two batches: %v", names)
		}
		var gen int
		for n := range names {
			fmt.Sscanf(n, "gen %d", &gen)
		}
		if len(rels) != group/2 {
			return fmt.Sprintf("%d relations, want %d", len(rels), group/2)
		}
		for _, r := range rels {
			var i int
			fmt.Sscanf(r.ID, "r%d", &i)
			if i%2 != gen%2 {
				return fmt.Sprintf("relation %s with names of generation %d", r.ID, gen)
			}
		}
		return ""
	}
	const rounds = 30
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for gen := 1; gen <= rounds; gen++ {
			if _, err := s.Apply(ctx, batch(gen)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	problems := make(chan string, 100)
	report := func(what, p string) {
		select {
		case problems <- what + ": " + p:
		default:
		}
	}
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				switch r {
				case 0: // one call sees one batch
					g, err := s.Subgraph(ctx, graph.Selection{Seeds: []string{"hub"}, Hops: 1})
					if err == nil {
						var members []*graph.Entity
						for _, e := range g.Entities {
							if e.ID != "hub" {
								members = append(members, e)
							}
						}
						if len(members) > 0 {
							names := map[string]bool{}
							for _, e := range members {
								names[e.Name] = true
							}
							if len(names) != 1 || len(g.Relations) != group/2 {
								report("Subgraph", fmt.Sprintf("names %v, %d relations", names, len(g.Relations)))
							}
						}
					}
				case 1: // a view sees one batch over many calls
					v := s.View()
					ents, err1 := v.Entities(ctx, graph.EntityFilter{})
					rels, err2 := v.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.CustomerOf}})
					if err1 == nil && err2 == nil {
						if p := check(ents, rels); p != "" {
							report("View", p)
						}
					}
				case 2: // so does a pinned context
					pc := graph.Pin(ctx, s)
					ents, err1 := s.Entities(pc, graph.EntityFilter{})
					rels, err2 := s.Relations(pc, graph.RelationFilter{Entity: "hub"})
					if err1 == nil && err2 == nil {
						if p := check(ents, rels); p != "" {
							report("Pin", p)
						}
					}
				}
			}
		}(r)
	}
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
}

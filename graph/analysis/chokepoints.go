package analysis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/chipgraph/chipgraph/graph"
)

// Chokepoints: which entities the supply of China's AI chips and systems
// hangs on.
//
// The measure is a knock-out cascade over the supply subgraph. Each
// supply-chain relation makes one entity an input provider of another: a
// designer or foundry of a chip, a component of a product, a supplier of a
// company in one category (memory, equipment, eda, ...). An entity needs
// every kind of input it has (its designer AND its foundry AND each of its
// components), and any one provider of a kind will do (SMIC OR TSMC as
// foundry). A company takes part in two roles, each with its own inputs:
// as a fab (equipment and materials) and as a designer (foundry services,
// EDA, IP, memory, packaging, software, purchases); a foundry with no
// equipment supplier left stops making chips, but its designs stand.
// Removing an entity removes all it provides; an entity (or role) left
// without every provider of some kind of input fails too, and so on
// downstream. An entity's score is the share of China's AI chips and
// systems (CHIP and SYSTEM entities of country CN, or designed by a CN
// entity when they have no country) that fail when it is removed, itself
// excepted; its dependents are those chips and systems.
//
// Betweenness counts shortest paths, which mean nothing in a supply chain
// (a chip needs all its inputs, not the shortest route to one), and
// dominators treat every incoming path as a substitute for the others, so a
// chip's designer would make its sole foundry look dispensable. The
// cascade keeps both the ANDs and the ORs. It reflects the supply the graph
// records: a sole recorded supplier looks critical even where unrecorded
// ones exist. It costs one cascade per provider, so it is computed once
// per store version and query and cached.

// ChokepointTypes are the relation types the cascade may follow;
// DefaultChokepointTypes is its default.
var (
	ChokepointTypes        = []graph.RelationType{graph.Designs, graph.Fabricates, graph.Supplies, graph.UsesComponent, graph.CustomerOf, graph.RunsOn}
	DefaultChokepointTypes = []graph.RelationType{graph.Designs, graph.Fabricates, graph.Supplies, graph.UsesComponent}
)

// ChokepointQuery selects the supply subgraph (relations of Types, default
// DefaultChokepointTypes, valid on AsOf; of SUPPLIES only Category when
// given) and the chokepoints to return: of Kinds (all when empty), at most
// First (0: all).
type ChokepointQuery struct {
	Category string
	Types    []graph.RelationType
	Kinds    []graph.Kind
	AsOf     graph.Date
	First    int
}

// Chokepoint is an entity whose removal cuts off Dependents, China's AI
// chips and systems; Score is their share of all such chips and systems.
type Chokepoint struct {
	Entity     *graph.Entity
	Score      float64
	Dependents []*graph.Entity
}

// ChokepointResult is a ranking with what it was computed from.
type ChokepointResult struct {
	Chokepoints []Chokepoint
	Targets     int    // China's AI chips and systems in the graph
	Version     uint64 // the store revision it was computed at
}

// Chokepoints returns the entities whose removal cuts off the most of
// China's AI chips and systems, most first (then by id). Only entities
// cutting off at least one are listed. A category other than the SUPPLIES
// categories, or a type the cascade does not follow, is CodeInvalid.
func (a *Analyzer) Chokepoints(ctx context.Context, q ChokepointQuery) (*ChokepointResult, error) {
	if q.Category != "" && !slices.Contains(graph.SupplyCategories, q.Category) {
		return nil, graph.Errorf(graph.CodeInvalid, "category", "unknown category %q: want one of %s", q.Category, strings.Join(graph.SupplyCategories, ", "))
	}
	types := slices.Clone(q.Types)
	if len(types) == 0 {
		types = slices.Clone(DefaultChokepointTypes)
	}
	if err := checkTypes("types", types, ChokepointTypes); err != nil {
		return nil, err
	}
	slices.Sort(types)
	types = slices.Compact(types)
	key := chokeKey{category: q.Category, types: fmt.Sprint(types), asOf: q.AsOf}
	all, err := a.choke.get(ctx, a.r, key, func() (*ChokepointResult, error) {
		return computeChokepoints(ctx, a.r, q.Category, types, q.AsOf)
	})
	if err != nil {
		return nil, err
	}
	res := &ChokepointResult{Targets: all.Targets, Version: all.Version}
	for _, c := range all.Chokepoints {
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, c.Entity.Kind) {
			continue
		}
		if q.First > 0 && len(res.Chokepoints) >= q.First {
			break
		}
		res.Chokepoints = append(res.Chokepoints, c)
	}
	return res, nil
}

// chokeKey is what a cached ranking depends on besides the store version.
type chokeKey struct {
	category string
	types    string
	asOf     graph.Date
}

// chokeCache keeps rankings of the current store version. One ranking is
// computed at a time (sem), by a caller whose context bounds it; callers
// waiting for it give up when their own context is done.
type chokeCache struct {
	sem     chan struct{}
	mu      sync.Mutex
	version uint64
	entries map[chokeKey]*ChokepointResult
}

// maxChokeEntries bounds the rankings kept for one version.
const maxChokeEntries = 32

func newChokeCache() chokeCache {
	return chokeCache{sem: make(chan struct{}, 1), entries: map[chokeKey]*ChokepointResult{}}
}

func (c *chokeCache) lookup(v uint64, k chokeKey) *ChokepointResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		c.version = v
		clear(c.entries)
	}
	return c.entries[k]
}

func (c *chokeCache) get(ctx context.Context, r Reader, k chokeKey, compute func() (*ChokepointResult, error)) (*ChokepointResult, error) {
	if res := c.lookup(r.Revision(ctx), k); res != nil {
		return res, nil
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	v := r.Revision(ctx)
	if res := c.lookup(v, k); res != nil {
		return res, nil // computed while this caller waited
	}
	res, err := compute()
	if err != nil {
		return nil, err
	}
	if res.Version != v {
		return res, nil // a write landed meanwhile: right for this caller, not for the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == v {
		if len(c.entries) >= maxChokeEntries {
			clear(c.entries)
		}
		c.entries[k] = res
	}
	return res, nil
}

// supplyGraph is the supply subgraph in integer form. Node i < n is entity
// i as a whole, n+i its fab role, 2n+i its designer role (see roles). Each
// dependent node's kinds of input are groups, each with a count of
// providers.
type supplyGraph struct {
	entities []*graph.Entity
	groupOf  []int32   // group -> dependent node
	size     []int32   // group -> number of providers
	provides [][]int32 // node -> groups it is a provider in
	target   []bool    // entity -> one of China's AI chips and systems
}

func computeChokepoints(ctx context.Context, r Reader, category string, types []graph.RelationType, asOf graph.Date) (*ChokepointResult, error) {
	version := r.Revision(ctx)
	entities, err := r.Entities(ctx, graph.EntityFilter{})
	if err != nil {
		return nil, err
	}
	rels, err := r.Relations(ctx, graph.RelationFilter{Types: types, AsOf: asOf})
	if err != nil {
		return nil, err
	}
	// Unless ctx pins one revision (graph.Pin), entities and relations may
	// come from different ones if a write lands in between: relations to
	// unknown entities are skipped, and the result is then not cached.
	if r.Revision(ctx) != version {
		version = 0
	}
	designs := rels
	if !slices.Contains(types, graph.Designs) {
		// Who designs what decides which chips are China's, whatever the
		// cascade follows.
		if designs, err = r.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.Designs}, AsOf: asOf}); err != nil {
			return nil, err
		}
	}
	g := buildSupplyGraph(entities, rels, designs, category)
	res := &ChokepointResult{Version: version}
	for _, t := range g.target {
		if t {
			res.Targets++
		}
	}
	n := len(g.entities)
	failedAt := make([]int32, 3*n) // entity + 1 when failed in its cascade
	left := slices.Clone(g.size)
	var touched []int32 // groups whose left was decremented
	var queue []int32
	for d := range n {
		if d%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		roles := []int32{int32(d), int32(n + d), int32(2*n + d)}
		if len(g.provides[d])+len(g.provides[n+d])+len(g.provides[2*n+d]) == 0 {
			continue
		}
		mark := int32(d + 1)
		queue = queue[:0]
		for _, r := range roles {
			failedAt[r] = mark
			queue = append(queue, r)
		}
		var cut []int32
		for len(queue) > 0 {
			f := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for _, grp := range g.provides[f] {
				if left[grp] == g.size[grp] {
					touched = append(touched, grp)
				}
				left[grp]--
				if left[grp] > 0 {
					continue
				}
				dep := g.groupOf[grp]
				if failedAt[dep] == mark {
					continue
				}
				failedAt[dep] = mark
				queue = append(queue, dep)
				if int(dep) < n && g.target[dep] {
					cut = append(cut, dep)
				}
			}
		}
		for _, grp := range touched {
			left[grp] = g.size[grp]
		}
		touched = touched[:0]
		if len(cut) == 0 {
			continue
		}
		c := Chokepoint{Entity: g.entities[d], Score: float64(len(cut)) / float64(max(res.Targets, 1))}
		c.Dependents = make([]*graph.Entity, len(cut))
		for i, x := range cut {
			c.Dependents[i] = g.entities[x]
		}
		slices.SortFunc(c.Dependents, func(a, b *graph.Entity) int { return cmp.Compare(a.ID, b.ID) })
		res.Chokepoints = append(res.Chokepoints, c)
	}
	slices.SortFunc(res.Chokepoints, func(a, b Chokepoint) int {
		return cmp.Or(cmp.Compare(len(b.Dependents), len(a.Dependents)), cmp.Compare(a.Entity.ID, b.Entity.ID))
	})
	return res, nil
}

// roleful kinds take part in supply as a fab and as a designer; other
// entities (products) as a whole.
var roleful = map[graph.Kind]bool{graph.KindCompany: true, graph.KindResearchOrg: true, graph.KindGovernmentBody: true, graph.KindFund: true}

// fabInputs are the SUPPLIES categories a company needs as a fab; it needs
// the others as a designer.
var fabInputs = map[string]bool{"equipment": true, "materials": true}

func buildSupplyGraph(entities []*graph.Entity, rels, designs []*graph.Relation, category string) *supplyGraph {
	n := int32(len(entities))
	g := &supplyGraph{entities: entities, provides: make([][]int32, 3*n), target: make([]bool, n)}
	index := make(map[string]int32, n)
	for i, e := range entities {
		index[e.ID] = int32(i)
	}
	fab := func(i int32) int32 {
		if roleful[entities[i].Kind] {
			return n + i
		}
		return i
	}
	design := func(i int32) int32 {
		if roleful[entities[i].Kind] {
			return 2*n + i
		}
		return i
	}
	// A kind of input: a role name, or for components the component.
	const (
		designer int32 = -1 - iota
		foundry
		purchase
		platform
		supplyBase // supplyBase - i: SUPPLIES of category i
	)
	type groupKey struct{ dep, kind int32 }
	groups := make(map[groupKey]int32, len(rels))
	type member struct{ provider, group int32 }
	seen := make(map[member]struct{}, len(rels))
	for _, r := range rels {
		from, ok1 := index[r.From]
		to, ok2 := index[r.To]
		if !ok1 || !ok2 || from == to {
			continue
		}
		var provider, dep, kind int32
		switch r.Type {
		case graph.Designs:
			provider, dep, kind = design(from), to, designer
		case graph.Fabricates:
			provider, dep, kind = fab(from), to, foundry
		case graph.Supplies:
			if category != "" && r.Category != category {
				continue
			}
			provider, dep, kind = from, design(to), supplyBase-int32(slices.Index(graph.SupplyCategories, r.Category))
			if r.Category == "foundry" {
				provider, kind = fab(from), foundry
			}
			if fabInputs[r.Category] {
				dep = fab(to)
			}
		case graph.UsesComponent:
			// Each component is needed: its own kind of input.
			provider, dep, kind = to, from, to
		case graph.CustomerOf:
			provider, dep, kind = to, design(from), purchase
		case graph.RunsOn:
			provider, dep, kind = to, from, platform
		default:
			continue
		}
		gk := groupKey{dep, kind}
		grp, ok := groups[gk]
		if !ok {
			grp = int32(len(g.groupOf))
			groups[gk] = grp
			g.groupOf = append(g.groupOf, dep)
			g.size = append(g.size, 0)
		}
		if m := (member{provider, grp}); !has(seen, m) {
			seen[m] = struct{}{}
			g.size[grp]++
			g.provides[provider] = append(g.provides[provider], grp)
		}
	}
	cnDesigned := map[int32]bool{}
	for _, r := range designs {
		from, ok1 := index[r.From]
		to, ok2 := index[r.To]
		if ok1 && ok2 && r.Type == graph.Designs && entities[from].Country == "CN" {
			cnDesigned[to] = true
		}
	}
	for i, e := range entities {
		if e.Kind == graph.KindChip || e.Kind == graph.KindSystem {
			g.target[i] = e.Country == "CN" || (e.Country == "" && cnDesigned[int32(i)])
		}
	}
	return g
}

func has[K comparable](m map[K]struct{}, k K) bool { _, ok := m[k]; return ok }

package analysis

import (
	"cmp"
	"context"
	"slices"

	"github.com/chipgraph/chipgraph/graph"
)

// upstream says, for each supply-chain relation type, which way an entity's
// dependencies lie: a chip depends on its designer and foundry (relations
// into it), a product on its components, a company on its parent, its
// suppliers and what it buys, software on what it runs on.
var upstream = map[graph.RelationType]graph.Direction{
	graph.Designs:       graph.In,
	graph.Fabricates:    graph.In,
	graph.Supplies:      graph.In,
	graph.UsesComponent: graph.Out,
	graph.SubsidiaryOf:  graph.Out,
	graph.CustomerOf:    graph.Out,
	graph.RunsOn:        graph.Out,
}

// ExposureTypes are the relation types exposure follows, and its default.
var ExposureTypes = []graph.RelationType{
	graph.Designs, graph.Fabricates, graph.Supplies, graph.UsesComponent,
	graph.SubsidiaryOf, graph.CustomerOf, graph.RunsOn,
}

// ExposureQuery asks which sanctions reach ID through its supply chain in
// at most MaxHops relations (the last one the sanction's TARGETS), along
// relations of Types (default ExposureTypes) valid on AsOf.
type ExposureQuery struct {
	ID      string
	AsOf    graph.Date
	MaxHops int
	Types   []graph.RelationType
}

// Exposure is one SANCTION or REGULATION reaching the entity: the shortest
// path to it (Path.Entities runs from the entity to the sanction), and
// among those the best established; Status is the weakest status on it
// (disputed is weaker than ended, ended than reported, reported than
// confirmed).
type Exposure struct {
	Sanction *graph.Entity
	Hops     int
	Path     graph.Path
	Status   graph.Status
}

// label is the best way found to reach a node: the fewest hops, then the
// least weak path, then the smallest relation id into it.
type label struct {
	n    *graph.Entity
	hops int
	weak int
	via  *graph.Relation // nil at the start
	prev *label
}

// Exposure returns the sanctions and regulations reaching q.ID, nearest
// first, then best established, then by id. An unknown ID is CodeNotFound;
// MaxHops outside 1..graph.MaxPathHops or a type exposure does not follow
// is CodeInvalid.
func (a *Analyzer) Exposure(ctx context.Context, q ExposureQuery) ([]Exposure, error) {
	if q.MaxHops < 1 || q.MaxHops > graph.MaxPathHops {
		return nil, graph.Errorf(graph.CodeInvalid, "maxHops", "maxHops must be between 1 and %d, not %d", graph.MaxPathHops, q.MaxHops)
	}
	types := q.Types
	if len(types) == 0 {
		types = ExposureTypes
	}
	if err := checkTypes("types", types, ExposureTypes); err != nil {
		return nil, err
	}
	var in, out []graph.RelationType
	for _, t := range types {
		if upstream[t] == graph.In {
			in = append(in, t)
		} else {
			out = append(out, t)
		}
	}
	start, err := a.r.Entity(ctx, q.ID)
	if err != nil {
		return nil, withPath(err, "id")
	}

	best := map[string]*label{q.ID: {n: start}}
	found := map[string]*label{} // sanction id -> its label
	frontier := []*label{best[q.ID]}
	steps := 0
	for hops := 0; hops < q.MaxHops && len(frontier) > 0; hops++ {
		var next []*label
		for _, l := range frontier {
			if steps++; steps%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			// Sanctions targeting this node end a path here.
			targets, err := a.r.Relations(ctx, graph.RelationFilter{To: l.n.ID, Types: []graph.RelationType{graph.Targets}, AsOf: q.AsOf})
			if err != nil {
				return nil, err
			}
			for _, r := range targets {
				s, err := a.r.Entity(ctx, r.From)
				if err != nil {
					return nil, err
				}
				if s.Kind != graph.KindSanction && s.Kind != graph.KindRegulation {
					continue
				}
				cand := &label{n: s, hops: hops + 1, weak: max(l.weak, weakness(r.Status)), via: r, prev: l}
				if better(cand, found[s.ID]) {
					found[s.ID] = cand
				}
			}
			if hops+1 >= q.MaxHops {
				continue // no room for a TARGETS after another step
			}
			for _, dir := range []struct {
				d     graph.Direction
				types []graph.RelationType
			}{{graph.In, in}, {graph.Out, out}} {
				if len(dir.types) == 0 {
					continue
				}
				rels, err := a.r.Relations(ctx, graph.RelationFilter{Entity: l.n.ID, Direction: dir.d, Types: dir.types, AsOf: q.AsOf})
				if err != nil {
					return nil, err
				}
				for _, r := range rels {
					other := r.Other(l.n.ID)
					cand := &label{hops: hops + 1, weak: max(l.weak, weakness(r.Status)), via: r, prev: l}
					old, seen := best[other]
					if seen && old.hops <= hops {
						continue // reached earlier: a shorter path exists
					}
					if !better(cand, old) {
						continue
					}
					if seen {
						cand.n = old.n
						*old = *cand // same layer: keep the node's place in next
						continue
					}
					e, err := a.r.Entity(ctx, other)
					if err != nil {
						return nil, err
					}
					cand.n = e
					best[other] = cand
					next = append(next, cand)
				}
			}
		}
		slices.SortFunc(next, func(a, b *label) int { return cmp.Compare(a.n.ID, b.n.ID) })
		frontier = next
	}

	out_ := make([]Exposure, 0, len(found))
	for _, l := range found {
		out_ = append(out_, Exposure{Sanction: l.n, Hops: l.hops, Path: pathTo(l), Status: byWeakness[l.weak]})
	}
	slices.SortFunc(out_, func(a, b Exposure) int {
		return cmp.Or(cmp.Compare(a.Hops, b.Hops), cmp.Compare(weakness(a.Status), weakness(b.Status)), cmp.Compare(a.Sanction.ID, b.Sanction.ID))
	})
	return out_, nil
}

// better reports whether a reaches its node better than b (nil b: yes).
func better(a, b *label) bool {
	if b == nil {
		return true
	}
	return cmp.Or(cmp.Compare(a.hops, b.hops), cmp.Compare(a.weak, b.weak), cmp.Compare(a.via.ID, b.via.ID)) < 0
}

// pathTo walks l back to the start.
func pathTo(l *label) graph.Path {
	var p graph.Path
	for ; l != nil; l = l.prev {
		p.Entities = append(p.Entities, l.n)
		if l.via != nil {
			p.Relations = append(p.Relations, l.via)
		}
	}
	slices.Reverse(p.Entities)
	slices.Reverse(p.Relations)
	return p
}

// withPath gives a store error the argument it came from.
func withPath(err error, path string) error {
	if ge, ok := err.(*graph.Error); ok && ge.Path == "" {
		c := *ge
		c.Path = path
		return &c
	}
	return err
}

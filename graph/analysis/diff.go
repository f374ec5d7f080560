package analysis

import (
	"cmp"
	"context"
	"slices"

	"github.com/chipgraph/chipgraph/graph"
)

// DiffQuery asks what changed between From and To: over the whole graph,
// or, with IDs, over the neighbourhood of those entities Hops relations
// deep (at most Limit entities; 0 means no limit), along relations of Types
// (all when empty). First bounds each list of the answer (0: no bound).
type DiffQuery struct {
	From, To graph.Date
	Types    []graph.RelationType
	IDs      []string
	Hops     int
	Limit    int
	First    int
}

// Diff is what changed between two dates.
//
// Added are the relations that had not started on From (their validFrom
// lies after it) and had started by To; Ended those that still held on or
// after From and had ended before To (their validTo lies before it). A
// relation that began and ended between the two dates is in both. Dates
// compare at the precision they have, as asOf does: a relation from
// 2019-06 had not started "on 2019-01" but had "in 2019". Relations without
// the date in question are in neither.
//
// Changed are the dated attributes whose value as of To (the latest dated
// on or before it) differs from the value as of From and is dated after
// From.
type Diff struct {
	Added, Ended []*graph.Relation
	Changed      []AttributeChange
	// Counts before First cut the lists.
	AddedCount, EndedCount, ChangedCount int
	// Truncated is set when the neighbourhood reached Limit.
	Truncated bool
}

// AttributeChange is one attribute of Entity whose value changed: Before
// is nil when it had no dated value as of From.
type AttributeChange struct {
	Entity        *graph.Entity
	Name          string
	Before, After *graph.Attribute
}

// Diff returns what changed between q.From and q.To. Both dates are
// required and From must be before To (CodeInvalid); unknown IDs are
// CodeNotFound.
func (a *Analyzer) Diff(ctx context.Context, q DiffQuery) (*Diff, error) {
	switch {
	case q.From.IsZero():
		return nil, graph.Errorf(graph.CodeInvalid, "from", "from is required")
	case q.To.IsZero():
		return nil, graph.Errorf(graph.CodeInvalid, "to", "to is required")
	case q.From.First() >= q.To.First():
		return nil, graph.Errorf(graph.CodeInvalid, "from", "from %s must be before to %s", q.From, q.To)
	case q.Hops < 0:
		return nil, graph.Errorf(graph.CodeInvalid, "hops", "hops must not be negative")
	}
	var (
		rels      []*graph.Relation
		entities  []*graph.Entity
		truncated bool
		err       error
	)
	if len(q.IDs) > 0 {
		g, err := a.r.Subgraph(ctx, graph.Selection{Seeds: q.IDs, Hops: q.Hops, Types: q.Types, Limit: q.Limit})
		if err != nil {
			return nil, withPath(err, "ids")
		}
		rels, entities, truncated = g.Relations, g.Entities, g.Truncated
	} else {
		if rels, err = a.r.Relations(ctx, graph.RelationFilter{Types: q.Types}); err != nil {
			return nil, err
		}
		if entities, err = a.r.Entities(ctx, graph.EntityFilter{}); err != nil {
			return nil, err
		}
	}
	d := &Diff{Truncated: truncated}
	for i, r := range rels {
		if i%(16*checkEvery) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !r.ValidFrom.IsZero() && r.ValidFrom.First() > q.From.Last() && r.ValidFrom.First() <= q.To.Last() {
			d.Added = append(d.Added, r)
		}
		if !r.ValidTo.IsZero() && r.ValidTo.Last() >= q.From.First() && r.ValidTo.Last() < q.To.First() {
			d.Ended = append(d.Ended, r)
		}
	}
	for i, e := range entities {
		if i%(16*checkEvery) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		d.Changed = append(d.Changed, changedAttributes(e, q.From, q.To)...)
	}
	slices.SortFunc(d.Added, func(a, b *graph.Relation) int {
		return cmp.Or(cmp.Compare(a.ValidFrom.First(), b.ValidFrom.First()), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(d.Ended, func(a, b *graph.Relation) int {
		return cmp.Or(cmp.Compare(a.ValidTo.Last(), b.ValidTo.Last()), cmp.Compare(a.ID, b.ID))
	})
	d.AddedCount, d.EndedCount, d.ChangedCount = len(d.Added), len(d.Ended), len(d.Changed)
	if q.First > 0 {
		d.Added = d.Added[:min(q.First, len(d.Added))]
		d.Ended = d.Ended[:min(q.First, len(d.Ended))]
		d.Changed = d.Changed[:min(q.First, len(d.Changed))]
	}
	return d, nil
}

// changedAttributes compares e's dated attributes as of from and to,
// sorted by name.
func changedAttributes(e *graph.Entity, from, to graph.Date) []AttributeChange {
	var out []AttributeChange
	var names []string
	for _, a := range e.Attributes {
		if !a.AsOf.IsZero() && !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		before, after := valueAsOf(e.Attributes, n, from), valueAsOf(e.Attributes, n, to)
		if after == nil || after.AsOf.First() <= from.Last() {
			continue // nothing new dated after from
		}
		if before != nil && before.Value == after.Value && before.Unit == after.Unit {
			continue
		}
		out = append(out, AttributeChange{Entity: e, Name: n, Before: before, After: after})
	}
	return out
}

// valueAsOf is the attribute named name dated latest on or before d,
// preferring an undisputed one of the same date.
func valueAsOf(list []graph.Attribute, name string, d graph.Date) *graph.Attribute {
	var best *graph.Attribute
	for i := range list {
		a := &list[i]
		if a.Name != name || a.AsOf.IsZero() || a.AsOf.First() > d.Last() {
			continue
		}
		if best == nil || a.AsOf.First() > best.AsOf.First() ||
			(a.AsOf.First() == best.AsOf.First() && best.Status == graph.StatusDisputed && a.Status != graph.StatusDisputed) {
			best = a
		}
	}
	return best
}

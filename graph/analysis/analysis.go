// Package analysis answers the analyst's questions no single relation
// answers, over any store that can be read: which sanctions reach an entity
// through its supply chain (Exposure), which entities the supply of China's
// AI chips and systems hangs on (Chokepoints), what happened to an entity in
// order (Timeline), and what changed between two dates (Diff).
//
// It depends only on Reader, a small part of graph.Store, so it works the
// same over every backend and knows nothing of GraphQL or the command line.
package analysis

import (
	"context"
	"slices"

	"github.com/chipgraph/chipgraph/graph"
)

// Reader is what the analyses read of a store. graph.Store implements it.
type Reader interface {
	Entity(ctx context.Context, id string) (*graph.Entity, error)
	Entities(ctx context.Context, f graph.EntityFilter) ([]*graph.Entity, error)
	Relations(ctx context.Context, f graph.RelationFilter) ([]*graph.Relation, error)
	Source(ctx context.Context, key string) (*graph.Source, error)
	Subgraph(ctx context.Context, s graph.Selection) (*graph.Subgraph, error)
	// Revision is the revision reads through ctx answer from (a request
	// pins one: graph.Pin); cached results are keyed on it.
	Revision(ctx context.Context) uint64
}

// Analyzer runs the analyses over one Reader and caches what is costly to
// compute (chokepoints) per store version. It is safe for concurrent use.
type Analyzer struct {
	r     Reader
	choke chokeCache
}

// New returns an Analyzer over r.
func New(r Reader) *Analyzer {
	return &Analyzer{r: r, choke: newChokeCache()}
}

// checkEvery is how many steps of a loop run between checks of ctx.
const checkEvery = 256

// weakness ranks statuses from best established to least: a path is as
// weak as its weakest relation.
func weakness(s graph.Status) int {
	switch s {
	case graph.StatusConfirmed:
		return 0
	case graph.StatusReported, "":
		return 1
	case graph.StatusEnded:
		return 2
	}
	return 3 // disputed
}

var byWeakness = []graph.Status{graph.StatusConfirmed, graph.StatusReported, graph.StatusEnded, graph.StatusDisputed}

// checkTypes fails when types holds a type not in allowed.
func checkTypes(path string, types, allowed []graph.RelationType) error {
	for _, t := range types {
		if !slices.Contains(allowed, t) {
			return graph.Errorf(graph.CodeInvalid, path, "%s is not followed here: give some of %v", t, allowed)
		}
	}
	return nil
}

// dateRange fails when from is after to.
func dateRange(from, to graph.Date, fromName, toName string) error {
	if !from.IsZero() && !to.IsZero() && from.First() > to.Last() {
		return graph.Errorf(graph.CodeInvalid, fromName, "%s %s is after %s %s", fromName, from, toName, to)
	}
	return nil
}

// overlaps reports whether date d overlaps the range [from, to] (a zero end
// is open).
func overlaps(d, from, to graph.Date) bool {
	return (from.IsZero() || d.Last() >= from.First()) && (to.IsZero() || d.First() <= to.Last())
}

// verbs phrase each relation type as "from VERB to".
var verbs = map[graph.RelationType]string{
	graph.Designs:       "designs",
	graph.Fabricates:    "fabricates",
	graph.Supplies:      "supplies",
	graph.UsesComponent: "uses",
	graph.CustomerOf:    "is a customer of",
	graph.InvestsIn:     "invests in",
	graph.SubsidiaryOf:  "is a subsidiary of",
	graph.PartnersWith:  "partners with",
	graph.CompetesWith:  "competes with",
	graph.Targets:       "targets",
	graph.IssuedBy:      "is issued by",
	graph.RunsOn:        "runs on",
	graph.LocatedIn:     "is located in",
}

// describe says r in words: "SMIC fabricates Huawei Ascend 910C (memory: HBM2E)".
func describe(r *graph.Relation, from, to *graph.Entity) string {
	s := name(from, r.From) + " " + verbs[r.Type] + " " + name(to, r.To)
	switch {
	case r.Category != "" && r.Product != "":
		s += " (" + r.Category + ": " + r.Product + ")"
	case r.Category != "":
		s += " (" + r.Category + ")"
	case r.Product != "":
		s += " (" + r.Product + ")"
	}
	return s
}

func name(e *graph.Entity, id string) string {
	if e == nil {
		return id
	}
	return e.Name
}

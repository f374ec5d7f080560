package data_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// seedOnly reports whether sources is the seed article alone (the Spanish
// edition is the same article).
func seedOnly(sources []string) bool {
	return len(sources) > 0 && !slices.ContainsFunc(sources, func(k string) bool {
		return k != seedSource && k != seedSource+"-es"
	})
}

// A claim only the seed article makes is disputed until another source
// supports it: every relation, relation property and attribute citing the
// seed article alone has status disputed (its note says why).
func TestSeedOnlyClaimsAreDisputed(t *testing.T) {
	_, c := curated(t)
	where := func(path string) string {
		w, _ := c.Locate(path)
		return w
	}
	check := func(path, what string, status graph.Status, sources []string) {
		if seedOnly(sources) && status != graph.StatusDisputed {
			t.Errorf("%s (%s): only the seed article supports it, but its status is %q, not disputed", where(path), what, status)
		}
	}
	for i, r := range c.Batch.Relations {
		p := fmt.Sprintf("relations[%d]", i)
		check(p, r.ID, r.Status, r.Sources)
		for j, a := range r.Properties {
			check(fmt.Sprintf("%s.properties[%d]", p, j), r.ID+" "+a.Name, a.Status, a.Sources)
		}
	}
	for i, e := range c.Batch.Entities {
		for j, a := range e.Attributes {
			check(fmt.Sprintf("entities[%d].attributes[%d]", i, j), e.ID+" "+a.Name, a.Status, a.Sources)
		}
	}
}

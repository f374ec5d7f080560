package graphtest

import (
	"fmt"
	"math/rand/v2"

	"github.com/chipgraph/chipgraph/graph"
)

// Generate builds a synthetic graph shaped like the China AI-chip ecosystem
// for benchmarks: companies design chips made by foundries on process nodes,
// suppliers sell memory, equipment and EDA to companies, funds invest,
// sanctions target. About 10 quads per entity: Generate(100_000) gives
// roughly 1M quads. The same seed gives the same graph.
func Generate(entities int, seed uint64) graph.Batch {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b graph.Batch
	const nSources = 100
	for i := range nSources {
		b.Sources = append(b.Sources, graph.Source{
			Key: fmt.Sprintf("gen-src-%d", i), Title: fmt.Sprintf("Generated source %d", i),
			URL: fmt.Sprintf("https://example.org/gen/%d", i), Publisher: "Generator",
			Published: graph.Date{Year: 2015 + i%11, Month: 1 + i%12},
		})
	}
	src := func() []string { return []string{b.Sources[r.IntN(nSources)].Key} }
	// Shares of the kinds, roughly as in the curated data.
	shares := []struct {
		kind  graph.Kind
		share int
	}{
		{graph.KindCompany, 35}, {graph.KindChip, 25}, {graph.KindMemory, 5}, {graph.KindSystem, 8},
		{graph.KindSoftware, 5}, {graph.KindModel, 5}, {graph.KindEquipment, 6}, {graph.KindProcessNode, 1},
		{graph.KindFund, 3}, {graph.KindGovernmentBody, 1}, {graph.KindResearchOrg, 2}, {graph.KindSanction, 3},
		{graph.KindRegulation, 0}, {graph.KindCountry, 1},
	}
	byKind := map[graph.Kind][]string{}
	countries := []string{"CN", "US", "KR", "TW", "JP", "NL", "DE"}
	for _, sh := range shares {
		n := max(entities*sh.share/100, 1)
		for i := range n {
			id := fmt.Sprintf("%s-%d", kindSlug(sh.kind), i)
			e := graph.Entity{
				ID: id, Kind: sh.kind, Name: fmt.Sprintf("%s %d", sh.kind, i),
				Aliases: []string{fmt.Sprintf("alias %s %d", kindSlug(sh.kind), i)},
				Country: countries[r.IntN(len(countries))], Sources: src(),
			}
			if sh.kind == graph.KindCompany {
				e.Attributes = []graph.Attribute{{Name: "revenue", Type: graph.AttrNumber,
					Value: fmt.Sprint(r.IntN(1_000_000) * 1000), Unit: "USD", AsOf: graph.Date{Year: 2024}, Sources: src()}}
			}
			b.Entities = append(b.Entities, e)
			byKind[sh.kind] = append(byKind[sh.kind], id)
		}
	}
	pick := func(k graph.Kind) string {
		list := byKind[k]
		// A skewed pick: a few hubs (big foundries, big customers) and a long tail.
		return list[int(float64(len(list))*r.Float64()*r.Float64())]
	}
	seen := map[string]bool{}
	add := func(t graph.RelationType, from, to, category string) {
		id := graph.DefaultRelationID(from, t, to)
		if from == to || seen[id] {
			return
		}
		seen[id] = true
		rel := graph.Relation{ID: id, Type: t, From: from, To: to, Category: category,
			Status: graph.Statuses[r.IntN(3)], Sources: src()}
		if r.IntN(3) == 0 {
			rel.ValidFrom = graph.Date{Year: 2015 + r.IntN(10)}
		}
		if r.IntN(8) == 0 {
			rel.ValidTo = graph.Date{Year: 2025 + r.IntN(2)}
		}
		b.Relations = append(b.Relations, rel)
	}
	cats := []struct {
		cat  string
		kind graph.Kind
	}{{"memory", graph.KindCompany}, {"equipment", graph.KindCompany}, {"eda", graph.KindCompany}, {"foundry", graph.KindCompany}}
	for _, chip := range byKind[graph.KindChip] {
		add(graph.Designs, pick(graph.KindCompany), chip, "")
		add(graph.Fabricates, pick(graph.KindCompany), chip, "")
		add(graph.UsesComponent, chip, pick(graph.KindMemory), "")
	}
	for _, co := range byKind[graph.KindCompany] {
		add(graph.LocatedIn, co, pick(graph.KindCountry), "")
		for range 2 {
			c := cats[r.IntN(len(cats))]
			add(graph.Supplies, pick(c.kind), co, c.cat)
		}
		add(graph.CustomerOf, co, pick(graph.KindCompany), "")
		if r.IntN(4) == 0 {
			add(graph.InvestsIn, pick(graph.KindFund), co, "")
		}
		if r.IntN(5) == 0 {
			add(graph.CompetesWith, co, pick(graph.KindCompany), "")
		}
	}
	for _, sys := range byKind[graph.KindSystem] {
		add(graph.UsesComponent, sys, pick(graph.KindChip), "")
		add(graph.UsesComponent, sys, pick(graph.KindMemory), "")
	}
	for _, m := range byKind[graph.KindModel] {
		add(graph.RunsOn, m, pick(graph.KindChip), "")
	}
	for _, sw := range byKind[graph.KindSoftware] {
		add(graph.RunsOn, sw, pick(graph.KindChip), "")
	}
	for _, s := range byKind[graph.KindSanction] {
		add(graph.Targets, s, pick(graph.KindCompany), "")
		add(graph.IssuedBy, s, pick(graph.KindGovernmentBody), "")
	}
	for _, eq := range byKind[graph.KindEquipment] {
		add(graph.Designs, pick(graph.KindCompany), eq, "")
	}
	return b
}

func kindSlug(k graph.Kind) string {
	out := []byte(k)
	for i, c := range out {
		switch {
		case c >= 'A' && c <= 'Z':
			out[i] = c + 'a' - 'A'
		case c == '_':
			out[i] = '-'
		}
	}
	return string(out)
}

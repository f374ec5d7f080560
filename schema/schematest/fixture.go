// Package schematest provides the fixture the schema and server tests run
// on: a small graph shaped like the curated data, loaded into the real
// memory store (graph.Open(ctx, "memory:")), the store users run.
package schematest

import (
	"context"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// Open returns a new memory store holding Fixture(), closed when tb ends.
func Open(tb testing.TB) *graph.CayleyStore {
	tb.Helper()
	ctx := context.Background()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Apply(ctx, Fixture()); err != nil {
		tb.Fatalf("Apply(Fixture): %v", err)
	}
	return s
}

// Fixture is a small, valid graph shaped like the curated data.
//
//	sk-hynix -SUPPLIES(memory, first reported 2024-03)-> huawei
//	hisilicon -SUBSIDIARY_OF-> huawei        (relations without validFrom hold on no asOf date)
//	hisilicon -DESIGNS-> ascend-910c         smic -FABRICATES(process_node smic-n7)-> ascend-910c
//	ascend-910c -USES_COMPONENT-> hbm3       sk-hynix -DESIGNS-> hbm3
//	cloudmatrix-384 -USES_COMPONENT-> ascend-910c   huawei -DESIGNS-> cloudmatrix-384
//	big-fund -INVESTS_IN-> smic              entity-list-2019 -TARGETS-> huawei, -ISSUED_BY-> bis
//	huawei -CUSTOMER_OF-> smic (ended 2020)  smic -LOCATED_IN-> cn
func Fixture() graph.Batch {
	src := []string{"src-a"}
	d := graph.MustDate
	ent := func(id string, k graph.Kind, name, country string, aliases ...string) graph.Entity {
		return graph.Entity{ID: id, Kind: k, Name: name, Country: country, Aliases: aliases, Sources: src}
	}
	rel := func(from string, t graph.RelationType, to string) graph.Relation {
		return graph.Relation{ID: graph.DefaultRelationID(from, t, to), Type: t, From: from, To: to, Status: graph.StatusConfirmed, Sources: src}
	}
	smic := ent("smic", graph.KindCompany, "Semiconductor Manufacturing International Corporation", "CN", "SMIC", "中芯国际")
	smic.ExternalIDs = []graph.ExternalID{{Scheme: "ticker", Value: "0981.HK"}}
	smic.Description = "China's largest foundry."
	smic.Sources = []string{"src-a", "src-u"}
	chip := ent("ascend-910c", graph.KindChip, "Ascend 910C", "CN", "昇腾910C")
	chip.Attributes = []graph.Attribute{{Name: "fp16_tflops", Type: graph.AttrNumber, Value: "800", Unit: "TFLOPS", AsOf: d("2025"), Status: graph.StatusReported, Sources: src}}
	sanction := ent("entity-list-2019", graph.KindSanction, "Entity List designation of Huawei", "US")
	sanction.Attributes = []graph.Attribute{
		{Name: "date", Type: graph.AttrDate, Value: "2019-05-16", Sources: src},
		{Name: "legal_citation", Type: graph.AttrString, Value: "84 FR 22961", Sources: src},
	}
	supplies := rel("sk-hynix", graph.Supplies, "huawei")
	supplies.Category, supplies.Product, supplies.Status = "memory", "HBM", graph.StatusReported
	supplies.ValidFrom, supplies.FirstReported = d("2024-03"), true
	fab := rel("smic", graph.Fabricates, "ascend-910c")
	fab.Properties = []graph.Attribute{{Name: "process_node", Type: graph.AttrString, Value: "smic-n7", Sources: src}}
	invest := rel("big-fund", graph.InvestsIn, "smic")
	invest.Properties = []graph.Attribute{{Name: "stake", Type: graph.AttrNumber, Value: "0.1", Sources: src}}
	cust := rel("huawei", graph.CustomerOf, "smic")
	cust.ValidFrom, cust.ValidTo, cust.Status = d("2015"), d("2020-09"), graph.StatusEnded
	targets := rel("entity-list-2019", graph.Targets, "huawei")
	targets.ValidFrom = d("2019-05-16")
	return graph.Batch{
		Sources: []graph.Source{
			{Key: "src-a", Title: "A report", URL: "https://example.org/a", Publisher: "Example", Published: d("2024-03")},
			{Key: "src-b", Title: "B report", URL: "https://example.org/b", Publisher: "Example", Published: d("2023")},
			{Key: "src-u", Title: "An undated page", URL: "https://example.org/u", Publisher: "Example", Undated: true, Retrieved: d("2026-11-28")},
		},
		Entities: []graph.Entity{
			smic,
			ent("huawei", graph.KindCompany, "Huawei Technologies", "CN", "华为"),
			ent("hisilicon", graph.KindCompany, "HiSilicon", "CN", "海思"),
			ent("sk-hynix", graph.KindCompany, "SK hynix", "KR"),
			chip,
			ent("hbm3", graph.KindMemory, "HBM3", ""),
			ent("cloudmatrix-384", graph.KindSystem, "CloudMatrix 384", "CN"),
			ent("smic-n7", graph.KindProcessNode, "SMIC N+2 (7nm-class)", "CN", "N+2"),
			ent("big-fund", graph.KindFund, "China Integrated Circuit Industry Investment Fund", "CN", "Big Fund", "大基金"),
			sanction,
			ent("bis", graph.KindGovernmentBody, "Bureau of Industry and Security", "US", "BIS"),
			ent("cn", graph.KindCountry, "China", "CN"),
			// Two entities sharing an alias, to test ambiguity.
			ent("ymtc", graph.KindCompany, "Yangtze Memory Technologies", "CN", "YMTC", "CJ Memory"),
			ent("cxmt", graph.KindCompany, "ChangXin Memory Technologies", "CN", "CXMT", "cj-memory"),
		},
		Relations: []graph.Relation{
			supplies,
			rel("hisilicon", graph.SubsidiaryOf, "huawei"),
			rel("hisilicon", graph.Designs, "ascend-910c"),
			fab,
			rel("ascend-910c", graph.UsesComponent, "hbm3"),
			rel("sk-hynix", graph.Designs, "hbm3"),
			rel("cloudmatrix-384", graph.UsesComponent, "ascend-910c"),
			rel("huawei", graph.Designs, "cloudmatrix-384"),
			invest,
			targets,
			rel("entity-list-2019", graph.IssuedBy, "bis"),
			cust,
			rel("smic", graph.LocatedIn, "cn"),
		},
	}
}

package graph_test

import (
	"context"
	"fmt"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/graphtest"
)

func Example() {
	ctx := context.Background()
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if _, err := s.Apply(ctx, graphtest.Fixture()); err != nil {
		panic(err)
	}

	// Names resolve through aliases, in any script or width.
	smic, _ := s.Resolve(ctx, "中芯国际")
	fmt.Println(smic[0].ID)

	// Who supplies memory to whom.
	rels, _ := s.Relations(ctx, graph.RelationFilter{Types: []graph.RelationType{graph.Supplies}, Category: "memory"})
	for _, r := range rels {
		fmt.Println(r.From, "->", r.To, r.Product, r.ValidFrom, "to", r.ValidTo)
	}

	// How a supplier reaches a product.
	paths, _ := s.Paths(ctx, graph.PathQuery{From: "sk-hynix", To: "cloudmatrix-384", MaxHops: 3, K: 1})
	for _, e := range paths[0].Entities {
		fmt.Print(e.ID, " ")
	}
	fmt.Println()
	// Output:
	// smic
	// sk-hynix -> huawei HBM 2019 to 2020-09
	// sk-hynix huawei cloudmatrix-384
}

func ExampleError() {
	s, _ := graph.Open(context.Background(), "memory:")
	defer s.Close()
	_, err := s.Entity(context.Background(), "nope")
	fmt.Println(graph.ErrorCode(err), err)
	// Output: NOT_FOUND no entity "nope"
}

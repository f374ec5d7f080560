package loaders

import (
	"context"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
)

// OpenCurated opens an in-memory store holding the curated data embedded in
// the binary (package data): what `chipgraph serve` starts with by default,
// and what tests and examples query.
func OpenCurated(ctx context.Context) (*graph.CayleyStore, error) {
	c, err := ReadCurated(data.FS, ".")
	if err != nil {
		return nil, err
	}
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		return nil, err
	}
	if _, err := c.Apply(ctx, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

package loaders

import (
	"context"
	"sync"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// testStore is the real memory store (graph.Open "memory:") with Apply
// wrapped to count the batches that landed and, when applyErr is set, to
// fail with it instead of applying.
type testStore struct {
	graph.Store

	mu       sync.Mutex
	applied  int   // successful Apply calls
	applyErr error // returned by Apply instead of applying, when set
}

func newTestStore(t *testing.T) *testStore {
	t.Helper()
	s, err := graph.Open(context.Background(), "memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &testStore{Store: s}
}

func (s *testStore) Apply(ctx context.Context, b graph.Batch) (graph.ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applyErr != nil {
		return graph.ApplyResult{}, s.applyErr
	}
	res, err := s.Store.Apply(ctx, b)
	if err == nil {
		s.applied++
	}
	return res, err
}

// empty reports whether nothing was ever written to s.
func (s *testStore) empty(t *testing.T) bool {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.applied == 0 && st.Version == 0 && st.Quads == 0
}

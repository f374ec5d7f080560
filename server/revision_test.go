package server_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/schema/schematest"
	"github.com/chipgraph/chipgraph/server"
)

// TestRevisionHeader: every answer says which revision of the graph it
// shows; a mutation's answer shows the revision that holds it, and a cached
// answer the revision it was made at.
func TestRevisionHeader(t *testing.T) {
	store := schematest.Open(t)
	s, _ := newServer(t, store, server.Config{Tokens: []string{token}})
	h := s.Handler()
	rev := func(r response) uint64 {
		t.Helper()
		n, err := strconv.ParseUint(r.header.Get("X-Chipgraph-Revision"), 10, 64)
		if err != nil {
			t.Fatalf("X-Chipgraph-Revision %q: %v (%s)", r.header.Get("X-Chipgraph-Revision"), err, r.raw)
		}
		return n
	}
	r1 := rev(do(t, h, post(`{stats{entities}}`, gqlResp)))
	if r1 != store.Version() {
		t.Errorf("revision %d, the store is at %d", r1, store.Version())
	}
	if r := do(t, h, post(`{stats{entities}}`, gqlResp)); r.header.Get("X-Cache") != "hit" || rev(r) != r1 {
		t.Errorf("cached answer: %s revision %d, want a hit at %d", r.header.Get("X-Cache"), rev(r), r1)
	}
	m := do(t, h, post(`mutation{upsertSource(input:{key:"src-r", title:"R", url:"https://example.org/r", publisher:"P", published:"2025"}){key}}`,
		gqlResp, "Authorization", "Bearer "+token))
	if m.status != 200 || rev(m) != r1+1 {
		t.Errorf("mutation: %d, revision %d, want %d: %s", m.status, rev(m), r1+1, m.raw)
	}
	if r := do(t, h, post(`{stats{entities}}`, gqlResp)); r.header.Get("X-Cache") == "hit" || rev(r) != r1+1 {
		t.Errorf("after the write: %s revision %d", r.header.Get("X-Cache"), rev(r))
	}
	if r := do(t, h, httptest.NewRequest(http.MethodGet, "/export?format=nodelink&seed=smic", nil)); r.status != 200 || rev(r) != r1+1 {
		t.Errorf("export: %d revision %d", r.status, rev(r))
	}
}

// laggingStore is a replica that reports a sync status.
type laggingStore struct {
	graph.Store
	status graph.SyncStatus
}

func (l laggingStore) SyncStatus() graph.SyncStatus { return l.status }

func TestReadyzReportsLag(t *testing.T) {
	store := schematest.Open(t)
	for _, tc := range []struct {
		status graph.SyncStatus
		code   int
	}{
		{graph.SyncStatus{Shared: true, Revision: 7, Latest: 7}, 200},
		{graph.SyncStatus{Shared: true, Revision: 5, Latest: 7, Lag: time.Second}, 200},
		{graph.SyncStatus{Shared: true, Revision: 5, Latest: 7, Lag: 3 * time.Second}, 503},
		{graph.SyncStatus{Shared: true, Revision: 7, Latest: 7, Lag: 3 * time.Second, Err: errors.New("dial tcp: connection refused")}, 503},
	} {
		s, _ := newServer(t, laggingStore{store, tc.status}, server.Config{MaxLag: 2 * time.Second})
		r := do(t, s.Handler(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if r.status != tc.code || r.body["latest"] != float64(tc.status.Latest) || r.body["lagSeconds"] != tc.status.Lag.Seconds() {
			t.Errorf("%+v: readyz %d %s, want %d", tc.status, r.status, r.raw, tc.code)
		}
		if tc.status.Err != nil && r.body["database"] != "unreachable" {
			t.Errorf("%+v: readyz does not say the database is unreachable: %s", tc.status, r.raw)
		}
	}
}

package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/server"
)

// TestCuratedOverHTTP serves the real store and curated data, with reads
// and authorised writes racing each other.
func TestCuratedOverHTTP(t *testing.T) {
	s, _ := newServer(t, openCurated(t), server.Config{Tokens: []string{token}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/graphql?query=" + url.QueryEscape(`{entity(name:"中芯国际"){id}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"smic"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}

	concurrentRequests(t, ts, 8, 6, func(i, j int) string {
		if j%3 == 0 {
			return fmt.Sprintf(`mutation{upsertSource(input:{key:"load-%d-%d", title:"t", url:"https://example.org", publisher:"p", published:"2025-01"}){key}}`, i, j)
		}
		return `{relations(types:[SUPPLIES], category:"memory"){totalCount} paths(from:"sk-hynix", to:"cloudmatrix-384"){length} entity(id:"huawei"){... on Company{suppliers{id}}}}`
	})
}

package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 6 {
				q := `{relations(types:[SUPPLIES], category:"memory"){totalCount} paths(from:"sk-hynix", to:"cloudmatrix-384"){length} entity(id:"huawei"){... on Company{suppliers{id}}}}`
				if j%3 == 0 {
					q = fmt.Sprintf(`mutation{upsertSource(input:{key:"load-%d-%d", title:"t", url:"https://example.org", publisher:"p", published:"2025-01"}){key}}`, i, j)
				}
				b, _ := json.Marshal(map[string]any{"query": q})
				req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", gqlResp)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := ts.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || bytes.Contains(body, []byte(`"errors"`)) {
					errs <- fmt.Errorf("%d %s", resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/server"
)

func TestExportEndpoint(t *testing.T) {
	s, _ := newServer(t, openCurated(t), server.Config{Schema: schema.Config{MaxNeighborhood: 1000}})
	h := s.Handler()
	get := func(query string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export?"+query, nil))
		return rec
	}

	for _, tc := range []struct {
		query, ctype, file string
	}{
		{"format=graphml&seed=huawei&hops=2", "application/graphml+xml; charset=utf-8", "chipgraph.graphml"},
		{"format=gexf&seed=huawei&hops=1&types=DESIGNS,FABRICATES", "application/gexf+xml; charset=utf-8", "chipgraph.gexf"},
		{"format=cytoscape&seed=huawei&seed=smic", "application/json; charset=utf-8", "chipgraph.cyjs"},
		{"format=nodelink&seed=huawei&links=links", "application/json; charset=utf-8", "chipgraph.json"},
		{"format=csv&seed=huawei&kinds=COMPANY,CHIP", "application/zip", "chipgraph.zip"},
		{"format=nquads&seed=huawei&asOf=2024", "application/n-quads; charset=utf-8", "chipgraph.nq"},
		{"format=ftm&seed=smic&countries=cn", "application/x-ndjson; charset=utf-8", "chipgraph.ftm.json"},
	} {
		rec := get(tc.query)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.query, got, tc.ctype)
		}
		if got, want := rec.Header().Get("Content-Disposition"), `attachment; filename="`+tc.file+`"`; got != want {
			t.Errorf("%s: Content-Disposition %q, want %q", tc.query, got, want)
		}
		if rec.Header().Get("X-Chipgraph-Nodes") == "" || rec.Header().Get("X-Chipgraph-Truncated") != "false" {
			t.Errorf("%s: headers %v", tc.query, rec.Header())
		}
		body := rec.Body.Bytes()
		switch {
		case strings.Contains(tc.ctype, "xml"):
			d := xml.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s: %v", tc.query, err)
				}
			}
		case strings.HasPrefix(tc.ctype, "application/json"):
			if !json.Valid(body) {
				t.Errorf("%s: invalid JSON", tc.query)
			}
		case tc.ctype == "application/zip":
			zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
			if err != nil || len(zr.File) != 2 || zr.File[0].Name != "nodes.csv" || zr.File[1].Name != "edges.csv" {
				t.Errorf("%s: zip %v", tc.query, err)
			}
		}
	}

	// No seed: the whole graph within the limit (default 500).
	rec := get("format=nodelink&limit=10")
	if rec.Code != 200 || rec.Header().Get("X-Chipgraph-Truncated") != "true" || rec.Header().Get("X-Chipgraph-Nodes") != "10" {
		t.Errorf("limit=10: %d %v", rec.Code, rec.Header())
	}
	if rec := get("format=nodelink"); rec.Code != 200 || rec.Header().Get("X-Chipgraph-Nodes") == "" {
		t.Errorf("whole graph: %d %v", rec.Code, rec.Header())
	}

	// Seeds are ids, names or aliases, as entity(name:) takes them.
	for _, seed := range []string{"smic", "SMIC", "%E4%B8%AD%E8%8A%AF%E5%9B%BD%E9%99%85"} { // 中芯国际
		rec := get("format=nodelink&hops=0&seed=" + seed)
		var g struct{ Nodes []struct{ ID string } }
		if err := json.Unmarshal(rec.Body.Bytes(), &g); rec.Code != 200 || err != nil || len(g.Nodes) != 1 || g.Nodes[0].ID != "smic" {
			t.Errorf("seed=%s: %d %.300s, want smic alone", seed, rec.Code, rec.Body)
		}
	}

	// Errors: GraphQL-shaped JSON, statuses as for GraphQL.
	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{"format=dot", 400, schema.CodeBadUserInput},
		{"", 400, schema.CodeBadUserInput},
		{"format=graphml&seed=no-such-entity", 404, schema.CodeNotFound},
		{"format=graphml&seed=huawei&hops=7", 400, schema.CodeBadUserInput},
		{"format=graphml&seed=huawei&hops=x", 400, schema.CodeBadUserInput},
		{"format=graphml&limit=1001", 400, schema.CodeBadUserInput},
		{"format=graphml&limit=0", 400, schema.CodeBadUserInput},
		{"format=graphml&types=FRIENDS", 400, schema.CodeBadUserInput},
		{"format=graphml&kinds=PERSON", 400, schema.CodeBadUserInput},
		{"format=graphml&asOf=yesterday", 400, schema.CodeBadUserInput},
		{"format=nodelink&links=arcs", 400, schema.CodeBadUserInput},
	} {
		rec := get(tc.query)
		r := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
		_ = json.Unmarshal(rec.Body.Bytes(), &r.body)
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("%q: %d %s (%s), want %d %s", tc.query, r.status, r.code(), r.raw, tc.status, tc.code)
		}
		if rec.Header().Get("Content-Disposition") != "" {
			t.Errorf("%q: error with Content-Disposition", tc.query)
		}
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/export?format=graphml", nil)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// TestExportStreams reads a live server's export as it comes.
func TestExportStreams(t *testing.T) {
	s, _ := newServer(t, openCurated(t), server.Config{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/export?format=graphml&seed=huawei&hops=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != -1 {
		t.Errorf("status %d, length %d (want streamed, unknown length)", resp.StatusCode, resp.ContentLength)
	}
	b, _ := io.ReadAll(resp.Body)
	if !bytes.HasSuffix(b, []byte("</graphml>\n")) {
		t.Errorf("export ends %q", b[max(0, len(b)-40):])
	}
}

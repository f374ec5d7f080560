package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
	"github.com/chipgraph/chipgraph/schema"
)

// headerTruncated tells an /export client that the limit cut the selection
// short; headerNodes and headerEdges give its size.
const (
	headerTruncated = "X-Chipgraph-Truncated"
	headerNodes     = "X-Chipgraph-Nodes"
	headerEdges     = "X-Chipgraph-Edges"
)

// export serves GET /export: the subgraph the query selects, in format,
// streamed as it is written (loaders.Export).
//
//	/export?format=F&seed=ID&seed=ID&hops=N&types=T,..&kinds=K,..
//	       &countries=C,..&asOf=DATE&direction=OUT|IN|BOTH&limit=N&links=edges|links
//
// A seed is an entity id, name or alias (loaders.ResolveSeeds). The
// limits are GraphQL's Query.subgraph ones: hops at most MaxHops,
// limit 1..MaxNeighborhood (default 500), the request timeout, and the
// /graphql rate limit. No seed selects the whole graph within the limit.
// csv comes as a zip of nodes.csv and edges.csv. Errors found before the
// first byte are GraphQL-shaped JSON with the status statusFor gives (as
// for application/graphql-response+json); an error after it aborts the
// response, so a client never takes a cut export for a whole one.
func (s *Server) export(c echo.Context) error {
	r := c.Request()
	c.Set(keyMedia, mediaGraphQLResponse)
	if _, authErr := s.authorized(r); authErr != "" {
		return s.fail(c, authErr, "invalid bearer token")
	}
	q := r.URL.Query()
	for k, vs := range q {
		for _, v := range vs {
			if len(v) > maxExportParam {
				return s.fail(c, schema.CodeBadUserInput, "parameter "+strconv.Quote(truncate(k, 64))+
					" is longer than "+strconv.Itoa(maxExportParam)+" bytes")
			}
		}
	}
	name := q.Get("format")
	format, ok := loaders.LookupExportFormat(name)
	if !ok {
		return s.fail(c, schema.CodeBadUserInput, "format must be one of "+loaders.ExportFormatNames()+", not "+strconv.Quote(name))
	}
	asOf := q.Get("asOf")
	if asOf == "" {
		asOf = q.Get("as-of")
	}
	sel, err := loaders.SelectionArgs{
		Seeds: q["seed"], Hops: q.Get("hops"), Types: q["types"], Kinds: q["kinds"],
		Countries: q["countries"], AsOf: asOf, Direction: q.Get("direction"), Limit: q.Get("limit"),
	}.Selection()
	if err != nil {
		code, msg := s.schema.ErrorFor(err)
		return s.fail(c, code, msg)
	}
	cfg := s.schema.Config()
	if sel.Hops > cfg.MaxHops {
		return s.fail(c, schema.CodeBadUserInput, "hops must be between 0 and "+strconv.Itoa(cfg.MaxHops))
	}
	if q.Get("limit") == "" {
		sel.Limit = min(500, cfg.MaxNeighborhood)
	} else if sel.Limit < 1 || sel.Limit > cfg.MaxNeighborhood {
		return s.fail(c, schema.CodeBadUserInput, "limit must be between 1 and "+strconv.Itoa(cfg.MaxNeighborhood))
	}
	links := q.Get("links")
	if links != "" && links != "edges" && links != "links" {
		return s.fail(c, schema.CodeBadUserInput, "links must be edges or links, not "+strconv.Quote(links))
	}

	ctx, cancel := context.WithTimeout(graph.Pin(r.Context(), s.store), cfg.Timeout)
	defer cancel()
	release, ok := s.acquire(ctx)
	if !ok {
		return s.busy(c)
	}
	defer release()
	if v, ok := graph.Pinned(ctx, s.store); ok {
		setRevision(c, v.Revision())
	}
	if sel.Seeds, err = loaders.ResolveSeeds(ctx, s.store, sel.Seeds); err != nil {
		code, msg := s.schema.ErrorFor(err)
		return s.fail(c, code, msg)
	}
	w := &exportWriter{c: c}
	opts := loaders.ExportOptions{LinksKey: links, Selected: func(nodes, edges int, truncated bool) {
		h := c.Response().Header()
		h.Set(headerNodes, strconv.Itoa(nodes))
		h.Set(headerEdges, strconv.Itoa(edges))
		h.Set(headerTruncated, strconv.FormatBool(truncated))
	}}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, format.ContentType)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="chipgraph`+format.Ext+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	err = loaders.Export(ctx, s.store, sel, name, w, opts)
	if err == nil {
		if !w.started {
			c.Response().WriteHeader(http.StatusOK)
		}
		return nil
	}
	if !w.started {
		h.Del(echo.HeaderContentDisposition)
		h.Del(headerNodes)
		h.Del(headerEdges)
		h.Del(headerTruncated)
		code, msg := s.schema.ErrorFor(err)
		if code == schema.CodeInternal {
			s.log.ErrorContext(ctx, "export: failed", "error", err, "request_id", requestIDOf(c))
		}
		return s.fail(c, code, msg)
	}
	// Part of the export is out: the status is sent. Cut the connection so
	// the client sees a broken transfer, not a short file.
	if !errors.Is(err, context.Canceled) {
		s.log.ErrorContext(ctx, "export: failed while streaming", "error", err, "format", name,
			"bytes", c.Response().Size, "request_id", requestIDOf(c))
	}
	panic(http.ErrAbortHandler)
}

// maxExportParam bounds each /export parameter's value: ids, dates and
// comma-separated lists of types, kinds or countries are all far shorter,
// and a longer one is neither worth parsing nor echoing in an error.
const maxExportParam = 4096

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// exportWriter writes the export to the response, committing the status
// with the first byte.
type exportWriter struct {
	c       echo.Context
	started bool
}

func (w *exportWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !w.started {
		w.started = true
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}

package server

// The GraphiQL page at /graphiql is GraphiQL 5 (React 19, Monaco editor)
// bundled for offline use by esbuild into graphiql/dist, which is committed
// and embedded, so building the server needs no node. The source, the
// preloaded example queries (graphiql/src/queries) and the lock file live
// beside it; regenerate the bundle with `go generate ./server/` (needs node
// and npm). Nothing on the page comes from anywhere but this server.

//go:generate bash graphiql/build.sh

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed graphiql/dist
var graphiqlDist embed.FS

// graphiqlCSP is the Content-Security-Policy of the page and its assets. It
// allows only this origin: scripts and Monaco's module workers from
// /graphiql/assets, requests to /graphql. style-src needs 'unsafe-inline'
// because Monaco and GraphiQL set inline styles and inject <style> elements;
// font-src and img-src need data: for the fonts and icons inlined in
// GraphiQL's CSS. No eval.
const graphiqlCSP = "default-src 'none'; " +
	"script-src 'self'; " +
	"worker-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"manifest-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

// graphiqlFile is an embedded file ready to serve.
type graphiqlFile struct {
	body        []byte
	contentType string
	etag        string
}

// graphiqlFiles maps a path below graphiql/dist ("index.html",
// "assets/graphiql-HASH.js", ...) to its file; it is built once at start-up.
var graphiqlFiles = func() map[string]graphiqlFile {
	m := map[string]graphiqlFile{}
	err := fs.WalkDir(graphiqlDist, "graphiql/dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := graphiqlDist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "graphiql/dist/")] = graphiqlFile{
			body:        b,
			contentType: graphiqlContentType(p),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("server: embedded graphiql: " + err.Error())
	}
	if _, ok := m["index.html"]; !ok {
		panic("server: embedded graphiql: no index.html (run go generate ./server/)")
	}
	return m
}()

func graphiqlContentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".ttf":
		return "font/ttf"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// graphiql serves the GraphiQL page. It is revalidated on every load (its
// ETag changes with the bundle), while the assets it names carry a content
// hash and are cached for a year.
func (s *Server) graphiql(c echo.Context) error {
	return serveGraphiqlFile(c, "index.html", "no-cache")
}

// graphiqlAsset serves /graphiql/assets/*: the bundle's JS, CSS, workers and
// fonts, whose names carry a content hash.
func (s *Server) graphiqlAsset(c echo.Context) error {
	name := c.Param("*")
	if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name) {
		return echo.ErrNotFound
	}
	return serveGraphiqlFile(c, "assets/"+name, "public, max-age=31536000, immutable")
}

func serveGraphiqlFile(c echo.Context, name, cacheControl string) error {
	f, ok := graphiqlFiles[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	h.Set("Content-Security-Policy", graphiqlCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if name == "index.html" {
		h.Set("X-Frame-Options", "DENY")
	}
	// ServeContent answers If-None-Match with 304, and HEAD and Range
	// requests; the zero time leaves Last-Modified out.
	http.ServeContent(c.Response(), c.Request(), path.Base(name), time.Time{}, bytes.NewReader(f.body))
	return nil
}

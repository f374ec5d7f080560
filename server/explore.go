package server

// The graph explorer at /explore searches entities, draws their
// neighbourhood with Cytoscape.js, expands nodes on click, filters by
// relation type, kind and date, finds paths, and links to /export. It is
// plain JavaScript and Cytoscape.js bundled by esbuild into explore/dist,
// which is committed and embedded, so building the server needs no node.
// The source and the lock file live beside it; regenerate the bundle with
// `go generate ./server/` (needs node and npm). It loads nothing from
// anywhere but this server and talks only to /graphql.

//go:generate bash explore/build.sh

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed explore/dist
var exploreDist embed.FS

// exploreCSP is the Content-Security-Policy of the explorer and its assets:
// scripts and styles from this origin only, requests to this origin only.
// style-src needs 'unsafe-inline' because Cytoscape.js sets inline styles on
// the elements it creates; img-src allows data: for the page's empty icon.
// The PNG export is a download of a blob: URL, which needs no source. No
// eval, no workers, no frames.
const exploreCSP = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

// exploreFiles maps a path below explore/dist ("index.html",
// "assets/explore-HASH.js", ...) to its file; it is built once at start-up.
var exploreFiles = embeddedFiles(exploreDist, "explore/dist")

// embeddedFiles reads every file below root of fsys, with its content type
// and an ETag from its content.
func embeddedFiles(fsys embed.FS, root string) map[string]graphiqlFile {
	m := map[string]graphiqlFile{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, root+"/")] = graphiqlFile{
			body:        b,
			contentType: graphiqlContentType(p),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("server: embedded " + root + ": " + err.Error())
	}
	if _, ok := m["index.html"]; !ok {
		panic("server: embedded " + root + ": no index.html (run go generate ./server/)")
	}
	return m
}

// registerExplore adds the explorer's routes to e.
func (s *Server) registerExplore(e *echo.Echo) {
	methods := []string{http.MethodGet, http.MethodHead}
	e.Match(methods, "/explore", s.explore)
	e.Match(methods, "/explore/", s.explore)
	e.Match(methods, "/explore/assets/*", s.exploreAsset)
}

// explore serves the explorer page. It is revalidated on every load (its
// ETag changes with the bundle), while the assets it names carry a content
// hash and are cached for a year.
func (s *Server) explore(c echo.Context) error {
	return serveExploreFile(c, "index.html", "no-cache")
}

// exploreAsset serves /explore/assets/*: the bundle's JS and CSS, whose
// names carry a content hash, and their licence notes.
func (s *Server) exploreAsset(c echo.Context) error {
	name := c.Param("*")
	if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name) {
		return echo.ErrNotFound
	}
	return serveExploreFile(c, "assets/"+name, "public, max-age=31536000, immutable")
}

func serveExploreFile(c echo.Context, name, cacheControl string) error {
	f, ok := exploreFiles[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	h.Set("Content-Security-Policy", exploreCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if name == "index.html" {
		h.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(c.Response(), c.Request(), path.Base(name), time.Time{}, bytes.NewReader(f.body))
	return nil
}

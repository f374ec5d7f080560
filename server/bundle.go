package server

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

// bundle is a web page built by esbuild into a dist folder, committed and
// embedded (GraphiQL, the explorer): index.html plus assets whose names
// carry a content hash. Every response gets the bundle's
// Content-Security-Policy.
type bundle struct {
	files map[string]bundleFile // by path below dist: "index.html", "assets/x-HASH.js"
	csp   string
}

type bundleFile struct {
	body        []byte
	contentType string
	etag        string
}

// newBundle reads every file below root of fsys once, at start-up.
func newBundle(fsys embed.FS, root, csp string) bundle {
	b := bundle{files: map[string]bundleFile{}, csp: csp}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		b.files[strings.TrimPrefix(p, root+"/")] = bundleFile{
			body:        body,
			contentType: contentType(p),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("server: embedded " + root + ": " + err.Error())
	}
	if _, ok := b.files["index.html"]; !ok {
		panic("server: embedded " + root + ": no index.html (run go generate ./server/)")
	}
	return b
}

// page serves index.html, revalidated on every load (its ETag changes with
// the bundle).
func (b bundle) page(c echo.Context) error { return b.serve(c, "index.html", "no-cache") }

// asset serves assets/*, cached for a year: their names change with their
// content.
func (b bundle) asset(c echo.Context) error {
	name := c.Param("*")
	if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name) {
		return echo.ErrNotFound
	}
	return b.serve(c, "assets/"+name, "public, max-age=31536000, immutable")
}

func (b bundle) serve(c echo.Context, name, cacheControl string) error {
	f, ok := b.files[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	h.Set("Content-Security-Policy", b.csp)
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

// register adds the page at prefix (and prefix/) and its assets.
func (b bundle) register(e *echo.Echo, prefix string) {
	methods := []string{http.MethodGet, http.MethodHead}
	e.Match(methods, prefix, b.page)
	e.Match(methods, prefix+"/", b.page)
	e.Match(methods, prefix+"/assets/*", b.asset)
}

func contentType(name string) string {
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

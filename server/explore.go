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

import "embed"

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

// explorePage serves /explore and its assets.
var explorePage = newBundle(exploreDist, "explore/dist", exploreCSP)

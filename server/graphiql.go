package server

// The GraphiQL page at /graphiql is GraphiQL 5 (React 19, Monaco editor)
// bundled for offline use by esbuild into graphiql/dist, which is committed
// and embedded, so building the server needs no node. The source, the
// preloaded example queries (graphiql/src/queries) and the lock file live
// beside it; regenerate the bundle with `go generate ./server/` (needs node
// and npm). Nothing on the page comes from anywhere but this server.

//go:generate bash graphiql/build.sh

import "embed"

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

// graphiqlPage serves /graphiql and its assets.
var graphiqlPage = newBundle(graphiqlDist, "graphiql/dist", graphiqlCSP)

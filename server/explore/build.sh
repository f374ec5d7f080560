#!/usr/bin/env bash
# Rebuilds the offline explorer bundle in dist/ (committed, embedded by
# ../explore.go) from src/ and the locked npm packages (Cytoscape.js and
# esbuild). Needs node >= 18 and npm; run it through `go generate ./server/`
# from the repository root.
set -euo pipefail
cd "$(dirname "$0")"
# No install scripts are needed: esbuild's binary comes in its
# @esbuild/<platform> package.
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs

// Builds chipgraph's graph explorer into dist/: index.html, one JS bundle
// (the page and Cytoscape.js) and one CSS file. Both assets have a content
// hash in their names, so the server can cache them for ever. Run through
// build.sh (go generate ./server/).
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const out = 'dist';
const base = '/explore/assets/';
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [{ in: 'src/main.js', out: 'explore' }],
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
  format: 'esm',
  outdir: path.join(out, 'assets'),
  publicPath: base,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
});

let js, css;
for (const [file, o] of Object.entries(result.metafile.outputs)) {
  if (o.entryPoint) {
    js = base + path.basename(file);
    if (o.cssBundle) css = base + path.basename(o.cssBundle);
  }
}
if (!js || !css) throw new Error('build: missing outputs: ' + JSON.stringify(Object.keys(result.metafile.outputs)));
const html = readFileSync('src/index.html', 'utf8').replaceAll('{{JS}}', js).replaceAll('{{CSS}}', css);
writeFileSync(path.join(out, 'index.html'), html);

for (const [file, o] of Object.entries(result.metafile.outputs)) {
  console.log(`${file}\t${o.bytes}`);
}

// Builds chipgraph's offline GraphiQL into dist/: index.html, one JS bundle,
// one CSS file, Monaco's three web workers and the fonts the CSS needs. Every
// asset but index.html has a content hash in its name, so the server can
// cache it for ever. Run through build.sh (go generate ./server/).
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const out = 'dist';
const base = '/graphiql/assets/';
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
  outdir: path.join(out, 'assets'),
  publicPath: base,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
};

// outputs maps each entry point of a build to its output file's URL.
function outputs(result) {
  const m = {};
  for (const [file, o] of Object.entries(result.metafile.outputs)) {
    if (o.entryPoint) {
      const ext = path.extname(file);
      m[o.entryPoint + ext] = base + path.basename(file);
      if (o.cssBundle) m[o.entryPoint + '.css'] = base + path.basename(o.cssBundle);
    }
  }
  return m;
}

// Monaco's workers, as module workers (monaco creates them with
// type: 'module' from MonacoEnvironment.getWorkerUrl).
const workerEntries = {
  editor: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'node_modules/monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'node_modules/monaco-graphql/esm/graphql.worker.js',
};
const workers = await esbuild.build({
  ...common,
  entryPoints: Object.entries(workerEntries).map(([name, p]) => ({ in: p, out: name + '.worker' })),
  format: 'esm',
});
const wout = outputs(workers);
const workerURL = (name) => JSON.stringify(wout[workerEntries[name] + '.js']);

// The page. Dynamic imports are inlined (no code splitting), so the page is
// one script and one stylesheet.
const app = await esbuild.build({
  ...common,
  entryPoints: [{ in: 'src/main.jsx', out: 'graphiql' }],
  format: 'esm',
  jsx: 'automatic',
  loader: { '.graphql': 'text', '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
  define: {
    ...common.define,
    WORKER_EDITOR: workerURL('editor'),
    WORKER_JSON: workerURL('json'),
    WORKER_GRAPHQL: workerURL('graphql'),
  },
});
const aout = outputs(app);
const js = aout['src/main.jsx.js'];
const css = aout['src/main.jsx.css'];
if (!js || !css) throw new Error('build: missing outputs: ' + JSON.stringify(aout));
const html = readFileSync('src/index.html', 'utf8').replace('{{JS}}', js).replace('{{CSS}}', css);
writeFileSync(path.join(out, 'index.html'), html);

for (const [file, o] of Object.entries({ ...workers.metafile.outputs, ...app.metafile.outputs })) {
  console.log(`${file}\t${o.bytes}`);
}

// Builds the resident widget client: src/resident.js -> one minified ES module and one stylesheet,
// written to the folder given as the first argument (scripts: `make frontend`, see README.md here).
import * as esbuild from 'esbuild';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = process.argv[2];
if (!out) { console.error('usage: node build.mjs OUTDIR'); process.exit(2); }

// Stylesheets of some packages name files as webpack does ("url(~leaflet/dist/images/x.png)").
const tilde = {
  name: 'tilde',
  setup(build) {
    build.onResolve({ filter: /^~/ }, (args) => ({ path: require.resolve(args.path.slice(1), { paths: [args.resolveDir] }) }));
  },
};

// Only what the resident pages use (see src/leaflet-lite.js, src/leaflet-models.js, src/escape-html.js):
// jupyter-leaflet's model files get Leaflet with a few plugins instead of its module of twenty, its
// control view without the index that re-exports every model, and the manager an HTML escaper instead of
// sanitize-html.
const here = path.dirname(new URL(import.meta.url).pathname);
const lean = {
  name: 'lean',
  setup(build) {
    const inLeaflet = (dir) => dir.includes(`${path.sep}jupyter-leaflet${path.sep}lib`);
    build.onResolve({ filter: /^\.\.?\/leaflet$/ }, (args) => (inLeaflet(args.resolveDir) ? { path: path.join(here, 'src', 'leaflet-lite.js') } : undefined));
    build.onResolve({ filter: /^\.\.\/jupyter-leaflet$/ }, (args) => (inLeaflet(args.resolveDir)
      ? { path: require.resolve('jupyter-leaflet/lib/controls/Control.js') } : undefined));
    build.onResolve({ filter: /^sanitize-html$/ }, () => ({ path: path.join(here, 'src', 'escape-html.js') }));
  },
};

await esbuild.build({
  entryPoints: { resident: 'src/resident.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: out,
  assetNames: 'assets/[name]-[hash]',
  loader: { '.png': 'file', '.gif': 'file', '.svg': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' },
  legalComments: 'linked',
  plugins: [tilde, lean],
  logLevel: 'warning',
});
console.log(`built ${path.join(out, 'resident.js')}`);

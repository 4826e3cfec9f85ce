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
  plugins: [tilde],
  logLevel: 'warning',
});
console.log(`built ${path.join(out, 'resident.js')}`);

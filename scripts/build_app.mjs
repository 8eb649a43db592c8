// The browser app, dist/app/ (`npm run app` serves it): run by scripts/build.mjs after the
// library bundle and the packaged digits exist.
//   index.html, app.css   src/app/static/
//   app.js                the page (src/app/page/main.ts): no tfjs in it
//   worker.js             the Web Worker (src/app/worker/worker.ts) on the library bundle
//   fsam-edge.js          dist/fsam-edge.js, the CLI's very bundle (tfjs and its wasm binary inside)
//   fsam-edge-threads.js  dist/fsam-edge-threads.js, beside it: the worker trains on every core
//                         (ready({ threads: 'auto' }); the page is served cross-origin isolated)
//   model/                the CLI's built-in base model, trained by the CLI's own code
//                         (cachedBaseModel) once per recipe and cached in .cache/base-model/
//   data/                 the packaged digits (data/mnist-digits.bin.gz), for the built-in task
//   sw.js                 the service worker, with the list and a digest of all of the above
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { LIBRARY_MODULE, useLibraryBundle } from './library_bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/app');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'model'), { recursive: true });
mkdirSync(join(out, 'data'), { recursive: true });

// The base model: the CLI's, made by the CLI's code on the packaged digits' population.
const cli = await import(join(root, 'dist/cli.js'));
await cli.ready();
const population = cli.data.makeDefaultTask(cli.data.loadMnist()).population;
const { model, path } = await cli.cachedBaseModel(join(root, '.cache/base-model'), population, (line) => console.log(`app: ${line}`));
const key = cli.baseModelKey(population);
if (path === '(not cached)') await cli.checkpoint.saveModelFiles(join(out, 'model'), model);
else {
  // model.json and the weights files its manifest names (weights.<checksum>.bin; weights.bin in a cache an older build wrote).
  const shards = JSON.parse(readFileSync(path, 'utf8')).weightsManifest.flatMap((g) => g.paths);
  for (const f of ['model.json', ...shards]) copyFileSync(join(dirname(path), f), join(out, 'model', f));
}
model.dispose();
writeFileSync(join(out, 'model/base.json'), `${JSON.stringify({ key, recipe: cli.BASE_RECIPE })}\n`);
copyFileSync(join(root, 'data/mnist-digits.bin.gz'), join(out, 'data/mnist-digits.bin.gz'));
copyFileSync(join(root, 'dist/fsam-edge.js'), join(out, 'fsam-edge.js'));
copyFileSync(join(root, 'dist/fsam-edge-threads.js'), join(out, 'fsam-edge-threads.js'));
cpSync(join(root, 'src/app/static'), out, { recursive: true });

// The page must not carry a tfjs: what only the worker may import fails the page's build.
const noLibrary = {
  name: 'page-without-tfjs',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\// }, (args) => ({ errors: [{ text: `${args.importer} imports ${args.path}: the page has no tfjs; the worker trains` }] }));
    b.onLoad({ filter: LIBRARY_MODULE }, (args) => ({ errors: [{ text: `the page imports ${relative(root, args.path)}: the page has no tfjs; the worker trains` }] }));
  },
};
const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning', define: { FSAM_EDGE_VERSION: JSON.stringify(version) } };
await esbuild.build({ ...common, entryPoints: [join(root, 'src/app/page/main.ts')], outfile: join(out, 'app.js'), plugins: [noLibrary] });
await esbuild.build({ ...common, entryPoints: [join(root, 'src/app/worker/worker.ts')], outfile: join(out, 'worker.js'), plugins: [useLibraryBundle] });

// The service worker last: it lists every other file and a digest of their bytes.
const files = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
const listed = files(out).map((f) => relative(out, f).split('\\').join('/')).sort();
const digest = createHash('sha256');
for (const f of listed) digest.update(f).update(readFileSync(join(out, f)));
await esbuild.build({
  ...common, entryPoints: [join(root, 'src/app/page/offline.ts')], outfile: join(out, 'sw.js'),
  define: { APP_FILES: JSON.stringify(['./', ...listed]), APP_VERSION: JSON.stringify(digest.digest('hex').slice(0, 16)) },
});
const size = listed.reduce((n, f) => n + statSync(join(out, f)).size, 0);
console.log(`dist/app/  ${listed.length + 1} files, ${(size / 1024).toFixed(0)} KiB (base model ${basename(dirname(path))})`);

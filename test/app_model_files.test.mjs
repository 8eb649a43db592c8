// The app's model files (src/app/worker/model_files.ts), unit by unit in Node: what the app
// exports is what model.save('file://…') writes, byte for byte and name for name; what a
// person picks is checked as the file:// handler checks a folder, a damaged weights file
// named by its checksum included. The module is bundled from its source onto the library
// bundle dist/fsam-edge.js (the one dist/cli.js runs on), as the app's worker is.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LIBRARY_MODULE } from '../scripts/library_bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const library = pathToFileURL(join(root, 'dist/fsam-edge.js')).href;
const { outputFiles } = await build({
  entryPoints: [join(root, 'src/app/worker/model_files.ts')], bundle: true, format: 'esm', write: false, platform: 'neutral', logLevel: 'error',
  plugins: [{
    name: 'library-by-url',
    setup(b) {
      b.onResolve({ filter: /^file:/ }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: LIBRARY_MODULE }, ({ path }) => (/[\\/]io[\\/]atomic_write\.ts$/.test(path) ? undefined
        : { contents: `export * from ${JSON.stringify(library)};`, loader: 'ts' }));
    },
  }],
});
const { modelFiles, modelFromFiles, weightFilesNamed } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);
const { ready, layers, tf, fileSystem } = await import('../dist/cli.js');
await ready();

const work = mkdtempSync(join(tmpdir(), 'fsam-edge-app-model-files-'));
const s = suite('app model files');

function model() {
  const m = layers.sequential({ layers: [layers.layers.dense({ inputShape: [3], units: 5, kernelInitializer: layers.initializers.glorotUniform({ seed: 3 }) })] });
  return m;
}
const weightsOf = (m) => m.getWeights().map((w) => Array.from(w.dataSync()));
/** `files` with the weights file renamed to `name` (and model.json naming it so). */
function renamed(files, name) {
  const doc = JSON.parse(new TextDecoder().decode(files[0].bytes));
  doc.weightsManifest[0].paths = [name];
  return [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(doc)) }, { name, bytes: files[1].bytes }];
}
async function refusal(files) {
  try {
    (await modelFromFiles(files)).dispose();
  } catch (err) {
    return err;
  }
  throw new Error('loaded');
}

s("modelFiles: the files model.save('file://…') writes, the same names and bytes", async () => {
  const m = model();
  const files = await modelFiles(m);
  await m.save(fileSystem(join(work, 'saved')));
  m.dispose();
  assert.equal(files.map((f) => f.name), ['model.json', files[1].name]);
  assert.match(files[1].name, /^weights\.[0-9a-f]{16}\.bin$/);
  assert.equal(readdirSync(join(work, 'saved')).sort(), files.map((f) => f.name).sort());
  for (const f of files) assert.equal(Buffer.from(f.bytes), readFileSync(join(work, 'saved', f.name)), f.name);
  assert.equal(weightFilesNamed(files[0].bytes), [files[1].name]);
});

s('modelFromFiles: the exported files load the same weights; so do other tools\' names (no checksum)', async () => {
  const m = model();
  const files = await modelFiles(m);
  for (const set of [files, renamed(files, 'weights.bin'), renamed(files, 'group1-shard1of1.bin')]) {
    const back = await modelFromFiles(set);
    assert.equal(weightsOf(back), weightsOf(m), set[1].name);
    back.dispose();
  }
  m.dispose();
});

s('modelFromFiles: a weights file with one byte flipped is refused, naming it; a short one by its size', async () => {
  const m = model();
  const [json, shard] = await modelFiles(m);
  m.dispose();
  const flipped = Uint8Array.from(shard.bytes);
  flipped[7] ^= 0x01;
  const err = await refusal([json, { name: shard.name, bytes: flipped }]);
  assert.is(err.name, 'ModelFileError');
  assert.is(err.message, `weights file ${shard.name} does not match the checksum in its name: damaged or edited`);
  // The same bytes under a name without a checksum: nothing says they changed (tfjs-node's layout).
  const legacy = renamed([json, { name: shard.name, bytes: flipped }], 'weights.bin');
  (await modelFromFiles(legacy)).dispose();
  const short = await refusal([json, { name: shard.name, bytes: shard.bytes.subarray(0, 40) }]);
  assert.match(short.message, /^model\.json: weightsManifest\[0\]'s shard files hold 40 bytes .* but its weights need exactly 80$/);
});

s('weightFilesNamed: the plain names a model.json lists; nothing for what is not one', () => {
  const enc = (x) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
  assert.equal(weightFilesNamed(enc({ weightsManifest: [{ paths: ['a.bin', 'b.bin'] }, { paths: ['c.bin'] }] })), ['a.bin', 'b.bin', 'c.bin']);
  assert.equal(weightFilesNamed(enc({ weightsManifest: [{ paths: ['../x.bin', 'sub/y.bin', 'z\\w.bin', 7, ''] }, null] })), []);
  assert.equal(weightFilesNamed(enc('not json')), []);
  assert.equal(weightFilesNamed(enc({})), []);
});

s.after(() => rmSync(work, { recursive: true, force: true }));
s.run();

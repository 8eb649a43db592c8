// Runs fuzz cases of one format inside one process through the CLI's own main() (what
// bin/fsam-edge.mjs runs), and prints one JSON line as each case starts and ends, so
// that ./run.mjs can time each case, kill a hang, and check the outcome.
//   node test/fuzz/worker.mjs <csv|model|checkpoint> <seed> <first case> <count> <work dir>
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { rng, mutateText, mutateBinary, mutateJson } from './mutators.mjs';
import { blobs, csvOf, saveTinyModel } from '../support/cli_fixture.mjs';
import { shardOf } from '../support/model_folder.mjs';

const [format, seedText, firstText, countText, work] = process.argv.slice(2);
const seed = Number(seedText), first = Number(firstText), count = Number(countText);
const cli = await import('../../dist/cli.js');
await cli.ready();

/** main(argv) with stdout and stderr captured. */
async function main(argv) {
  const out = [], err = [];
  const { write: w1 } = process.stdout, { write: w2 } = process.stderr;
  process.stdout.write = (c) => { out.push(String(c)); return true; };
  process.stderr.write = (c) => { err.push(String(c)); return true; };
  try {
    const code = await cli.main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

// Fixtures, made once per work dir: the tiny model, its CSV, a finished run's outputs
// (the --out every case writes to) and a checkpoint stopped after epoch 1 of 2.
const tiny = join(work, 'tiny', 'model.json'), csv = join(work, 'tiny.csv'), pristine = join(work, 'pristine'), out = join(work, 'out');
const checkpoint = join(work, 'stopped', 'checkpoint.fsam');
if (!existsSync(join(work, 'ready'))) {
  mkdirSync(work, { recursive: true });
  await saveTinyModel(cli, join(work, 'tiny'));
  writeFileSync(csv, csvOf(blobs(60, 11)));
  writeFileSync(join(work, 'secret.bin'), readFileSync(shardOf(join(work, 'tiny'))));
  for (const args of [['personalize', '--model', tiny, '--data', csv, '--epochs', '1', '--batch-size', '16', '--out', pristine],
    ['personalize', '--model', tiny, '--data', csv, '--epochs', '2', '--stop-after', '1', '--batch-size', '16', '--out', join(work, 'stopped')]]) {
    const r = await main(args);
    if (r.code !== 0) throw new Error(`fixture run failed: ${r.stderr}`);
  }
  writeFileSync(join(work, 'ready'), '');
}
const csvBytes = readFileSync(csv), modelJson = JSON.parse(readFileSync(tiny, 'utf8')), shard = readFileSync(shardOf(join(work, 'tiny')));
// The shard under its checksummed name (weights.<checksum>.bin: a changed byte is refused by
// the checksum), or as weights.bin, as tfjs-node names it (no checksum: changed bytes reach
// the size and value checks).
const shardName = modelJson.weightsManifest[0].paths[0];
const legacyJson = { ...modelJson, weightsManifest: [{ ...modelJson.weightsManifest[0], paths: ['weights.bin'] }] };
const ckBytes = readFileSync(checkpoint);

function digest(dir) {
  const h = createHash('sha256');
  const walk = (d, rel) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`); else h.update(`${rel}${name}\0`).update(readFileSync(p));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return h.digest('hex');
}

/** Writes case `i`'s input into `dir`; returns the command line that reads it. */
function makeCase(i, dir) {
  const r = rng(seed, i);
  mkdirSync(dir, { recursive: true });
  if (format === 'csv') {
    writeFileSync(join(dir, 'data.csv'), mutateText(csvBytes, r));
    return ['personalize', '--model', tiny, '--data', join(dir, 'data.csv'), '--epochs', '1', '--batch-size', '16', '--out', out];
  }
  if (format === 'model') {
    const legacy = r() < 0.5, base = legacy ? legacyJson : modelJson;
    const doc = r() < 0.8 ? mutateJson(structuredClone(base), r) : base;
    writeFileSync(join(dir, 'model.json'), typeof doc === 'object' && doc !== null && r() < 0.97 ? JSON.stringify(doc) : mutateText(new TextEncoder().encode(JSON.stringify(doc)), r));
    writeFileSync(join(dir, legacy ? 'weights.bin' : shardName), r() < 0.4 || doc === base ? mutateBinary(shard, r) : shard);
    return ['personalize', '--model', join(dir, 'model.json'), '--data', csv, '--epochs', '1', '--batch-size', '16', '--out', out];
  }
  // checkpoint: mostly a header edited and re-checksummed (and maybe its blobs), else raw bytes.
  let bytes;
  if (r() < 0.85) {
    const { header, blob } = cli.checkpoint.decodeCheckpoint(ckBytes, checkpoint);
    const { blobs: refs, ...rest } = header;
    const parts = Object.fromEntries(Object.keys(refs).map((k) => [k, Uint8Array.from(blob(k))]));
    const edited = r() < 0.85 ? mutateJson(rest, r) : rest;
    if (r() < 0.3) { const k = r.pick(Object.keys(parts)); parts[k] = mutateBinary(parts[k], r); }
    bytes = cli.checkpoint.encodeCheckpoint(typeof edited === 'object' && edited !== null && !Array.isArray(edited) ? edited : { value: edited }, parts);
  } else {
    bytes = mutateBinary(ckBytes, r);
  }
  writeFileSync(join(dir, 'checkpoint.fsam'), bytes);
  // --stop-after bounds the training an edited epoch count asks for (2000 epochs is valid, and slow).
  return ['resume', '--checkpoint', join(dir, 'checkpoint.fsam'), '--out', out, '--stop-after', '2'];
}

const say = (o) => process.stdout.write.call(process.stdout, `${JSON.stringify(o)}\n`);
const clean = digest(pristine);
rmSync(out, { recursive: true, force: true });
cpSync(pristine, out, { recursive: true });
for (let i = first; i < first + count; i++) {
  const dir = join(work, 'cases', format);
  rmSync(dir, { recursive: true, force: true });
  const argv = makeCase(i, dir);
  say({ case: i, start: true });
  const t0 = performance.now();
  const r = await main(argv);
  const ms = performance.now() - t0;
  const changed = digest(out) !== clean;
  say({ case: i, code: r.code, stderr: r.stderr, ms, changed, rss: process.resourceUsage().maxRSS * 1024, argv });
  if (changed) { rmSync(out, { recursive: true, force: true }); cpSync(pristine, out, { recursive: true }); }
}

// The fuzzers (test/fuzz/) in their bounded form: 200 seeded cases each of a mutated
// CSV, model.json with its shard, and checkpoint, through the CLI. `npm run fuzz` runs
// 5,000 of each with another seed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FUZZ_CASES = 200;
const s = suite('fuzz');

s(`${FUZZ_CASES} cases per format: success or one line and exit 2, in bounded time and memory, --out untouched on failure`, () => {
  const runner = fileURLToPath(new URL('./fuzz/run.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [runner, '--cases', String(FUZZ_CASES), '--seed', '1'], { encoding: 'utf8', timeout: 900_000, killSignal: 'SIGKILL' });
  for (const line of r.stdout.trim().split('\n').filter((l) => l.startsWith('fuzz '))) console.log(`    ${line}`);
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const format of ['csv', 'model', 'checkpoint']) assert.match(r.stdout, new RegExp(`fuzz ${format}: ${FUZZ_CASES} cases`));
});

s.run();

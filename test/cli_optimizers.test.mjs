// The CLI trains with the library's optimizers: compare's SGD row is SAM at ρ = 0 bit for
// bit, SGD's --max-memory budget is a real arena, and the checkpoints of the CLI's earlier
// baselines (tf.train.momentum for sgd, a tfjs-ops AdamW for adamw; test/fixtures/
// legacy-checkpoints) still load, resume, and step from the state they hold.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/fsam-edge.mjs', import.meta.url));
const FIXTURES = join(root, 'test/fixtures/legacy-checkpoints');
// The CLI's own bundle: the optimizers, loss and checkpoint code the CLI runs, one tfjs.
const { ready, tf, layers, trainingOptimizer, crossEntropy, outputKind, checkpoint } = await import('../dist/cli.js');
const { loadCheckpoint, saveModelFiles } = checkpoint;
await ready();

const dir = mkdtempSync(join(tmpdir(), 'fsam-edge-cli-optimizers-'));
const cli = (args) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FSAM_EDGE_CACHE: join(dir, 'cache') } });
copyFileSync(join(FIXTURES, 'tiny.csv'), join(dir, 'tiny.csv'));

// The fixtures' model: 4 → 8 (relu) → 3 (softmax).
const L = layers.layers;
const tiny = layers.sequential({ layers: [
  L.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: layers.initializers.glorotUniform({ seed: 1 }) }),
  L.dense({ units: 3, activation: 'softmax', kernelInitializer: layers.initializers.glorotUniform({ seed: 2 }) }),
] });
await saveModelFiles(join(dir, 'tiny'), tiny);
tiny.dispose();

const bits = (a) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const history = (run) => run.history.map(({ seconds, ...epoch }) => epoch);

const s = suite('cli optimizers');

s("compare's SGD row is SAM at ρ = 0, bit for bit: every epoch's numbers and the final weights", async () => {
  const r = cli(['compare', '--model', 'tiny/model.json', '--data', 'tiny.csv', '--optimizers', 'sgd,sam', '--rho', '0',
    '--epochs', '3', '--batch-size', '8', '--seed', '4', '--out', 'rho0']);
  assert.is(r.status, 0, r.stderr);
  const [sgd, sam] = JSON.parse(readFileSync(join(dir, 'rho0/summary.json'), 'utf8')).runs;
  assert.equal([sgd.optimizer, sam.optimizer], ['sgd', 'sam']);
  assert.equal(history(sgd), history(sam));
  const weights = async (name) => {
    const ck = await loadCheckpoint(join(dir, 'rho0/checkpoints', `${name}.fsam`));
    const w = ck.model.getWeights().map((t) => bits(t.dataSync()));
    ck.model.dispose(); tf.dispose(ck.optimizerWeights.map((x) => x.tensor));
    return w;
  };
  assert.equal(await weights('sgd'), await weights('sam'));
  assert.ok(history(sgd).at(-1).loss < history(sgd)[0].loss, 'and it trains');
});

s('the SGD baseline keeps a real arena, and the run\'s plan counts it: --max-memory refuses a budget one byte short', () => {
  const bytes = (32 + 8 + 24 + 4) * 4; // its momentum buffer, 16-byte aligned per variable
  const plan = cli(['plan', '--json', '--model', 'tiny/model.json', '--data', 'tiny.csv', '--optimizer', 'sgd']);
  assert.is(plan.status, 0, plan.stderr);
  const memory = JSON.parse(plan.stdout).memory;
  const step = memory.phases.find((p) => p.name === 'training step');
  assert.is(step.parts.arena, bytes + 16, 'the arena: its momentum, no gradient slab (one pass)');
  const ok = cli(['personalize', '--model', 'tiny/model.json', '--data', 'tiny.csv', '--optimizer', 'sgd', '--epochs', '1', '--max-memory', String(memory.requiredBytes), '--out', 'budget']);
  assert.is(ok.status, 0, ok.stderr);
  assert.is(JSON.parse(readFileSync(join(dir, 'budget/summary.json'), 'utf8')).runs[0].memory.stateBytesPerKind.momentum, bytes);
  const short = cli(['personalize', '--model', 'tiny/model.json', '--data', 'tiny.csv', '--optimizer', 'sgd', '--epochs', '1', '--max-memory', String(memory.requiredBytes - 1), '--out', 'short']);
  assert.is(short.status, 2);
  assert.match(short.stderr, `--max-memory ${memory.requiredBytes - 1} bytes is too small: the run needs ${memory.requiredBytes} bytes`);
});

const LEGACY = [
  { name: 'sgd', fixture: 'sgd-tfjs-momentum.fsam', kinds: ['momentum'] },
  { name: 'adamw', fixture: 'adamw-tfjs-ops.fsam', kinds: ['adam_m', 'adam_v'] },
];

for (const { name, fixture, kinds } of LEGACY) {
  s(`${fixture} (the old ${name} baseline's checkpoint) resumes: epoch 3 of 3, its state carried on under the same names`, async () => {
    copyFileSync(join(FIXTURES, fixture), join(dir, fixture));
    const before = await loadCheckpoint(join(dir, fixture));
    const names = before.optimizerWeights.map((w) => w.name.replace(/_\d+\//, '/'));
    tf.dispose(before.optimizerWeights.map((w) => w.tensor)); before.model.dispose();
    const r = cli(['resume', '--checkpoint', fixture]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /resuming .* after epoch 2 of 3/);
    assert.match(r.stdout, new RegExp(`${name}\\s+epoch 3/3\\s+loss \\d\\.\\d{4}`));
    const after = await loadCheckpoint(join(dir, fixture));
    assert.is(after.progress.epochsDone, 3);
    assert.equal(after.optimizerWeights.map((w) => w.name.replace(/_\d+\//, '/')), names);
    assert.equal(names.filter((n) => n !== 'iter').map((n) => n.split('/').pop()).filter((k, i, a) => a.indexOf(k) === i), kinds);
    assert.is(after.optimizerWeights[0].tensor.dataSync()[0], 6 + 3, 'iter: 6 steps, then the 3 batches of epoch 3');
    tf.dispose(after.optimizerWeights.map((w) => w.tensor)); after.model.dispose();
  });

  s(`${fixture}: the next step uses the loaded state (against a float64 step from it)`, async () => {
    const ck = await loadCheckpoint(join(FIXTURES, fixture));
    const h = ck.config.optimizer;
    const vars = ck.model.trainableWeights.map((w) => w.read());
    const rows = readFileSync(join(FIXTURES, 'tiny.csv'), 'utf8').trim().split('\n').slice(1, 17).map((l) => l.split(',').map(Number));
    const x = tf.tensor2d(rows.map((r) => r.slice(0, 4))), y = tf.tensor1d(rows.map((r) => r[4]), 'int32');
    const loss = () => crossEntropy(outputKind(ck.model), ck.model.apply(x, { training: true }), y, 3);
    const state = Object.fromEntries(ck.optimizerWeights.map((w) => [w.name, Float64Array.from(w.tensor.dataSync())]));
    const t = ck.optimizerWeights[0].tensor.dataSync()[0] + 1;
    const { grads } = tf.variableGrads(loss, vars);
    const w0 = vars.map((v) => Float64Array.from(v.dataSync())), g = vars.map((v) => Float64Array.from(grads[v.name].dataSync()));
    tf.dispose(Object.values(grads));

    const opt = trainingOptimizer(h, undefined);
    await opt.setWeights(ck.optimizerWeights);
    opt.step(loss, vars);
    let stateMatters = 0;
    vars.forEach((v, i) => {
      const got = v.dataSync();
      for (let j = 0; j < got.length; j++) {
        const w = w0[i][j], gj = g[i][j];
        let want, fresh, scale;
        if (name === 'sgd') {
          const p = gj + h.weightDecay * w, b = state[`${v.name}/momentum`][j];
          want = w - h.learningRate * (h.momentum * b + p);
          fresh = w - h.learningRate * p; // no state: b = p on a first step
          scale = Math.abs(w) + h.learningRate * (Math.abs(h.momentum * b) + Math.abs(p));
        } else {
          const m = h.beta1 * state[`${v.name}/adam_m`][j] + (1 - h.beta1) * gj;
          const vv = h.beta2 * state[`${v.name}/adam_v`][j] + (1 - h.beta2) * gj * gj;
          const stepSize = h.learningRate / (1 - h.beta1 ** t), bc2 = Math.sqrt(1 - h.beta2 ** t);
          want = w * (1 - h.learningRate * h.weightDecay) - stepSize * m / (Math.sqrt(vv) / bc2 + h.epsilon);
          const m1 = (1 - h.beta1) * gj, v1 = (1 - h.beta2) * gj * gj;
          fresh = w * (1 - h.learningRate * h.weightDecay) - h.learningRate / (1 - h.beta1) * m1 / (Math.sqrt(v1) / Math.sqrt(1 - h.beta2) + h.epsilon);
          scale = Math.abs(w) + Math.abs(stepSize * m / (Math.sqrt(vv) / bc2 + h.epsilon));
        }
        const tol = 4e-6 * scale + 1e-7;
        if (!(Math.abs(got[j] - want) <= tol)) assert.unreachable(`${v.name}[${j}]: got ${got[j]}, float64 step from the loaded state ${want}`);
        if (Math.abs(fresh - want) > 100 * tol) stateMatters++;
      }
    });
    assert.ok(stateMatters > 10, `the loaded state changes the step (${stateMatters} weights differ from a step without it)`);
    opt.dispose(); ck.model.dispose(); tf.dispose([x, y, ...ck.optimizerWeights.map((w) => w.tensor)]);
  });
}

s('an old SGD checkpoint at momentum 0 (tf.train.momentum kept its buffers there too) loads; the buffers are left out', async () => {
  const ck = await loadCheckpoint(join(FIXTURES, 'sgd-tfjs-momentum.fsam'));
  const opt = trainingOptimizer({ ...ck.config.optimizer, momentum: 0 }, undefined);
  await opt.setWeights(ck.optimizerWeights);
  const saved = await opt.getWeights();
  assert.equal(saved.map((w) => w.name), ['iter']);
  assert.is(saved[0].tensor.dataSync()[0], 6);
  opt.dispose(); ck.model.dispose(); tf.dispose([...saved, ...ck.optimizerWeights].map((w) => w.tensor));
});

s.after(() => rmSync(dir, { recursive: true, force: true }));
s.run();

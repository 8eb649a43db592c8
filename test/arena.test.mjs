// The parameter arena: exact size known before allocation, refusal over budget with
// nothing allocated, a layout report that matches the memory, no growth over steps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena, ArenaLayout, ArenaBudgetError, createOptimizer } from '../dist/core.js';

const s = suite('parameter arena');

s('layout: 16-byte aligned offsets shared by every slab, exact total', () => {
  const layout = new ArenaLayout([{ name: 'a', size: 5 }, { name: 'b', size: 0 }, { name: 'c', size: 8 }, { name: 'd', size: 1 }],
    ['weights', 'grad', 'ema']);
  assert.equal(layout.offsets, [0, 8, 8, 16]);
  assert.is(layout.slabFloats, 20);
  assert.is(layout.totalBytes, 3 * 20 * 4);
  const r = layout.report();
  assert.equal(r.bytesPerKind, { weights: 80, grad: 80, ema: 80 });
  assert.is(r.stateBytes, 80);
  assert.is(r.parameters, 14);
});

s('over budget: ArenaBudgetError names needed and available bytes; the host allocates nothing', () => {
  const layout = new ArenaLayout([{ name: 'w', size: 1000 }], ['weights', 'grad', 'ema', 'wold']);
  let calls = 0;
  const host = { get memory() { throw new Error('no memory'); }, allocate() { calls++; return 0; }, release() {} };
  const err = (() => { try { Arena.allocate(layout, { maxBytes: 15_999, host }); } catch (e) { return e; } })();
  assert.instance(err, ArenaBudgetError);
  assert.instance(err, RangeError);
  assert.is(err.neededBytes, 16_000);
  assert.is(err.availableBytes, 15_999);
  assert.match(err.message, '16000');
  assert.match(err.message, '15999');
  assert.is(calls, 0);
  Arena.allocate(layout, { maxBytes: 16_000, host });
  assert.is(calls, 1);
});

s('createOptimizer refuses a budget too small before allocating anything', async () => {
  const err = await createOptimizer({ variables: [{ name: 'w', size: 1 << 20 }], maxBytes: 1 << 20 }).catch((e) => e);
  assert.instance(err, ArenaBudgetError);
  // F-SAM + SGD momentum standalone: weights, grad, grad2, ema, wold, momentum = 6 slabs.
  assert.is(err.neededBytes, 6 * 4 * (1 << 20));
});

s('the reported layout equals the wasm memory the arena takes', async () => {
  for (const [opts, stateBytesPerParam] of [
    [{ sharpness: 'fsam', base: 'sgd', momentum: 0.9 }, 12],
    [{ sharpness: 'fsam', base: 'adamw' }, 16],
    [{ sharpness: 'sam', base: 'sgd', momentum: 0.9 }, 8],
    [{ sharpness: 'sam', base: 'sgd', momentum: 0 }, 4],
    [{ sharpness: 'none', base: 'sgd', momentum: 0.9 }, 4],
    [{ sharpness: 'fsam', base: 'sgd', momentum: 0.9, lowMemory: true }, 4],
    [{ sharpness: 'sam', base: 'sgd', momentum: 0.9, lowMemory: true }, 2],
    [{ sharpness: 'fsam', base: 'sgd', momentum: 0, lowMemory: true }, 2],
  ]) {
    const sizes = [300_000, 17, 65_536 * 3 + 1];
    const opt = await createOptimizer({ variables: sizes.map((size, i) => ({ name: `v${i}`, size })), ...opts });
    const report = opt.memory();
    const aligned = sizes.reduce((a, n) => a + Math.ceil(n / 4) * 4, 0);
    const floatSlabs = Object.keys(report.bytesPerKind).filter((k) => !k.endsWith('_bf16')).length;
    const halfSlabs = Object.keys(report.bytesPerKind).length - floatSlabs;
    assert.is(report.totalBytes, floatSlabs * aligned * 4 + halfSlabs * Math.ceil((aligned * 2) / 16) * 16, JSON.stringify(opts));
    assert.is(report.stateBytes, stateBytesPerParam * aligned, JSON.stringify(opts));
    const memory = opt.weights[0].buffer;
    assert.is(memory.byteLength, Math.ceil(report.totalBytes / 65536) * 65536, `${JSON.stringify(opts)}: memory bytes`);
    opt.dispose();
  }
});

s('10,000 steps leave the memory size unchanged', async () => {
  const opt = await createOptimizer({ variables: [{ name: 'w', size: 1000 }, { name: 'b', size: 3 }], sharpness: 'fsam', base: 'adamw' });
  const buffer = opt.weights[0].buffer, before = buffer.byteLength;
  for (let t = 0; t < 10_000; t++) {
    opt.stepWith((w, g) => { for (let i = 0; i < w.length; i++) for (let j = 0; j < w[i].length; j++) g[i][j] = w[i][j] - 1; });
  }
  assert.is(opt.iterations, 10_000);
  assert.ok(opt.weights[0].buffer === buffer, 'memory was replaced');
  assert.is(buffer.byteLength, before);
  assert.ok(Math.abs(opt.weights[0][0] - 1) < 0.05, `converges towards 1: ${opt.weights[0][0]}`);
  opt.dispose();
});

s('2^31 parameters: ArenaBudgetError (over what a wasm32 memory holds), not the engine\'s RangeError', async () => {
  const err = await createOptimizer({ variables: [{ name: 'W', size: 2 ** 31 }], sharpness: 'fsam', learningRate: 0.1 }).catch((e) => e);
  assert.instance(err, ArenaBudgetError);
  assert.is(err.neededBytes, 2 ** 31 * 4 * 6, 'weights, two gradients, m, w_old, momentum');
  assert.is(err.availableBytes, 2 ** 32);
  assert.match(err.message, `needs ${2 ** 31 * 4 * 6} bytes`);
});

s.run();

// Issue 17's fused memory passes: the kernels FsamConv2DBiasRelu and FsamMaxPoolReluGrad
// (src/kernels/Conv2DBiasRelu.ts, MaxPoolReluGrad.ts) against float64 scalar references
// and, bit for bit, against the unfused kernels they replace, on odd shapes (sizes not a
// multiple of 4, 1×1 images, channels 1/3/8/16, overlapping pool windows) and on inputs
// with NaN, ±Inf and −0 (there, NaN counts as one value: see support/recorded_passes.mjs's
// firstDifference; every other bit must match); and the rewrite src/replay/fuse_memory_passes.ts on hand-built
// recorded passes (test/support/recorded_passes.mjs), run op by op through kernelFunc
// before and after: the same bits in every result slot, at 1 thread here and at 2 threads
// (whole and split calls) in a child process (support/fuse_passes_threads.mjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ready, tf } from '../dist/fsam-edge.js';
import { bundleTest } from './tfjs-core-ops/bundle.mjs';
import { newPass, studyChainPass, feedsFor, runPass, firstDifference } from './support/recorded_passes.mjs';

await ready();
const { fuseMemoryPasses } = await import(await bundleTest('fuse_memory_passes',
  "export { fuseMemoryPasses } from './src/replay/fuse_memory_passes.ts';"));

let seed = 17;
const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];
const f32 = (bits) => new Float32Array(bits.buffer);
const count = (pass, name) => pass.ops.filter((o) => o.kernelName === name).length;
const outSize = (n, k, s, d, pad) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - (k - 1) * d - 1) / s) + 1);
const padBefore = (n, k, s, d, pad) => (pad === 'same' ? Math.floor(Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0) / 2) : 0);

/** Feeds with integer values in [−3, 3] (ties in every pool window), `special` sprinkled. */
function tiedFeeds(pass, special) {
  const feeds = new Map();
  for (const s of pass.external) {
    const n = pass.infos[s].shape.reduce((a, c) => a * c, 1);
    feeds.set(s, Float32Array.from({ length: n }, () => (special && rand() < 0.05 ? pick(SPECIAL) : int(-3, 3))));
  }
  return feeds;
}

function assertNear(got, want, scale, what) {
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) { assert.ok(Number.isNaN(got[i]), `${what}[${i}]: got ${got[i]}, want NaN`); continue; }
    if (!Number.isFinite(want[i])) { assert.is(got[i], want[i], `${what}[${i}]`); continue; }
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= 1e-5 * Math.max(scale[i] ?? scale, 1e-30))) assert.unreachable(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

const k = suite('fused kernels');

k('FsamConv2DBiasRelu: the bits of Conv2D → Add → Relu, and float64 within 1e-5 (odd shapes, NaN/±Inf/−0)', () => {
  let cases = 0;
  for (let t = 0; t < 80; t++) {
    const B = int(1, 3), H = pick([1, 2, 3, 5, 7, 9]), W = pick([1, 2, 4, 6, 9, 13]);
    const CI = pick([1, 3, 8, 16]), CO = pick([1, 3, 5, 8, 16]);
    if (CI === 1 && CO === 1) continue;
    const KH = int(1, 3), KW = int(1, 3), s = int(1, 2), d = s === 1 ? int(1, 2) : 1, pad = pick(['same', 'valid']);
    const OH = outSize(H, KH, s, d, pad), OW = outSize(W, KW, s, d, pad);
    if (OH < 1 || OW < 1) continue;
    const special = t % 3 === 0;
    const attrs = { strides: [s, s], pad, dataFormat: 'NHWC', dilations: [d, d] };
    const b = newPass();
    const x = b.input([B, H, W, CI]), w = b.input([KH, KW, CI, CO]), bias = b.input([CO]);
    const a = b.op('Conv2D', { x, filter: w }, attrs, [B, OH, OW, CO]);
    const z = b.op('Add', { a, b: bias }, {}, [B, OH, OW, CO]);
    const y = b.op('Relu', { x: z }, {}, [B, OH, OW, CO]);
    b.pass.results.add(y);
    const fused = fuseMemoryPasses(b.pass);
    assert.equal(fused.ops.map((o) => o.kernelName), ['FsamConv2DBiasRelu'], `${JSON.stringify({ B, H, W, CI, CO, KH, KW, s, d, pad })}`);
    const feeds = feedsFor(b.pass, 100 + t, special ? SPECIAL : []);
    const want = runPass(tf, b.pass, feeds), got = runPass(tf, fused, feeds);
    assert.is(firstDifference(want, got, { nanAsOne: special }), null, JSON.stringify({ B, H, W, CI, CO, KH, KW, s, d, pad, special }));
    // float64: y = max(Σ x·w + bias, 0), NaN kept.
    const X = feeds.get(x), F = feeds.get(w), Bi = feeds.get(bias), out = f32(got.get(y));
    const ref = new Float64Array(out.length), scale = new Float64Array(out.length);
    const pt = padBefore(H, KH, s, d, pad), pl = padBefore(W, KW, s, d, pad);
    for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let co = 0; co < CO; co++) {
      let acc = 0, mag = Math.abs(Bi[co]);
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * s - pt + kh * d, iw = ow * s - pl + kw * d;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let ci = 0; ci < CI; ci++) {
          const p = X[((n * H + ih) * W + iw) * CI + ci] * F[((kh * KW + kw) * CI + ci) * CO + co];
          acc += p; mag += Math.abs(p);
        }
      }
      const v = acc + Bi[co], i = ((n * OH + oh) * OW + ow) * CO + co;
      ref[i] = Number.isNaN(v) ? NaN : v > 0 ? v : 0; scale[i] = mag;
    }
    assertNear(out, ref, scale, 'y');
    cases++;
  }
  assert.ok(cases > 50, `${cases} cases`);
});

k('FsamMaxPoolReluGrad: the bits of MaxPoolGrad → FsamReluGrad → Sum, and float64 (ties, overlapping windows, NaN/±Inf/−0)', () => {
  let cases = 0;
  for (let t = 0; t < 80; t++) {
    const B = int(1, 4), H = pick([1, 2, 3, 5, 7, 10]), W = pick([1, 2, 3, 6, 9]), C = pick([1, 3, 8, 16, 5, 12, 28]);
    const fh = int(1, 3), fw = int(1, 3), s = int(1, 3), pad = pick(['same', 'valid']);
    const OH = outSize(H, fh, s, 1, pad), OW = outSize(W, fw, s, 1, pad);
    if (OH < 1 || OW < 1) continue;
    const special = t % 3 === 0, withSum = t % 4 !== 1;
    const what = JSON.stringify({ B, H, W, C, fh, fw, s, pad, special, withSum });
    const pool = { filterSize: [fh, fw], strides: [s, s], pad };
    const b = newPass();
    const z = b.input([B, H, W, C]), dp = b.input([B, OH, OW, C]);
    const y = b.op('Relu', { x: z }, {}, [B, H, W, C]);
    const g = b.op('MaxPoolGrad', { dy: dp, input: y, output: dp }, pool, [B, H, W, C]);
    const r = b.op('FsamReluGrad', { dy: g, x: z }, {}, [B, H, W, C]);
    b.pass.results.add(r);
    if (withSum) b.pass.results.add(b.op('Sum', { x: r }, { axis: [0, 1, 2], keepDims: false }, [C]));
    const fused = fuseMemoryPasses(b.pass);
    assert.equal(fused.ops.map((o) => o.kernelName), ['Relu', 'FsamMaxPoolReluGrad'], what);
    assert.is(fused.ops[1].attrs.biasGrad, withSum);
    const feeds = tiedFeeds(b.pass, special);
    const want = runPass(tf, b.pass, feeds), got = runPass(tf, fused, feeds);
    assert.is(firstDifference(want, got, { nanAsOne: special }), null, what);
    // float64: each window's first strict maximum of y = relu(z) gets dp; times step(z); column sums.
    const Z = feeds.get(z), DP = feeds.get(dp), dx = new Float64Array(Z.length);
    const relu = (v) => (Number.isNaN(v) ? v : v > 0 ? v : 0);
    const pt = padBefore(H, fh, s, 1, pad), pl = padBefore(W, fw, s, 1, pad);
    for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
      let best = -Infinity, at = -1;
      for (let r0 = oh * s - pt; r0 < oh * s - pt + fh; r0++) for (let q = ow * s - pl; q < ow * s - pl + fw; q++) {
        if (r0 < 0 || r0 >= H || q < 0 || q >= W) continue;
        const i = ((n * H + r0) * W + q) * C + c;
        if (relu(Z[i]) > best) { best = relu(Z[i]); at = i; }
      }
      if (at >= 0) dx[at] += DP[((n * OH + oh) * OW + ow) * C + c];
    }
    const step = (v) => (Number.isNaN(v) ? v : v > 0 ? 1 : 0);
    for (let i = 0; i < dx.length; i++) dx[i] *= step(Z[i]);
    assertNear(f32(got.get(r)), dx, 1e-30 + 4, `dx ${what}`);
    if (withSum) {
      const sums = new Float64Array(C), scale = new Float64Array(C);
      for (let i = 0; i < dx.length; i++) { sums[i % C] += dx[i]; scale[i % C] += Math.abs(dx[i]) || 0; }
      assertNear(f32(got.get(fused.ops[1].outputs[1])), sums, scale, `db ${what}`);
    }
    cases++;
  }
  assert.ok(cases > 50, `${cases} cases`);
});

k('bad inputs are errors naming the value', () => {
  const x = tf.zeros([1, 4, 4, 2]), w = tf.zeros([3, 3, 2, 4]), bias = tf.zeros([3]);
  assert.throws(() => tf.engine().runKernel('FsamConv2DBiasRelu', { x, filter: w, bias }, { strides: 1, pad: 'valid' }),
    /FsamConv2DBiasRelu: bias must hold the 4 output channels.*\[3\]/);
  assert.throws(() => tf.engine().runKernel('FsamConv2DBiasRelu', { x, filter: w, bias }, { strides: 1, pad: 'valid', dataFormat: 'NCHW' }),
    /dataFormat must be 'NHWC', got "NCHW"/);
  assert.throws(() => tf.engine().runKernel('FsamMaxPoolReluGrad', { dy: tf.zeros([1, 3, 3, 2]), input: x }, { filterSize: 2, strides: 2, pad: 'valid' }),
    /FsamMaxPoolReluGrad: dy must have the conv output's shape \[1,2,2,2\], got \[1,3,3,2\]/);
  tf.dispose([x, w, bias]);
});

k.run();

const r = suite('fuseMemoryPasses');

for (const [label, shape] of [
  ['the study CNN\'s two conv blocks (28×28×1 → 8 → 16)', { B: 3, H: 28, W: 28, CI: 1, C1: 8, C2: 16 }],
  ['odd sizes (11×13×3 → 3 → 5), the Sum reading a Reshape', { B: 2, H: 11, W: 13, CI: 3, C1: 3, C2: 5, sumOfReshape: true }],
  ['a 1×1 second pool (8×8×16 → 16 → 8)', { B: 2, H: 8, W: 8, CI: 16, C1: 16, C2: 8 }],
]) {
  r(`${label}: every chain fused, the same result bits (finite inputs, and NaN/±Inf/−0)`, () => {
    const { pass } = studyChainPass(shape);
    const fused = fuseMemoryPasses(pass);
    for (const gone of ['Conv2D', 'Add', 'Relu', 'MaxPoolGrad', 'FsamReluGrad', 'Sum']) assert.is(count(fused, gone), 0, gone);
    assert.is(count(fused, 'FsamConv2DBiasRelu'), 2);
    assert.is(count(fused, 'FsamMaxPoolReluGrad'), 2);
    assert.ok(fused.ops.filter((o) => o.kernelName === 'FsamMaxPoolReluGrad').every((o) => o.attrs.biasGrad === true && o.outputs.length === 2));
    assert.is(pass.ops.length, 35, 'the input pass is left as it was');
    for (const special of [[], SPECIAL]) {
      const feeds = feedsFor(pass, 3, special);
      assert.is(firstDifference(runPass(tf, pass, feeds), runPass(tf, fused, feeds), { nanAsOne: special.length > 0 }), null);
    }
  });
}

r('a chain whose dropped slot is still needed is left as recorded', () => {
  const variants = {
    // The first block's pre-activation is a result: its forward stays (the second block's
    // fuses); both backwards still fuse (the mask read on y).
    'pre-activation in results': (pass) => { pass.results.add(pass.ops.find((o) => o.kernelName === 'Add').outputs[0]); return [1, 2]; },
    // The first block's raw conv output has another reader.
    'conv output read elsewhere': (pass) => {
      const a = pass.ops.find((o) => o.kernelName === 'Conv2D').outputs[0];
      const s = pass.infos.push({ shape: pass.infos[a].shape, dtype: 'float32' }) - 1;
      pass.ops.push({ kernelName: 'Neg', inputs: { x: a }, attrs: {}, outputs: [s] }); pass.results.add(s); return [1, 2];
    },
    // The pool gradient (through its alias) is a result: no backward fusion.
    'pool gradient in results': (pass) => {
      for (const op of pass.ops.filter((o) => o.kernelName === 'MaxPoolGrad')) pass.results.add(op.outputs[0]);
      return [2, 0];
    },
  };
  for (const [what, change] of Object.entries(variants)) {
    const { pass } = studyChainPass({ B: 2, H: 12, W: 12, CI: 2, C1: 8, C2: 4 });
    const [forward, backward] = change(pass);
    const fused = fuseMemoryPasses(pass);
    assert.is(count(fused, 'FsamConv2DBiasRelu'), forward, `${what}: forward fusions`);
    assert.is(count(fused, 'FsamMaxPoolReluGrad'), backward, `${what}: backward fusions`);
    const feeds = feedsFor(pass, 5);
    assert.is(firstDifference(runPass(tf, pass, feeds), runPass(tf, fused, feeds)), null, what);
  }
});

r('convs fsam-edge does not run itself (1 in, 1 out channel: XNNPACK) and NCHW are not fused', () => {
  for (const [CI, CO, dataFormat] of [[1, 1, 'NHWC'], [3, 4, 'NCHW']]) {
    const b = newPass();
    const shape = dataFormat === 'NHWC' ? [1, 5, 5, CI] : [1, CI, 5, 5];
    const x = b.input(shape), w = b.input([3, 3, CI, CO]), bias = b.input([CO]);
    const out = dataFormat === 'NHWC' ? [1, 3, 3, CO] : [1, CO, 3, 3];
    const a = b.op('Conv2D', { x, filter: w }, { strides: 1, pad: 'valid', dataFormat, dilations: 1 }, out);
    const z = b.op('Add', { a, b: bias }, {}, out);
    b.pass.results.add(b.op('Relu', { x: z }, {}, out));
    assert.equal(fuseMemoryPasses(b.pass).ops.map((o) => o.kernelName), ['Conv2D', 'Add', 'Relu'], `${CI} ${CO} ${dataFormat}`);
  }
});

r('2 threads: fused and unfused passes, whole and split calls, give the same bits', () => {
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('./support/fuse_passes_threads.mjs', import.meta.url))],
    { encoding: 'utf8', timeout: 180_000 });
  assert.is(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.is(out.threads, 2);
  assert.ok(out.splitCalls > 20, `${out.splitCalls} split calls`);
  assert.ok(out.passes >= 6, `${out.passes} passes`);
  assert.equal(out.mismatches, []);
});

r.run();

// The training kernels (src/kernels, assembly/training) against float64 references, on
// randomized configurations: sizes around the SIMD tiles, strides, dilations, pads
// ('same', 'valid', explicit, numeric with dimRoundingMode), channel multipliers, NCHW.
// Tolerance: |got − want| ≤ 1e-5 · max|want|, per element, index named on failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf } from '../dist/fsam-edge.js';
import { plainWasm } from './support/plain_wasm_ops.mjs';

await ready();

// Deterministic PRNG (mulberry32) so a failure names a reproducible configuration.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const randn = (r, n) => Float32Array.from({ length: n }, () => r() * 2 - 1);

export function assertClose(got, want, what, tol = 1e-5) {
  assert.is(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const bound = tol * Math.max(scale, 1e-30);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= bound)) assert.unreachable(`${what}: index ${i}: got ${got[i]}, want ${want[i]} (|err| ${err} > ${bound})`);
  }
}

// The conv geometry, computed here independently of tfjs: output size and top/left pad.
function geometry(H, eff, s, pad, dim, mode) {
  if (pad === 'same') {
    const O = Math.ceil(H / s);
    const total = Math.max((O - 1) * s + eff - H, 0);
    return { O, p: Math.floor(total / 2) };
  }
  if (pad === 'valid') return { O: Math.ceil((H - eff + 1) / s), p: 0 };
  if (typeof pad === 'number') {
    const raw = (H - eff + 2 * pad) / s + 1;
    const O = mode === 'ceil' ? Math.ceil(raw) : mode === 'round' ? Math.round(raw) : Math.floor(raw);
    return { O, p: pad };
  }
  const [t, b] = pad[dim];
  return { O: Math.floor((H + t + b - eff) / s) + 1, p: t };
}

// float64 references, NHWC, filter [KH, KW, CI, Q]; depthwise: output channel ci·M + m.
function refBackprops(c, x, dy, f) {
  const { B, H, W, CI, KH, KW, sh, sw, dh, dw, OH, OW, pt, pl, depthwise, Q } = c;
  const CO = depthwise ? CI * Q : Q;
  const df = new Float64Array(KH * KW * CI * Q), dx = new Float64Array(B * H * W * CI);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const xi = ((b * H + ih) * W + iw) * CI, yi = ((b * OH + oh) * OW + ow) * CO, fi = (kh * KW + kw) * CI * Q;
      for (let ci = 0; ci < CI; ci++) {
        if (depthwise) {
          for (let m = 0; m < Q; m++) {
            df[fi + ci * Q + m] += x[xi + ci] * dy[yi + ci * Q + m];
            dx[xi + ci] += dy[yi + ci * Q + m] * f[fi + ci * Q + m];
          }
        } else {
          for (let co = 0; co < Q; co++) {
            df[fi + ci * Q + co] += x[xi + ci] * dy[yi + co];
            dx[xi + ci] += dy[yi + co] * f[fi + ci * Q + co];
          }
        }
      }
    }
  }
  return { df, dx };
}

const toNCHW = (a, [B, H, W, C]) => {
  const o = new Float64Array(a.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    o[((b * C + c) * H + h) * W + w] = a[((b * H + h) * W + w) * C + c];
  }
  return o;
};

function randomConfig(r, depthwise) {
  for (;;) {
    const B = int(r, 1, 3), H = int(r, 1, 11), W = int(r, 1, 11);
    const CI = pick(r, depthwise ? [1, 2, 3, 4, 5, 8, 16, 17, 20] : [1, 2, 3, 4, 5, 7, 8, 9, 12, 16]);
    const Q = depthwise ? pick(r, [1, 1, 1, 2, 3]) : pick(r, [1, 2, 3, 4, 5, 8, 9, 12, 16, 17]);
    const KH = int(r, 1, 4), KW = int(r, 1, 4);
    const dilated = r() < 0.3;
    const sh = dilated ? 1 : int(r, 1, 3), sw = dilated ? 1 : int(r, 1, 3);
    const dh = dilated ? int(r, 1, 3) : 1, dw = dilated ? int(r, 1, 3) : 1;
    const kind = pick(r, ['same', 'valid', 'explicit', 'number']);
    const nchw = !depthwise && r() < 0.2;
    let pad = kind, mode;
    if (kind === 'explicit') {
      const t = int(r, 0, 2), b = int(r, 0, 2), le = int(r, 0, 2), ri = int(r, 0, 2);
      pad = nchw ? [[0, 0], [0, 0], [t, b], [le, ri]] : [[0, 0], [t, b], [le, ri], [0, 0]];
    } else if (kind === 'number') {
      pad = int(r, 0, 2);
      mode = pick(r, ['floor', 'round', 'ceil']);
    }
    const effH = (KH - 1) * dh + 1, effW = (KW - 1) * dw + 1;
    const gh = geometry(H, effH, sh, pad, nchw ? 2 : 1, mode);
    // tfjs quirk: a numeric pad sizes the width with the filter's height and stride too
    // (conv_util computeOutputShape2D); the kernels follow tfjs's conv info.
    const gw = typeof pad === 'number' ? { O: geometry(W, effH, sh, pad, 0, mode).O, p: pad }
      : geometry(W, effW, sw, pad, nchw ? 3 : 2, mode);
    if (gh.O < 1 || gw.O < 1) continue;
    return { B, H, W, CI, Q, KH, KW, sh, sw, dh, dw, pad, mode, nchw, depthwise, OH: gh.O, OW: gw.O, pt: gh.p, pl: gw.p };
  }
}

function runConfig(c, seed) {
  const r = rng(seed * 7919 + 1);
  const CO = c.depthwise ? c.CI * c.Q : c.Q;
  const x = randn(r, c.B * c.H * c.W * c.CI), f = randn(r, c.KH * c.KW * c.CI * c.Q);
  const dy = randn(r, c.B * c.OH * c.OW * CO);
  const want = refBackprops(c, x, dy, f);
  const xShape = [c.B, c.H, c.W, c.CI], yShape = [c.B, c.OH, c.OW, CO], fShape = [c.KH, c.KW, c.CI, c.Q];
  const lay = (a, s) => (c.nchw ? toNCHW(a, s) : a);
  const shp = (s) => (c.nchw ? [s[0], s[3], s[1], s[2]] : s);
  const xt = tf.tensor(Float32Array.from(lay(x, xShape)), shp(xShape));
  const dyt = tf.tensor(Float32Array.from(lay(dy, yShape)), shp(yShape));
  const ft = tf.tensor(f, fShape);
  const attrs = { strides: [c.sh, c.sw], pad: c.pad, dimRoundingMode: c.mode, dilations: [c.dh, c.dw],
    dataFormat: c.nchw ? 'NCHW' : 'NHWC' };
  const what = `config ${seed} ${JSON.stringify(c)}`;
  const before = tf.memory().numTensors, beforeData = tf.backend().numDataIds();
  const names = c.depthwise
    ? ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']
    : ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
  if (c.depthwise) delete attrs.dataFormat;
  const gotF = tf.engine().runKernel(names[0], { x: xt, dy: dyt }, { ...attrs, filterShape: fShape });
  const gotX = tf.engine().runKernel(names[1], { dy: dyt, filter: ft }, { ...attrs, inputShape: shp(xShape) });
  assert.equal(gotF.shape, fShape, `${what}: filter grad shape`);
  assert.equal(gotX.shape, shp(xShape), `${what}: input grad shape`);
  assertClose(gotF.dataSync(), want.df, `${what}: ${names[0]}`);
  assertClose(gotX.dataSync(), lay(want.dx, xShape), `${what}: ${names[1]}`);
  tf.dispose([gotF, gotX]);
  assert.is(tf.memory().numTensors, before, `${what}: leaked tensors`);
  // Backend data too: the NCHW transposes are tensor infos the engine does not count.
  assert.is(tf.backend().numDataIds(), beforeData, `${what}: leaked backend data`);
  tf.dispose([xt, dyt, ft]);
}

const conv = suite('Conv2D backprops vs float64');
conv('160 random Conv2D configs (filter and input grads)', () => {
  const r = rng(42);
  for (let i = 0; i < 160; i++) runConfig(randomConfig(r, false), i);
});
conv('tile edges: CI, CO across 1..17, 3×3 same, stride 1 and 2', () => {
  let seed = 1000;
  for (const CI of [1, 3, 4, 5, 8, 9, 16, 17]) for (const Q of [1, 4, 7, 8, 9, 16, 17]) {
    for (const s of [1, 2]) {
      const g = geometry(7, 3, s, 'same', 1);
      runConfig({ B: 2, H: 7, W: 6, CI, Q, KH: 3, KW: 3, sh: s, sw: s, dh: 1, dw: 1, pad: 'same', nchw: false,
        depthwise: false, OH: g.O, OW: geometry(6, 3, s, 'same', 2).O, pt: g.p, pl: geometry(6, 3, s, 'same', 2).p }, seed++);
    }
  }
});
conv('1–3 input channels with a non-finite filter: the same Inf and NaN as the float64 sum', () => {
  // The gather form for CI ≤ 3 reads zero margins, which are exact only while F is
  // finite; with an Inf in F the kernel must fall back and give the reference's pattern.
  const r = rng(99);
  for (const CI of [1, 3]) {
    // Stride 1, 'same': dx's first column reads dy's column −1 through kw = 2.
    const B = 2, H = 7, W = 7, Q = 4, KH = 3, KW = 3, s = 1;
    const g = geometry(H, KH, s, 'same', 1);
    const c = { B, H, W, CI, Q, KH, KW, sh: s, sw: s, dh: 1, dw: 1, pad: 'same', nchw: false, depthwise: false, OH: g.O, OW: g.O, pt: g.p, pl: g.p };
    const x = randn(r, B * H * W * CI), dy = randn(r, B * g.O * g.O * Q), f = randn(r, KH * KW * CI * Q);
    f[((1 * KW + 2) * CI + 0) * Q + 1] = Infinity; // kh 1, kw 2, ci 0, co 1
    const want = refBackprops(c, x, dy, f).dx;
    const got = tf.tidy(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, [B, g.O, g.O, Q]), filter: tf.tensor(f, [KH, KW, CI, Q]) },
      { strides: [s, s], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC', inputShape: [B, H, W, CI] }).dataSync());
    let finite = 0;
    for (let i = 0; i < want.length; i++) {
      if (Number.isFinite(want[i])) {
        finite++;
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * 8, `CI ${CI} index ${i}: got ${got[i]}, want ${want[i]}`);
      } else {
        assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `CI ${CI} index ${i}: got ${got[i]}, want ${want[i]}`);
      }
    }
    assert.ok(finite > 0 && finite < want.length, `CI ${CI}: the Inf must reach some values and not others (${finite} of ${want.length} finite)`);
  }
});
conv.run();

const dw = suite('DepthwiseConv2dNative backprops vs float64');
dw('120 random depthwise configs, multipliers 1–3 (filter and input grads)', () => {
  const r = rng(7);
  for (let i = 0; i < 120; i++) runConfig(randomConfig(r, true), 5000 + i);
});
dw.run();

// UnsortedSegmentSum: ids of rank 1 and 2, out-of-range ids dropped, f32 and i32.
function refSegmentSum(x, xShape, ids, idShape, n) {
  const N = xShape[0], S = idShape.slice(1).reduce((a, b) => a * b, 1);
  const E = xShape.slice(idShape.length).reduce((a, b) => a * b, 1);
  const out = new Float64Array(n * S * E);
  for (let r = 0; r < N; r++) for (let j = 0; j < S; j++) {
    const s = ids[r * S + j];
    if (s < 0 || s >= n) continue;
    for (let e = 0; e < E; e++) out[(s * S + j) * E + e] += x[(r * S + j) * E + e];
  }
  return out;
}

const seg = suite('UnsortedSegmentSum vs float64');
seg('60 random configs, float32 and int32', () => {
  const r = rng(99);
  for (let i = 0; i < 60; i++) {
    const N = int(r, 1, 9), n = int(r, 1, 6), rank2 = r() < 0.3;
    const idShape = rank2 ? [N, int(r, 1, 3)] : [N];
    const xShape = [...idShape, ...(r() < 0.2 ? [] : [int(r, 1, 13)]), ...(r() < 0.3 ? [int(r, 1, 3)] : [])];
    const size = xShape.reduce((a, b) => a * b, 1), nIds = idShape.reduce((a, b) => a * b, 1);
    const ids = Int32Array.from({ length: nIds }, () => int(r, -1, n));
    const dtype = r() < 0.3 ? 'int32' : 'float32';
    const x = dtype === 'int32' ? Int32Array.from({ length: size }, () => int(r, -50, 50)) : randn(r, size);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(x, xShape, dtype), tf.tensor(ids, idShape, 'int32'), n));
    assert.equal(got.shape, [n, ...xShape.slice(1)]);
    assert.is(got.dtype, dtype);
    assertClose(got.dataSync(), refSegmentSum(x, xShape, ids, idShape, n), `segment config ${i} ${JSON.stringify({ xShape, idShape, n, dtype })}`);
    got.dispose();
    assert.is(tf.memory().numTensors, before, 'leaked tensors');
  }
});
seg.run();

// Dilated gradients: tfjs-core rejects them; ours must match the composed-ops path on cpu?
// Here: through tf.grads on 'wasm', against the float64 reference.
const pool = suite('MaxPoolGrad vs float64 (tfjs-backend-cpu\'s tie rule)');
/** dx of a max pool in float64: each window's first strict maximum gets its dy. */
function refMaxPoolGrad(x, dy, c) {
  const { B, H, W, C, OH, OW, fh, fw, sh, sw, pt, pl } = c;
  const dx = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let ch = 0; ch < C; ch++) {
    let best = -Infinity, at = -1;
    for (let r = oh * sh - pt; r < oh * sh - pt + fh; r++) {
      if (r < 0 || r >= H) continue;
      for (let q = ow * sw - pl; q < ow * sw - pl + fw; q++) {
        if (q < 0 || q >= W) continue;
        const i = ((b * H + r) * W + q) * C + ch;
        if (x[i] > best) { best = x[i]; at = i; }
      }
    }
    if (at >= 0) dx[at] += dy[((b * OH + oh) * OW + ow) * C + ch];
  }
  return dx;
}
pool('200 random pools: windows 1–3, strides 1–3, overlapping, every pad kind, ties, NaN and −Inf', () => {
  const r = rng(2024);
  for (let t = 0; t < 200; t++) {
    const B = int(r, 1, 2), H = int(r, 1, 9), W = int(r, 1, 9), C = pick(r, [1, 2, 3, 4, 5, 8, 9, 16]);
    const fh = int(r, 1, 3), fw = int(r, 1, 3), sh = int(r, 1, 3), sw = int(r, 1, 3);
    const kind = pick(r, ['same', 'valid', 'number']);
    const pad = kind === 'number' ? int(r, 0, 1) : kind;
    const mode = kind === 'number' ? pick(r, ['floor', 'round', 'ceil']) : undefined;
    // tfjs sizes a numeric pad's width with the filter's height and stride (see above).
    const gh = geometry(H, fh, sh, pad, 1, mode), gw = typeof pad === 'number' ? { O: geometry(W, fh, sh, pad, 0, mode).O, p: pad } : geometry(W, fw, sw, pad, 2, mode);
    if (gh.O < 1 || gw.O < 1) continue;
    const c = { B, H, W, C, OH: gh.O, OW: gw.O, fh, fw, sh, sw, pt: gh.p, pl: gw.p };
    // Small integers make ties common; a few NaN and −Inf test the strict comparison.
    const x = Float32Array.from({ length: B * H * W * C }, () => { const u = r(); return u < 0.03 ? NaN : u < 0.06 ? -Infinity : int(r, -3, 3); });
    const dy = randn(r, B * gh.O * gw.O * C);
    const attrs = { filterSize: [fh, fw], strides: [sh, sw], pad, dimRoundingMode: mode };
    const what = `pool ${t} ${JSON.stringify(attrs)} ${JSON.stringify(c)}`;
    const xt = tf.tensor(x, [B, H, W, C]), dyt = tf.tensor(dy, [B, gh.O, gw.O, C]);
    const before = tf.memory().numTensors;
    const got = tf.engine().runKernel('MaxPoolGrad', { dy: dyt, input: xt, output: xt }, attrs);
    assert.equal(got.shape, [B, H, W, C], what);
    assertClose(got.dataSync(), refMaxPoolGrad(x, dy, c), what);
    got.dispose();
    assert.is(tf.memory().numTensors, before, `${what}: leaked tensors`);
    tf.dispose([xt, dyt]);
  }
});
pool('a bad dy shape is refused by name', () => {
  const x = tf.zeros([1, 4, 4, 2]), dy = tf.zeros([1, 3, 3, 2]);
  assert.throws(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: x }, { filterSize: 2, strides: 2, pad: 'valid' }),
    /MaxPoolGrad: dy must have the conv output's shape \[1,2,2,2\], got \[1,3,3,2\]/);
  assert.throws(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: x }, { filterSize: 0, strides: 2, pad: 'valid' }),
    /MaxPoolGrad: filterSize must be a positive integer or a pair of them, got 0/);
  tf.dispose([x, dy]);
});
pool.run();

const bias = suite('Add and Sum for a bias: the bits of a float32 add and of a row-order float32 sum');
bias('200 random shapes: bias as either operand, [C] or [1, …, 1, C]; sums over all but the last axis, keepDims, negative axes', () => {
  const r = rng(77);
  const bits = (a) => new Uint32Array(Float32Array.from(a).buffer);
  for (let t = 0; t < 200; t++) {
    const rank = int(r, 2, 4), C = pick(r, [1, 3, 4, 5, 8, 16, 17, 33]);
    const shape = [...Array.from({ length: rank - 1 }, () => int(r, 1, 6)), C];
    const n = shape.reduce((a, b) => a * b, 1);
    // Large, mixed magnitudes: a different summation order would change the bits.
    const x = Float32Array.from({ length: n }, () => (r() * 2 - 1) * 10 ** int(r, -3, 4));
    const b = Float32Array.from({ length: C }, () => r() * 2 - 1);
    const what = `shape ${shape}`;
    const xt = tf.tensor(x, shape), bt = tf.tensor(b, r() < 0.5 ? [C] : [...Array(rank - 1).fill(1), C]);
    const wantAdd = x.map((v, i) => Math.fround(v + b[i % C]));
    const flip = r() < 0.5;
    const sum = flip ? tf.add(bt, xt) : tf.add(xt, bt);
    assert.equal(sum.shape, shape, what);
    assert.equal(bits(sum.dataSync()), bits(wantAdd), `${what}: bias add`);
    const wantSum = new Float32Array(C);
    for (let i = 0; i < n; i++) wantSum[i % C] = Math.fround(wantSum[i % C] + x[i]);
    const axes = Array.from({ length: rank - 1 }, (_, i) => (r() < 0.5 ? i : i - rank));
    const keepDims = r() < 0.5;
    const s = tf.sum(xt, axes, keepDims);
    assert.equal(s.shape, keepDims ? [...Array(rank - 1).fill(1), C] : [C], `${what}: sum shape`);
    assert.equal(bits(s.dataSync()), bits(wantSum), `${what}: column sums`);
    tf.dispose([xt, bt, sum, s]);
  }
});
bias('other shapes still go to tfjs-wasm\'s kernels and give the right values', () => {
  const a = tf.tensor([[1, 2, 3], [4, 5, 6]]), col = tf.tensor([[10], [20]]);
  assert.equal(tf.add(a, col).arraySync(), [[11, 12, 13], [24, 25, 26]]);
  assert.equal(tf.sum(a, 1).arraySync(), [6, 15]);
  assert.equal(tf.sum(a).arraySync(), 21);
  assert.equal(tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3, 4], [2], 'int32')).arraySync(), [4, 6]);
  tf.dispose([a, col]);
});
bias.run();

const mm = suite('BatchMatMul: XNNPACK\'s bits (k ascending from 0, one float32 product and add at a time), either operand transposed');
mm('300 random products around the 4×8 tiles, every transpose pair, rank 2 and 3', () => {
  const r = rng(17);
  const bits = (a) => new Uint32Array(Float32Array.from(a).buffer);
  for (let t = 0; t < 300; t++) {
    const M = int(r, 1, 21), K = int(r, 1, 40), N = int(r, 1, 21), ta = r() < 0.5, tb = r() < 0.5, rank3 = r() < 0.25;
    // Mixed magnitudes: another summation order would change the bits.
    const a = Float32Array.from({ length: M * K }, () => (r() * 2 - 1) * 10 ** int(r, -2, 3));
    const b = Float32Array.from({ length: K * N }, () => (r() * 2 - 1) * 10 ** int(r, -2, 3));
    const A = (i, k) => (ta ? a[k * M + i] : a[i * K + k]), B = (k, j) => (tb ? b[j * K + k] : b[k * N + j]);
    const want = new Float32Array(M * N), want64 = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0, s64 = 0;
        for (let k = 0; k < K; k++) { s = Math.fround(s + Math.fround(A(i, k) * B(k, j))); s64 += A(i, k) * B(k, j); }
        want[i * N + j] = s; want64[i * N + j] = s64;
      }
    }
    const lead = rank3 ? [1] : [];
    const at = tf.tensor(a, [...lead, ...(ta ? [K, M] : [M, K])]), bt = tf.tensor(b, [...lead, ...(tb ? [N, K] : [K, N])]);
    const what = `product ${t} ${JSON.stringify({ M, K, N, ta, tb, rank3 })}`;
    const before = tf.memory().numTensors;
    const got = tf.matMul(at, bt, ta, tb);
    assert.equal(got.shape, [...lead, M, N], what);
    assert.equal(bits(got.dataSync()), bits(want), `${what}: bits`);
    let scale = 0;
    for (let i = 0; i < M * N; i++) for (let k = 0; k < K; k++) scale = Math.max(scale, Math.abs(A(i / N | 0, k) * B(k, i % N)));
    assertClose(got.dataSync(), want64, `${what}: float64`, 1e-6 * K * scale / Math.max(...want64.map(Math.abs), 1e-30));
    got.dispose();
    assert.is(tf.memory().numTensors, before, `${what}: leaked tensors`);
    tf.dispose([at, bt]);
  }
});
mm('batched products and int32 still go to tfjs-wasm\'s kernel', () => {
  const a = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), b = tf.tensor([1, 0, 0, 1], [1, 2, 2]);
  assert.equal(tf.matMul(a, b).arraySync(), a.arraySync());
  assert.equal(tf.matMul(a, b, true).arraySync(), [[[1, 3], [2, 4]], [[5, 7], [6, 8]]]);
  tf.dispose([a, b]);
});
mm.run();

const relu = suite('Relu gradient: one kernel, the bits of tfjs-core\'s mul(dy, cast(step(x)))');
relu('random activations with NaN, ±Inf and ±0; first and second derivatives; int32 keeps tfjs-core\'s gradient', () => {
  const r = rng(5);
  const bits = (a) => new Uint32Array(Float32Array.from(a).buffer);
  const special = [NaN, Infinity, -Infinity, 0, -0];
  for (let t = 0; t < 50; t++) {
    const shape = [int(r, 1, 5), int(r, 1, 9), int(r, 1, 7)];
    const n = shape.reduce((a, b) => a * b, 1);
    const value = () => (r() < 0.2 ? pick(r, special) : r() * 4 - 2);
    const x = tf.tensor(Float32Array.from({ length: n }, value), shape);
    const dy = tf.tensor(Float32Array.from({ length: n }, value), shape);
    const before = tf.memory().numTensors;
    const got = tf.grad((v) => tf.relu(v))(x, dy);
    const want = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32')));
    assert.equal(bits(got.dataSync()), bits(want.dataSync()), `shape ${shape}`);
    // d/dx of (dy · relu'(x)) summed: relu'' is 0 where defined, and the gradient flows to dy.
    const second = tf.grad((v) => tf.sum(tf.grad((u) => tf.relu(u))(v, dy)))(x);
    assert.equal(Array.from(second.dataSync()).every((v) => v === 0), true, `shape ${shape}: second derivative`);
    const viaDy = tf.grad((d) => tf.sum(tf.grad((u) => tf.relu(u))(x, d)))(dy);
    const mask = tf.tidy(() => tf.cast(tf.step(x), 'float32'));
    assert.equal(bits(viaDy.dataSync()), bits(mask.dataSync()), `shape ${shape}: derivative in dy`);
    tf.dispose([got, want, second, viaDy, mask]);
    assert.is(tf.memory().numTensors, before, `shape ${shape}: leaked tensors`);
    tf.dispose([x, dy]);
  }
  const xi = tf.tensor([-2, 0, 3], [3], 'int32');
  assert.equal(Array.from(tf.grad((v) => tf.relu(v))(xi).dataSync()), [0, 0, 1]);
});
relu.run();

const fwd = suite('Conv2D forward: XNNPACK\'s sum order (taps kh, kw, then channels, one float32 product at a time)');
fwd('300 random convs: strides, dilations, every pad kind, NCHW; bits of a float32 reference, and float64', () => {
  const r = rng(31);
  const bits = (a) => new Uint32Array(Float32Array.from(a).buffer);
  for (let t = 0; t < 300; t++) {
    const B = int(r, 1, 3), H = int(r, 1, 12), W = int(r, 1, 12), CI = int(r, 1, 10), CO = int(r, 1, 20);
    const KH = int(r, 1, 4), KW = int(r, 1, 4), s = int(r, 1, 3), d = s > 1 ? 1 : int(r, 1, 2);
    const pad = pick(r, ['same', 'valid', 'explicit']);
    const explicit = [[0, 0], [int(r, 0, 2), int(r, 0, 2)], [int(r, 0, 2), int(r, 0, 2)], [0, 0]];
    let info;
    try { info = tf.backend_util.computeConv2DInfo([B, H, W, CI], [KH, KW, CI, CO], [s, s], [d, d], pad === 'explicit' ? explicit : pad); } catch { continue; }
    const { outHeight: OH, outWidth: OW, padInfo: p } = info;
    if (!(OH >= 1 && OW >= 1)) continue;
    const x = Float32Array.from({ length: B * H * W * CI }, () => (r() * 2 - 1) * 10 ** int(r, -2, 2));
    const f = Float32Array.from({ length: KH * KW * CI * CO }, () => (r() * 2 - 1) * 10 ** int(r, -2, 2));
    const want = new Float32Array(B * OH * OW * CO), want64 = new Float64Array(want.length);
    for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let co = 0; co < CO; co++) {
      let acc = 0, acc64 = 0;
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * s - p.top + kh * d, iw = ow * s - p.left + kw * d;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let ci = 0; ci < CI; ci++) {
          const v = x[((b * H + ih) * W + iw) * CI + ci] * f[((kh * KW + kw) * CI + ci) * CO + co];
          acc = Math.fround(acc + Math.fround(v)); acc64 += v;
        }
      }
      want[((b * OH + oh) * OW + ow) * CO + co] = acc; want64[((b * OH + oh) * OW + ow) * CO + co] = acc64;
    }
    const nchw = r() < 0.2;
    const what = `conv ${t} ${JSON.stringify({ B, H, W, CI, CO, KH, KW, s, d, pad: pad === 'explicit' ? explicit : pad, nchw })}`;
    const xt = tf.tensor(x, [B, H, W, CI]), ft = tf.tensor(f, [KH, KW, CI, CO]);
    const got = tf.tidy(() => nchw
      ? tf.transpose(tf.conv2d(tf.transpose(xt, [0, 3, 1, 2]), ft, s, pad === 'explicit' ? [explicit[0], explicit[3], explicit[1], explicit[2]] : pad, 'NCHW', d), [0, 2, 3, 1])
      : tf.conv2d(xt, ft, s, pad === 'explicit' ? explicit : pad, 'NHWC', d));
    assert.equal(got.shape, [B, OH, OW, CO], what);
    // A 1-in, 1-out-channel conv stays tfjs-wasm's (XNNPACK's depthwise path, another order).
    if (!(CI === 1 && CO === 1)) assert.equal(bits(got.dataSync()), bits(want), `${what}: bits`);
    assertClose(got.dataSync(), want64, `${what}: float64`, 1e-6);
    tf.dispose([xt, ft, got]);
  }
});
fwd('a same-padded strided conv that tfjs-wasm 4.22 computes wrong (zeros) is right', () => {
  // x [1, 2, 8, 5], filter 3×1, stride 2, 'same': padding 0 above, 1 below.
  const r = rng(8);
  const x = tf.tensor(randn(r, 80), [1, 2, 8, 5]), f = tf.tensor(randn(r, 120), [3, 1, 5, 8]);
  const got = tf.conv2d(x, f, 2, 'same').dataSync();
  const xv = x.dataSync(), fv = f.dataSync();
  for (let ow = 0; ow < 4; ow++) for (let co = 0; co < 8; co++) {
    let want = 0;
    for (let kh = 0; kh < 2; kh++) for (let ci = 0; ci < 5; ci++) want += xv[(kh * 8 + ow * 2) * 5 + ci] * fv[(kh * 5 + ci) * 8 + co];
    assert.ok(Math.abs(got[ow * 8 + co] - want) <= 1e-5 * Math.max(1, Math.abs(want)), `ow ${ow} co ${co}: ${got[ow * 8 + co]} vs ${want}`);
  }
  tf.dispose([x, f]);
});
fwd.run();

const pools = suite("MaxPool and Relu forward (fsam-edge's kernels, which split over threads): tfjs-cpu's values, plain tfjs-wasm's bits");
pools('random pools with ties, ±0, ±Inf and NaN: tfjs-cpu\'s values, and without NaN or −0 plain tfjs-backend-wasm\'s (XNNPACK) bits; Relu: XNNPACK\'s bits', async () => {
  const r = rng(41);
  const bitsOf = (t) => Array.from(new Uint32Array(t.dataSync().slice().buffer));
  const cases = [];
  for (let t = 0; t < 120; t++) {
    const B = int(r, 1, 4), H = int(r, 1, 11), W = int(r, 1, 11), C = pick(r, [1, 3, 4, 8, 13]);
    const filterSize = [int(r, 1, 3), int(r, 1, 3)], strides = [int(r, 1, 3), int(r, 1, 3)], pad = pick(r, ['same', 'valid']);
    if (pad === 'valid' && (filterSize[0] > H || filterSize[1] > W)) continue;
    // Small integers (ties are common), ±Inf, and in half the cases NaN and −0 too.
    const special = t % 2 ? [Infinity, -Infinity, 0] : [Infinity, -Infinity, 0, -0, NaN];
    const x = Float32Array.from({ length: B * H * W * C }, () => (r() < 0.15 ? pick(r, special) : int(r, -3, 3)));
    cases.push({ op: 'maxPool', x, shape: [B, H, W, C], attrs: { filterSize, strides, pad }, plain: t % 2 === 1 });
  }
  for (let t = 0; t < 20; t++) {
    const n = int(r, 1, 70);
    cases.push({ op: 'relu', x: Float32Array.from({ length: n }, () => (r() < 0.3 ? pick(r, [Infinity, -Infinity, 0, -0, NaN]) : r() * 4 - 2)), shape: [n], plain: true });
  }
  // tfjs-backend-cpu's rule, written out: row by row, a value replaces the maximum only if
  // strictly greater, from −Inf, over the window's positions inside x.
  const cpuMaxPool = ({ x, shape: [B, H, W, C], attrs: { filterSize: [fh, fw], strides: [sh, sw], pad } }) => {
    const gh = geometry(H, fh, sh, pad, 1), gw = geometry(W, fw, sw, pad, 2);
    const y = new Float32Array(B * gh.O * gw.O * C);
    for (let b = 0; b < B; b++) for (let oh = 0; oh < gh.O; oh++) for (let ow = 0; ow < gw.O; ow++) for (let c = 0; c < C; c++) {
      let best = -Infinity;
      for (let kh = 0; kh < fh; kh++) for (let kw = 0; kw < fw; kw++) {
        const ih = oh * sh - gh.p + kh, iw = ow * sw - gw.p + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W && x[((b * H + ih) * W + iw) * C + c] > best) best = x[((b * H + ih) * W + iw) * C + c];
      }
      y[((b * gh.O + oh) * gw.O + ow) * C + c] = best;
    }
    return y;
  };
  const plain = await plainWasm(cases);
  cases.forEach((c, i) => {
    const what = `${c.op} ${i} ${JSON.stringify({ shape: c.shape, ...c.attrs })}`;
    const y = tf.tidy(() => {
      const x = tf.tensor(c.x, c.shape);
      return c.op === 'relu' ? tf.relu(x) : tf.maxPool(x, c.attrs.filterSize, c.attrs.strides, c.attrs.pad);
    });
    assert.equal(y.shape, plain[i].shape, what);
    if (c.op === 'maxPool') assert.equal(bitsOf(y), Array.from(new Uint32Array(cpuMaxPool(c).buffer)), `${what}: tfjs-cpu's rule`);
    // NaN's own bits aside (plain tfjs-wasm made every NaN positive; fsam-edge keeps them).
    const nanFree = (bits) => bits.map((b) => ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? 'NaN' : b));
    if (c.plain) assert.equal(nanFree(bitsOf(y)), nanFree(plain[i].bits), `${what}: plain tfjs-wasm's bits`);
    if (c.op === 'relu') {
      const want = Array.from(c.x, (v, j) => (v > 0 || Number.isNaN(v) ? new Uint32Array(c.x.buffer)[j] : 0));
      assert.equal(bitsOf(y), want, `${what}: x where x > 0 or NaN (its bits), else 0`);
    }
    y.dispose();
  });
  // Where plain tfjs-wasm differs: its pool gave −Inf for a window whose first value is NaN
  // and 0 for a maximum of −0; here, as on tfjs-cpu, the maximum of the others and −0.
  // MaxPoolGrad sends the gradient to that same position.
  const x = tf.tensor4d([NaN, 1, 2, 3, 1, NaN, 2, 3, NaN, NaN, NaN, NaN, -1, -0, -2, -3], [1, 1, 16, 1]);
  assert.equal(Array.from(tf.maxPool(x, [1, 4], [1, 4], 'valid').dataSync()), [3, 3, -Infinity, -0]);
  assert.equal(Array.from(tf.grad((v) => tf.maxPool(v, [1, 4], [1, 4], 'valid'))(x).dataSync()),
    [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
  const [plainNaN] = await plainWasm([{ op: 'maxPool', x: x.dataSync(), shape: x.shape, attrs: { filterSize: [1, 4], strides: [1, 4], pad: 'valid' } }]);
  assert.equal(Array.from(new Float32Array(Uint32Array.from(plainNaN.bits).buffer)), [-Infinity, 3, -Infinity, 0]);
  tf.dispose(x);
});
pools.run();

const dil = suite('dilated conv gradients (tf.grads)');
dil('Conv2D and depthwise with dilations 2 and 3', () => {
  const r = rng(3);
  for (const [dh, dw, depthwise, pad] of [[2, 2, false, 'same'], [3, 2, false, 'valid'], [2, 1, true, 'same'],
    [2, 3, true, 'valid'], [2, 2, false, [[0, 0], [1, 2], [0, 3], [0, 0]]], [2, 2, true, 1], [3, 3, false, 'same']]) {
    // A numeric pad sizes both dims with the filter's height (a tfjs quirk), and tfjs-wasm's
    // forward depthwise conv then writes out of bounds unless the filter is square.
    const B = 2, H = 9, W = 8, CI = 5, Q = depthwise ? 2 : 6, KH = 3, KW = pad === 1 ? 3 : 2;
    const gh = geometry(H, (KH - 1) * dh + 1, 1, pad, 1), gw = geometry(W, (KW - 1) * dw + 1, 1, pad, 2);
    const c = { B, H, W, CI, Q, KH, KW, sh: 1, sw: 1, dh, dw, OH: gh.O, OW: gw.O, pt: gh.p, pl: gw.p, depthwise };
    const CO = depthwise ? CI * Q : Q;
    const x = randn(r, B * H * W * CI), f = randn(r, KH * KW * CI * Q), dy = randn(r, B * c.OH * c.OW * CO);
    const want = refBackprops(c, x, dy, f);
    const before = tf.memory().numTensors;
    const [gx, gf] = tf.tidy(() => {
      const dyt = tf.tensor(dy, [B, c.OH, c.OW, CO]);
      const fwd = depthwise
        ? (a, b) => tf.depthwiseConv2d(a, b, 1, pad, 'NHWC', [dh, dw], pad === 1 ? 'floor' : undefined)
        : (a, b) => tf.conv2d(a, b, 1, pad, 'NHWC', [dh, dw]);
      return tf.grads((a, b) => tf.sum(tf.mul(fwd(a, b), dyt)))([tf.tensor(x, [B, H, W, CI]), tf.tensor(f, [KH, KW, CI, Q])]);
    });
    assertClose(gx.dataSync(), want.dx, `dx ${JSON.stringify(c)}`);
    assertClose(gf.dataSync(), want.df, `dF ${JSON.stringify(c)}`);
    tf.dispose([gx, gf]);
    assert.is(tf.memory().numTensors, before, 'leaked tensors');
  }
});
dil.run();

const nchw = suite('Conv2D forward in NCHW on wasm');
nchw('equals the NHWC conv, transposed; leaks nothing', () => {
  const r = rng(11);
  for (const [pad, s, d] of [['same', 1, 1], ['valid', 2, 1], [[[0, 0], [0, 0], [1, 2], [0, 1]], 1, 2]]) {
    const x = tf.tensor(randn(r, 2 * 3 * 7 * 6), [2, 3, 7, 6]), f = tf.tensor(randn(r, 3 * 3 * 3 * 5), [3, 3, 3, 5]);
    const before = tf.memory().numTensors, beforeData = tf.backend().numDataIds();
    const got = tf.conv2d(x, f, s, pad, 'NCHW', d);
    const padNHWC = Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
    const want = tf.tidy(() => tf.transpose(tf.conv2d(tf.transpose(x, [0, 2, 3, 1]), f, s, padNHWC, 'NHWC', d), [0, 3, 1, 2]));
    assert.equal(got.shape, want.shape);
    assertClose(got.dataSync(), want.dataSync(), `NCHW conv ${JSON.stringify({ pad, s, d })}`, 1e-6);
    tf.dispose([got, want]);
    assert.is(tf.memory().numTensors, before, 'leaked tensors');
    assert.is(tf.backend().numDataIds(), beforeData, 'leaked backend data');
    tf.dispose([x, f]);
  }
});
nchw.run();

const bad = suite('bad inputs name the value');
bad('errors', () => {
  const x = tf.zeros([1, 5, 5, 3]), dy = tf.zeros([1, 5, 5, 4]), f = tf.zeros([3, 3, 3, 4]);
  const run = (name, inputs, attrs) => () => tf.engine().runKernel(name, inputs, attrs);
  const base = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, filterShape: [3, 3, 2, 4] }), /input channels.*\[3,3,2,4\]/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, filterShape: [3, 3, 3] }), /filterShape.*\[3,3,3\]/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, strides: 0, filterShape: [3, 3, 3, 4] }), /strides.*got 0/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, pad: 'full', filterShape: [3, 3, 3, 4] }), /pad.*'full'/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, dataFormat: 'NWHC', filterShape: [3, 3, 3, 4] }), /dataFormat.*'NWHC'/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, dimRoundingMode: 'up', filterShape: [3, 3, 3, 4] }), /dimRoundingMode.*'up'/);
  assert.throws(run('Conv2DBackpropFilter', { x, dy }, { ...base, pad: 'valid', filterShape: [3, 3, 3, 4] }), /dy must have.*\[1,3,3,4\].*\[1,5,5,4\]/);
  assert.throws(run('Conv2DBackpropInput', { dy, filter: f }, { ...base, inputShape: [1, 5, 5] }), /inputShape.*\[1,5,5\]/);
  assert.throws(run('Conv2DBackpropInput', { dy: tf.zeros([1, 5, 5, 4], 'int32'), filter: f }, { ...base, inputShape: [1, 5, 5, 3] }), /dy must have dtype float32, got 'int32'/);
  assert.throws(run('DepthwiseConv2dNativeBackpropFilter', { x, dy: tf.zeros([1, 5, 5, 6]) }, { ...base, dataFormat: 'NCHW', filterShape: [3, 3, 3, 2] }), /'NHWC'.*'NCHW'/);
  assert.throws(run('Conv2DBackpropFilter', { x: tf.zeros([1, 1, 1, 3]), dy }, { ...base, pad: 'valid', filterShape: [3, 3, 3, 4] }), /does not fit/);
  assert.throws(run('UnsortedSegmentSum', { x, segmentIds: tf.zeros([2], 'int32') }, { numSegments: 2 }), /\[2\].*prefix.*\[1,5,5,3\]/);
  assert.throws(run('UnsortedSegmentSum', { x, segmentIds: tf.zeros([1], 'int32') }, { numSegments: 1.5 }), /numSegments.*1\.5/);
  assert.throws(() => tf.grads((a, b) => tf.conv2d(a, b, 2, 'same', 'NHWC', 1).sum())([x, f]) && tf.engine().runKernel('Conv2DBackpropFilter',
    { x, dy }, { ...base, strides: [1, 2, 3], filterShape: [3, 3, 3, 4] }), /strides.*\[1,2,3\]/);
});
bad.run();

// Every optimizer kernel against its references, for every length 0…67 and random
// lengths up to 100k, in place and out of place, on seeded data with special values
// (every call checked for its number of arguments: support/strict_kernels.mjs):
//  - the SIMD kernel and its scalar twin give the same bits;
//  - both give the bits of the float32-emulated reference (the operation order);
//  - both are within k·2⁻²⁴ of the float64 reference, relative to the terms' size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadOptimizerKernels } from '../dist/core.js';
import { assertClose, assertSameBits } from './support/assert_close.mjs';
import { strictKernels } from './support/strict_kernels.mjs';
import { rng, floats } from './support/random.mjs';
import * as ref from './support/kernel_reference.mjs';

const memory = new WebAssembly.Memory({ initial: 160 }); // 10 MiB: 6 arrays of 100k+ floats, with room
const simd = strictKernels(await loadOptimizerKernels(memory, 'simd'));
const scalar = strictKernels(await loadOptimizerKernels(memory, 'scalar'));
// The SGD modes as the module exports them, and as the reference numbers them.
const SGD_MODES = [[simd.SGD_PLAIN, 0], [simd.SGD_MOMENTUM, 1], [simd.SGD_NESTEROV, 2]];
const U = 2 ** -24;

const r0 = rng(7);
const LENGTHS = [...Array(68).keys(), ...Array.from({ length: 6 }, () => 68 + r0.int(100_000 - 68)), 100_000];

/** Places arrays in the memory at 16-byte aligned (or, with `skew`, 4-byte offset) pointers. */
function place(arrays, skew = 0) {
  let p = 64 + skew;
  const ptrs = arrays.map((a) => {
    const ptr = p;
    new Float32Array(memory.buffer, ptr, a.length).set(a);
    p += (Math.ceil(a.length / 4) * 4 + 8) * 4;
    return ptr;
  });
  return ptrs;
}
const read = (ptr, n) => new Float32Array(memory.buffer, ptr, n).slice();

/** Runs `call(kernels, ptrs)` on fresh copies of the inputs for both variants; returns outputs per variant. */
function both(inputs, outputs, call, skew) {
  const result = {};
  for (const [name, k] of [['simd', simd], ['scalar', scalar]]) {
    const ptrs = place(inputs, skew);
    const ret = call(k, ptrs);
    result[name] = { ret, out: outputs.map((j) => read(ptrs[j], inputs[j].length)) };
  }
  return result;
}

function check(label, got, want32, want64, mag, ops) {
  assertSameBits(got, Float32Array.from(want32), `${label} vs float32 reference`);
  const tol = Float64Array.from(mag, (x) => ops * U * x + 1e-37);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want64[i]) <= tol[i])) {
      assert.unreachable(`${label} vs float64 reference: index ${i}: got ${got[i]}, want ${want64[i]}, allowed ${tol[i]}`);
    }
  }
}

const s = suite('optimizer kernels');

s('sumsq (SAM, F-SAM, adaptive): SIMD = scalar = float32 reference bits, ≈ float64', () => {
  const r = rng(1);
  for (const n of LENGTHS) for (const fsam of [false, true]) for (const adaptive of [false, true]) {
    // σ = 1 (the default) takes the kernels' multiply-free path: the same bits.
    const g = floats(r, n), m = floats(r, n), w = floats(r, n), sigma = fsam ? (r() < 0.5 ? 1 : 0.5 + r()) : 0;
    const label = `sumsq n=${n} fsam=${fsam} adaptive=${adaptive} σ=${sigma}`;
    const res = both([g, m, w], [], (k, [pg, pm, pw]) => fsam
      ? k.f32_fsam_sumsq(pg, pm, pw, n, sigma, adaptive) : k.f32_sam_sumsq(pg, pw, n, adaptive), r.int(4) * 4);
    assert.ok(Object.is(res.simd.ret, res.scalar.ret), `${label}: simd ${res.simd.ret} scalar ${res.scalar.ret}`);
    assert.ok(Object.is(res.simd.ret, ref.sumsq('f32', g, fsam && m, w, sigma, adaptive)), `${label}: vs float32 reference`);
    const want = ref.sumsq('f64', g, fsam && m, w, sigma, adaptive), mag = ref.sumsq('mag', g, fsam && m, w, sigma, adaptive);
    // σ·m and w·d are float32 products: below 2⁻¹⁴⁹ they underflow, an absolute error of up
    // to 2⁻¹⁵⁰ in each d, so up to 2⁻¹⁴⁹·Σ|d| + n·2⁻³⁰⁰ in Σd² (Σ|d| ≤ √(n·Σd²)).
    const underflow = 2 ** -149 * Math.sqrt(n * mag) + n * 2 ** -300;
    assert.ok(Math.abs(res.simd.ret - want) <= 8 * U * mag + underflow + 1e-300, `${label}: ${res.simd.ret} vs float64 ${want}`);
  }
});

s('perturb (SAM, F-SAM, adaptive), w_old separate and in place (w_old = w)', () => {
  const r = rng(2);
  for (const n of LENGTHS) for (const fsam of [false, true]) for (const adaptive of [false, true]) for (const inPlace of [false, true]) {
    const w = floats(r, n, { specialRate: adaptive ? 0 : 0.1 }), g = floats(r, n), m = floats(r, n), wold = new Float32Array(n);
    const sigma = fsam ? (r() < 0.5 ? 1 : 0.5 + r()) : 0, scale = 0.05 + r();
    const label = `perturb n=${n} fsam=${fsam} adaptive=${adaptive} inPlace=${inPlace} σ=${sigma}`;
    const res = both([w, wold, g, m], [0, 1], (k, [pw, po, pg, pm]) => fsam
      ? k.f32_fsam_perturb(pw, inPlace ? pw : po, pg, pm, n, sigma, scale, adaptive)
      : k.f32_sam_perturb(pw, inPlace ? pw : po, pg, n, scale, adaptive));
    for (const j of [0, 1]) assertSameBits(res.simd.out[j], res.scalar.out[j], `${label} out ${j}: simd vs scalar`);
    const args = [w, g, fsam && m, sigma, scale, adaptive];
    const [w32] = ref.perturb('f32', ...args), [w64] = ref.perturb('f64', ...args), [wmag] = ref.perturb('mag', ...args);
    check(`${label} w`, res.simd.out[0], w32, w64, wmag, 6);
    if (!inPlace) assertSameBits(res.simd.out[1], w, `${label} w_old`);
  }
});

s('ema m = λ·m + (1−λ)·g', () => {
  const r = rng(3);
  for (const n of LENGTHS) {
    const m = floats(r, n), g = floats(r, n), lambda = r();
    const res = both([m, g], [0], (k, [pm, pg]) => k.f32_fsam_ema(pm, pg, n, lambda, 1 - lambda));
    assertSameBits(res.simd.out[0], res.scalar.out[0], `ema n=${n}: simd vs scalar`);
    check(`ema n=${n}`, res.simd.out[0], ref.ema('f32', m, g, lambda), ref.ema('f64', m, g, lambda), ref.ema('mag', m, g, lambda), 4);
  }
});

s('gradient accumulation: G = s·g₀, then G = G + s·gᵢ', () => {
  const r = rng(9);
  for (const n of LENGTHS) {
    const acc = floats(r, n), g = floats(r, n), sc = [1, 0.25, 1 / 3][r.int(3)];
    const copy = both([acc, g], [0], (k, [pa, pg]) => k.f32_scaled_copy(pa, pg, n, sc));
    assertSameBits(copy.simd.out[0], copy.scalar.out[0], `scaled copy n=${n}: simd vs scalar`);
    check(`scaled copy n=${n} s=${sc}`, copy.simd.out[0], ref.scaledCopy('f32', g, sc), ref.scaledCopy('f64', g, Math.fround(sc)), ref.scaledCopy('mag', g, sc), 1);
    const add = both([acc, g], [0], (k, [pa, pg]) => k.f32_accumulate(pa, pg, n, sc));
    assertSameBits(add.simd.out[0], add.scalar.out[0], `accumulate n=${n}: simd vs scalar`);
    check(`accumulate n=${n} s=${sc}`, add.simd.out[0], ref.accumulate('f32', acc, g, sc), ref.accumulate('f64', acc, g, Math.fround(sc)), ref.accumulate('mag', acc, g, sc), 2);
  }
});

s('sgd update: plain, momentum, nesterov; first step or not; with and without restore', () => {
  const r = rng(4);
  for (const n of LENGTHS) for (const [mode, refMode] of SGD_MODES) for (const first of [false, true]) for (const restore of [false, true]) {
    if (refMode === 0 && first) continue;
    const w = floats(r, n), wold = floats(r, n), g = floats(r, n), b = floats(r, n);
    const lr = 0.01 + r() * 0.1, wd = r() < 0.3 ? 0 : 1e-3, mu = 0.9;
    const label = `sgd n=${n} mode=${mode} first=${first} restore=${restore}`;
    const res = both([w, wold, g, b], [0, 3], (k, [pw, po, pg, pb]) =>
      k.f32_sgd_update(pw, restore ? po : pw, pg, refMode ? pb : 0, n, lr, wd, mu, mode, first));
    for (const j of [0, 1]) assertSameBits(res.simd.out[j], res.scalar.out[j], `${label} out ${j}: simd vs scalar`);
    const from = restore ? wold : w;
    const args = [from, g, b, lr, wd, mu, refMode, first];
    const [w32, b32] = ref.sgd('f32', ...args), [w64, b64] = ref.sgd('f64', ...args), [wm, bm] = ref.sgd('mag', ...args);
    check(`${label} w`, res.simd.out[0], w32, w64, wm, 8);
    if (refMode) check(`${label} b`, res.simd.out[1], b32, b64, bm, 4);
    else assertSameBits(res.simd.out[1], b, `${label}: plain SGD leaves the buffer alone`);
  }
});

s('adamw update, with and without restore', () => {
  const r = rng(5);
  for (const n of LENGTHS) for (const restore of [false, true]) {
    const w = floats(r, n), wold = floats(r, n), g = floats(r, n), m1 = floats(r, n, { scale: 0.1 });
    const v = Float32Array.from(floats(r, n, { scale: 0.01 }), (x) => x * x);
    const t = 1 + r.int(100), lr = 1e-3, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const consts = [1 - lr * wd, b1, 1 - b1, b2, 1 - b2, eps, lr / (1 - b1 ** t), Math.sqrt(1 - b2 ** t)];
    const label = `adamw n=${n} t=${t} restore=${restore}`;
    const res = both([w, wold, g, m1, v], [0, 3, 4], (k, [pw, po, pg, pm, pv]) =>
      k.f32_adamw_update(pw, restore ? po : pw, pg, pm, pv, n, ...consts));
    for (const j of [0, 1, 2]) assertSameBits(res.simd.out[j], res.scalar.out[j], `${label} out ${j}: simd vs scalar`);
    const from = restore ? wold : w;
    const [w32, m32, v32] = ref.adamw('f32', from, g, m1, v, ...consts);
    const [w64, m64, v64] = ref.adamw('f64', from, g, m1, v, ...consts);
    const [wm, mm, vm] = ref.adamw('mag', from, g, m1, v, ...consts);
    // The step's quotient m₁/denom carries m₁'s relative error, which the magnitude bounds.
    check(`${label} m1`, res.simd.out[1], m32, m64, mm, 4);
    check(`${label} v`, res.simd.out[2], v32, v64, vm, 4);
    check(`${label} w`, res.simd.out[0], w32, w64, wm, 16);
  }
});

s('first non-finite: finds the first NaN or ±Inf, or -1', () => {
  const r = rng(6);
  for (const n of LENGTHS) {
    const x = floats(r, n);
    for (const [name, k] of [['simd', simd], ['scalar', scalar]]) {
      const [px] = place([x]);
      assert.is(k.f32_first_nonfinite(px, n), -1, `${name} n=${n}: all finite`);
    }
    if (n === 0) continue;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const i = r.int(n), j = r.int(n), y = x.slice();
      y[Math.max(i, j)] = bad; y[Math.min(i, j)] = bad;
      for (const [name, k] of [['simd', simd], ['scalar', scalar]]) {
        const [py] = place([y]);
        assert.is(k.f32_first_nonfinite(py, n), Math.min(i, j), `${name} n=${n} ${bad} at ${Math.min(i, j)}`);
      }
    }
  }
});

s('kernels never write past the end of their arrays', () => {
  const r = rng(8);
  for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 63, 64, 65]) {
    const guard = new Float32Array(memory.buffer, 0, 40_000);
    guard.fill(12345);
    const w = 64, wold = w + 4 * 100, g = wold + 4 * 100, m = g + 4 * 100, b = m + 4 * 100, v = b + 4 * 100;
    for (const p of [w, wold, g, m, b, v]) new Float32Array(memory.buffer, p, n).set(floats(r, n, { specialRate: 0 }));
    simd.f32_fsam_perturb(w, wold, g, m, n, 1, 0.1, true);
    simd.f32_fsam_ema(m, g, n, 0.6, 0.4);
    simd.f32_sgd_update(w, wold, g, b, n, 0.1, 1e-3, 0.9, simd.SGD_NESTEROV, false);
    simd.f32_adamw_update(w, wold, g, m, v, n, 0.99, 0.9, 0.1, 0.999, 0.001, 1e-8, 1e-3, 0.5);
    simd.f32_scaled_copy(b, g, n, 0.5);
    simd.f32_accumulate(v, g, n, 0.5);
    for (const p of [w, wold, g, m, b, v]) {
      const after = new Float32Array(memory.buffer, p + n * 4, 4);
      for (let i = 0; i < 4; i++) assert.is(after[i], 12345, `n=${n}: float ${n + i} after pointer ${p} was written`);
    }
  }
});

// The low-memory mode's kernels: m and the momentum buffer b are bf16 (Uint16Array),
// placed after the float32 arrays. bf16 inputs are decoded exactly, so the float32
// references run on their decoded values; bf16 outputs are the reference's float32
// result rounded (bf16Round), bit for bit, and within 2⁻⁸ (+ the float32 ops) of float64.
function placeBf16(f32s, halves) {
  const ptrs = place(f32s);
  let p = f32s.length ? ptrs[ptrs.length - 1] + (Math.ceil(f32s[f32s.length - 1].length / 4) * 4 + 8) * 4 : 64;
  const hptrs = halves.map((h) => {
    const ptr = p;
    new Uint16Array(memory.buffer, ptr, h.length).set(h);
    p += (Math.ceil(h.length / 8) * 8 + 8) * 2;
    return ptr;
  });
  return [ptrs, hptrs];
}
const read16 = (ptr, n) => new Uint16Array(memory.buffer, ptr, n).slice();
const BF16 = 2 ** -8; // unit roundoff of 8 significant bits

function checkBf16(label, got16, want32, want64, mag, ops) {
  const want = ref.toBf16(want32);
  assert.equal([...got16], [...want], `${label} vs float32 reference rounded to bf16`);
  const got = ref.fromBf16(got16);
  for (let i = 0; i < got.length; i++) {
    const tol = (BF16 + ops * U) * mag[i] + 1e-37;
    if (!(Math.abs(got[i] - want64[i]) <= tol) && !(Math.abs(want64[i]) > 3.3e38)) {
      assert.unreachable(`${label} vs float64 reference: index ${i}: got ${got[i]}, want ${want64[i]}, allowed ${tol}`);
    }
  }
}

const lm = suite('optimizer kernels, low-memory mode (bf16 state, no w_old)');

lm('bf16 rounding: nearest, ties to even, specials; SIMD = scalar', () => {
  const cases = [0, -0, 1, -1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9, 1 + 3 * 2 ** -9, 1e-40, -1.4e-45, 3.4e38, -3.4e38,
    Infinity, -Infinity, NaN, 65504, 1 / 3, -2 / 3];
  const want = [0x0000, 0x8000, 0x3f80, 0xbf80, 0x3f80, 0x3f82, 0x3f80, 0x3f81]; // ties go to the even neighbour
  const x = Float32Array.from(cases);
  for (const [name, k] of [['simd', simd], ['scalar', scalar]]) {
    const [[px], [ph]] = placeBf16([x], [new Uint16Array(x.length)]);
    k.f32_to_bf16(ph, px, x.length);
    const got = read16(ph, x.length);
    assert.equal([...got.slice(0, want.length)], want, `${name}: exact and tie cases`);
    assert.equal([...got], [...ref.toBf16(x)], `${name}: vs reference`);
    assert.is(got[12], 0x7f80, `${name}: Inf`); assert.is(got[14] & 0x7fc0, 0x7fc0, `${name}: NaN stays NaN`);
  }
  const r = rng(9);
  for (const n of LENGTHS) {
    const y = floats(r, n);
    const res = [simd, scalar].map((k) => { const [[py], [ph]] = placeBf16([y], [new Uint16Array(n)]); k.f32_to_bf16(ph, py, n); return read16(ph, n); });
    assert.equal([...res[0]], [...res[1]], `to_bf16 n=${n}: simd vs scalar`);
    assert.equal([...res[0]], [...ref.toBf16(y)], `to_bf16 n=${n}: vs reference`);
  }
});

lm('sumsq, perturb in place and unperturb with m in bf16 (F-SAM) or none (SAM)', () => {
  const r = rng(10);
  for (const n of LENGTHS) for (const fsam of [false, true]) {
    const w = floats(r, n), g = floats(r, n), m16 = ref.toBf16(floats(r, n)), m = ref.fromBf16(m16);
    const sigma = fsam ? (r() < 0.5 ? 1 : 0.5 + r()) : 0, scale = 0.05 + r();
    const label = `n=${n} fsam=${fsam} σ=${sigma}`;
    if (fsam) {
      const sums = [simd, scalar].map((k) => { const [[pg], [pm]] = placeBf16([g], [m16]); return k.f32_fsam_sumsq_bf16m(pg, pm, n, sigma); });
      assert.ok(Object.is(sums[0], sums[1]), `sumsq ${label}: simd ${sums[0]} scalar ${sums[1]}`);
      assert.ok(Object.is(sums[0], ref.sumsq('f32', g, m, w, sigma, false)), `sumsq ${label}: vs float32 reference`);
      const want = ref.sumsq('f64', g, m, w, sigma, false), mag = ref.sumsq('mag', g, m, w, sigma, false);
      assert.ok(Math.abs(sums[0] - want) <= 8 * U * mag + 1e-300, `sumsq ${label}: ${sums[0]} vs float64 ${want}`);
    }
    const outs = [simd, scalar].map((k) => {
      const [[pw, pg], [pm]] = placeBf16([w, g], [m16]);
      if (fsam) k.f32_fsam_perturb_bf16m(pw, pg, pm, n, sigma, scale);
      else k.f32_sam_perturb(pw, pw, pg, n, scale, false);
      const up = read(pw, n);
      if (fsam) k.f32_fsam_unperturb_bf16m(pw, pg, pm, n, sigma, scale);
      else k.f32_sam_unperturb(pw, pg, n, scale);
      assert.equal([...read16(pm, n)], [...m16], `${label}: m untouched`);
      return [up, read(pw, n)];
    });
    for (const j of [0, 1]) assertSameBits(outs[0][j], outs[1][j], `${label} out ${j}: simd vs scalar`);
    const args = [w, g, fsam && m, sigma, scale, false];
    const [w32] = ref.perturb('f32', ...args), [w64] = ref.perturb('f64', ...args), [wmag] = ref.perturb('mag', ...args);
    check(`perturb ${label} w`, outs[0][0], w32, w64, wmag, 6);
    const back = [outs[0][0], g, fsam && m, sigma, scale];
    const b32 = ref.unperturb('f32', ...back), bmag = ref.unperturb('mag', ...back);
    // Against the original w: the perturbation and its removal each round once.
    check(`unperturb ${label} w`, outs[0][1], b32, Float64Array.from(w), bmag, 12);
  }
});

lm('ema with m in bf16', () => {
  const r = rng(12);
  for (const n of LENGTHS) {
    const m16 = ref.toBf16(floats(r, n)), m = ref.fromBf16(m16), g = floats(r, n), lambda = r();
    const res = [simd, scalar].map((k) => { const [[pg], [pm]] = placeBf16([g], [m16]); k.f32_fsam_ema_bf16m(pm, pg, n, lambda, 1 - lambda); return read16(pm, n); });
    assert.equal([...res[0]], [...res[1]], `ema bf16 n=${n}: simd vs scalar`);
    checkBf16(`ema bf16 n=${n}`, res[0], ref.ema('f32', m, g, lambda), ref.ema('f64', m, g, lambda), ref.ema('mag', m, g, lambda), 4);
  }
});

lm('sgd update in place with the momentum buffer in bf16: plain, momentum, nesterov; first or not', () => {
  const r = rng(13);
  for (const n of LENGTHS) for (const [mode, refMode] of SGD_MODES) for (const first of [false, true]) {
    if (refMode === 0 && first) continue;
    const w = floats(r, n), g = floats(r, n), b16 = ref.toBf16(floats(r, n)), b = ref.fromBf16(b16);
    const lr = 0.01 + r() * 0.1, wd = r() < 0.3 ? 0 : 1e-3, mu = 0.9;
    const label = `sgd bf16 n=${n} mode=${mode} first=${first}`;
    const res = [simd, scalar].map((k) => {
      const [[pw, pg], [pb]] = placeBf16([w, g], [b16]);
      k.f32_sgd_update_bf16b(pw, pg, pb, n, lr, wd, mu, mode, first);
      return [read(pw, n), read16(pb, n)];
    });
    assertSameBits(res[0][0], res[1][0], `${label} w: simd vs scalar`);
    assert.equal([...res[0][1]], [...res[1][1]], `${label} b: simd vs scalar`);
    const args = [w, g, b, lr, wd, mu, refMode, first];
    const [w32, bn32] = ref.sgd('f32', ...args), [w64, bn64] = ref.sgd('f64', ...args), [wm, bm] = ref.sgd('mag', ...args);
    check(`${label} w`, res[0][0], w32, w64, wm, 8);
    if (refMode) checkBf16(`${label} b`, res[0][1], bn32, bn64, bm, 4);
    else assert.equal([...res[0][1]], [...b16], `${label}: plain SGD leaves the buffer alone`);
  }
});

lm('low-memory kernels never write past the end of their arrays', () => {
  const r = rng(14);
  for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 63, 64, 65]) {
    new Uint32Array(memory.buffer, 0, 40_000).fill(0x3039abcd);
    const w = 64, g = w + 4 * 100, m = g + 4 * 100, b = m + 2 * 100;
    for (const p of [w, g]) new Float32Array(memory.buffer, p, n).set(floats(r, n, { specialRate: 0 }));
    for (const p of [m, b]) new Uint16Array(memory.buffer, p, n).set(ref.toBf16(floats(r, n, { specialRate: 0 })));
    simd.f32_fsam_perturb_bf16m(w, g, m, n, 1, 0.1);
    simd.f32_fsam_unperturb_bf16m(w, g, m, n, 1, 0.1);
    simd.f32_fsam_ema_bf16m(m, g, n, 0.6, 0.4);
    simd.f32_to_bf16(b, g, n);
    simd.f32_sgd_update_bf16b(w, g, b, n, 0.1, 1e-3, 0.9, simd.SGD_MOMENTUM, false);
    for (const [p, bytes] of [[w, 4], [g, 4], [m, 2], [b, 2]]) {
      const after = new Uint8Array(memory.buffer, p + n * bytes, 8);
      const want = new Uint8Array(new Uint32Array([0x3039abcd, 0x3039abcd]).buffer).slice((p + n * bytes) % 4, ((p + n * bytes) % 4) + 8);
      for (let i = 0; i < 8 && i < want.length; i++) assert.is(after[i], want[i], `n=${n}: byte ${i} after the ${bytes}-byte array at ${p} was written`);
    }
  }
});

s.run();
lm.run();

// Each SIMD training kernel against its scalar twin, bit for bit: the twins sum in the
// same order, so any difference is a bug in a tile or a tail. The module runs on its
// own memory here (no tfjs), with sizes below, at and above the SIMD tiles.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bytes = readFileSync(fileURLToPath(new URL('../build/training.wasm', import.meta.url)));
const memory = new WebAssembly.Memory({ initial: 512 }); // 32 MiB
const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;

let seed = 12345;
const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 * 2 - 1; };
const int = (lo, hi) => lo + Math.floor(((rand() + 1) / 2) * (hi - lo + 1));

// A bump allocator over the memory, 16-byte aligned, with a poisoned guard after each
// block so writes past the end show up.
let top = 1024;
function alloc(n, fill = rand) {
  const p = top;
  top += ((n * 4 + 15) & ~15) + 64;
  const f = new Float32Array(memory.buffer, p, n + 16);
  for (let i = 0; i < n; i++) f[i] = fill();
  for (let i = n; i < n + 16; i++) f[i] = 12345.5;
  return p;
}
const view = (p, n) => new Float32Array(memory.buffer, p, n + 16);
function sameBits(a, b, n, what) {
  const x = new Uint32Array(memory.buffer, a, n + 16), y = new Uint32Array(memory.buffer, b, n + 16);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) assert.unreachable(`${what}: index ${i}: simd ${view(a, n)[i]} scalar ${view(b, n)[i]}`);
  for (let i = n; i < n + 16; i++) if (view(a, n)[i] !== 12345.5 || view(b, n)[i] !== 12345.5) assert.unreachable(`${what}: wrote past the end`);
}

const twins = suite('SIMD kernels vs scalar twins, bit for bit');
twins('conv2d forward, conv2d and depthwise backprops, 150 configurations', () => {
  for (let t = 0; t < 150; t++) {
    top = 1024;
    const B = int(1, 2), H = int(1, 9), W = int(1, 9), CI = int(1, 19), CO = int(1, 19), KH = int(1, 3), KW = int(1, 3);
    const sh = int(1, 3), sw = int(1, 3), dh = int(1, 2), dw = int(1, 2), pt = int(0, 2), pl = int(0, 2);
    const OH = Math.floor((H + 2 * pt - (KH - 1) * dh - 1) / sh) + 1, OW = Math.floor((W + 2 * pl - (KW - 1) * dw - 1) / sw) + 1;
    if (OH < 1 || OW < 1) continue;
    const what = `config ${t} ${JSON.stringify({ B, H, W, CI, CO, KH, KW, sh, sw, dh, dw, pt, pl })}`;
    const geo = [B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl];
    const nx = B * H * W * CI, ny = B * OH * OW * CO, nf = KH * KW * CI * CO;
    const x = alloc(nx), dy = alloc(ny), f = alloc(nf), ft = alloc(k.f32_conv2d_backprop_input_scratch_floats(...geo), () => 0);
    const a = alloc(nf, () => 0), b = alloc(nf, () => 0);
    const y1 = alloc(ny, () => 77), y2 = alloc(ny, () => -77);
    k.f32_conv2d_simd(x, f, y1, ...geo);
    k.f32_conv2d_scalar(x, f, y2, ...geo);
    sameBits(y1, y2, ny, `Conv2D ${what}`);
    k.f32_conv2d_backprop_filter_simd(x, dy, a, ...geo, 0, KH * KW * CI, 0);
    k.f32_conv2d_backprop_filter_scalar(x, dy, b, ...geo, 0, KH * KW * CI, 0);
    sameBits(a, b, nf, `Conv2DBackpropFilter ${what}`);
    // In ranges of dF's rows (tap × input channel), as the kernel splits over threads: a
    // cut anywhere, also inside a tap or a filter row, gives the same bits, summed in dF
    // itself or in a part's own scratch rows (filled with garbage first: the kernel zeroes
    // them), in 2 and 3 parts.
    const rows = KH * KW * CI, cut = int(0, rows), cut2 = int(cut, rows);
    const split = alloc(nf, () => 55);
    k.f32_conv2d_backprop_filter_simd(x, dy, split, ...geo, cut, rows, 0);
    k.f32_conv2d_backprop_filter_simd(x, dy, split, ...geo, 0, cut, 0);
    sameBits(split, b, nf, `Conv2DBackpropFilter, rows split at ${cut}, ${what}`);
    const viaScratch = alloc(nf, () => 55), s1 = alloc(nf, () => 66), s2 = alloc(nf, () => 66), s3 = alloc(nf, () => 66);
    k.f32_conv2d_backprop_filter_simd(x, dy, viaScratch, ...geo, cut2, rows, s1);
    k.f32_conv2d_backprop_filter_scalar(x, dy, viaScratch, ...geo, 0, cut, s2);
    k.f32_conv2d_backprop_filter_simd(x, dy, viaScratch, ...geo, cut, cut2, s3);
    sameBits(viaScratch, b, nf, `Conv2DBackpropFilter, rows split at ${cut} and ${cut2} through scratch, ${what}`);
    k.f32_conv2d_backprop_input_pack(f, ft, KH, KW, CI, CO);
    const c = alloc(nx, () => 0), d = alloc(nx, () => 0);
    k.f32_conv2d_backprop_input_simd(dy, f, ft, c, ...geo);
    k.f32_conv2d_backprop_input_scalar(dy, f, ft, d, ...geo);
    sameBits(c, d, nx, `Conv2DBackpropInput ${what}`);
    // Depthwise on C = CO channels (x expanded to CO channels: the kernels' own view).
    const C = CO, nxe = B * H * W * C, nfd = KH * KW * C;
    const xe = alloc(nxe), dg = [B, H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl];
    const e = alloc(nfd, () => 0), g = alloc(nfd, () => 0);
    k.f32_depthwise_backprop_filter_simd(xe, dy, e, ...dg);
    k.f32_depthwise_backprop_filter_scalar(xe, dy, g, ...dg);
    sameBits(e, g, nfd, `DepthwiseBackpropFilter ${what}`);
    const h = alloc(nxe, () => 0), i = alloc(nxe, () => 0), fd = alloc(nfd);
    k.f32_depthwise_backprop_input_simd(h, dy, fd, ...dg);
    k.f32_depthwise_backprop_input_scalar(i, dy, fd, ...dg);
    sameBits(h, i, nxe, `DepthwiseBackpropInput ${what}`);
  }
});
twins('conv2d filter gradient, one input channel (taps summed together), in 1 to 3 parts, 100 configurations', () => {
  for (let t = 0; t < 100; t++) {
    top = 1024;
    const B = int(1, 3), H = int(1, 12), W = int(1, 12), CI = 1, CO = 8 * int(1, 3) + (t % 5 === 0 ? int(1, 7) : 0);
    const KH = int(1, 5), KW = int(1, 5), sh = int(1, 2), sw = int(1, 2), dh = int(1, 2), dw = t % 7 === 0 ? 2 : 1;
    const pt = int(0, 2), pl = t % 3 === 0 ? int(0, 2) : 0;
    const OH = Math.floor((H + 2 * pt - (KH - 1) * dh - 1) / sh) + 1, OW = Math.floor((W + 2 * pl - (KW - 1) * dw - 1) / sw) + 1;
    if (OH < 1 || OW < 1) continue;
    const what = `config ${t} ${JSON.stringify({ B, H, W, CO, KH, KW, sh, sw, dh, dw, pt, pl })}`;
    const geo = [B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl];
    const nf = KH * KW * CO, rows = KH * KW;
    const x = alloc(B * H * W), dy = alloc(B * OH * OW * CO), a = alloc(nf, () => 55), b = alloc(nf, () => -55);
    k.f32_conv2d_backprop_filter_simd(x, dy, a, ...geo, 0, rows, 0);
    k.f32_conv2d_backprop_filter_scalar(x, dy, b, ...geo, 0, rows, 0);
    sameBits(a, b, nf, `Conv2DBackpropFilter ${what}`);
    const cut = int(0, rows), cut2 = int(cut, rows), c = alloc(nf, () => 55), s1 = alloc(nf, () => 66), s2 = alloc(nf, () => 66);
    k.f32_conv2d_backprop_filter_simd(x, dy, c, ...geo, cut2, rows, s1);
    k.f32_conv2d_backprop_filter_simd(x, dy, c, ...geo, 0, cut, 0);
    k.f32_conv2d_backprop_filter_simd(x, dy, c, ...geo, cut, cut2, s2);
    sameBits(c, b, nf, `Conv2DBackpropFilter, taps split at ${cut} and ${cut2}, ${what}`);
  }
});
twins('max pool and its gradient, 300 configurations with ties, NaN and −Inf, overlapping or not', () => {
  for (let t = 0; t < 300; t++) {
    top = 1024;
    const B = int(1, 2), H = int(1, 9), W = int(1, 9), C = int(1, 19), fh = int(1, 3), fw = int(1, 3);
    const sh = int(1, 3), sw = int(1, 3), dh = int(1, 2), dw = int(1, 2), pt = int(0, 1), pl = int(0, 1);
    const OH = Math.floor((H + 2 * pt - (fh - 1) * dh - 1) / sh) + 1, OW = Math.floor((W + 2 * pl - (fw - 1) * dw - 1) / sw) + 1;
    if (OH < 1 || OW < 1) continue;
    const nx = B * H * W * C;
    const x = alloc(nx, () => { const u = rand(); return u < -0.9 ? NaN : u < -0.8 ? -Infinity : Math.round(u * 3); });
    // dx starts as garbage: the kernels zero what no window reaches themselves.
    const dy = alloc(B * OH * OW * C, () => (rand() < -0.8 ? -0 : rand())), a = alloc(nx, () => 77), b = alloc(nx, () => -77);
    const geo = [B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl];
    k.f32_max_pool_grad_simd(x, dy, a, ...geo);
    k.f32_max_pool_grad_scalar(x, dy, b, ...geo);
    sameBits(a, b, nx, `MaxPoolGrad ${JSON.stringify(geo)}`);
    const ny = B * OH * OW * C, c = alloc(ny, () => 77), d = alloc(ny, () => -77);
    k.f32_max_pool_simd(x, c, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    k.f32_max_pool_scalar(x, d, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    sameBits(c, d, ny, `MaxPool ${JSON.stringify(geo)}`);
  }
});
twins('bias add and column sums, 100 configurations', () => {
  for (let t = 0; t < 100; t++) {
    top = 1024;
    const rows = int(1, 40), C = int(1, 70), n = rows * C;
    const x = alloc(n), bias = alloc(C), a = alloc(n, () => 0), b = alloc(n, () => 0);
    k.f32_add_bias_simd(x, bias, a, rows, C);
    k.f32_add_bias_scalar(x, bias, b, rows, C);
    sameBits(a, b, n, `add bias ${rows}×${C}`);
    const s1 = alloc(C, () => 0), s2 = alloc(C, () => 0);
    k.f32_column_sums_simd(x, s1, rows, C);
    k.f32_column_sums_scalar(x, s2, rows, C);
    sameBits(s1, s2, C, `column sums ${rows}×${C}`);
  }
});
twins('clip by value, 100 configurations with NaN, ±Inf and ±0', () => {
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -3.4e38];
  for (let t = 0; t < 100; t++) {
    top = 1024;
    const n = int(0, 70), lo = rand(), hi = t % 10 === 0 ? lo : lo + (rand() + 1) / 2;
    const x = alloc(n, () => (rand() > 0.7 ? special[int(0, special.length - 1)] : rand() * 2));
    const a = alloc(n, () => 0), b = alloc(n, () => 0);
    k.f32_clip_simd(x, a, n, lo, hi);
    k.f32_clip_scalar(x, b, n, lo, hi);
    sameBits(a, b, n, `clip n=${n} [${lo}, ${hi}]`);
  }
});
twins('unsorted segment sum, f32 and i32, 100 configurations', () => {
  for (let t = 0; t < 100; t++) {
    top = 1024;
    const N = int(1, 20), S = int(1, 3), E = int(1, 21), n = int(1, 7);
    const x = alloc(N * S * E), ids = alloc(N * S, () => 0);
    const idv = new Int32Array(memory.buffer, ids, N * S);
    for (let j = 0; j < N * S; j++) idv[j] = int(-1, n);
    const a = alloc(n * S * E, () => 0), b = alloc(n * S * E, () => 0);
    k.f32_unsorted_segment_sum_simd(x, ids, a, N, S, E, n);
    k.f32_unsorted_segment_sum_scalar(x, ids, b, N, S, E, n);
    sameBits(a, b, n * S * E, `f32 segment sum ${JSON.stringify({ N, S, E, n })}`);
    k.i32_unsorted_segment_sum_simd(x, ids, a, N, S, E, n);
    k.i32_unsorted_segment_sum_scalar(x, ids, b, N, S, E, n);
    sameBits(a, b, n * S * E, `i32 segment sum ${JSON.stringify({ N, S, E, n })}`);
  }
});
twins('matrix products, every transpose pair, 150 configurations', () => {
  for (let t = 0; t < 150; t++) {
    top = 1024;
    const M = int(1, 19), K = int(1, 23), N = int(1, 27), ta = int(0, 1), tb = int(0, 1);
    const a = alloc(M * K), b = alloc(K * N), scratch = alloc(k.f32_matmul_scratch_floats(K), () => 0);
    const c = alloc(M * N, () => 77), d = alloc(M * N, () => -77);
    k.f32_matmul_simd(a, b, c, M, K, N, ta, tb, scratch, 0, M, 0, N);
    k.f32_matmul_scalar(a, b, d, M, K, N, ta, tb, scratch, 0, M, 0, N);
    sameBits(c, d, M * N, `matmul ${JSON.stringify({ M, K, N, ta, tb })}`);
    // In row ranges and in column ranges (cut anywhere, also inside an 8-column panel or
    // in the last 1–3 columns), as the kernel splits over threads: the same bits.
    const e = alloc(M * N, () => 55), cut = int(0, M);
    k.f32_matmul_simd(a, b, e, M, K, N, ta, tb, scratch, cut, M, 0, N);
    k.f32_matmul_simd(a, b, e, M, K, N, ta, tb, scratch, 0, cut, 0, N);
    sameBits(e, d, M * N, `matmul, rows split at ${cut}, ${JSON.stringify({ M, K, N, ta, tb })}`);
    const f = alloc(M * N, () => 55), col = int(0, N), col2 = int(col, N);
    k.f32_matmul_simd(a, b, f, M, K, N, ta, tb, scratch, 0, M, col2, N);
    k.f32_matmul_simd(a, b, f, M, K, N, ta, tb, scratch, 0, M, 0, col);
    k.f32_matmul_simd(a, b, f, M, K, N, ta, tb, scratch, 0, M, col, col2);
    sameBits(f, d, M * N, `matmul, columns split at ${col} and ${col2}, ${JSON.stringify({ M, K, N, ta, tb })}`);
  }
});
twins('relu and its gradient, 100 configurations with NaN, ±Inf and ±0', () => {
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45];
  for (let t = 0; t < 100; t++) {
    top = 1024;
    const n = int(0, 70);
    const value = () => (rand() > 0.7 ? special[int(0, special.length - 1)] : rand() * 2);
    const dy = alloc(n, value), x = alloc(n, value), a = alloc(n, () => 77), b = alloc(n, () => -77);
    k.f32_relu_grad_simd(dy, x, a, n);
    k.f32_relu_grad_scalar(dy, x, b, n);
    sameBits(a, b, n, `relu grad n=${n}`);
    const c = alloc(n, () => 77), d = alloc(n, () => -77);
    k.f32_relu_simd(x, c, n);
    k.f32_relu_scalar(x, d, n);
    sameBits(c, d, n, `relu n=${n}`);
  }
});
twins.run();

// Conv2DBackpropInput, NHWC, scatter form: every dy pixel p = (b, oh, ow) and tap (kh, kw)
// adds  Σ_co dy[p, co] · F[kh, kw, ci, co]  to dx[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci].
// The filter comes also pre-transposed to Ft [KH, KW, CO, CI] so ci is contiguous: a tile of
// 4 dy pixels × 8 ci accumulates in 8 registers over co (4 splats + 2 loads per step),
// then is added into dx (zeroed first), skipping pixels whose target lies in the padding.
// Contribution order per dx element: pixel tiles in order, taps in order, pixels within
// a tile in order; the scalar twin keeps exactly that order.
// With 1–3 input channels and a finite filter, the gather form
// (conv2d_backprop_input_phases) runs instead, its scratch holding a transposed dy.
import { uses_phases, all_finite, phases_scratch_floats, backprop_input_phases } from './conv2d_backprop_input_phases';

@inline function dot4x8(y0: usize, y1: usize, y2: usize, y3: usize, wp: usize, CO: i32, wstride: usize,
                        d0: usize, d1: usize, d2: usize, d3: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  for (let co = 0; co < CO; co++) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    const s0 = v128.load32_splat(y0), s1 = v128.load32_splat(y1);
    const s2 = v128.load32_splat(y2), s3 = v128.load32_splat(y3);
    a0 = f32x4.add(a0, f32x4.mul(s0, w0)); a1 = f32x4.add(a1, f32x4.mul(s0, w1));
    b0 = f32x4.add(b0, f32x4.mul(s1, w0)); b1 = f32x4.add(b1, f32x4.mul(s1, w1));
    c0 = f32x4.add(c0, f32x4.mul(s2, w0)); c1 = f32x4.add(c1, f32x4.mul(s2, w1));
    e0 = f32x4.add(e0, f32x4.mul(s3, w0)); e1 = f32x4.add(e1, f32x4.mul(s3, w1));
    y0 += 4; y1 += 4; y2 += 4; y3 += 4; wp += wstride;
  }
  if (d0) { v128.store(d0, f32x4.add(v128.load(d0), a0)); v128.store(d0, f32x4.add(v128.load(d0, 16), a1), 16); }
  if (d1) { v128.store(d1, f32x4.add(v128.load(d1), b0)); v128.store(d1, f32x4.add(v128.load(d1, 16), b1), 16); }
  if (d2) { v128.store(d2, f32x4.add(v128.load(d2), c0)); v128.store(d2, f32x4.add(v128.load(d2, 16), c1), 16); }
  if (d3) { v128.store(d3, f32x4.add(v128.load(d3), e0)); v128.store(d3, f32x4.add(v128.load(d3, 16), e1), 16); }
}

@inline function add4(d: usize, a: v128): void {
  if (d) v128.store(d, f32x4.add(v128.load(d), a));
}

@inline function dot4x4(y0: usize, y1: usize, y2: usize, y3: usize, wp: usize, CO: i32, wstride: usize,
                        d0: usize, d1: usize, d2: usize, d3: usize): void {
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), e = f32x4.splat(0);
  for (let co = 0; co < CO; co++) {
    const w = v128.load(wp);
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(y0), w));
    b = f32x4.add(b, f32x4.mul(v128.load32_splat(y1), w));
    c = f32x4.add(c, f32x4.mul(v128.load32_splat(y2), w));
    e = f32x4.add(e, f32x4.mul(v128.load32_splat(y3), w));
    y0 += 4; y1 += 4; y2 += 4; y3 += 4; wp += wstride;
  }
  add4(d0, a); add4(d1, b); add4(d2, c); add4(d3, e);
}

@inline function dot1x8(y0: usize, wp: usize, CO: i32, wstride: usize, d0: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  for (let co = 0; co < CO; co++) {
    const s0 = v128.load32_splat(y0);
    a0 = f32x4.add(a0, f32x4.mul(s0, v128.load(wp)));
    a1 = f32x4.add(a1, f32x4.mul(s0, v128.load(wp, 16)));
    y0 += 4; wp += wstride;
  }
  v128.store(d0, f32x4.add(v128.load(d0), a0)); v128.store(d0, f32x4.add(v128.load(d0, 16), a1), 16);
}

@inline function dot1x4(y0: usize, wp: usize, CO: i32, wstride: usize, d0: usize): void {
  let a0 = f32x4.splat(0);
  for (let co = 0; co < CO; co++) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(y0), v128.load(wp)));
    y0 += 4; wp += wstride;
  }
  v128.store(d0, f32x4.add(v128.load(d0), a0));
}

@inline function dot1x1(y0: usize, wp: usize, CO: i32, wstride: usize, d0: usize): void {
  let a: f32 = 0;
  for (let co = 0; co < CO; co++) {
    a += load<f32>(y0) * load<f32>(wp);
    y0 += 4; wp += wstride;
  }
  store<f32>(d0, load<f32>(d0) + a);
}

// For the channels past the last multiple of 4 (all of them when CI < 4), ci-wise SIMD
// has nothing to chew on; there the sum runs over co instead, on F's own layout:
// lane k of the 4-wide loop sums co ≡ k (mod 4), lanes combine as (0+1)+(2+3), the co
// tail adds on in order. The scalar twin sums in exactly that order.
@inline function dot_co(y0: usize, fp: usize, CO: i32, d0: usize, simd: bool): void {
  const body = <usize>(CO & ~3) << 2;
  let s: f32;
  if (simd) {
    let a = f32x4.splat(0);
    for (let i: usize = 0; i < body; i += 16) a = f32x4.add(a, f32x4.mul(v128.load(y0 + i), v128.load(fp + i)));
    s = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  } else {
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    for (let i: usize = 0; i < body; i += 16) {
      a0 += load<f32>(y0 + i) * load<f32>(fp + i);
      a1 += load<f32>(y0 + i, 4) * load<f32>(fp + i, 4);
      a2 += load<f32>(y0 + i, 8) * load<f32>(fp + i, 8);
      a3 += load<f32>(y0 + i, 12) * load<f32>(fp + i, 12);
    }
    s = (a0 + a1) + (a2 + a3);
  }
  for (let i = body; i < <usize>CO << 2; i += 4) s += load<f32>(y0 + i) * load<f32>(fp + i);
  store<f32>(d0, load<f32>(d0) + s);
}

@inline function hsum(a: v128): f32 {
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
}

@inline function co_tail(y0: usize, fp: usize, CO: i32, s: f32): f32 {
  for (let i = <usize>(CO & ~3) << 2; i < <usize>CO << 2; i += 4) s += load<f32>(y0 + i) * load<f32>(fp + i);
  return s;
}

// dot_co for 4 pixels at once, sharing F's loads (SIMD only; same order as dot_co).
@inline function dot_co4(y0: usize, ys: usize, fp: usize, CO: i32, d0: usize, d1: usize, d2: usize, d3: usize): void {
  const body = <usize>(CO & ~3) << 2;
  const y1 = y0 + ys, y2 = y0 + 2 * ys, y3 = y0 + 3 * ys;
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), e = f32x4.splat(0);
  for (let i: usize = 0; i < body; i += 16) {
    const w = v128.load(fp + i);
    a = f32x4.add(a, f32x4.mul(v128.load(y0 + i), w));
    b = f32x4.add(b, f32x4.mul(v128.load(y1 + i), w));
    c = f32x4.add(c, f32x4.mul(v128.load(y2 + i), w));
    e = f32x4.add(e, f32x4.mul(v128.load(y3 + i), w));
  }
  if (d0) store<f32>(d0, load<f32>(d0) + co_tail(y0, fp, CO, hsum(a)));
  if (d1) store<f32>(d1, load<f32>(d1) + co_tail(y1, fp, CO, hsum(b)));
  if (d2) store<f32>(d2, load<f32>(d2) + co_tail(y2, fp, CO, hsum(c)));
  if (d3) store<f32>(d3, load<f32>(d3) + co_tail(y3, fp, CO, hsum(e)));
}

// Where a pixel's tap lands in dx, or 0 in the padding. (ih0, iw0) is the pixel's
// window origin oh·sh − pt, ow·sw − pl; row0 is b·H.
@inline function target(dx: usize, row0: i32, ih0: i32, iw0: i32, kh: i32, kw: i32, H: i32, W: i32, CI: i32,
                        dh: i32, dw: i32): usize {
  const ih = ih0 + kh * dh, iw = iw0 + kw * dw;
  if (ih < 0 || ih >= H || iw < 0 || iw >= W) return 0;
  return dx + ((<usize>((row0 + ih) * W + iw) * CI) << 2);
}

@inline function backprop_input(dy: usize, f: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  if (uses_phases(CI) && all_finite(f, KH * KW * CI * CO)) {
    backprop_input_phases(dy, f, ft, dx, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, simd);
    return;
  }
  memory.fill(dx, 0, (<usize>B * H * W * CI) << 2);
  const P = B * OH * OW, ys = <usize>CO << 2, ws = <usize>CI << 2;
  for (let p0 = 0; p0 < P; p0 += 4) {
    const np = P - p0 < 4 ? P - p0 : 4;
    const y0 = dy + <usize>p0 * ys;
    // Each pixel's batch row and window origin, once per tile (no divisions per tap).
    let r0 = 0, h0 = 0, w0 = 0, r1 = 0, h1 = 0, w1 = 0, r2 = 0, h2 = 0, w2 = 0, r3 = 0, h3 = 0, w3 = 0;
    for (let j = 0; j < np; j++) {
      const p = p0 + j, ow = p % OW, q = p / OW, oh = q % OH, row = (q / OH) * H;
      const ih0 = oh * sh - pt, iw0 = ow * sw - pl;
      if (j == 0) { r0 = row; h0 = ih0; w0 = iw0; }
      else if (j == 1) { r1 = row; h1 = ih0; w1 = iw0; }
      else if (j == 2) { r2 = row; h2 = ih0; w2 = iw0; }
      else { r3 = row; h3 = ih0; w3 = iw0; }
    }
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const wk = ft + ((<usize>(kh * KW + kw) * CO * CI) << 2);
        const fk = f + ((<usize>(kh * KW + kw) * CI * CO) << 2);
        const t0 = target(dx, r0, h0, w0, kh, kw, H, W, CI, dh, dw);
        const t1 = np > 1 ? target(dx, r1, h1, w1, kh, kw, H, W, CI, dh, dw) : 0;
        const t2 = np > 2 ? target(dx, r2, h2, w2, kh, kw, H, W, CI, dh, dw) : 0;
        const t3 = np > 3 ? target(dx, r3, h3, w3, kh, kw, H, W, CI, dh, dw) : 0;
        if (!(t0 | t1 | t2 | t3)) continue;
        let ci = 0;
        if (simd) {
          for (; ci + 8 <= CI; ci += 8) {
            const c = <usize>ci << 2;
            if (np == 4) {
              dot4x8(y0, y0 + ys, y0 + 2 * ys, y0 + 3 * ys, wk + c, CO, ws,
                     t0 ? t0 + c : 0, t1 ? t1 + c : 0, t2 ? t2 + c : 0, t3 ? t3 + c : 0);
            } else {
              if (t0) dot1x8(y0, wk + c, CO, ws, t0 + c);
              if (t1) dot1x8(y0 + ys, wk + c, CO, ws, t1 + c);
              if (t2) dot1x8(y0 + 2 * ys, wk + c, CO, ws, t2 + c);
            }
          }
          for (; ci + 4 <= CI; ci += 4) {
            const c = <usize>ci << 2;
            if (np == 4) {
              dot4x4(y0, y0 + ys, y0 + 2 * ys, y0 + 3 * ys, wk + c, CO, ws,
                     t0 ? t0 + c : 0, t1 ? t1 + c : 0, t2 ? t2 + c : 0, t3 ? t3 + c : 0);
              continue;
            }
            if (t0) dot1x4(y0, wk + c, CO, ws, t0 + c);
            if (t1) dot1x4(y0 + ys, wk + c, CO, ws, t1 + c);
            if (t2) dot1x4(y0 + 2 * ys, wk + c, CO, ws, t2 + c);
            if (t3) dot1x4(y0 + 3 * ys, wk + c, CO, ws, t3 + c);
          }
        }
        for (; ci < (CI & ~3); ci++) { // the scalar twin's share of the ci-wise blocks
          const c = <usize>ci << 2;
          if (t0) dot1x1(y0, wk + c, CO, ws, t0 + c);
          if (t1) dot1x1(y0 + ys, wk + c, CO, ws, t1 + c);
          if (t2) dot1x1(y0 + 2 * ys, wk + c, CO, ws, t2 + c);
          if (t3) dot1x1(y0 + 3 * ys, wk + c, CO, ws, t3 + c);
        }
        for (; ci < CI; ci++) {
          const c = <usize>ci << 2, fc = fk + <usize>ci * ys;
          if (simd && np == 4) {
            dot_co4(y0, ys, fc, CO, t0 ? t0 + c : 0, t1 ? t1 + c : 0, t2 ? t2 + c : 0, t3 ? t3 + c : 0);
            continue;
          }
          if (t0) dot_co(y0, fc, CO, t0 + c, simd);
          if (t1) dot_co(y0 + ys, fc, CO, t1 + c, simd);
          if (t2) dot_co(y0 + 2 * ys, fc, CO, t2 + c, simd);
          if (t3) dot_co(y0 + 3 * ys, fc, CO, t3 + c, simd);
        }
      }
    }
  }
}

export function f32_conv2d_backprop_input_simd(dy: usize, f: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                               OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                               dh: i32, dw: i32, pt: i32, pl: i32): void {
  backprop_input(dy, f, ft, dx, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, true);
}

export function f32_conv2d_backprop_input_scalar(dy: usize, f: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                                 OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                 dh: i32, dw: i32, pt: i32, pl: i32): void {
  backprop_input(dy, f, ft, dx, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, false);
}

/** Floats of the scratch `ft` the kernels above take, for this geometry. */
export function f32_conv2d_backprop_input_scratch_floats(B: i32, H: i32, W: i32, CI: i32, OH: i32, OW: i32, CO: i32,
                                                         KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32,
                                                         pt: i32, pl: i32): i32 {
  return uses_phases(CI) ? phases_scratch_floats(B, W, OH, OW, CO, KH, KW, sw, dw, pl) : KH * KW * CI * CO;
}

/** Fills the scratch before the kernel runs: Ft [KH, KW, CO, CI] (the gather form fills its own). */
export function f32_conv2d_backprop_input_pack(f: usize, ft: usize, KH: i32, KW: i32, CI: i32, CO: i32): void {
  if (!uses_phases(CI)) transpose_last2(f, ft, KH * KW, CI, CO);
}

// [N, R, C] → [N, C, R]: the filter's last two axes swapped (F → Ft above).
function transpose_last2(src: usize, dst: usize, N: i32, R: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const s = src + ((<usize>n * R * C) << 2), d = dst + ((<usize>n * R * C) << 2);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) store<f32>(d + ((<usize>c * R + r) << 2), load<f32>(s + ((<usize>r * C + c) << 2)));
    }
  }
}

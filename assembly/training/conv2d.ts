// Conv2D forward, NHWC, filter [KH, KW, CI, CO], no bias:
//   y[b, oh, ow, co] = Σ_{kh, kw, ci} x[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci] · F[kh, kw, ci, co]
// summed one product at a time from 0, taps in (kh, kw) order and channels ascending
// within a tap, skipping taps that fall in the padding. That is the order of XNNPACK's
// f32 IGEMM (its indirection buffer lists taps kh-major, padding points at zeros, and
// adding a zero product changes no sum that did not start as −0, which none does), so the
// bits equal tfjs-wasm's own Conv2D (a test compares them).
// SIMD: 4 output pixels of a row × 8 output channels in 8 accumulators (4 splats of x and
// 2 loads of F per input channel), the filter read in place ([.., CI, CO] has co
// contiguous). Pixels whose window leaves the input go one at a time; a row's last tile
// may overlap the one before.
// Fused epilogue (f32_conv2d_bias_relu_*): each sum, once complete, gets the bias added
// (one float32 add, as the Add kernel does: ./broadcast.ts) and ReLU applied by selecting
// bits (as ./relu.ts): the bits of Conv2D → Add (bias) → Relu, in one write of the output.
import { first_out, end_out } from './geometry';

// 4 pixels of a row (ps bytes apart in x) × channels [co, co + 8): every tap column is inside x.
@inline function px4x8(b: usize, x: usize, f: usize, out: usize, ih0: i32, H: i32, W: i32, CI: i32,
                       CO: i32, KH: i32, KW: i32, dh: i32, dw: i32, iw: i32, ps: usize, co: i32, os: usize,
                       bias: usize, fused: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  const fstep = <usize>CO << 2;
  // Without dilation a filter row's taps read KW·CI consecutive x values and KW·CI
  // consecutive filter rows: one loop over them, in the same (kw, ci) order.
  const runs = dw == 1 ? 1 : KW, run = dw == 1 ? KW * CI : CI;
  for (let kh = 0; kh < KH; kh++) {
    const ih = ih0 + kh * dh;
    if (ih < 0 || ih >= H) continue;
    for (let kw = 0; kw < runs; kw++) {
      let xp = x + ((<usize>((<i32>b * H + ih) * W + iw + kw * dw) * CI) << 2);
      let fp = f + ((<usize>((kh * KW + kw) * CI) * CO + co) << 2);
      for (let ci = 0; ci < run; ci++) {
        const w0 = v128.load(fp), w1 = v128.load(fp, 16);
        const s0 = v128.load32_splat(xp), s1 = v128.load32_splat(xp + ps);
        const s2 = v128.load32_splat(xp + 2 * ps), s3 = v128.load32_splat(xp + 3 * ps);
        a0 = f32x4.add(a0, f32x4.mul(s0, w0)); a1 = f32x4.add(a1, f32x4.mul(s0, w1));
        b0 = f32x4.add(b0, f32x4.mul(s1, w0)); b1 = f32x4.add(b1, f32x4.mul(s1, w1));
        c0 = f32x4.add(c0, f32x4.mul(s2, w0)); c1 = f32x4.add(c1, f32x4.mul(s2, w1));
        d0 = f32x4.add(d0, f32x4.mul(s3, w0)); d1 = f32x4.add(d1, f32x4.mul(s3, w1));
        xp += 4; fp += fstep;
      }
    }
  }
  const o = out + (<usize>co << 2);
  if (fused) {
    const bp = bias + (<usize>co << 2);
    const e0 = v128.load(bp), e1 = v128.load(bp, 16);
    a0 = bias_relu4(a0, e0); a1 = bias_relu4(a1, e1); b0 = bias_relu4(b0, e0); b1 = bias_relu4(b1, e1);
    c0 = bias_relu4(c0, e0); c1 = bias_relu4(c1, e1); d0 = bias_relu4(d0, e0); d1 = bias_relu4(d1, e1);
  }
  v128.store(o, a0); v128.store(o, a1, 16);
  v128.store(o + os, b0); v128.store(o + os, b1, 16);
  v128.store(o + 2 * os, c0); v128.store(o + 2 * os, c1, 16);
  v128.store(o + 3 * os, d0); v128.store(o + 3 * os, d1, 16);
}

// s + bias, then ReLU: v where v > 0 or NaN, else +0 (./relu.ts's selection).
@inline function bias_relu4(s: v128, bias: v128): v128 {
  const v = f32x4.add(s, bias);
  return v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
}

@inline function bias_relu1(s: f32, bias: f32): f32 {
  const v = s + bias;
  return select<f32>(0, v, v <= 0);
}

// One output pixel, channels [co, co + 4) (SIMD) or one channel (scalar), taps checked.
@inline function px1x4(b: usize, x: usize, f: usize, out: usize, ih0: i32, H: i32, W: i32, CI: i32, CO: i32,
                       KH: i32, KW: i32, dh: i32, dw: i32, iw0: i32, co: i32, bias: usize, fused: bool): void {
  let a = f32x4.splat(0);
  const fstep = <usize>CO << 2;
  for (let kh = 0; kh < KH; kh++) {
    const ih = ih0 + kh * dh;
    if (ih < 0 || ih >= H) continue;
    for (let kw = 0; kw < KW; kw++) {
      const iw = iw0 + kw * dw;
      if (iw < 0 || iw >= W) continue;
      let xp = x + ((<usize>((<i32>b * H + ih) * W + iw) * CI) << 2);
      let fp = f + ((<usize>((kh * KW + kw) * CI) * CO + co) << 2);
      for (let ci = 0; ci < CI; ci++) {
        a = f32x4.add(a, f32x4.mul(v128.load32_splat(xp), v128.load(fp)));
        xp += 4; fp += fstep;
      }
    }
  }
  if (fused) a = bias_relu4(a, v128.load(bias + (<usize>co << 2)));
  v128.store(out + (<usize>co << 2), a);
}

@inline function px1x1(b: usize, x: usize, f: usize, out: usize, ih0: i32, H: i32, W: i32, CI: i32, CO: i32,
                       KH: i32, KW: i32, dh: i32, dw: i32, iw0: i32, co: i32, bias: usize, fused: bool): void {
  let a: f32 = 0;
  const fstep = <usize>CO << 2;
  for (let kh = 0; kh < KH; kh++) {
    const ih = ih0 + kh * dh;
    if (ih < 0 || ih >= H) continue;
    for (let kw = 0; kw < KW; kw++) {
      const iw = iw0 + kw * dw;
      if (iw < 0 || iw >= W) continue;
      let xp = x + ((<usize>((<i32>b * H + ih) * W + iw) * CI) << 2);
      let fp = f + ((<usize>((kh * KW + kw) * CI) * CO + co) << 2);
      for (let ci = 0; ci < CI; ci++) {
        a += load<f32>(xp) * load<f32>(fp);
        xp += 4; fp += fstep;
      }
    }
  }
  if (fused) a = bias_relu1(a, load<f32>(bias + (<usize>co << 2)));
  store<f32>(out + (<usize>co << 2), a);
}

@inline function pixel(b: usize, x: usize, f: usize, out: usize, ih0: i32, H: i32, W: i32, CI: i32, CO: i32,
                       KH: i32, KW: i32, dh: i32, dw: i32, iw0: i32, simd: bool, bias: usize, fused: bool): void {
  let co = 0;
  if (simd) for (; co + 4 <= CO; co += 4) px1x4(b, x, f, out, ih0, H, W, CI, CO, KH, KW, dh, dw, iw0, co, bias, fused);
  for (; co < CO; co++) px1x1(b, x, f, out, ih0, H, W, CI, CO, KH, KW, dh, dw, iw0, co, bias, fused);
}

@inline function conv2d(x: usize, f: usize, y: usize, B: i32, H: i32, W: i32, CI: i32, OH: i32, OW: i32, CO: i32,
                        KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, simd: bool,
                        bias: usize, fused: bool): void {
  // Pixels [owA, owB) of a row see every tap column inside x.
  const owA = first_out(pl, 0, dw, sw), owB = end_out(W, pl, KW - 1, dw, sw, OW);
  const os = <usize>CO << 2, ps = (<usize>sw * CI) << 2;
  const co8 = CO & ~7;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * sh - pt;
      const row = y + ((<usize>(b * OH + oh) * OW * CO) << 2);
      let ow = 0;
      if (simd && owA < owB) {
        for (; ow < owA; ow++) pixel(b, x, f, row + <usize>ow * os, ih0, H, W, CI, CO, KH, KW, dh, dw, ow * sw - pl, true, bias, fused);
        for (; ow < owB && owB - owA >= 4; ow += 4) {
          // The last tile of a row may overlap the one before (it writes the same bits).
          if (ow + 4 > owB) ow = owB - 4;
          const out = row + <usize>ow * os;
          for (let co = 0; co < co8; co += 8) px4x8(b, x, f, out, ih0, H, W, CI, CO, KH, KW, dh, dw, ow * sw - pl, ps, co, os, bias, fused);
          if (co8 < CO) {
            for (let j = 0; j < 4; j++) {
              const o = out + <usize>j * os, iw0 = (ow + j) * sw - pl;
              let co = co8;
              for (; co + 4 <= CO; co += 4) px1x4(b, x, f, o, ih0, H, W, CI, CO, KH, KW, dh, dw, iw0, co, bias, fused);
              for (; co < CO; co++) px1x1(b, x, f, o, ih0, H, W, CI, CO, KH, KW, dh, dw, iw0, co, bias, fused);
            }
          }
        }
      }
      for (; ow < OW; ow++) pixel(b, x, f, row + <usize>ow * os, ih0, H, W, CI, CO, KH, KW, dh, dw, ow * sw - pl, simd, bias, fused);
    }
  }
}

export function f32_conv2d_simd(x: usize, f: usize, y: usize, B: i32, H: i32, W: i32, CI: i32, OH: i32, OW: i32, CO: i32,
                                KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  conv2d(x, f, y, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, true, 0, false);
}

export function f32_conv2d_scalar(x: usize, f: usize, y: usize, B: i32, H: i32, W: i32, CI: i32, OH: i32, OW: i32, CO: i32,
                                  KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  conv2d(x, f, y, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, false, 0, false);
}

// Conv2D, then + bias[co], then ReLU, in one write of y (bias: CO floats).
export function f32_conv2d_bias_relu_simd(x: usize, f: usize, bias: usize, y: usize, B: i32, H: i32, W: i32, CI: i32, OH: i32,
                                          OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  conv2d(x, f, y, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, true, bias, true);
}

export function f32_conv2d_bias_relu_scalar(x: usize, f: usize, bias: usize, y: usize, B: i32, H: i32, W: i32, CI: i32, OH: i32,
                                            OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  conv2d(x, f, y, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, false, bias, true);
}

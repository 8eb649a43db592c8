// DepthwiseConv2dNative backprops, NHWC, filter [KH, KW, CI, M], output channel q = ci·M + m.
// Both kernels work on C = CI·M channels where x's channel ci is read as channel q:
// for M = 1 that is x itself; for M > 1 the caller expands x (f32_expand_channels) or
// reduces dx over m afterwards (f32_sum_groups).
//   filter: dF[kh,kw,q] = Σ_{b,oh,ow} x[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, q] · dy[b,oh,ow,q]
//   input:  dx[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, q] += dy[b,oh,ow,q] · F[kh,kw,q]
// Loop order: output row (b, oh), tap (kh, kw), a block of 16 / 4 / 1 channels, then
// the row's valid ow range innermost; the scalar twins sum in the same order.
import { first_out, end_out } from './geometry';

@inline function filter_row(xp: usize, yp: usize, out: usize, n: i32, xs: usize, ys: usize, C: i32, simd: bool): void {
  let q = 0;
  if (simd) {
    for (; q + 16 <= C; q += 16) {
      const o = out + (<usize>q << 2);
      let x0 = xp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
      let a = v128.load(o), b = v128.load(o, 16), c = v128.load(o, 32), d = v128.load(o, 48);
      for (let i = 0; i < n; i++) {
        a = f32x4.add(a, f32x4.mul(v128.load(x0), v128.load(y0)));
        b = f32x4.add(b, f32x4.mul(v128.load(x0, 16), v128.load(y0, 16)));
        c = f32x4.add(c, f32x4.mul(v128.load(x0, 32), v128.load(y0, 32)));
        d = f32x4.add(d, f32x4.mul(v128.load(x0, 48), v128.load(y0, 48)));
        x0 += xs; y0 += ys;
      }
      v128.store(o, a); v128.store(o, b, 16); v128.store(o, c, 32); v128.store(o, d, 48);
    }
    for (; q + 4 <= C; q += 4) {
      const o = out + (<usize>q << 2);
      let x0 = xp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
      let a = v128.load(o);
      for (let i = 0; i < n; i++) {
        a = f32x4.add(a, f32x4.mul(v128.load(x0), v128.load(y0)));
        x0 += xs; y0 += ys;
      }
      v128.store(o, a);
    }
  }
  for (; q < C; q++) {
    const o = out + (<usize>q << 2);
    let x0 = xp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
    let a = load<f32>(o);
    for (let i = 0; i < n; i++) {
      a += load<f32>(x0) * load<f32>(y0);
      x0 += xs; y0 += ys;
    }
    store<f32>(o, a);
  }
}

@inline function input_row(dxp: usize, yp: usize, fk: usize, n: i32, xs: usize, ys: usize, C: i32, simd: bool): void {
  let q = 0;
  if (simd) {
    for (; q + 16 <= C; q += 16) {
      const f = fk + (<usize>q << 2);
      const fa = v128.load(f), fb = v128.load(f, 16), fc = v128.load(f, 32), fd = v128.load(f, 48);
      let x0 = dxp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
      for (let i = 0; i < n; i++) {
        v128.store(x0, f32x4.add(v128.load(x0), f32x4.mul(v128.load(y0), fa)));
        v128.store(x0, f32x4.add(v128.load(x0, 16), f32x4.mul(v128.load(y0, 16), fb)), 16);
        v128.store(x0, f32x4.add(v128.load(x0, 32), f32x4.mul(v128.load(y0, 32), fc)), 32);
        v128.store(x0, f32x4.add(v128.load(x0, 48), f32x4.mul(v128.load(y0, 48), fd)), 48);
        x0 += xs; y0 += ys;
      }
    }
    for (; q + 4 <= C; q += 4) {
      const fa = v128.load(fk + (<usize>q << 2));
      let x0 = dxp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
      for (let i = 0; i < n; i++) {
        v128.store(x0, f32x4.add(v128.load(x0), f32x4.mul(v128.load(y0), fa)));
        x0 += xs; y0 += ys;
      }
    }
  }
  for (; q < C; q++) {
    const fa = load<f32>(fk + (<usize>q << 2));
    let x0 = dxp + (<usize>q << 2), y0 = yp + (<usize>q << 2);
    for (let i = 0; i < n; i++) {
      store<f32>(x0, load<f32>(x0) + load<f32>(y0) * fa);
      x0 += xs; y0 += ys;
    }
  }
}

// filter = true: dF from x and dy; false: dx from dy and F. Both zero their output first.
@inline function depthwise(x: usize, dy: usize, f: usize, B: i32, H: i32, W: i32, C: i32,
                           OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                           dh: i32, dw: i32, pt: i32, pl: i32, filter: bool, simd: bool): void {
  if (filter) memory.fill(f, 0, (<usize>KH * KW * C) << 2);
  else memory.fill(x, 0, (<usize>B * H * W * C) << 2);
  const xs = (<usize>sw * C) << 2, ys = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const yrow = dy + ((<usize>(b * OH + oh) * OW * C) << 2);
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * sh - pt + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const xrowh = x + ((<usize>(b * H + ih) * W * C) << 2);
        for (let kw = 0; kw < KW; kw++) {
          const ow0 = first_out(pl, kw, dw, sw), ow1 = end_out(W, pl, kw, dw, sw, OW);
          if (ow0 >= ow1) continue;
          const iw0 = ow0 * sw - pl + kw * dw;
          const xp = xrowh + ((<usize>iw0 * C) << 2), yp = yrow + ((<usize>ow0 * C) << 2);
          const fk = f + ((<usize>(kh * KW + kw) * C) << 2);
          if (filter) filter_row(xp, yp, fk, ow1 - ow0, xs, ys, C, simd);
          else input_row(xp, yp, fk, ow1 - ow0, xs, ys, C, simd);
        }
      }
    }
  }
}

export function f32_depthwise_backprop_filter_simd(x: usize, dy: usize, df: usize, B: i32, H: i32, W: i32, C: i32,
                                                   OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                   dh: i32, dw: i32, pt: i32, pl: i32): void {
  depthwise(x, dy, df, B, H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, true, true);
}

export function f32_depthwise_backprop_filter_scalar(x: usize, dy: usize, df: usize, B: i32, H: i32, W: i32, C: i32,
                                                     OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                     dh: i32, dw: i32, pt: i32, pl: i32): void {
  depthwise(x, dy, df, B, H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, true, false);
}

export function f32_depthwise_backprop_input_simd(dx: usize, dy: usize, f: usize, B: i32, H: i32, W: i32, C: i32,
                                                  OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                  dh: i32, dw: i32, pt: i32, pl: i32): void {
  depthwise(dx, dy, f, B, H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, false, true);
}

export function f32_depthwise_backprop_input_scalar(dx: usize, dy: usize, f: usize, B: i32, H: i32, W: i32, C: i32,
                                                    OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                    dh: i32, dw: i32, pt: i32, pl: i32): void {
  depthwise(dx, dy, f, B, H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, false, false);
}

// [N, CI] → [N, CI·M], each value repeated M times (x seen with a channel multiplier).
export function f32_expand_channels(src: usize, dst: usize, n: i32, M: i32): void {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    const d = dst + ((<usize>i * M) << 2);
    for (let m = 0; m < M; m++) store<f32>(d + (<usize>m << 2), v);
  }
}

// [N, M] → [N]: the sum of each group of M, in order.
export function f32_sum_groups(src: usize, dst: usize, n: i32, M: i32): void {
  for (let i = 0; i < n; i++) {
    const s = src + ((<usize>i * M) << 2);
    let a: f32 = 0;
    for (let m = 0; m < M; m++) a += load<f32>(s + (<usize>m << 2));
    store<f32>(dst + (<usize>i << 2), a);
  }
}

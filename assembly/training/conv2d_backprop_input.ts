// Conv2DBackpropInput, NHWC, scatter form: every dy pixel p = (b, oh, ow) and tap (kh, kw)
// adds  Σ_co dy[p, co] · F[kh, kw, ci, co]  to dx[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci].
// The filter comes pre-transposed to Ft [KH, KW, CO, CI] so ci is contiguous: a tile of
// 4 dy pixels × 8 ci accumulates in 8 registers over co (4 splats + 2 loads per step),
// then is added into dx (zeroed first), skipping pixels whose target lies in the padding.
// Contribution order per dx element: pixel tiles in order, taps in order, pixels within
// a tile in order; the scalar twin keeps exactly that order.

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

// Where pixel p's tap (kh, kw) lands in dx, or 0 in the padding.
@inline function target(dx: usize, p: i32, kh: i32, kw: i32, H: i32, W: i32, CI: i32, OH: i32, OW: i32,
                        sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): usize {
  const ow = p % OW, q = p / OW, oh = q % OH, b = q / OH;
  const ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
  if (ih < 0 || ih >= H || iw < 0 || iw >= W) return 0;
  return dx + ((<usize>((b * H + ih) * W + iw) * CI) << 2);
}

@inline function backprop_input(dy: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  memory.fill(dx, 0, (<usize>B * H * W * CI) << 2);
  const P = B * OH * OW, ys = <usize>CO << 2, ws = <usize>CI << 2;
  for (let p0 = 0; p0 < P; p0 += 4) {
    const np = P - p0 < 4 ? P - p0 : 4;
    const y0 = dy + <usize>p0 * ys;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const wk = ft + ((<usize>(kh * KW + kw) * CO * CI) << 2);
        const t0 = target(dx, p0, kh, kw, H, W, CI, OH, OW, sh, sw, dh, dw, pt, pl);
        const t1 = np > 1 ? target(dx, p0 + 1, kh, kw, H, W, CI, OH, OW, sh, sw, dh, dw, pt, pl) : 0;
        const t2 = np > 2 ? target(dx, p0 + 2, kh, kw, H, W, CI, OH, OW, sh, sw, dh, dw, pt, pl) : 0;
        const t3 = np > 3 ? target(dx, p0 + 3, kh, kw, H, W, CI, OH, OW, sh, sw, dh, dw, pt, pl) : 0;
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
            if (t0) dot1x4(y0, wk + c, CO, ws, t0 + c);
            if (t1) dot1x4(y0 + ys, wk + c, CO, ws, t1 + c);
            if (t2) dot1x4(y0 + 2 * ys, wk + c, CO, ws, t2 + c);
            if (t3) dot1x4(y0 + 3 * ys, wk + c, CO, ws, t3 + c);
          }
        }
        for (; ci < CI; ci++) {
          const c = <usize>ci << 2;
          if (t0) dot1x1(y0, wk + c, CO, ws, t0 + c);
          if (t1) dot1x1(y0 + ys, wk + c, CO, ws, t1 + c);
          if (t2) dot1x1(y0 + 2 * ys, wk + c, CO, ws, t2 + c);
          if (t3) dot1x1(y0 + 3 * ys, wk + c, CO, ws, t3 + c);
        }
      }
    }
  }
}

export function f32_conv2d_backprop_input_simd(dy: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                               OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                               dh: i32, dw: i32, pt: i32, pl: i32): void {
  backprop_input(dy, ft, dx, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, true);
}

export function f32_conv2d_backprop_input_scalar(dy: usize, ft: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                                 OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                 dh: i32, dw: i32, pt: i32, pl: i32): void {
  backprop_input(dy, ft, dx, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, false);
}

// [N, R, C] → [N, C, R]: the filter's last two axes swapped (F → Ft above).
export function f32_transpose_last2(src: usize, dst: usize, N: i32, R: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const s = src + ((<usize>n * R * C) << 2), d = dst + ((<usize>n * R * C) << 2);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) store<f32>(d + ((<usize>c * R + r) << 2), load<f32>(s + ((<usize>r * C + c) << 2)));
    }
  }
}

// Conv2DBackpropFilter, NHWC, filter [KH, KW, CI, CO]:
//   dF[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci] · dy[b,oh,ow,co]
// Loop order: output row (b, oh) outermost, so one row of dy and the x rows it touches
// stay in cache while every tap (kh, kw) and every ci×co tile consumes them. Each tile
// accumulates in registers over the row's valid ow range, then adds into dF (zeroed
// first). The SIMD tile is 4 ci × 8 co (8 accumulators); 1×8, 4×4, 1×4 and scalar
// tiles cover the edges. Summation order per element: rows in order, ow in order.
// The exports take a range [r0, r1) of dF's rows (a row r = (kh·KW + kw)·CI + ci holds CO
// floats; 0 and KH·KW·CI for all of dF), which is how the kernel splits over threads:
// each dF element is summed by one of them, with the SIMD tiles as wide as on one thread
// (a split by output channels narrowed them: at CO = 8 two threads took 1.8× one thread's
// time on the study CNN's first layer). A range may start and end inside a tap (its ci
// range is then partial), so two parts balance whatever the number of taps. The tiles
// load and store dF once per output row and tap, so two threads writing neighbouring rows
// in place would pass a shared cache line back and forth; a split call accumulates in
// `scratch` (its own rows, 0 for none: in dF) and copies the sums into dF at the end:
// the same operations on each element.
import { first_out, end_out } from './geometry';

@inline function tile4x8(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize, rs: usize): void {
  let a0 = v128.load(out), a1 = v128.load(out, 16);
  let b0 = v128.load(out + rs), b1 = v128.load(out + rs, 16);
  let c0 = v128.load(out + 2 * rs), c1 = v128.load(out + 2 * rs, 16);
  let d0 = v128.load(out + 3 * rs), d1 = v128.load(out + 3 * rs, 16);
  for (let i = 0; i < n; i++) {
    const y0 = v128.load(yp), y1 = v128.load(yp, 16);
    const xa = v128.load32_splat(xp), xb = v128.load32_splat(xp, 4);
    const xc = v128.load32_splat(xp, 8), xd = v128.load32_splat(xp, 12);
    a0 = f32x4.add(a0, f32x4.mul(xa, y0)); a1 = f32x4.add(a1, f32x4.mul(xa, y1));
    b0 = f32x4.add(b0, f32x4.mul(xb, y0)); b1 = f32x4.add(b1, f32x4.mul(xb, y1));
    c0 = f32x4.add(c0, f32x4.mul(xc, y0)); c1 = f32x4.add(c1, f32x4.mul(xc, y1));
    d0 = f32x4.add(d0, f32x4.mul(xd, y0)); d1 = f32x4.add(d1, f32x4.mul(xd, y1));
    xp += xs; yp += ys;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
  v128.store(out + rs, b0); v128.store(out + rs, b1, 16);
  v128.store(out + 2 * rs, c0); v128.store(out + 2 * rs, c1, 16);
  v128.store(out + 3 * rs, d0); v128.store(out + 3 * rs, d1, 16);
}

@inline function tile3x8(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize, rs: usize): void {
  let a0 = v128.load(out), a1 = v128.load(out, 16);
  let b0 = v128.load(out + rs), b1 = v128.load(out + rs, 16);
  let c0 = v128.load(out + 2 * rs), c1 = v128.load(out + 2 * rs, 16);
  for (let i = 0; i < n; i++) {
    const y0 = v128.load(yp), y1 = v128.load(yp, 16);
    const xa = v128.load32_splat(xp), xb = v128.load32_splat(xp, 4), xc = v128.load32_splat(xp, 8);
    a0 = f32x4.add(a0, f32x4.mul(xa, y0)); a1 = f32x4.add(a1, f32x4.mul(xa, y1));
    b0 = f32x4.add(b0, f32x4.mul(xb, y0)); b1 = f32x4.add(b1, f32x4.mul(xb, y1));
    c0 = f32x4.add(c0, f32x4.mul(xc, y0)); c1 = f32x4.add(c1, f32x4.mul(xc, y1));
    xp += xs; yp += ys;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
  v128.store(out + rs, b0); v128.store(out + rs, b1, 16);
  v128.store(out + 2 * rs, c0); v128.store(out + 2 * rs, c1, 16);
}

@inline function tile2x8(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize, rs: usize): void {
  let a0 = v128.load(out), a1 = v128.load(out, 16);
  let b0 = v128.load(out + rs), b1 = v128.load(out + rs, 16);
  for (let i = 0; i < n; i++) {
    const y0 = v128.load(yp), y1 = v128.load(yp, 16);
    const xa = v128.load32_splat(xp), xb = v128.load32_splat(xp, 4);
    a0 = f32x4.add(a0, f32x4.mul(xa, y0)); a1 = f32x4.add(a1, f32x4.mul(xa, y1));
    b0 = f32x4.add(b0, f32x4.mul(xb, y0)); b1 = f32x4.add(b1, f32x4.mul(xb, y1));
    xp += xs; yp += ys;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
  v128.store(out + rs, b0); v128.store(out + rs, b1, 16);
}

@inline function tile4x4(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize, rs: usize): void {
  let a = v128.load(out), b = v128.load(out + rs), c = v128.load(out + 2 * rs), d = v128.load(out + 3 * rs);
  for (let i = 0; i < n; i++) {
    const y = v128.load(yp);
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(xp), y));
    b = f32x4.add(b, f32x4.mul(v128.load32_splat(xp, 4), y));
    c = f32x4.add(c, f32x4.mul(v128.load32_splat(xp, 8), y));
    d = f32x4.add(d, f32x4.mul(v128.load32_splat(xp, 12), y));
    xp += xs; yp += ys;
  }
  v128.store(out, a); v128.store(out + rs, b); v128.store(out + 2 * rs, c); v128.store(out + 3 * rs, d);
}

@inline function tile1x8(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize): void {
  let a0 = v128.load(out), a1 = v128.load(out, 16);
  for (let i = 0; i < n; i++) {
    const xa = v128.load32_splat(xp);
    a0 = f32x4.add(a0, f32x4.mul(xa, v128.load(yp)));
    a1 = f32x4.add(a1, f32x4.mul(xa, v128.load(yp, 16)));
    xp += xs; yp += ys;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
}

@inline function tile1x4(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize): void {
  let a = v128.load(out);
  for (let i = 0; i < n; i++) {
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(xp), v128.load(yp)));
    xp += xs; yp += ys;
  }
  v128.store(out, a);
}

@inline function tile1x1(xp: usize, yp: usize, n: i32, xs: usize, ys: usize, out: usize): void {
  let a = load<f32>(out);
  for (let i = 0; i < n; i++) {
    a += load<f32>(xp) * load<f32>(yp);
    xp += xs; yp += ys;
  }
  store<f32>(out, a);
}

// One output row against one tap: every ci×co tile over ow in [ow0, ow1).
@inline function row_simd(xrow: usize, yrow: usize, out: usize, n: i32, xs: usize, ys: usize, CI: i32, CO: i32): void {
  const rs = <usize>CO << 2;
  let ci = 0;
  for (; ci + 4 <= CI; ci += 4) {
    const xp = xrow + (<usize>ci << 2), o = out + <usize>ci * rs;
    let co = 0;
    for (; co + 8 <= CO; co += 8) tile4x8(xp, yrow + (<usize>co << 2), n, xs, ys, o + (<usize>co << 2), rs);
    for (; co + 4 <= CO; co += 4) tile4x4(xp, yrow + (<usize>co << 2), n, xs, ys, o + (<usize>co << 2), rs);
    for (; co < CO; co++) {
      for (let r = 0; r < 4; r++) tile1x1(xp + (<usize>r << 2), yrow + (<usize>co << 2), n, xs, ys, o + <usize>r * rs + (<usize>co << 2));
    }
  }
  // 2 or 3 channels left: their 8-column tiles together (3 × 8 or 2 × 8), the rest below.
  const left = CI - ci;
  let co8 = 0;
  if (left >= 2) {
    const xp = xrow + (<usize>ci << 2), o = out + <usize>ci * rs;
    for (; co8 + 8 <= CO; co8 += 8) {
      if (left == 3) tile3x8(xp, yrow + (<usize>co8 << 2), n, xs, ys, o + (<usize>co8 << 2), rs);
      else tile2x8(xp, yrow + (<usize>co8 << 2), n, xs, ys, o + (<usize>co8 << 2), rs);
    }
  }
  for (; ci < CI; ci++) {
    const xp = xrow + (<usize>ci << 2), o = out + <usize>ci * rs;
    let co = co8;
    for (; co + 8 <= CO; co += 8) tile1x8(xp, yrow + (<usize>co << 2), n, xs, ys, o + (<usize>co << 2));
    for (; co + 4 <= CO; co += 4) tile1x4(xp, yrow + (<usize>co << 2), n, xs, ys, o + (<usize>co << 2));
    for (; co < CO; co++) tile1x1(xp, yrow + (<usize>co << 2), n, xs, ys, o + (<usize>co << 2));
  }
}

@inline function row_scalar(xrow: usize, yrow: usize, out: usize, n: i32, xs: usize, ys: usize, CI: i32, CO: i32): void {
  for (let ci = 0; ci < CI; ci++) {
    for (let co = 0; co < CO; co++) {
      tile1x1(xrow + (<usize>ci << 2), yrow + (<usize>co << 2), n, xs, ys, out + ((<usize>ci * CO + co) << 2));
    }
  }
}

// Rows [r0, r1) of dF: each thread of a split takes its own range, and an element's sum
// depends neither on the range it falls in nor on where it accumulates (dF, or the part's
// scratch).
@inline function backprop_filter(x: usize, dy: usize, df: usize, B: i32, H: i32, W: i32, CI: i32,
                                 OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                 dh: i32, dw: i32, pt: i32, pl: i32, r0: i32, r1: i32, scratch: usize, simd: bool): void {
  if (r0 >= r1) return;
  const rs = <usize>CO << 2, tapBytes = <usize>CI * rs;
  // Where row r accumulates: acc + r · rs.
  const acc = scratch != 0 ? scratch - <usize>r0 * rs : df;
  memory.fill(acc + <usize>r0 * rs, 0, <usize>(r1 - r0) * rs);
  const xs = (<usize>sw * CI) << 2, ys = <usize>CO << 2;
  // One input channel, undilated, every tap of a row over the same outputs (valid
  // padding): consecutive taps [kw0, kw1) of a filter row read consecutive x and write
  // consecutive dF rows, just as that many channels would, so one row_simd call takes them
  // all as channels (up to 4 taps per tile instead of 1). Each dF element sums in the same
  // order.
  const tapsAsChannels = simd && CI == 1 && dw == 1 && KW > 1 &&
    first_out(pl, 0, dw, sw) == first_out(pl, KW - 1, dw, sw) &&
    end_out(W, pl, 0, dw, sw, OW) == end_out(W, pl, KW - 1, dw, sw, OW);
  const t0 = r0 / CI, t1 = (r1 + CI - 1) / CI;
  const kh0 = t0 / KW, kh1 = (t1 + KW - 1) / KW;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const yrow = dy + ((<usize>(b * OH + oh) * OW * CO) << 2);
      for (let kh = kh0; kh < kh1; kh++) {
        const ih = oh * sh - pt + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const xrowh = x + ((<usize>(b * H + ih) * W * CI) << 2);
        const kw0 = kh * KW < t0 ? t0 - kh * KW : 0, kw1 = kh * KW + KW > t1 ? t1 - kh * KW : KW;
        if (tapsAsChannels) {
          const ow0 = first_out(pl, 0, dw, sw), ow1 = end_out(W, pl, 0, dw, sw, OW);
          if (ow0 >= ow1) continue;
          const xrow = xrowh + ((<usize>(ow0 * sw - pl + kw0)) << 2), yr = yrow + ((<usize>ow0 * CO) << 2);
          row_simd(xrow, yr, acc + <usize>(kh * KW + kw0) * tapBytes, ow1 - ow0, xs, ys, kw1 - kw0, CO);
          continue;
        }
        for (let kw = kw0; kw < kw1; kw++) {
          const ow0 = first_out(pl, kw, dw, sw), ow1 = end_out(W, pl, kw, dw, sw, OW);
          if (ow0 >= ow1) continue;
          // This tap's channels within [r0, r1).
          const t = kh * KW + kw, ci0 = t * CI < r0 ? r0 - t * CI : 0, ci1 = t * CI + CI > r1 ? r1 - t * CI : CI;
          const iw0 = ow0 * sw - pl + kw * dw;
          const xrow = xrowh + ((<usize>(iw0 * CI + ci0)) << 2), yr = yrow + ((<usize>ow0 * CO) << 2);
          const out = acc + <usize>(t * CI + ci0) * rs;
          if (simd) row_simd(xrow, yr, out, ow1 - ow0, xs, ys, ci1 - ci0, CO);
          else row_scalar(xrow, yr, out, ow1 - ow0, xs, ys, ci1 - ci0, CO);
        }
      }
    }
  }
  if (scratch != 0) memory.copy(df + <usize>r0 * rs, scratch, <usize>(r1 - r0) * rs);
}

export function f32_conv2d_backprop_filter_simd(x: usize, dy: usize, df: usize, B: i32, H: i32, W: i32, CI: i32,
                                                OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                dh: i32, dw: i32, pt: i32, pl: i32, r0: i32, r1: i32, scratch: usize): void {
  backprop_filter(x, dy, df, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, r0, r1, scratch, true);
}

export function f32_conv2d_backprop_filter_scalar(x: usize, dy: usize, df: usize, B: i32, H: i32, W: i32, CI: i32,
                                                  OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                                  dh: i32, dw: i32, pt: i32, pl: i32, r0: i32, r1: i32, scratch: usize): void {
  backprop_filter(x, dy, df, B, H, W, CI, OH, OW, CO, KH, KW, sh, sw, dh, dw, pt, pl, r0, r1, scratch, false);
}

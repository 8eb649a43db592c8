// MaxPoolGrad, NHWC: each output (b, oh, ow) sends dy[b, oh, ow, c] to the input position
// of its window's maximum, channel by channel. The maximum is tfjs-backend-cpu's: the
// window read row by row, a value replaces the running maximum only if strictly greater,
// starting from −Inf (so ties go to the first position, and a window of NaN or −Inf
// sends nothing). Windows may overlap: dx (zeroed first) accumulates, outputs in order.
// SIMD: 4 channels at once, the running maximum and its position as vectors (strict
// f32x4.gt, then bitselect), the 4 adds one lane at a time. The scalar twin finds the
// same positions and adds in the same order.
// Windows that cannot overlap (stride ≥ window, no dilation: every 2×2/2 pool) take a
// faster SIMD path: each window's positions are written once, dy where the maximum is
// and 0 elsewhere, and only the positions no window covers are zeroed, so dx is written
// once instead of zeroed, read and written again. It writes dy + 0 (−0 becomes 0, as
// 0 + dy does): the same bits as the general path.

import { window_first, window_end } from './geometry';

@inline function add_at(dx: usize, base: usize, pos: i32, C: i32, c: i32, v: f32): void {
  if (pos >= 0) {
    const p = dx + base + ((<usize>pos * C + c) << 2);
    store<f32>(p, load<f32>(p) + v);
  }
}

@inline function max_pool_grad(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                               fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  memory.fill(dx, 0, (<usize>B * H * W * C) << 2);
  const image = (<usize>H * W * C) << 2;
  const c4 = simd ? C & ~3 : 0;
  let yp = dy;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * image;
    const dxb = <usize>b * image;
    for (let oh = 0; oh < OH; oh++) {
      // Rows of the window inside x: r0, r0 + dh, … below r1.
      const corner = oh * sh - pt;
      const r0 = window_first(corner, dh), r1 = window_end(corner, fh, dh, H);
      for (let ow = 0; ow < OW; ow++, yp += <usize>C << 2) {
        const cc = ow * sw - pl;
        const q0 = window_first(cc, dw), q1 = window_end(cc, fw, dw, W);
        for (let c = 0; c < c4; c += 4) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.splat(-1);
          for (let r = r0; r < r1; r += dh) {
            for (let q = q0; q < q1; q += dw) {
              const pos = r * W + q;
              const v = v128.load(xb + ((<usize>pos * C + c) << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              at = v128.bitselect(i32x4.splat(pos), at, gt);
            }
          }
          const g = v128.load(yp + (<usize>c << 2));
          add_at(dx, dxb, i32x4.extract_lane(at, 0), C, c, f32x4.extract_lane(g, 0));
          add_at(dx, dxb, i32x4.extract_lane(at, 1), C, c + 1, f32x4.extract_lane(g, 1));
          add_at(dx, dxb, i32x4.extract_lane(at, 2), C, c + 2, f32x4.extract_lane(g, 2));
          add_at(dx, dxb, i32x4.extract_lane(at, 3), C, c + 3, f32x4.extract_lane(g, 3));
        }
        for (let c = c4; c < C; c++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r += dh) {
            for (let q = q0; q < q1; q += dw) {
              const pos = r * W + q;
              const v = load<f32>(xb + ((<usize>pos * C + c) << 2));
              if (v > best) { best = v; at = pos; }
            }
          }
          add_at(dx, dxb, at, C, c, load<f32>(yp + (<usize>c << 2)));
        }
      }
    }
  }
}

// Zero dx's rows [r0, r1), columns [q0, q1), all channels (no-op when empty).
@inline function zero_block(dxb: usize, W: i32, C: i32, r0: i32, r1: i32, q0: i32, q1: i32): void {
  if (q1 <= q0) return;
  const bytes = (<usize>(q1 - q0) * C) << 2;
  for (let r = r0; r < r1; r++) memory.fill(dxb + ((<usize>(r * W + q0) * C) << 2), 0, bytes);
}

// Windows that do not overlap: sh ≥ fh, sw ≥ fw, no dilation.
function max_pool_grad_tiled(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                             fh: i32, fw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const image = (<usize>H * W * C) << 2;
  const c4 = C & ~3;
  const zero = f32x4.splat(0);
  let yp = dy;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * image, dxb = dx + <usize>b * image;
    let rowDone = 0;
    for (let oh = 0; oh < OH; oh++) {
      const corner = oh * sh - pt;
      const r0 = corner < 0 ? 0 : corner;
      const r1 = corner + fh < H ? corner + fh : H;
      if (r1 <= r0) { yp += (<usize>OW * C) << 2; continue; }
      zero_block(dxb, W, C, rowDone, r0, 0, W);
      rowDone = r1;
      let colDone = 0;
      for (let ow = 0; ow < OW; ow++, yp += <usize>C << 2) {
        const cc = ow * sw - pl;
        const q0 = cc < 0 ? 0 : cc;
        const q1 = cc + fw < W ? cc + fw : W;
        if (q1 <= q0) continue;
        zero_block(dxb, W, C, r0, r1, colDone, q0);
        colDone = q1;
        for (let c = 0; c < c4; c += 4) {
          // pmax(best, v) is best < v ? v : best: the strict rule, NaN never wins. The
          // winner is then the first position equal to the maximum, unless it is −Inf.
          let best = f32x4.splat(-Infinity);
          for (let r = r0; r < r1; r++) {
            for (let q = q0; q < q1; q++) best = f32x4.pmax(best, v128.load(xb + ((<usize>(r * W + q) * C + c) << 2)));
          }
          const g = f32x4.add(v128.load(yp + (<usize>c << 2)), zero);
          let taken = f32x4.eq(best, f32x4.splat(-Infinity));
          for (let r = r0; r < r1; r++) {
            for (let q = q0; q < q1; q++) {
              const p = (<usize>(r * W + q) * C + c) << 2;
              const hit = v128.andnot(f32x4.eq(v128.load(xb + p), best), taken);
              taken = v128.or(taken, hit);
              v128.store(dxb + p, v128.and(g, hit));
            }
          }
        }
        for (let c = c4; c < C; c++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let q = q0; q < q1; q++) {
              const pos = r * W + q;
              const v = load<f32>(xb + ((<usize>pos * C + c) << 2));
              if (v > best) { best = v; at = pos; }
            }
          }
          const g: f32 = load<f32>(yp + (<usize>c << 2)) + 0;
          for (let r = r0; r < r1; r++) {
            for (let q = q0; q < q1; q++) {
              const pos = r * W + q;
              store<f32>(dxb + ((<usize>pos * C + c) << 2), pos == at ? g : 0);
            }
          }
        }
      }
      zero_block(dxb, W, C, r0, r1, colDone, W);
    }
    zero_block(dxb, W, C, rowDone, H, 0, W);
  }
}

export function f32_max_pool_grad_simd(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                       fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  if (dh == 1 && dw == 1 && sh >= fh && sw >= fw) max_pool_grad_tiled(x, dy, dx, B, H, W, C, OH, OW, fh, fw, sh, sw, pt, pl);
  else max_pool_grad(x, dy, dx, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, true);
}

export function f32_max_pool_grad_scalar(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                         fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  max_pool_grad(x, dy, dx, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, false);
}

// MaxPool, NHWC: y[b, oh, ow, c] = the maximum of x over the window's positions inside x,
// read row by row, a value replacing the running maximum only if strictly greater,
// starting from −Inf: tfjs-backend-cpu's rule, and the one MaxPoolGrad
// (./max_pool_grad.ts) routes the gradient by, so the two agree on every window. Maxima
// are exact, so on inputs without NaN these are the bits of tfjs-wasm's XNNPACK pool (a
// test compares them, ties of −0 and 0 included); a window whose first value is NaN gave
// −Inf there, and gives the maximum of the others here, as on tfjs-backend-cpu.
// SIMD: 4 channels at a time with f32x4.pmax (best < v ? v : best: the strict rule), the
// last 1–3 channels one at a time; the scalar twin applies the same rule per value.

import { window_first, window_end } from './geometry';

@inline function pool(x: usize, y: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                      fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  const c4 = simd ? C & ~3 : 0;
  const image = (<usize>H * W * C) << 2;
  let yp = y;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * image;
    for (let oh = 0; oh < OH; oh++) {
      const corner = oh * sh - pt;
      const r0 = window_first(corner, dh), r1 = window_end(corner, fh, dh, H);
      for (let ow = 0; ow < OW; ow++, yp += <usize>C << 2) {
        const cc = ow * sw - pl;
        const q0 = window_first(cc, dw), q1 = window_end(cc, fw, dw, W);
        for (let c = 0; c < c4; c += 4) {
          let best = f32x4.splat(-Infinity);
          for (let r = r0; r < r1; r += dh) {
            for (let q = q0; q < q1; q += dw) best = f32x4.pmax(best, v128.load(xb + ((<usize>(r * W + q) * C + c) << 2)));
          }
          v128.store(yp + (<usize>c << 2), best);
        }
        for (let c = c4; c < C; c++) {
          let best: f32 = -Infinity;
          for (let r = r0; r < r1; r += dh) {
            for (let q = q0; q < q1; q += dw) {
              const v = load<f32>(xb + ((<usize>(r * W + q) * C + c) << 2));
              if (best < v) best = v;
            }
          }
          store<f32>(yp + (<usize>c << 2), best);
        }
      }
    }
  }
}

export function f32_max_pool_simd(x: usize, y: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                  fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  pool(x, y, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, true);
}

export function f32_max_pool_scalar(x: usize, y: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                    fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  pool(x, y, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, false);
}

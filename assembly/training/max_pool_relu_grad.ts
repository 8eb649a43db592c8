// MaxPoolGrad, then the ReLU gradient, then (optionally) the bias gradient, in one kernel:
//   g  = MaxPoolGrad(dy, y)          (./max_pool_grad.ts, unchanged)
//   dx = g · step(y)                 (./relu_grad.ts's multiply, masked on the pool's input
//                                     y = relu(x): y > 0 ⇔ x > 0, and y is x's very NaN,
//                                     so step(y) has step(x)'s bits)
//   db[c] = Σ_rows dx[row, c]        (./broadcast.ts's column sums: rows ascending from 0)
// image by image, so g is read back from cache instead of memory, and db accumulates in
// the rows' order (images ascending, then rows within an image): the same float32 ops in
// the same order as the three kernels, so the same bits. `db` = 0: no column sums. The
// sums go on from what `db` holds (zeros, for a whole call): a call split over threads by
// images hands `db` to the calling thread's parts only, the first images, in order, and
// continues the sums over the other parts' rows afterwards (f32_column_sums_onto).
import { f32_max_pool_grad_simd, f32_max_pool_grad_scalar } from './max_pool_grad';
import { step4, step_of } from './step';

@inline function mask_and_sum(dx: usize, y: usize, db: usize, rows: i32, C: i32, simd: bool, sums: bool): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const cb = <usize>C << 2, c4 = simd ? (<usize>C & ~3) << 2 : 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * cb;
    for (let i: usize = 0; i < c4; i += 16) {
      const v = f32x4.mul(v128.load(dx + row + i), step4(v128.load(y + row + i), one, zero));
      v128.store(dx + row + i, v);
      if (sums) v128.store(db + i, f32x4.add(v128.load(db + i), v));
    }
    for (let i = c4; i < cb; i += 4) {
      const v = load<f32>(dx + row + i) * step_of(load<f32>(y + row + i));
      store<f32>(dx + row + i, v);
      if (sums) store<f32>(db + i, load<f32>(db + i) + v);
    }
  }
}

@inline function max_pool_relu_grad(y: usize, dy: usize, dx: usize, db: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                    fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  const image = (<usize>H * W * C) << 2, dyImage = (<usize>OH * OW * C) << 2;
  for (let b = 0; b < B; b++) {
    const yb = y + <usize>b * image, dxb = dx + <usize>b * image, dyb = dy + <usize>b * dyImage;
    if (simd) f32_max_pool_grad_simd(yb, dyb, dxb, 1, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    else f32_max_pool_grad_scalar(yb, dyb, dxb, 1, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    if (db != 0) mask_and_sum(dxb, yb, db, H * W, C, simd, true);
    else mask_and_sum(dxb, yb, 0, H * W, C, simd, false);
  }
}

export function f32_max_pool_relu_grad_simd(y: usize, dy: usize, dx: usize, db: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                            fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  max_pool_relu_grad(y, dy, dx, db, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, true);
}

export function f32_max_pool_relu_grad_scalar(y: usize, dy: usize, dx: usize, db: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                              fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32): void {
  max_pool_relu_grad(y, dy, dx, db, B, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl, false);
}

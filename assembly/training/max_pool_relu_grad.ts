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

// dx ·= step(y) over `rows` rows of C channels, row by row.
@inline function mask(dx: usize, y: usize, rows: i32, C: i32, simd: bool): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const cb = <usize>C << 2, c4 = simd ? (<usize>C & ~3) << 2 : 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * cb;
    for (let i: usize = 0; i < c4; i += 16) v128.store(dx + row + i, f32x4.mul(v128.load(dx + row + i), step4(v128.load(y + row + i), one, zero)));
    for (let i = c4; i < cb; i += 4) store<f32>(dx + row + i, load<f32>(dx + row + i) * step_of(load<f32>(y + row + i)));
  }
}

// The same, and db[c] += each masked value, rows in order. A column's sum is a chain of
// dependent adds: it is kept in a register over the rows (a sum kept in db would add a
// store and a load to every link), a block of columns at a time (16, 8, 4, then 1), so
// the blocks' chains overlap. The adds and their order are the same either way.
@inline function mask_and_sum(dx: usize, y: usize, db: usize, rows: i32, C: i32, simd: bool): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const cb = <usize>C << 2, c4 = simd ? (<usize>C & ~3) << 2 : 0;
  let i: usize = 0;
  for (; i + 64 <= c4; i += 64) {
    let s0 = v128.load(db + i), s1 = v128.load(db + i, 16), s2 = v128.load(db + i, 32), s3 = v128.load(db + i, 48);
    for (let p = i, end = <usize>rows * cb; p < end; p += cb) {
      const v0 = f32x4.mul(v128.load(dx + p), step4(v128.load(y + p), one, zero));
      const v1 = f32x4.mul(v128.load(dx + p, 16), step4(v128.load(y + p, 16), one, zero));
      const v2 = f32x4.mul(v128.load(dx + p, 32), step4(v128.load(y + p, 32), one, zero));
      const v3 = f32x4.mul(v128.load(dx + p, 48), step4(v128.load(y + p, 48), one, zero));
      v128.store(dx + p, v0); v128.store(dx + p, v1, 16); v128.store(dx + p, v2, 32); v128.store(dx + p, v3, 48);
      s0 = f32x4.add(s0, v0); s1 = f32x4.add(s1, v1); s2 = f32x4.add(s2, v2); s3 = f32x4.add(s3, v3);
    }
    v128.store(db + i, s0); v128.store(db + i, s1, 16); v128.store(db + i, s2, 32); v128.store(db + i, s3, 48);
  }
  for (; i + 32 <= c4; i += 32) {
    let s0 = v128.load(db + i), s1 = v128.load(db + i, 16);
    for (let p = i, end = <usize>rows * cb; p < end; p += cb) {
      const v0 = f32x4.mul(v128.load(dx + p), step4(v128.load(y + p), one, zero));
      const v1 = f32x4.mul(v128.load(dx + p, 16), step4(v128.load(y + p, 16), one, zero));
      v128.store(dx + p, v0); v128.store(dx + p, v1, 16);
      s0 = f32x4.add(s0, v0); s1 = f32x4.add(s1, v1);
    }
    v128.store(db + i, s0); v128.store(db + i, s1, 16);
  }
  for (; i < c4; i += 16) {
    let s = v128.load(db + i);
    for (let p = i, end = <usize>rows * cb; p < end; p += cb) {
      const v = f32x4.mul(v128.load(dx + p), step4(v128.load(y + p), one, zero));
      v128.store(dx + p, v);
      s = f32x4.add(s, v);
    }
    v128.store(db + i, s);
  }
  for (; i < cb; i += 4) {
    let s = load<f32>(db + i);
    for (let p = i, end = <usize>rows * cb; p < end; p += cb) {
      const v = load<f32>(dx + p) * step_of(load<f32>(y + p));
      store<f32>(dx + p, v);
      s += v;
    }
    store<f32>(db + i, s);
  }
}

@inline function max_pool_relu_grad(y: usize, dy: usize, dx: usize, db: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                    fh: i32, fw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  const image = (<usize>H * W * C) << 2, dyImage = (<usize>OH * OW * C) << 2;
  for (let b = 0; b < B; b++) {
    const yb = y + <usize>b * image, dxb = dx + <usize>b * image, dyb = dy + <usize>b * dyImage;
    if (simd) f32_max_pool_grad_simd(yb, dyb, dxb, 1, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    else f32_max_pool_grad_scalar(yb, dyb, dxb, 1, H, W, C, OH, OW, fh, fw, sh, sw, dh, dw, pt, pl);
    if (db != 0) mask_and_sum(dxb, yb, db, H * W, C, simd);
    else mask(dxb, yb, H * W, C, simd);
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

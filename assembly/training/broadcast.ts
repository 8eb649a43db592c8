// Two elementwise patterns tfjs-wasm runs slowly and every layer with a bias meets:
//   bias add        out[r, c] = a[r, c] + bias[c]       (Add with bias broadcast over rows)
//   column sums     out[c] = Σ_r x[r, c], r ascending   (Sum over all axes but the last:
//                                                         the bias's gradient)
// Both give the bits tfjs-wasm's own kernels give (one rounding per add; the sums run
// in row order, as tfjs-wasm's reduction does), 4 columns per vector. The scalar twins
// do the same per element.

export function f32_add_bias_simd(a: usize, bias: usize, out: usize, rows: i32, C: i32): void {
  const c4 = (<usize>C & ~3) << 2, cb = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * cb, orow = out + <usize>r * cb;
    for (let i: usize = 0; i < c4; i += 16) v128.store(orow + i, f32x4.add(v128.load(ar + i), v128.load(bias + i)));
    for (let i = c4; i < cb; i += 4) store<f32>(orow + i, load<f32>(ar + i) + load<f32>(bias + i));
  }
}

export function f32_add_bias_scalar(a: usize, bias: usize, out: usize, rows: i32, C: i32): void {
  const cb = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    for (let i: usize = 0; i < cb; i += 4) store<f32>(out + <usize>r * cb + i, load<f32>(a + <usize>r * cb + i) + load<f32>(bias + i));
  }
}

export function f32_column_sums_simd(x: usize, out: usize, rows: i32, C: i32): void {
  column_sums(x, out, rows, C, false);
}

export function f32_column_sums_scalar(x: usize, out: usize, rows: i32, C: i32): void {
  column_sums_scalar(x, out, rows, C, false);
}

// The same sums continued: each column's sum goes on from the value `out` holds (the sums
// of the rows before), adding the rows in order, so sums split at any row into a first
// part and this one have the bits of one pass.
export function f32_column_sums_onto_simd(x: usize, out: usize, rows: i32, C: i32): void {
  column_sums(x, out, rows, C, true);
}

export function f32_column_sums_onto_scalar(x: usize, out: usize, rows: i32, C: i32): void {
  column_sums_scalar(x, out, rows, C, true);
}

@inline function column_sums(x: usize, out: usize, rows: i32, C: i32, onto: bool): void {
  const c4 = (<usize>C & ~3) << 2, cb = <usize>C << 2;
  const zero = f32x4.splat(0);
  // Each column's sum is one chain of dependent adds, so the time is rows × an add's
  // latency per pass: 16 columns at a time keep 4 independent accumulators in flight,
  // then 8 keep 2 (C = 8: one pass instead of two); then 4, then 1.
  let i: usize = 0;
  for (; i + 64 <= c4; i += 64) {
    let s0 = onto ? v128.load(out + i) : zero, s1 = onto ? v128.load(out + i, 16) : zero;
    let s2 = onto ? v128.load(out + i, 32) : zero, s3 = onto ? v128.load(out + i, 48) : zero;
    let p = x + i;
    for (let r = 0; r < rows; r++, p += cb) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
    }
    v128.store(out + i, s0); v128.store(out + i, s1, 16); v128.store(out + i, s2, 32); v128.store(out + i, s3, 48);
  }
  for (; i + 32 <= c4; i += 32) {
    let s0 = onto ? v128.load(out + i) : zero, s1 = onto ? v128.load(out + i, 16) : zero;
    let p = x + i;
    for (let r = 0; r < rows; r++, p += cb) { s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16)); }
    v128.store(out + i, s0); v128.store(out + i, s1, 16);
  }
  for (; i < c4; i += 16) {
    let s = onto ? v128.load(out + i) : zero;
    let p = x + i;
    for (let r = 0; r < rows; r++, p += cb) s = f32x4.add(s, v128.load(p));
    v128.store(out + i, s);
  }
  for (; i < cb; i += 4) store<f32>(out + i, column_sum(x + i, rows, cb, onto ? load<f32>(out + i) : 0));
}

@inline function column_sums_scalar(x: usize, out: usize, rows: i32, C: i32, onto: bool): void {
  const cb = <usize>C << 2;
  for (let i: usize = 0; i < cb; i += 4) store<f32>(out + i, column_sum(x + i, rows, cb, onto ? load<f32>(out + i) : 0));
}

@inline function column_sum(p: usize, rows: i32, stride: usize, from: f32): f32 {
  let s = from;
  for (let r = 0; r < rows; r++, p += stride) s += load<f32>(p);
  return s;
}

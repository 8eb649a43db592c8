// Matrix product, float32, either operand transposed in place (no transposed copy):
//   out[i, j] = Σ_k A[i, k] · B[k, j]      i < M, j < N, k < K, k ascending from 0
// A is stored [M, K] (ta = 0) or [K, M] (ta = 1); B is stored [K, N] (tb = 0) or [N, K]
// (tb = 1). Every element is summed one product at a time in k order, starting from 0,
// with a separate multiply and add: the order of XNNPACK's f32 GEMM, which tfjs-wasm's
// BatchMatMul runs for untransposed operands, so the bits are the same (a test checks).
// SIMD: tiles of 4 rows × 8 columns in 8 accumulators (4 splats of A and 2 loads of B per
// k), then 4 × 4, then single rows and columns. With tb = 1 the columns of a tile are not
// contiguous in B, so each 8- or 4-column panel is first gathered into `scratch`
// (K·8 floats; the caller provides it) and reused by every row tile. The last 1–3
// columns go through a zero-padded 4-column panel.
// The exports compute rows [i0, i1) and columns [j0, j1) of out (0, M, 0, N for all of
// it): a split over threads gives each its own block, and an element's sum does not
// depend on the rows and columns around it (every tile, the padded one too, sums each
// element alone in k order). Split by columns, each part gathers only its own panels of
// a transposed B (split by rows, every part gathered all of B).

@inline function tile4x8(p: usize, pr: usize, pk: usize, q: usize, qk: usize, K: i32, out: usize, os: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let p0 = p, p1 = p + pr, p2 = p + 2 * pr, p3 = p + 3 * pr;
  for (let k = 0; k < K; k++) {
    const y0 = v128.load(q), y1 = v128.load(q, 16);
    const s0 = v128.load32_splat(p0), s1 = v128.load32_splat(p1);
    const s2 = v128.load32_splat(p2), s3 = v128.load32_splat(p3);
    a0 = f32x4.add(a0, f32x4.mul(s0, y0)); a1 = f32x4.add(a1, f32x4.mul(s0, y1));
    b0 = f32x4.add(b0, f32x4.mul(s1, y0)); b1 = f32x4.add(b1, f32x4.mul(s1, y1));
    c0 = f32x4.add(c0, f32x4.mul(s2, y0)); c1 = f32x4.add(c1, f32x4.mul(s2, y1));
    d0 = f32x4.add(d0, f32x4.mul(s3, y0)); d1 = f32x4.add(d1, f32x4.mul(s3, y1));
    p0 += pk; p1 += pk; p2 += pk; p3 += pk; q += qk;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
  v128.store(out + os, b0); v128.store(out + os, b1, 16);
  v128.store(out + 2 * os, c0); v128.store(out + 2 * os, c1, 16);
  v128.store(out + 3 * os, d0); v128.store(out + 3 * os, d1, 16);
}

@inline function tile1x8(p: usize, pk: usize, q: usize, qk: usize, K: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(p);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(q)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(q, 16)));
    p += pk; q += qk;
  }
  v128.store(out, a0); v128.store(out, a1, 16);
}

@inline function tile4x4(p: usize, pr: usize, pk: usize, q: usize, qk: usize, K: i32, out: usize, os: usize): void {
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
  let p0 = p, p1 = p + pr, p2 = p + 2 * pr, p3 = p + 3 * pr;
  for (let k = 0; k < K; k++) {
    const y = v128.load(q);
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(p0), y));
    b = f32x4.add(b, f32x4.mul(v128.load32_splat(p1), y));
    c = f32x4.add(c, f32x4.mul(v128.load32_splat(p2), y));
    d = f32x4.add(d, f32x4.mul(v128.load32_splat(p3), y));
    p0 += pk; p1 += pk; p2 += pk; p3 += pk; q += qk;
  }
  v128.store(out, a); v128.store(out + os, b); v128.store(out + 2 * os, c); v128.store(out + 3 * os, d);
}

@inline function tile1x4(p: usize, pk: usize, q: usize, qk: usize, K: i32, out: usize): void {
  let a = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    a = f32x4.add(a, f32x4.mul(v128.load32_splat(p), v128.load(q)));
    p += pk; q += qk;
  }
  v128.store(out, a);
}

@inline function dot(p: usize, pk: usize, q: usize, qk: usize, K: i32): f32 {
  let a: f32 = 0;
  for (let k = 0; k < K; k++) {
    a += load<f32>(p) * load<f32>(q);
    p += pk; q += qk;
  }
  return a;
}

// B's columns [j, j + c) as a [K, w] panel, zero past c (c ≤ w).
@inline function pack_panel(b: usize, bk: usize, bj: usize, j: i32, c: i32, w: i32, K: i32, scratch: usize): void {
  if (c < w) memory.fill(scratch, 0, (<usize>K * w) << 2);
  for (let l = 0; l < c; l++) {
    let src = b + <usize>(j + l) * bj, dst = scratch + (<usize>l << 2);
    for (let k = 0; k < K; k++) {
      store<f32>(dst, load<f32>(src));
      src += bk; dst += <usize>w << 2;
    }
  }
}

export function f32_matmul_simd(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32, ta: i32, tb: i32, scratch: usize,
                                i0: i32, i1: i32, j0: i32, j1: i32): void {
  // A[i, k] at a + i·ar + k·ak; B[k, j] at b + k·bk + j·bj.
  const ar: usize = ta ? 4 : <usize>K << 2, ak: usize = ta ? <usize>M << 2 : 4;
  const bk: usize = tb ? 4 : <usize>N << 2, bj: usize = tb ? <usize>K << 2 : 4;
  const os = <usize>N << 2;
  let j = j0;
  for (; j + 4 <= j1; ) {
    const w = j + 8 <= j1 ? 8 : 4;
    let q = b + <usize>j * bj, qk = bk;
    if (tb) { pack_panel(b, bk, bj, j, w, w, K, scratch); q = scratch; qk = <usize>w << 2; }
    let i = i0;
    if (w == 8) {
      for (; i + 4 <= i1; i += 4) tile4x8(a + <usize>i * ar, ar, ak, q, qk, K, out + <usize>i * os + (<usize>j << 2), os);
      for (; i < i1; i++) tile1x8(a + <usize>i * ar, ak, q, qk, K, out + <usize>i * os + (<usize>j << 2));
    } else {
      for (; i + 4 <= i1; i += 4) tile4x4(a + <usize>i * ar, ar, ak, q, qk, K, out + <usize>i * os + (<usize>j << 2), os);
      for (; i < i1; i++) tile1x4(a + <usize>i * ar, ak, q, qk, K, out + <usize>i * os + (<usize>j << 2));
    }
    j += w;
  }
  if (j >= j1) return;
  // The last 1–3 columns: a 4-column panel padded with zeros (each lane sums alone, so
  // the padding changes no bit), 4 × 4 tiles into a scratch tile, then the valid lanes.
  const c = j1 - j, tile = scratch + ((<usize>K * 4) << 2);
  pack_panel(b, bk, bj, j, c, 4, K, scratch);
  for (let i = i0; i < i1; i += 4) {
    const rows = i1 - i < 4 ? i1 - i : 4;
    if (rows == 4) tile4x4(a + <usize>i * ar, ar, ak, scratch, 16, K, tile, 16);
    else for (let r = 0; r < rows; r++) tile1x4(a + <usize>(i + r) * ar, ak, scratch, 16, K, tile + (<usize>r << 4));
    for (let r = 0; r < rows; r++) {
      for (let l = 0; l < c; l++) store<f32>(out + <usize>(i + r) * os + (<usize>(j + l) << 2), load<f32>(tile + (<usize>(r * 4 + l) << 2)));
    }
  }
}

export function f32_matmul_scalar(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32, ta: i32, tb: i32, scratch: usize,
                                  i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ar: usize = ta ? 4 : <usize>K << 2, ak: usize = ta ? <usize>M << 2 : 4;
  const bk: usize = tb ? 4 : <usize>N << 2, bj: usize = tb ? <usize>K << 2 : 4;
  const os = <usize>N << 2;
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) store<f32>(out + <usize>i * os + (<usize>j << 2), dot(a + <usize>i * ar, ak, b + <usize>j * bj, bk, K));
  }
}

/** Floats of scratch f32_matmul_simd needs: a panel of B and a 4 × 4 tile. */
export function f32_matmul_scratch_floats(K: i32): i32 {
  return K * 8 + 16;
}

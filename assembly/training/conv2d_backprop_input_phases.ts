// Conv2DBackpropInput's gather form for 1–3 input channels (a grayscale or RGB stem).
// The scatter form vectorizes over ci, which such a layer barely has. Here each dx pixel
// gathers its own sum instead, and the vector lanes are dx pixels: 8 pixels of one row
// whose columns are congruent mod sw (iw = r + sw·t, t = t0 … t0 + 7) read, for a filter
// column kw, dy at 8 consecutive columns ow = (r + pl − kw·dw)/sw + t. So dy goes first
// to a scratch copy with ow innermost, dyT [B, OH, CO, ML + OW + MR], whose zero margins
// stand for the columns outside dy (0·F adds nothing while F is finite; the caller falls
// back to the scatter form otherwise). Per (kh, kw, co): 2 dy loads, CI splats of F,
// 2·CI multiply-adds; every dx value is written once, with no read-modify-write.
// Sum order per dx value: kh, kw, co ascending; the scalar twin keeps it.

@inline export function uses_phases(CI: i32): bool {
  return CI <= 3;
}

// a/b rounded down and a mod b in [0, b), for b > 0 and any a.
@inline function floor_div(a: i32, b: i32): i32 {
  const q = a / b;
  return a % b != 0 && a < 0 ? q - 1 : q;
}

@inline function floor_mod(a: i32, b: i32): i32 {
  const m = a % b;
  return m < 0 ? m + b : m;
}

const TILE = 8;

/** Zero columns before dy's first: the most negative ow a lane reads is −ML. */
@inline function left_margin(KW: i32, sw: i32, dw: i32, pl: i32): i32 {
  const lo = floor_div(pl - (KW - 1) * dw, sw);
  return lo < 0 ? -lo : 0;
}

/** Zero columns after dy's last: lanes past the row's end (never stored) read up to TILE − 1 further. */
@inline function right_margin(W: i32, OW: i32, sw: i32, pl: i32): i32 {
  const hi = floor_div(W - 1 + pl, sw) + TILE - 1 - (OW - 1);
  return hi > 0 ? hi : 0;
}

/** Scratch floats: dyT, one tile of CI × TILE results, a list of KH·KW taps (2 words each). */
export function phases_scratch_floats(B: i32, W: i32, OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sw: i32, dw: i32, pl: i32): i32 {
  return B * OH * CO * (left_margin(KW, sw, dw, pl) + OW + right_margin(W, OW, sw, pl)) + 3 * TILE + 2 * KH * KW;
}

// The taps that reach dx row ih, columns ≡ r (mod sw), as (address in dyT of the tap's dy
// row at column t = 0, address of F[kh, kw, 0, 0]) in (kh, kw) order; returns how many.
// The divisions happen here, once per row and residue, not per tile.
@inline function list_taps(taps: usize, dyT: usize, f: usize, b: i32, ih: i32, r: i32, OH: i32, CI: i32, CO: i32,
                           KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, ML: i32, OWP: i32): i32 {
  let n = 0;
  for (let kh = 0; kh < KH; kh++) {
    const nh = ih + pt - kh * dh;
    if (nh < 0 || nh % sh != 0 || nh / sh >= OH) continue;
    const row = dyT + ((<usize>(b * OH + nh / sh) * CO * OWP) << 2);
    for (let kw = 0; kw < KW; kw++) {
      const nw = r + pl - kw * dw;
      if (floor_mod(nw, sw) != 0) continue;
      store<u32>(taps + (<usize>n << 3), <u32>(row + (<usize>(ML + floor_div(nw, sw)) << 2)));
      store<u32>(taps + (<usize>n << 3), <u32>(f + ((<usize>(kh * KW + kw) * CI * CO) << 2)), 4);
      n++;
    }
  }
  return n;
}

/** Whether every filter value is finite (the zero margins need it). */
export function all_finite(f: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(f + (<usize>i << 2));
    if (v - v != 0) return false;
  }
  return true;
}

// dy [B·OH, OW, CO] → dyT [B·OH, CO, ML + OW + MR], margins zero: 4×4 blocks transposed
// in registers, the edges one by one. Pure data movement, shared by both twins.
function transpose_dy(dy: usize, t: usize, rows: i32, OW: i32, CO: i32, ML: i32, OWP: i32): void {
  const ps = <usize>OWP << 2, ys = <usize>CO << 2;
  for (let r = 0; r < rows; r++) {
    const s = dy + <usize>r * OW * ys, d = t + <usize>r * CO * ps;
    for (let co = 0; co < CO; co++) {
      const line = d + <usize>co * ps;
      memory.fill(line, 0, <usize>ML << 2);
      memory.fill(line + (<usize>(ML + OW) << 2), 0, <usize>(OWP - ML - OW) << 2);
    }
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const src = s + <usize>ow * ys, dst = d + (<usize>(ML + ow) << 2);
      let co = 0;
      for (; co + 4 <= CO; co += 4) {
        const c = <usize>co << 2;
        const v0 = v128.load(src + c), v1 = v128.load(src + ys + c);
        const v2 = v128.load(src + 2 * ys + c), v3 = v128.load(src + 3 * ys + c);
        const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        const o = dst + <usize>co * ps;
        v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(o + ps, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(o + 2 * ps, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(o + 3 * ps, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
      for (; co < CO; co++) {
        for (let i = 0; i < 4; i++) store<f32>(dst + <usize>co * ps + (<usize>i << 2), load<f32>(src + <usize>i * ys + (<usize>co << 2)));
      }
    }
    for (; ow < OW; ow++) {
      for (let co = 0; co < CO; co++) store<f32>(d + <usize>co * ps + (<usize>(ML + ow) << 2), load<f32>(s + <usize>ow * ys + (<usize>co << 2)));
    }
  }
}

// One tile's sums into out [CI, TILE] (SIMD: 2·CI accumulators; CI is a constant after inlining).
@inline function tile_simd(taps: usize, nt: i32, t0: i32, out: usize, CI: i32, CO: i32, OWP: i32): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const ps = <usize>OWP << 2, fs = <usize>CO << 2;
  for (let k = 0; k < nt; k++) {
    let p = <usize>load<u32>(taps + (<usize>k << 3)) + (<usize>t0 << 2);
    let fp = <usize>load<u32>(taps + (<usize>k << 3), 4);
    for (let co = 0; co < CO; co++) {
      const y0 = v128.load(p), y1 = v128.load(p, 16);
      const s0 = v128.load32_splat(fp);
      a0 = f32x4.add(a0, f32x4.mul(y0, s0)); a1 = f32x4.add(a1, f32x4.mul(y1, s0));
      if (CI > 1) {
        const s1 = v128.load32_splat(fp + fs);
        b0 = f32x4.add(b0, f32x4.mul(y0, s1)); b1 = f32x4.add(b1, f32x4.mul(y1, s1));
      }
      if (CI > 2) {
        const s2 = v128.load32_splat(fp + 2 * fs);
        c0 = f32x4.add(c0, f32x4.mul(y0, s2)); c1 = f32x4.add(c1, f32x4.mul(y1, s2));
      }
      p += ps; fp += 4;
    }
  }
  v128.store(out, a0); v128.store(out, a1, 16);
  if (CI > 1) { v128.store(out, b0, 32); v128.store(out, b1, 48); }
  if (CI > 2) { v128.store(out, c0, 64); v128.store(out, c1, 80); }
}

// The scalar twin of tile_simd: each lane and channel summed alone, in the same order.
function tile_scalar(taps: usize, nt: i32, t0: i32, out: usize, CI: i32, CO: i32, OWP: i32): void {
  for (let ci = 0; ci < CI; ci++) {
    for (let lane = 0; lane < TILE; lane++) {
      let a: f32 = 0;
      for (let k = 0; k < nt; k++) {
        let p = <usize>load<u32>(taps + (<usize>k << 3)) + (<usize>(t0 + lane) << 2);
        let fp = <usize>load<u32>(taps + (<usize>k << 3), 4) + (<usize>(ci * CO) << 2);
        for (let co = 0; co < CO; co++) {
          a += load<f32>(p) * load<f32>(fp);
          p += <usize>OWP << 2; fp += 4;
        }
      }
      store<f32>(out + (<usize>(ci * TILE + lane) << 2), a);
    }
  }
}

/** dx from dy and F, every value written once; `scratch` holds phases_scratch_floats. */
@inline export function backprop_input_phases(dy: usize, f: usize, scratch: usize, dx: usize, B: i32, H: i32, W: i32, CI: i32,
                                              OH: i32, OW: i32, CO: i32, KH: i32, KW: i32, sh: i32, sw: i32,
                                              dh: i32, dw: i32, pt: i32, pl: i32, simd: bool): void {
  const ML = left_margin(KW, sw, dw, pl), OWP = ML + OW + right_margin(W, OW, sw, pl);
  const dyT = scratch, out = scratch + ((<usize>B * OH * CO * OWP) << 2), taps = out + ((3 * TILE) << 2);
  transpose_dy(dy, dyT, B * OH, OW, CO, ML, OWP);
  const R = sw < W ? sw : W;
  for (let b = 0; b < B; b++) {
    for (let ih = 0; ih < H; ih++) {
      const dxRow = dx + ((<usize>(b * H + ih) * W * CI) << 2);
      for (let r = 0; r < R; r++) {
        const T = (W - r + sw - 1) / sw; // columns r, r + sw, … below W
        const nt = list_taps(taps, dyT, f, b, ih, r, OH, CI, CO, KH, KW, sh, sw, dh, dw, pt, pl, ML, OWP);
        for (let t0 = 0; t0 < T; t0 += TILE) {
          if (!simd) tile_scalar(taps, nt, t0, out, CI, CO, OWP);
          else if (CI == 3) tile_simd(taps, nt, t0, out, 3, CO, OWP);
          else if (CI == 2) tile_simd(taps, nt, t0, out, 2, CO, OWP);
          else tile_simd(taps, nt, t0, out, 1, CO, OWP);
          const n = T - t0 < TILE ? T - t0 : TILE;
          for (let lane = 0; lane < n; lane++) {
            const d = dxRow + ((<usize>(r + sw * (t0 + lane)) * CI) << 2);
            for (let ci = 0; ci < CI; ci++) store<f32>(d + (<usize>ci << 2), load<f32>(out + (<usize>(ci * TILE + lane) << 2)));
          }
        }
      }
    }
  }
}

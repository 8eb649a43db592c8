// Scalar references for the optimizer kernels, one formula per kernel in the official
// code's operation order, evaluated three ways:
//   'f64'  in float64: the independent reference (compared with a tolerance);
//   'f32'  every operation rounded to float32 (Math.fround): the kernels must match
//          these bits exactly, which pins the order of operations;
//   'mag'  float64 on |inputs| with every − turned into +: the size of the terms, which
//          bounds the float32 rounding error (|fl(x) − x| ≤ k·2⁻²⁴·mag).
const modes = {
  f64: { r: (x) => x, sub: (a, b) => a - b, abs: (x) => x },
  f32: { r: Math.fround, sub: (a, b) => Math.fround(a - b), abs: (x) => x },
  mag: { r: (x) => x, sub: (a, b) => a + b, abs: Math.abs },
};

/** Σd², d = g (SAM) or g − σ·m (F-SAM), times w with adaptive. f32 mode sums in the kernels' blocked order. */
export function sumsq(mode, g, m, w, sigma, adaptive) {
  const { r, sub, abs } = modes[mode];
  const d = (i) => {
    let x = m ? sub(abs(g[i]), r(r(abs(sigma)) * abs(m[i]))) : abs(g[i]);
    if (adaptive) x = r(abs(w[i]) * x);
    return x;
  };
  const n = g.length, body = n & ~15;
  if (mode !== 'f32') { let s = 0; for (let i = 0; i < n; i++) s += d(i) ** 2; return s; }
  // Blocks of 16: lane k = (d[k]² + d[k+4]²) + (d[k+8]² + d[k+12]²) in float32, each
  // lane summed over the blocks in float64, then (l0 + l1) + (l2 + l3); the tail in order.
  const sq = (i) => Math.fround(d(i) * d(i));
  const lane = [0, 0, 0, 0];
  for (let i = 0; i < body; i += 16) {
    for (let k = 0; k < 4; k++) {
      lane[k] += Math.fround(Math.fround(sq(i + k) + sq(i + k + 4)) + Math.fround(sq(i + k + 8) + sq(i + k + 12)));
    }
  }
  let s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (let i = body; i < n; i++) s += d(i) * d(i);
  if (Number.isFinite(s)) return s;
  // A float32 square overflowed: every square in float64, lanes i mod 4, (l0+l1)+(l2+l3).
  const wide = [0, 0, 0, 0], b4 = n & ~3;
  for (let i = 0; i < b4; i++) wide[i & 3] += d(i) * d(i);
  s = (wide[0] + wide[1]) + (wide[2] + wide[3]);
  for (let i = b4; i < n; i++) s += d(i) * d(i);
  return s;
}

/** [w, wold] after w_old = w; w = w + ε. */
export function perturb(mode, w, g, m, sigma, scale, adaptive) {
  const { r, sub, abs } = modes[mode];
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    let d = m ? sub(abs(g[i]), r(r(abs(sigma)) * abs(m[i]))) : abs(g[i]);
    if (adaptive) d = r(r(abs(w[i]) * abs(w[i])) * d);
    out[i] = r(abs(w[i]) + r(d * r(abs(scale))));
  }
  return [out, Float64Array.from(w, abs)];
}

export function ema(mode, m, g, lambda) {
  const { r, abs } = modes[mode];
  const l = r(lambda), o = mode === 'f32' ? Math.fround(1 - lambda) : 1 - lambda;
  return Float64Array.from(m, (mi, i) => r(r(abs(mi) * l) + r(abs(g[i]) * o)));
}

/** [w, b] after w = w_old and the SGD step. mode 0 plain, 1 momentum, 2 nesterov. */
export function sgd(mode, wold, g, b, lr, wd, mu, sgdMode, first) {
  const { r, sub, abs } = modes[mode];
  const [lrf, wdf, muf] = [r(lr), r(wd), r(mu)];
  const w2 = new Float64Array(wold.length), b2 = new Float64Array(wold.length);
  for (let i = 0; i < wold.length; i++) {
    const x = abs(wold[i]);
    let p = abs(g[i]);
    if (wd !== 0) p = r(p + r(wdf * x));
    if (sgdMode !== 0) {
      const bn = first ? p : r(r(abs(b[i]) * muf) + p);
      b2[i] = bn;
      p = sgdMode === 2 ? r(p + r(muf * bn)) : bn;
    }
    w2[i] = sub(x, r(lrf * p));
  }
  return [w2, b2];
}

/** [w, m1, v] after w = w_old and the AdamW step. */
export function adamw(mode, wold, g, m1, v, decay, b1, omb1, b2, omb2, eps, stepSize, bc2sqrt) {
  const { r, sub, abs } = modes[mode];
  const f = modes.f64;
  const [d, B1, B2, E, S, C] = [decay, b1, b2, eps, stepSize, bc2sqrt].map(r);
  const O1 = r(omb1), O2 = r(omb2);
  const w2 = new Float64Array(wold.length), m2 = new Float64Array(wold.length), v2 = new Float64Array(wold.length);
  for (let i = 0; i < wold.length; i++) {
    const x = r(abs(wold[i]) * d), gi = abs(g[i]);
    const mn = r(r(abs(m1[i]) * B1) + r(gi * O1));
    const vn = r(r(v[i] * B2) + r(r(gi * gi) * O2));
    // The denominator is a sum of positive terms: its own value bounds its error too.
    const vt = f.r(v[i] * b2 + g[i] * g[i] * omb2);
    const denom = mode === 'mag' ? Math.sqrt(vt) / bc2sqrt + eps : r(r(r(Math.sqrt(vn)) / C) + E);
    m2[i] = mn; v2[i] = vn;
    w2[i] = sub(x, r(S * r(mn / denom)));
  }
  return [w2, m2, v2];
}

// bfloat16, the low-memory mode's state format: float32's top 16 bits, rounded to
// nearest, ties to even; NaN kept a quiet NaN of its sign.
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

/** The bf16 bits of x (any number, first rounded to float32). */
export function bf16Round(x) {
  f32[0] = x;
  const b = u32[0];
  if (Number.isNaN(f32[0])) return ((b >>> 16) | 0x40) & 0xffff;
  return (((b + 0x7fff + ((b >>> 16) & 1)) >>> 0) >>> 16) & 0xffff;
}

export function bf16Value(h) {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

export const toBf16 = (x) => Uint16Array.from(x, bf16Round);
export const fromBf16 = (h) => Float32Array.from(h, bf16Value);

/** w − ε, ε = d·scale as perturb computes it (no adaptive); m already decoded. */
export function unperturb(mode, w, g, m, sigma, scale) {
  const { r, sub, abs } = modes[mode];
  return Float64Array.from(w, (wi, i) => {
    const d = m ? sub(abs(g[i]), r(r(abs(sigma)) * abs(m[i]))) : abs(g[i]);
    return sub(abs(wi), r(d * r(abs(scale))));
  });
}

/** Gradient accumulation: dst = s·src (scaled copy), acc = acc + s·g. */
export function scaledCopy(mode, src, s) {
  const { r, abs } = modes[mode];
  return Array.from(src, (x) => r(r(abs(s)) * abs(x)));
}
export function accumulate(mode, acc, g, s) {
  const { r, abs } = modes[mode];
  return Array.from(acc, (a, i) => r(abs(a) + r(r(abs(s)) * abs(g[i]))));
}

// Seeded data for tests: a small PRNG (mulberry32) and arrays mixing normal values
// with the special ones kernels get wrong (zeros of both signs, denormals, large).

export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.normal = () => {
    const u = Math.max(next(), 1e-12), v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  next.int = (n) => Math.floor(next() * n);
  return next;
}

export const SPECIALS = [0, -0, 1e-40, -3e-39, 1.4e-45, 1e15, -1e15, 1, -1];

/** n floats: mostly N(0, scale), with `specialRate` of them special values. */
export function floats(r, n, { scale = 1, specialRate = 0.1 } = {}) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r() < specialRate ? SPECIALS[r.int(SPECIALS.length)] : scale * r.normal();
  return x;
}

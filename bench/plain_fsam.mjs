// The baseline: the same F-SAM + SGD-momentum step written as plain loops over
// Float32Arrays, the way one would without kernels (no SIMD, no wasm).
export function plainFsamStep(s, gradients) {
  const { w, g, g2, m, wold, b, h } = s;
  gradients(w, g);
  let sumsq = 0;
  for (let i = 0; i < w.length; i++) {
    const d = s.first ? g[i] : g[i] - h.sigma * m[i];
    sumsq += d * d;
  }
  const scale = h.rho / (Math.sqrt(sumsq) + 1e-12);
  for (let i = 0; i < w.length; i++) {
    const d = s.first ? g[i] : g[i] - h.sigma * m[i];
    wold[i] = w[i];
    w[i] += d * scale;
  }
  gradients(w, g2);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(g2[i])) throw new Error('non-finite gradient');
  }
  for (let i = 0; i < w.length; i++) {
    m[i] = s.first ? g[i] : h.lambda * m[i] + (1 - h.lambda) * g[i];
    const x = wold[i];
    const p = g2[i] + h.weightDecay * x;
    b[i] = s.first ? p : h.momentum * b[i] + p;
    w[i] = x - h.learningRate * b[i];
  }
  s.first = false;
}

export function plainState(n, h) {
  const f = () => new Float32Array(n);
  return { w: f(), g: f(), g2: f(), m: f(), wold: f(), b: f(), h, first: true };
}

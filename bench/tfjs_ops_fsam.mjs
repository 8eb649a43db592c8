// The baseline: F-SAM (or SAM) + SGD momentum written with tfjs-core ops, the way one
// would without fsam-edge's kernels (new tensors every step, tfjs's own arithmetic).
// minimize(f, vars) takes tfjs's gradients of f; step(gradients, vars) takes any function
// returning { value, grads } like tf.variableGrads (the benchmarks pass constant
// gradients to time the optimizer's arithmetic alone).
export function tfjsOpsFsam(tf, { learningRate, rho, sigma, lambda, momentum, weightDecay }, { sharpness = 'fsam' } = {}) {
  let m = null, b = null;
  function step(gradients, vars) {
    const { value, grads } = gradients();
    value.dispose();
    const g = vars.map((v) => grads[v.name]);
    const friendly = sharpness === 'fsam';
    const d = tf.tidy(() => (friendly && m ? g.map((gi, i) => tf.sub(gi, tf.mul(sigma, m[i]))) : g.map((gi) => tf.clone(gi))));
    if (friendly) {
      const mNew = tf.tidy(() => (m ? m.map((mi, i) => tf.add(tf.mul(lambda, mi), tf.mul(1 - lambda, g[i]))) : g.map((gi) => tf.clone(gi))));
      if (m) tf.dispose(m);
      m = mNew.map((t) => tf.keep(t));
    }
    // w_old: tf.clone is the copy (on wasm its Identity kernel copies; on cpu it shares the
    // data, which v.assign then leaves to wOld alone).
    const wOld = vars.map((v) => tf.clone(v));
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(d.map((di) => tf.sum(tf.square(di)))));
      const scale = tf.div(rho, tf.add(norm, 1e-12));
      vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(d[i], scale))));
    });
    tf.dispose([...d, ...Object.values(grads)]);
    const second = gradients();
    second.value.dispose();
    tf.tidy(() => {
      const first = b === null;
      const bNew = vars.map((v, i) => {
        const p = tf.add(second.grads[v.name], tf.mul(weightDecay, wOld[i]));
        return first ? p : tf.add(tf.mul(momentum, b[i]), p);
      });
      if (b) tf.dispose(b);
      b = bNew.map((t) => tf.keep(t));
      vars.forEach((v, i) => v.assign(tf.sub(wOld[i], tf.mul(learningRate, b[i]))));
    });
    tf.dispose([...wOld, ...Object.values(second.grads)]);
  }
  return {
    step,
    minimize(f, vars) { step(() => tf.variableGrads(f, vars), vars); },
    dispose() { tf.dispose([...(m ?? []), ...(b ?? [])]); },
  };
}

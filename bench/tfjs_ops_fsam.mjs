// The baseline: F-SAM + SGD momentum written with tfjs-core ops, the way one would
// without fsam-edge's kernels (new tensors every step, tfjs's own arithmetic).
export function tfjsOpsFsam(tf, { learningRate, rho, sigma, lambda, momentum, weightDecay }) {
  let m = null, b = null;
  return {
    minimize(f, vars) {
      const { value, grads } = tf.variableGrads(f, vars);
      value.dispose();
      const g = vars.map((v) => grads[v.name]);
      const d = tf.tidy(() => (m ? g.map((gi, i) => tf.sub(gi, tf.mul(sigma, m[i]))) : g.map((gi) => tf.clone(gi))));
      const mNew = tf.tidy(() => (m ? m.map((mi, i) => tf.add(tf.mul(lambda, mi), tf.mul(1 - lambda, g[i]))) : g.map((gi) => tf.clone(gi))));
      if (m) tf.dispose(m);
      m = mNew.map((t) => tf.keep(t));
      const wOld = vars.map((v) => tf.clone(v));
      const wCopy = wOld.map((w) => tf.add(w, 0));
      tf.tidy(() => {
        const norm = tf.sqrt(tf.addN(d.map((di) => tf.sum(tf.square(di)))));
        const scale = tf.div(rho, tf.add(norm, 1e-12));
        vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(d[i], scale))));
      });
      tf.dispose([...d, ...Object.values(grads), ...wOld]);
      const second = tf.variableGrads(f, vars);
      second.value.dispose();
      tf.tidy(() => {
        const first = b === null;
        const bNew = vars.map((v, i) => {
          const p = tf.add(second.grads[v.name], tf.mul(weightDecay, wCopy[i]));
          return first ? p : tf.add(tf.mul(momentum, b[i]), p);
        });
        if (b) tf.dispose(b);
        b = bNew.map((t) => tf.keep(t));
        vars.forEach((v, i) => v.assign(tf.sub(wCopy[i], tf.mul(learningRate, b[i]))));
      });
      tf.dispose([...wCopy, ...Object.values(second.grads)]);
    },
    dispose() { tf.dispose([...(m ?? []), ...(b ?? [])]); },
  };
}

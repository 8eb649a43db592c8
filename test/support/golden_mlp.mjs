// The golden trajectories' model (test/fixtures/golden, copied from the official implementation's runs): x @ W1 + b1, tanh, @ W2 + b2, mean
// softmax cross-entropy over integer labels; W is [in, out]. Loss and gradients in
// float64, written as float32 into the caller's arrays.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
export const VARIABLES = ['W1', 'b1', 'W2', 'b2'];

export function loadGolden(name) {
  return JSON.parse(readFileSync(`${GOLDEN_DIR}${name}.json`, 'utf8'));
}

/** Loss of one batch at weights [W1, b1, W2, b2]; fills grads (same order) if given. */
export function mlpLossAndGrads(weights, batch, grads) {
  const [W1, b1, W2, b2] = weights;
  const [n, inDim] = batch.xShape, hid = b1.length, out = b2.length;
  const x = batch.x, y = batch.y;
  const h = new Float64Array(n * hid), dlogits = new Float64Array(n * out);
  let loss = 0;
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < hid; j++) {
      let z = b1[j];
      for (let i = 0; i < inDim; i++) z += x[s * inDim + i] * W1[i * hid + j];
      h[s * hid + j] = Math.tanh(z);
    }
    const logits = new Float64Array(out);
    for (let k = 0; k < out; k++) {
      let z = b2[k];
      for (let j = 0; j < hid; j++) z += h[s * hid + j] * W2[j * out + k];
      logits[k] = z;
    }
    const max = Math.max(...logits);
    let sum = 0;
    for (let k = 0; k < out; k++) sum += Math.exp(logits[k] - max);
    loss += -(logits[y[s]] - max - Math.log(sum)) / n;
    for (let k = 0; k < out; k++) dlogits[s * out + k] = (Math.exp(logits[k] - max) / sum - (k === y[s] ? 1 : 0)) / n;
  }
  if (grads) {
    const [gW1, gb1, gW2, gb2] = grads.map((g) => g.fill(0) && new Float64Array(g.length));
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < out; k++) {
        const d = dlogits[s * out + k];
        gb2[k] += d;
        for (let j = 0; j < hid; j++) gW2[j * out + k] += h[s * hid + j] * d;
      }
      for (let j = 0; j < hid; j++) {
        let dh = 0;
        for (let k = 0; k < out; k++) dh += dlogits[s * out + k] * W2[j * out + k];
        const dz = dh * (1 - h[s * hid + j] ** 2);
        gb1[j] += dz;
        for (let i = 0; i < inDim; i++) gW1[i * hid + j] += x[s * inDim + i] * dz;
      }
    }
    [gW1, gb1, gW2, gb2].forEach((g, i) => grads[i].set(g));
  }
  return loss;
}

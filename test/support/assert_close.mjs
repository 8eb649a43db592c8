// Comparison helpers that name the index and the inputs of the first mismatch.
import * as assert from 'uvu/assert';

/** |got[i] − want[i]| ≤ atol + rtol·|want[i]| for every i. */
export function assertClose(got, want, { rtol = 0, atol = 0, label = '' } = {}) {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    const err = Math.abs(g - w);
    if (!(err <= atol + rtol * Math.abs(w))) {
      assert.unreachable(`${label}: index ${i} of ${want.length}: got ${g}, want ${w} (error ${err}, allowed ${atol + rtol * Math.abs(w)})`);
    }
  }
}

/** Same bits, element by element (so -0 ≠ +0 and NaN payloads count). */
export function assertSameBits(got, want, label = '') {
  assert.is(got.length, want.length, `${label}: length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.unreachable(`${label}: index ${i} of ${a.length}: got ${got[i]} (0x${a[i].toString(16)}), want ${want[i]} (0x${b[i].toString(16)})`);
  }
}

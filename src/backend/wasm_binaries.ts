// tfjs-backend-wasm's SIMD binary, embedded in the bundle so nothing is fetched from a
// path that differs per runtime. tfjs then loads it through fetch() of a data: URL,
// which Node ≥ 18, Deno and browsers all support (and a CSP without connect-src allows).
import simdBinary from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';

export function simdBinaryDataUrl(): string {
  let text = '';
  for (let i = 0; i < simdBinary.length; i += 0x8000) {
    text += String.fromCharCode(...simdBinary.subarray(i, i + 0x8000));
  }
  return `data:application/wasm;base64,${btoa(text)}`;
}

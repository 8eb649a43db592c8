// What the bundled dependencies ask of Node's built-ins, answered from web-standard
// globals, so one bundle runs unchanged in Node, Deno and browsers. tfjs-core's Node
// platform wants util's encoders and type checks; the emscripten loader of
// tfjs-backend-wasm wants fs and path only to read its .wasm from disk, which never
// happens here because the binaries are embedded (see src/backend/wasm_binaries.ts).
export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;
export const types = {
  isFloat32Array: (a: unknown) => a instanceof Float32Array,
  isInt32Array: (a: unknown) => a instanceof Int32Array,
  isUint8Array: (a: unknown) => a instanceof Uint8Array,
  isUint8ClampedArray: (a: unknown) => a instanceof Uint8ClampedArray,
};
export const performance = globalThis.performance;
export function readFileSync(path: string): never {
  throw new Error(`fsam-edge bundle: no file system access (asked for ${path})`);
}
export const dirname = (p: string) => p.replace(/\/[^/]*$/, '');
export const normalize = (p: string) => p;
const fetchFn = (...args: Parameters<typeof fetch>) => globalThis.fetch(...args);
export default fetchFn;

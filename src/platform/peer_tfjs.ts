// The add-on build's stand-in for ./bundled_tfjs.ts: nothing is registered at import,
// and no binary is embedded. tfjs-layers (a peer) registers tfjs-core's gradients;
// tfjs-backend-wasm (a peer) finds its own binary in Node, or where the app puts it
// (ready's wasmPaths), or takes the bytes the app hands to ready (wasmBinary).
export const embeddedTfjsWasmBinary: Uint8Array | undefined = undefined;

/** The app's tfjs-backend-wasm is not imported before ready(): its version is known then. */
export const tfjsWasmVersion: string | undefined = undefined;

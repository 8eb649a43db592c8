// tfjs-backend-wasm's threaded Emscripten glue as an ES module, patched by
// scripts/build.mjs (threadedGlue): the factory of the threaded wasm module.
declare module 'fsam-edge:tfjs-threaded-glue' {
  const createThreadedModule: (module: Record<string, unknown>) => Promise<unknown>;
  export default createThreadedModule;
}

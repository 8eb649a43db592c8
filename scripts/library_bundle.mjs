// esbuild plugins shared by scripts/build.mjs and scripts/build_app.mjs.

// The CLI, the study and the browser app's worker run on the library bundle itself: every module of the library
// that holds tfjs or its state (src/index.ts and what only it should own) becomes an
// import of ./fsam-edge.js at run time instead of a second bundled copy. Two copies of
// tfjs in one process share tfjs's global registries, so the second copy registered every
// wasm kernel again (the ~150 "already registered" warnings when the tests loaded both
// bundles), and the two copies' classes (Tensor, Variable, the optimizers' errors) fail
// each other's instanceof. A direct import of a tfjs package from them fails the build.
export const LIBRARY_MODULE = /[\\/]src[\\/](?:(?:index|tf|layers|ready|versions)\.ts|core[\\/]errors\.ts|(?:tfjs|backend|kernels|platform|io)[\\/].*)$/;
export const useLibraryBundle = {
  name: 'use-library-bundle',
  setup(b) {
    b.onResolve({ filter: /^fsam-edge-library$/ }, () => ({ path: './fsam-edge.js', external: true }));
    b.onResolve({ filter: /^@tensorflow\// }, (args) => ({
      errors: [{ text: `${args.importer} imports ${args.path}: the CLI, the study and the app reach tfjs through src/index.ts only` }],
    }));
    // src/io/atomic_write.ts holds neither tfjs nor state (it imports nothing): bundled as it is.
    b.onLoad({ filter: LIBRARY_MODULE }, ({ path }) => (/[\\/]io[\\/]atomic_write\.ts$/.test(path) ? undefined
      : { contents: "export * from 'fsam-edge-library';", loader: 'ts' }));
  },
};

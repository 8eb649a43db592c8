// Bundles a test entry together with fsam-edge's sources, so that tfjs-core's own test
// files, tfjs-layers and tfjs-backend-cpu all share the one tfjs-core instance (the ESM
// build, with its gradients) that the library uses. Node-only output: tests run in Node.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const nodeGlobals = [
  "import { createRequire as __tCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tFileURLToPath } from 'node:url';",
  "import { dirname as __tDirname } from 'node:path';",
  'const require = __tCreateRequire(import.meta.url);',
  'const __filename = __tFileURLToPath(import.meta.url);',
  'const __dirname = __tDirname(__filename);',
].join('\n');

// tfjs-core's jasmine_util requires jasmine-core's internal file (not exported by
// jasmine-core ≥ 4) only to build a private jasmine whose default timeout it sets; a
// stub stands in, and the timeout is set on the runner instead.
const jasmineCoreStub = {
  name: 'jasmine-core-stub',
  setup(b) {
    b.onResolve({ filter: /^jasmine-core\/lib\/jasmine-core\/jasmine\.js$/ }, () => ({ path: 'jasmine-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = { core: () => ({}) };', loader: 'js' }));
  },
};

// tfjs-core's package.json declares its files side-effect free, so importing a test file
// for its describe() calls would be dropped: mark the *_test files as having effects.
const keepTestFiles = {
  name: 'keep-test-files',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/.*_test$/ }, (args) => ({
      path: join(root, 'node_modules', `${args.path}.js`), sideEffects: true,
    }));
  },
};

/** Bundles `contents` (an ES module, paths relative to the repo root) to build/<name>.mjs. */
export async function bundleTest(name, contents, extraPlugins = []) {
  mkdirSync(join(root, 'build'), { recursive: true });
  const outfile = join(root, 'build', `${name}.mjs`);
  await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: `${name}-entry.js` },
    outfile, bundle: true, format: 'esm', platform: 'node', target: 'es2022',
    mainFields: ['module', 'main'], loader: { '.wasm': 'binary' },
    plugins: [jasmineCoreStub, keepTestFiles, ...extraPlugins], banner: { js: nodeGlobals }, logLevel: 'error',
  });
  return outfile;
}

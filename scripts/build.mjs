// Build: every assembly/<module>/index.ts becomes build/<module>.wasm (flags from
// asconfig.json) and src/wasm/<module>_exports.ts (its exports' signatures), then
// esbuild bundles the TypeScript entries with the wasm embedded.
import { readdirSync, existsSync, mkdirSync, statSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { writeExports } from './wasm_exports.mjs';
import { useLibraryBundle } from './library_bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
mkdirSync(join(root, 'build'), { recursive: true });

// --bindings raw adds build/<module>.d.ts (every export's parameters, named) and leaves
// the .wasm as it is; src/wasm/<module>_exports.ts is generated from it (wasm_exports.mjs).
// asc's JavaScript loader beside it is not used: src/wasm/bind.ts binds the module.
// Each module is built twice: build/<module>.wasm imports an ordinary memory (tfjs-wasm's
// SIMD binary, or the core's own), build/<module>.shared.wasm a shared one of up to 4 GiB
// (tfjs-wasm's threaded binary: an import of a non-shared memory does not link to a shared
// one). The code is the same; only the memory import differs (see src/threads/).
for (const name of readdirSync(join(root, 'assembly'))) {
  const entry = join(root, 'assembly', name, 'index.ts');
  if (!existsSync(entry)) continue;
  execFileSync(process.execPath, [asc, entry, '--config', join(root, 'asconfig.json'),
    '--outFile', join(root, 'build', `${name}.wasm`),
    '--textFile', join(root, 'build', `${name}.wat`), '--bindings', 'raw'], { stdio: 'inherit' });
  rmSync(join(root, 'build', `${name}.js`), { force: true });
  if (writeExports(root, name)) console.log(`src/wasm/${name}_exports.ts  regenerated from assembly/${name}`);
  execFileSync(process.execPath, [asc, entry, '--config', join(root, 'asconfig.json'),
    '--outFile', join(root, 'build', `${name}.shared.wasm`),
    '--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'], { stdio: 'inherit' });
}

// Node built-ins that bundled dependencies require, answered by one shim module.
const builtins = ['fs', 'path', 'util', 'crypto', 'perf_hooks', 'os', 'node-fetch', 'worker_threads'];
const shimBuiltins = {
  name: 'shim-node-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${builtins.join('|')})$`);
    b.onResolve({ filter }, () => ({ path: join(root, 'src/platform/node_builtins.ts') }));
  },
};

// tfjs-backend-wasm's threaded build never runs (ready() embeds and selects only the
// SIMD binary), so its Emscripten loader and worker source, which evals scripts, stay
// out of the bundles: a stub stands in for both.
const noThreadedWasm = {
  name: 'no-threaded-wasm',
  setup(b) {
    b.onResolve({ filter: /tfjs-backend-wasm-threaded-simd(\.worker)?\.js$/ },
      () => ({ path: join(root, 'src/platform/no_threaded_wasm.ts') }));
  },
};

// tfjs-core's fused conv2d and depthwiseConv2d record their own gradient, which rejects
// dilations > 1 (fsam-edge registers corrected gradients for the unfused kernels, see
// src/kernels/*_grad.ts). While gradients are recorded with dilations > 1, send those ops
// down their unfused path. The build fails if the line it extends ever changes.
const FUSE_TEST = 'if (shouldFuse(ENGINE.state.gradientDepth, activation) === false) {';
const unfuseDilatedGradients = {
  name: 'unfuse-dilated-gradients',
  setup(b) {
    b.onLoad({ filter: /tfjs-core[\\/]dist[\\/]ops[\\/]fused[\\/](conv2d|depthwise_conv2d)\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes(FUSE_TEST)) throw new Error(`${path}: the fused-op test this build extends has changed`);
      return {
        contents: source.replace(FUSE_TEST, 'if (shouldFuse(ENGINE.state.gradientDepth, activation) === false ||\n' +
          '        (ENGINE.state.gradientDepth > 0 && !conv_util.tupleValuesAreOne(dilations == null ? 1 : dilations))) {'),
        loader: 'js',
      };
    });
  },
};

// tfjs-backend-wasm's threaded Emscripten glue as an ES module (the virtual module
// 'fsam-edge:tfjs-threaded-glue', bundled into dist/fsam-edge-threads.js only). As
// shipped, the glue makes its pthread workers with `new Worker(url)` from a script that
// tfjs hands it as a blob: URL, and loads the glue into them with importScripts (eval in
// Node): a page's CSP refuses that, Deno has no classic workers, Node cannot start a blob:
// URL. It also sizes tfjs's thread pool at half the logical cores (so 2 threads on a
// 2-core machine gave 1), detects Node by `process` (which Deno also has) and calls Node's
// `require`, which an ES module lacks. Each patch below replaces one exact piece of the
// glue, which must occur exactly as often as stated, or the build fails: a new tfjs
// version must be looked at, not patched blindly. What the hooks do: src/backend/threads.ts.
const GLUE_PATCHES = [
  // Node's path only in Node, where fsam-edge says so (Deno defines process.versions.node).
  ['var ENVIRONMENT_IS_NODE=typeof process=="object"&&typeof process.versions=="object"&&typeof process.versions.node=="string";',
    'var ENVIRONMENT_IS_NODE=Module["fsamNode"]===true;', 1],
  // The logical-core count that tfjs-wasm halves: fsam-edge reports twice the threads asked for.
  ['function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}',
    'function _emscripten_num_logical_cores(){return Module["fsamLogicalCores"]}', 1],
  // Node's require, handed over by fsam-edge (an ES module has none).
  ['require("', 'Module["fsamRequire"]("', 4],
  ['scriptDirectory=__dirname+"/"', 'scriptDirectory=""', 1],
  // No global Worker in Node: fsam-edge makes the workers.
  ['global.Worker=nodeWorkerThreads.Worker', '', 1],
  // As many pthread workers as threads are asked for, not 8, each made by fsam-edge from
  // fsam-edge-threads.js, with its failures reported to fsam-edge instead of thrown.
  ['var pthreadPoolSize=8;', 'var pthreadPoolSize=Module["fsamPoolSize"];', 1],
  // …and none at all: the start then waits for no worker (it waited for the last one to load).
  ['PThread.unusedWorkers.forEach(function(w){PThread.loadWasmModuleToWorker(w,function(){if(!--numWorkersToLoad)removeRunDependency("wasm-instantiate")})})',
    'if(!numWorkersToLoad)removeRunDependency("wasm-instantiate");PThread.unusedWorkers.forEach(function(w){PThread.loadWasmModuleToWorker(w,function(){if(!--numWorkersToLoad)removeRunDependency("wasm-instantiate")})})', 1],
  ['var pthreadMainJs=locateFile("tfjs-backend-wasm-threaded-simd.worker.js");worker=new Worker(pthreadMainJs);',
    'worker=Module["fsamNewWorker"]();', 1],
  // Node: a pthread keeps its worker unreferenced while it runs, as while it waits: tfjs's
  // pool threads never end, and a referenced worker would keep the process from exiting.
  ['if(ENVIRONMENT_IS_NODE){worker.ref()}', '', 1],
  ['worker.onerror=e=>{var message="worker sent an error!";err(message+" "+e.filename+":"+e.lineno+": "+e.message);throw e};',
    'worker.onerror=e=>Module["fsamWorkerError"](e);', 1],
  // Inside a pthread: its messages to the main thread and its start-up go through the worker's hooks.
  [/(?<![\w.$])postMessage\(/g, 'Module["fsamPostMessage"](', 3],
  ['startWorker(Module)', 'Module["fsamStartWorker"](Module)', 1],
];
const GLUE_EXPORT = "if (typeof exports === 'object' && typeof module === 'object')";
const threadedGlue = {
  name: 'tfjs-threaded-glue',
  setup(b) {
    b.onResolve({ filter: /^fsam-edge:tfjs-threaded-glue$/ }, () => ({ path: 'tfjs-threaded-glue', namespace: 'fsam-edge' }));
    b.onLoad({ filter: /.*/, namespace: 'fsam-edge' }, async () => {
      const file = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
      let source = await readFile(file, 'utf8');
      for (const [from, to, times] of GLUE_PATCHES) {
        const found = typeof from === 'string' ? source.split(from).length - 1 : (source.match(from) ?? []).length;
        if (found !== times) throw new Error(`${file}: expected ${times} of ${from}, found ${found}: the glue has changed`);
        source = typeof from === 'string' ? source.split(from).join(to) : source.replace(from, to);
      }
      const end = source.indexOf(GLUE_EXPORT);
      if (end < 0) throw new Error(`${file}: its CommonJS export has changed`);
      return { contents: `${source.slice(0, end)}\nexport default WasmBackendModuleThreadedSimd;\n`, loader: 'js' };
    });
  },
};

// The add-on build (dist/addon.js, dist/addon.cjs): the package's default entry. The
// app's tfjs is the tfjs: @tensorflow/tfjs-core, -layers and -backend-wasm stay imports
// of the app's packages (peer dependencies), and src/platform/bundled_tfjs.ts, what the
// self-contained builds add to their tfjs, is replaced by src/platform/peer_tfjs.ts.
// Only the peers' package roots may be imported: their deep paths differ between their
// CommonJS (Node) and ES module (bundler) builds.
const PEER = /^@tensorflow\/tfjs-(core|layers|backend-wasm)(\/.*)?$/;
const addonPeers = {
  name: 'addon-peers',
  setup(b) {
    b.onResolve({ filter: PEER }, ({ path, importer }) => {
      if (PEER.exec(path)[2]) return { errors: [{ text: `the add-on imports only the peers' package roots, not ${path} (from ${importer})` }] };
      return { path, external: true };
    });
    b.onResolve({ filter: /[\\/]platform[\\/]bundled_tfjs(\.ts)?$/ }, () => ({ path: join(root, 'src/platform/peer_tfjs.ts') }));
  },
};

// Entry points. The library builds are platform-neutral ES modules, each with a
// CommonJS twin for require(); the self-contained bundle (dist/fsam-edge.js, the entry
// fsam-edge/bundle) carries tfjs-core, -layers and -backend-wasm with its binary, with
// Node built-ins shimmed. The CLI and the study run in Node only, use the real fs, and
// import the library bundle beside them (above); they get `require` and `__dirname` for
// the CommonJS parts of what they bundle. The study (npm run study) is built but not packed.
const entries = {
  addon: { src: 'src/index.ts', kind: 'addon', types: 'addon' },
  'fsam-edge': { src: 'src/index.ts', kind: 'bundle', types: 'fsam-edge' },
  core: { src: 'src/core/index.ts', kind: 'bundle', types: 'core' },
  cli: { src: 'src/cli/main.ts', kind: 'node' },
  study: { src: 'src/study/main.ts', kind: 'node' },
  'fsam-edge-threads': { src: 'src/threads/index.ts', kind: 'threads' },
};
const nodeGlobals = [
  "import { createRequire as __fsamCreateRequire } from 'node:module';",
  "import { fileURLToPath as __fsamFileURLToPath } from 'node:url';",
  "import { dirname as __fsamDirname } from 'node:path';",
  'const require = __fsamCreateRequire(import.meta.url);',
  'const __filename = __fsamFileURLToPath(import.meta.url);',
  'const __dirname = __fsamDirname(__filename);',
].join('\n');
const options = {
  addon: { platform: 'neutral', plugins: [addonPeers] },
  bundle: { platform: 'neutral', define: { __dirname: '"/"' }, plugins: [shimBuiltins, noThreadedWasm, unfuseDilatedGradients] },
  node: { platform: 'node', banner: { js: nodeGlobals }, plugins: [useLibraryBundle] },
  threads: { platform: 'neutral', plugins: [threadedGlue] },
};
for (const [out, { src, kind, types }] of Object.entries(entries)) {
  if (!existsSync(join(root, src))) continue;
  const common = {
    entryPoints: [join(root, src)], bundle: true, target: 'es2022',
    mainFields: ['module', 'main'], loader: { '.wasm': 'binary' }, logLevel: 'warning', ...options[kind],
  };
  const outputs = [`${out}.js`];
  // Deno reads a module's types from this directive; TypeScript from package.json's exports.
  const selfTypes = types ? { banner: { js: `// @ts-self-types="./${types}.d.ts"` } } : {};
  await esbuild.build({ ...common, ...selfTypes, format: 'esm', outfile: join(root, 'dist', `${out}.js`) });
  if (types) {
    // The CommonJS twin: the same sources again, as CommonJS (no top-level await anywhere).
    // import.meta.url (where fsam-edge-threads.js is found) becomes the file's URL.
    await esbuild.build({ ...common, format: 'cjs', outfile: join(root, 'dist', `${out}.cjs`),
      define: { ...common.define, 'import.meta.url': '__fsamModuleUrl' },
      banner: { js: 'var __fsamModuleUrl = typeof __filename === "string" ? require("url").pathToFileURL(__filename).href : "";' } });
    outputs.push(`${out}.cjs`);
  }
  for (const file of outputs) console.log(`dist/${file}  ${(statSync(join(root, 'dist', file)).size / 1024).toFixed(0)} KiB`);
}

// Declarations beside the library builds (dist/<entry>.d.ts): scripts/build_types.mjs;
// the CLI's built-in digits (data/mnist-digits.bin.gz): scripts/build_digits.mjs.
await import('./build_types.mjs');
await import('./build_digits.mjs');
// The browser app (dist/app/), on the bundle and the digits: scripts/build_app.mjs.
await import('./build_app.mjs');

// ready({ wasmBinary }) with a valid module that is not tfjs-backend-wasm's
// single-threaded build: a TypeError that says what the module is, instead of a backend
// that never settles (a page waits forever; Node died with exit code 7 by the Emscripten
// glue's rethrowing listener). The section reader is checked against the engine's own
// (WebAssembly.Module.imports / exports) on every binary at hand.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const tfjsDist = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const tfjs = (name) => new Uint8Array(readFileSync(join(tfjsDist, name)));

// src/backend/wasm_binary_check.ts, bundled alone (it imports nothing).
const { outputFiles } = await build({ entryPoints: [join(root, 'src/backend/wasm_binary_check.ts')], bundle: true, format: 'esm', write: false, platform: 'neutral' });
const { wasmInterface, notTfjsWasmBinary } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);

/** A module of one function type and the given imports: [module, name] function imports. */
function moduleImporting(imports) {
  const text = (s) => [s.length, ...Buffer.from(s)];
  const body = [imports.length, ...imports.flatMap(([m, n]) => [...text(m), ...text(n), 0x00, 0x00])];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, body.length, ...body]);
}
const EMPTY = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

const s = suite('ready({ wasmBinary }) checks the module');

s('the section reader gives what the engine reads, on tfjs-wasm\'s three builds and fsam-edge\'s modules', () => {
  const binaries = [
    ...['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((n) => [n, tfjs(n)]),
    ...readdirSync(join(root, 'build')).filter((n) => n.endsWith('.wasm')).map((n) => [n, new Uint8Array(readFileSync(join(root, 'build', n)))]),
    ['a foreign import', moduleImporting([['env', 'f'], ['foo', 'bar']])],
  ];
  assert.ok(binaries.length >= 5);
  for (const [name, bytes] of binaries) {
    const module = new WebAssembly.Module(bytes);
    const got = wasmInterface(bytes);
    assert.equal(got.imports, WebAssembly.Module.imports(module), `${name}: imports`);
    assert.equal(got.exports, WebAssembly.Module.exports(module), `${name}: exports`);
  }
});

s('the single-threaded builds pass; the threaded build, unrelated modules and foreign imports are named', () => {
  assert.is(notTfjsWasmBinary(tfjs('tfjs-backend-wasm-simd.wasm')), null);
  assert.is(notTfjsWasmBinary(tfjs('tfjs-backend-wasm.wasm')), null);
  assert.match(notTfjsWasmBinary(tfjs('tfjs-backend-wasm-threaded-simd.wasm')), /imports its memory, as tfjs-backend-wasm's threaded build/);
  assert.match(notTfjsWasmBinary(EMPTY), /does not export 'memory' \(a memory\), '__indirect_function_table' \(a table\), 'init' \(a function\)/);
  assert.match(notTfjsWasmBinary(moduleImporting([['env', 'f'], ['foo', 'bar']])), /imports foo\.bar \(a function\), which tfjs-backend-wasm's glue does not provide/);
  const own = readdirSync(join(root, 'build')).filter((n) => n.endsWith('.wasm'));
  for (const n of own) assert.ok(notTfjsWasmBinary(new Uint8Array(readFileSync(join(root, 'build', n)))), `fsam-edge's ${n} is refused`);
});

// In a child process: the app's own tfjs with the add-on, as a user's app runs it.
function readyWith(binaryExpr) {
  const script = `
    import '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-wasm';
    import { readFileSync } from 'node:fs';
    const { ready, tf } = await import('./dist/addon.js');
    const wasmBinary = ${binaryExpr};
    const timer = setTimeout(() => { console.log(JSON.stringify({ hung: true })); process.exit(3); }, 20000);
    try { await ready({ wasmBinary }); console.log(JSON.stringify({ backend: tf.getBackend() })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 200));
    console.log(JSON.stringify({ alive: true }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { status: r.status, stderr: r.stderr, result: lines[0], alive: lines.some((l) => l.alive) };
}

s('ready() rejects a wrong module with a TypeError, and the process lives on; the right one loads', () => {
  const threaded = readyWith(`readFileSync(${JSON.stringify(join(tfjsDist, 'tfjs-backend-wasm-threaded-simd.wasm'))})`);
  assert.is(threaded.status, 0, threaded.stderr);
  assert.is(threaded.result.name, 'TypeError');
  assert.match(threaded.result.message, /^ready\(\): wasmBinary \(\d+ bytes\) is not tfjs-backend-wasm's single-threaded build: it imports its memory/);
  assert.ok(threaded.alive);
  const empty = readyWith('new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])');
  assert.is(empty.status, 0, empty.stderr);
  assert.is(empty.result.name, 'TypeError');
  assert.match(empty.result.message, /wasmBinary \(8 bytes\) is not tfjs-backend-wasm's single-threaded build: it does not export 'memory'/);
  const right = readyWith(`readFileSync(${JSON.stringify(join(tfjsDist, 'tfjs-backend-wasm-simd.wasm'))})`);
  assert.equal(right.result, { backend: 'wasm' }, right.stderr);
});

s.run();

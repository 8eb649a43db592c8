// One bundle everywhere: the self-contained dist/fsam-edge.js (fsam-edge/bundle) runs the
// same conformance scenario in Node (the host's), Deno (the npm package), headless
// Chromium (Debian's or the npm package's, under a strict CSP) and Node 18 for arm64
// (Debian's, under qemu), and the conformance hashes are identical. The smoke scenario
// runs there too: in Node through the add-on (dist/addon.js, dist/addon.cjs, with this
// tree's tfjs as its peers), in Deno and Chromium through the bundle. A runtime this
// machine lacks is skipped and named, with its install command, in one line
// (targets/availability.mjs); under CI=true it fails instead: .ci/run installs all of them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runPage } from '../targets/browser/run.mjs';
import { CSP } from '../targets/browser/server.mjs';
import { bothChromiums } from '../targets/browser/chromium.mjs';
import { DENO, targetAvailability, inCi, summaryLine } from '../targets/availability.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const available = targetAvailability();
const ARM64_NODE = join(root, 'targets/arm64/node.sh');
const SMOKE_OUTPUT = 'wasm: w = 2.00, b = 1.00';
const NO_SIMD = 'WasmSimdUnsupportedError: fsam-edge needs WebAssembly SIMD';

/** Runs a command in the repo root; resolves to its output, rejects with all of it. */
function exec(command, args, { timeoutMs = 120_000, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`${command}: ${err.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) resolve({ stdout, stderr, ms });
      else reject(new Error(`${[command, ...args].join(' ')} ${signal ? `killed by ${signal} after ${ms} ms` : `exited ${code}`}\n` +
        `stdout: ${stdout.trim()}\nstderr: ${stderr.trim()}`));
    });
  });
}

/** The runtimes, each able to run a script of the targets and give back its output. */
const runtimes = {
  node: {
    smoke: () => exec(process.execPath, ['targets/node/smoke.mjs']),
    smokeCommonJs: () => exec(process.execPath, ['targets/node/smoke.cjs']),
    conformance: () => exec(process.execPath, ['targets/node/conformance.mjs']),
    conformanceThreads: () => exec(process.execPath, ['targets/node/conformance.mjs', '2']),
    noSimd: () => exec(process.execPath, ['--no-enable-sse4-1', 'targets/node/smoke.mjs']),
  },
  deno: {
    smoke: () => exec(DENO, ['run', 'targets/deno/smoke.ts']),
    conformance: () => exec(DENO, ['run', 'targets/deno/conformance.ts']),
    conformanceThreads: () => exec(DENO, ['run', '--allow-read=dist', 'targets/deno/conformance.ts', '2']),
    noSimd: () => exec(DENO, ['run', '--v8-flags=--no-enable-sse4-1', 'targets/deno/smoke.ts']),
  },
  chromium: {
    smoke: () => page('index.html'),
    conformance: () => page('conformance.html'),
    conformanceThreads: () => page('conformance.html?threads=2'),
    noSimd: () => page('index.html', { noSimd: true }),
  },
  'node18-arm64': {
    smoke: () => exec(ARM64_NODE, ['targets/node/smoke.mjs'], { timeoutMs: 300_000 }),
    smokeCommonJs: () => exec(ARM64_NODE, ['targets/node/smoke.cjs'], { timeoutMs: 300_000 }),
    conformance: () => exec(ARM64_NODE, ['targets/node/conformance.mjs'], { timeoutMs: 300_000 }),
  },
};
// Where Debian's Chromium runs the browser target and the npm package's is installed too,
// the npm one runs the conformance scenario as well: both must give the same bits.
if (bothChromiums() && available.chromium.available) {
  runtimes['chromium-npm'] = { conformance: () => page('conformance.html', { npmChromium: true }) };
  available['chromium-npm'] = { available: true, detail: 'npm @sparticuz/chromium' };
}

/** A page of the browser target: its #out text as stdout, page and console errors as stderr. */
async function page(name, options) {
  const started = Date.now();
  const { text, problems, violations } = await runPage(name, options);
  return { stdout: text, stderr: problems.join('\n'), violations, ms: Date.now() - started };
}

/** Where a thrown error shows up: in a process's stderr, or a page's #out text. */
const failureText = (r) => `${r.stdout}\n${r.stderr}`;

const conformance = {};

/** One run of the conformance scenario, on `threads` threads: its result, checked, is kept for the hash comparison. */
async function conformanceRun(label, run, threads) {
  const r = await run();
  let result;
  try {
    result = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    assert.unreachable(`${label} printed no result: ${r.stdout} ${r.stderr}`);
  }
  assert.is(r.stderr.trim(), '', `${label} conformance reported errors`);
  if (r.violations) assert.equal(r.violations, [], 'CSP violations');
  assert.is(result.backend, 'wasm');
  assert.is(result.steps, 50);
  assert.is(result.threads, threads, `${label}: ${JSON.stringify(result.wasm)}`);
  if (threads > 1) assert.ok(result.wasm.splitKernelCalls > 0, `${label}: no kernel call was split over the threads`);
  assert.ok(result.lastLoss < result.firstLoss, `loss went from ${result.firstLoss} to ${result.lastLoss}`);
  assert.ok(result.lowMemoryLastLoss < result.firstLoss, `low-memory loss went from ${result.firstLoss} to ${result.lowMemoryLastLoss}`);
  assert.ok(result.lowMemoryHash !== result.hash, 'the low-memory run must differ from the full one (bf16 state): is it running?');
  conformance[label] = { ...result, wallMs: r.ms };
}

const s = suite('runtimes: one bundle, four runtimes');

for (const [name, rt] of Object.entries(runtimes)) {
  const a = available[name];
  if (!a.available) {
    // Skipped, and named in the summary line; under CI=true a failure.
    if (inCi()) s(`${name}: available (CI=true)`, () => assert.unreachable(`${name} is missing (${a.detail}); install: ${a.install}`));
    continue;
  }
  if (rt.smoke) s(`${name}: smoke scenario`, async () => {
    const r = await rt.smoke();
    assert.is(r.stdout.trim(), SMOKE_OUTPUT, `${name} smoke output; stderr: ${r.stderr}`);
    assert.is(r.stderr.trim(), '', `${name} smoke reported errors`);
    if (r.violations) assert.equal(r.violations, [], 'CSP violations');
  });

  if (rt.smokeCommonJs) {
    s(`${name}: smoke scenario through require() (the add-on, dist/addon.cjs)`, async () => {
      const r = await rt.smokeCommonJs();
      assert.is(r.stdout.trim(), SMOKE_OUTPUT, `${name} CommonJS smoke output; stderr: ${r.stderr}`);
    });
  }

  for (const [run, label, threads] of [[rt.conformance, name, 1], [rt.conformanceThreads, `${name} 2 threads`, 2]]) {
    if (run) s(`${label}: conformance scenario`, () => conformanceRun(label, run, threads));
  }

  if (rt.noSimd) {
    s(`${name}: without WebAssembly SIMD, ready() throws WasmSimdUnsupportedError`, async () => {
      const r = await rt.noSimd().then((ok) => ok, (err) => ({ stdout: '', stderr: err.message }));
      assert.ok(failureText(r).includes(NO_SIMD), `${name} without SIMD said: ${failureText(r)}`);
    });
  }
}

s('every runtime here trains to bit-identical weights, on 1 thread and on 2', () => {
  const missing = Object.entries(runtimes).filter(([n]) => available[n].available)
    .flatMap(([n, rt]) => [n, ...(rt.conformanceThreads ? [`${n} 2 threads`] : [])]).filter((label) => !conformance[label]);
  assert.equal(missing, [], `no conformance result from ${missing.join(', ')} (see the failures above)`);
  console.log('\n  runtime                  hash              loss hash         low-memory hash   low-mem loss hash scenario  wall');
  for (const [name, r] of Object.entries(conformance)) {
    console.log(`  ${name.padEnd(24)} ${r.hash}  ${r.lossHash}  ${r.lowMemoryHash}  ${r.lowMemoryLossHash}  ${String(r.ms).padStart(6)} ms ${String(r.wallMs).padStart(6)} ms  ${r.runtime}`);
  }
  const hashes = Object.entries(conformance).map(([n, r]) => `${n} ${r.hash} ${r.lossHash} ${r.lowMemoryHash} ${r.lowMemoryLossHash}`);
  const [first] = Object.values(conformance);
  for (const r of Object.values(conformance)) {
    assert.is(r.hash, first.hash, `weights differ:\n${hashes.join('\n')}`);
    assert.is(r.lossHash, first.lossHash, `loss trajectories differ:\n${hashes.join('\n')}`);
    assert.is(r.lowMemoryHash, first.lowMemoryHash, `low-memory weights differ:\n${hashes.join('\n')}`);
    assert.is(r.lowMemoryLossHash, first.lowMemoryLossHash, `low-memory loss trajectories differ:\n${hashes.join('\n')}`);
  }
});

if (available.deno.available) {
  s('deno: model.save and loadLayersModel with file:// through the bundle (atomic writes, read back the same, a second save replaces the pair)', async () => {
    const r = await exec(DENO, ['run', '--allow-read', '--allow-write', 'targets/deno/model_files.ts']);
    const { first, second } = JSON.parse(r.stdout.trim().split('\n').pop());
    for (const save of [first, second]) {
      assert.match(save.named.join(), /^weights\.[0-9a-f]{16}\.bin$/);
      assert.equal(save.files, ['model.json', ...save.named], 'model.json and the one weights file it names');
      assert.ok(save.same, 'read back the same');
    }
    assert.is.not(second.named[0], first.named[0], 'other weights, another name; the first is removed');
  });
}

if (available.chromium.available) {
  s('chromium: the server\'s CSP refuses eval, new Function and inline scripts, allows wasm', async () => {
    const { text } = await runPage('csp_probe.html');
    assert.equal(JSON.parse(text), { eval: 'refused', newFunction: 'refused', inlineScript: 'refused', wasm: 'compiles' });
  });
}

if (available.chromium.available) {
  const threadsPage = async (query, options) => {
    const r = await runPage(`threads.html?${query}`, options);
    let report;
    try { report = JSON.parse(r.text); } catch { assert.unreachable(`threads.html?${query}: ${r.text} ${r.problems.join(' ')}`); }
    assert.ok(Math.abs(report.w - 2.44) < 0.01, `the page trained after ready(): w = ${report.w}`);
    return { ...r, report };
  };
  s('chromium: a page served without COOP/COEP asks for 2 threads, runs on 1, and ready() says why', async () => {
    const { report, problems, violations } = await threadsPage('threads=2', { isolated: false });
    assert.equal(problems, []);
    assert.equal(violations, []);
    assert.is(report.crossOriginIsolated, false);
    assert.is(report.wasm.threads, 1);
    assert.is(report.wasm.binary, 'tfjs-backend-wasm-simd.wasm');
    assert.match(report.wasm.reason, /not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
  });
  s("chromium: a Content-Security-Policy that refuses the threads' worker (worker-src 'none'): one thread within 5 s, and why", async () => {
    const { report, violations } = await threadsPage('threads=2', { csp: `${CSP}; worker-src 'none'` });
    assert.ok(violations.some((v) => v.startsWith('worker-src refused') && v.endsWith('/fsam-edge-threads.js')), violations.join('; '));
    assert.is(report.wasm.threads, 1);
    assert.match(report.wasm.reason, /a thread could not start from http:.*fsam-edge-threads\.js/);
    assert.ok(report.readyMs < 5000, `ready() took ${report.readyMs} ms`);
  });
  s('chromium: threads that do not start in time (their module never arrives): one thread after the timeout, and why', async () => {
    const { report, problems } = await threadsPage('threads=2&threadsUrl=/never/fsam-edge-threads.js&threadsTimeoutMs=1500');
    assert.equal(problems, []);
    assert.is(report.wasm.threads, 1);
    assert.is(report.wasm.reason, 'the threads did not start within 1.5 s');
    assert.ok(report.readyMs >= 1500 && report.readyMs < 10_000, `ready() took ${report.readyMs} ms`);
  });
}

if (available.deno.available) {
  s('deno: without read permission for fsam-edge-threads.js, 2 threads asked give 1, and ready() says why', async () => {
    const r = await exec(DENO, ['run', 'targets/deno/conformance.ts', '2']);
    const result = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.is(r.stderr.trim(), '');
    assert.is(result.threads, 1);
    assert.match(result.wasm.reason, /Deno may not read .*fsam-edge-threads\.js.*--allow-read/);
    assert.is(result.hash, conformance.deno?.hash ?? result.hash);
  });
}

s('the bundle, the add-on and the threads module contain no eval and no Function constructor', () => {
  for (const file of ['dist/fsam-edge.js', 'dist/addon.js', 'dist/fsam-edge-threads.js']) {
    const code = readFileSync(join(root, file), 'utf8');
    const found = code.match(/(?<![\w$.])eval\s*\(|\(0,\s*eval\)|new\s+Function\s*\(|(?<![\w$.])Function\s*\(/g);
    assert.equal(found ?? [], [], `${file} would need unsafe-eval`);
  }
});

const codeBlocks = (page) => [...readFileSync(join(root, page), 'utf8').matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

s('docs/runtimes.md shows each target\'s snippet exactly as tested', () => {
  const blocks = codeBlocks('docs/runtimes.md');
  for (const file of ['targets/node/smoke.mjs', 'targets/node/smoke.cjs', 'targets/deno/smoke.ts', 'targets/browser/index.html', 'targets/browser/app.js']) {
    const text = readFileSync(join(root, file), 'utf8');
    assert.ok(blocks.includes(text), `docs/runtimes.md has no code block equal to ${file}`);
  }
});

s('README.md shows the Node, Deno and browser snippets exactly as tested', () => {
  const blocks = codeBlocks('README.md');
  for (const file of ['targets/node/smoke.mjs', 'targets/deno/smoke.ts', 'targets/browser/index.html', 'targets/browser/app.js']) {
    assert.ok(blocks.includes(readFileSync(join(root, file), 'utf8')), `README.md has no code block equal to ${file}`);
  }
});

s.after(() => console.log(`\n  ${summaryLine(targetAvailability())}`));
s.run();

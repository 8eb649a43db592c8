// fsam-edge against a native peer: the same training step in PyTorch on one CPU thread
// (bench/native_peer.py), timed in interleaved rounds with fsam-edge's. Two models —
// the study's CNN at batch 128 and the default task's CNN at batch 32 — each with SGD
// momentum, SAM and F-SAM (one forward/backward for SGD, two for SAM and F-SAM), a fixed
// random batch, softmax cross-entropy on logits. fsam-edge's step is the one
// optimizer.compile() makes (its gradient passes recorded, then replayed as kernel calls:
// src/replay/), on tfjs-layers' model.apply (as bench/step_profile.mjs); its
// optimizer.minimize() step is timed in the same rounds and reported too. PyTorch's is forward,
// backward, first_step, forward, backward, second_step with torch.optim.SGD as the base.
//
// Each round runs every configuration once on both sides, one after the other, so both
// see the same load. The report gives, per configuration, each side's 10th percentile
// and median over all steps of all rounds, and their ratios (fsam-edge / PyTorch: below
// 1 is faster than native). Before timing, the peer replays test/fixtures/golden (made
// with the official F-SAM classes) to show it computes the same step.
//
// The peer: Debian's python3-torch with the serial OpenBLAS (the BLAS in use is read with
// threadpoolctl and recorded). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on some
// machines here for older OpenBLAS builds, are removed for the peer so OpenBLAS picks its
// own kernels (--keep-openblas-env keeps them; the JSON records which ran).
// Without PyTorch the benchmark says what to install and exits 0 (npm run bench goes on).
//
// Writes bench/results/native_peer.{json,md,svg}.
// Usage: node bench/native_peer.mjs [--quick] [--rounds N] [--parts] [--python PATH] [--dist DIR]
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';
import { barChart } from './svg_chart.mjs';
import { benchModels, trainingStep } from './models.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const quick = flag('--quick');
const ROUNDS = Number(option('--rounds', quick ? 2 : 7));
const STEPS = quick ? 5 : 20; // per configuration per round, on each side
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const INSTALL = 'apt-get install python3-torch libopenblas0-serial (and python3-threadpoolctl to record the BLAS); ' +
  'then check which BLAS torch loads: python3 -c "import torch, threadpoolctl; print(threadpoolctl.threadpool_info())" ' +
  'or torch.__config__.show()';

function findPython() {
  const candidates = [option('--python'), process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

const python = findPython();
if (!python) {
  const skipped = { benchmark: 'native_peer', skipped: `PyTorch is not installed: ${INSTALL}` };
  console.log(JSON.stringify(skipped));
  console.error(`native_peer: skipped. ${skipped.skipped}`);
  process.exit(0);
}

// ─── The peer process ────────────────────────────────────────────────────────────────
const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
if (!flag('--keep-openblas-env')) { delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE; }
const peer = spawn(python, [here('./native_peer.py')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
const answers = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
async function ask(command) {
  peer.stdin.write(JSON.stringify(command) + '\n');
  const { value, done } = await answers.next();
  if (done) throw new Error(`native_peer.py exited (asked ${command.cmd})`);
  const answer = JSON.parse(value);
  if (answer.error) throw new Error(`native_peer.py: ${answer.error} (asked ${JSON.stringify(command)})`);
  return answer;
}

// ─── fsam-edge ───────────────────────────────────────────────────────────────────────
const dist = option('--dist') ? resolve(option('--dist')) : here('../dist');
const { ready, tf, layers, FSAM, SAM, SGD } = await import(pathToFileURL(`${dist}/fsam-edge.js`).href);
await ready();

const HYPER = { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.2, sigma: 1, lambda: 0.6 };
const MODELS = benchModels(layers);
const OPTIMIZERS = {
  sgd: { label: 'SGD momentum', make: () => new SGD({ learningRate: HYPER.learningRate, momentum: HYPER.momentum, weightDecay: HYPER.weightDecay }) },
  sam: { label: 'SAM', make: () => new SAM({ learningRate: HYPER.learningRate, momentum: HYPER.momentum, weightDecay: HYPER.weightDecay, rho: HYPER.rho }) },
  fsam: { label: 'F-SAM', make: () => new FSAM({ ...HYPER }) },
};

/** fsam-edge's step: the compiled one (optimizer.compile(), the library's training path: passes replayed), or minimize(). */
function fsamEdgeSetup(modelName, optName, compiled) {
  const { batch, build } = MODELS[modelName];
  const setup = trainingStep(tf, build(), OPTIMIZERS[optName].make(), batch, { compiled });
  for (let i = 0; i < 5; i++) setup.step();
  return setup;
}

function fsamEdgeTime(setup, steps) {
  const ms = [], cpuMs = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    setup.step();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { ms, cpuMs };
}

// ─── Rounds ──────────────────────────────────────────────────────────────────────────
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * q)]; };
const peerInfo = await ask({ cmd: 'info' });
const goldenCheck = [];
for (const name of ['fsam_sgd_sigma1', 'sam_sgd']) {
  const path = here(`../test/fixtures/golden/${name}.json`);
  if (existsSync(path)) goldenCheck.push(await ask({ cmd: 'golden', path }));
}
for (const g of goldenCheck) {
  if (!(g.maxAbsDiff <= 5e-7)) throw new Error(`the PyTorch peer does not reproduce ${g.name}: max |Δw| ${g.maxAbsDiff}`);
}

const configs = [];
for (const modelName of Object.keys(MODELS)) for (const optName of Object.keys(OPTIMIZERS)) configs.push({ modelName, optName, id: `${modelName}/${optName}` });
const loadBefore = load();
for (const c of configs) {
  c.edge = fsamEdgeSetup(c.modelName, c.optName, true);
  if (c.edge.replay()?.state !== 'replaying') throw new Error(`${c.id}: the compiled step does not replay: ${JSON.stringify(c.edge.replay())}`);
  c.edgeMinimize = fsamEdgeSetup(c.modelName, c.optName, false);
  c.minimizeMs = []; c.minimizeCpuMs = [];
  c.peer = await ask({ cmd: 'setup', id: c.id, model: c.modelName, optimizer: c.optName, batch: MODELS[c.modelName].batch, hyper: HYPER });
  c.edgeMs = []; c.torchMs = []; c.edgeCpuMs = []; c.torchCpuMs = []; c.roundRatios = []; c.loads = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const c of configs) {
    c.loads.push(load()[0]);
    const e = fsamEdgeTime(c.edge, STEPS);
    const t = await ask({ cmd: 'time', id: c.id, steps: STEPS });
    const m = fsamEdgeTime(c.edgeMinimize, STEPS);
    c.minimizeMs.push(...m.ms); c.minimizeCpuMs.push(...m.cpuMs);
    c.edgeMs.push(...e.ms); c.torchMs.push(...t.ms); c.edgeCpuMs.push(...e.cpuMs); c.torchCpuMs.push(...t.cpuMs);
    c.roundRatios.push(quantile(e.ms, 0.5) / quantile(t.ms, 0.5));
  }
}
const parts = {};
if (flag('--parts')) for (const c of configs) parts[c.id] = (await ask({ cmd: 'parts', id: c.id, steps: 10 })).ops;
peer.stdin.end();
for (const c of configs) { c.edge.dispose(); c.edgeMinimize.dispose(); }

const rows = configs.map((c) => {
  const edge = { p10: quantile(c.edgeMs, 0.1), median: quantile(c.edgeMs, 0.5) };
  const torch = { p10: quantile(c.torchMs, 0.1), median: quantile(c.torchMs, 0.5) };
  // CPU time per step (process.cpuUsage, time.process_time): what a step costs while it
  // runs, less exposed than wall time to being descheduled on a shared machine.
  const edgeCpu = { p10: quantile(c.edgeCpuMs, 0.1), median: quantile(c.edgeCpuMs, 0.5) };
  const torchCpu = { p10: quantile(c.torchCpuMs, 0.1), median: quantile(c.torchCpuMs, 0.5) };
  return { model: MODELS[c.modelName].label, optimizer: OPTIMIZERS[c.optName].label, id: c.id, parameters: c.peer.parameters,
    fsamEdgeMs: edge, pytorchMs: torch, ratio: { p10: edge.p10 / torch.p10, median: edge.median / torch.median },
    fsamEdgeCpuMs: edgeCpu, pytorchCpuMs: torchCpu, cpuRatio: { p10: edgeCpu.p10 / torchCpu.p10, median: edgeCpu.median / torchCpu.median },
    roundRatios: c.roundRatios, loadPerRound: c.loads,
    minimize: { fsamEdgeMs: { p10: quantile(c.minimizeMs, 0.1), median: quantile(c.minimizeMs, 0.5) },
      ratio: { p10: quantile(c.minimizeMs, 0.1) / torch.p10, median: quantile(c.minimizeMs, 0.5) / torch.median },
      cpuRatio: { p10: quantile(c.minimizeCpuMs, 0.1) / torchCpu.p10, median: quantile(c.minimizeCpuMs, 0.5) / torchCpu.median } } };
});
const blas = Array.isArray(peerInfo.threadpools) ? peerInfo.threadpools.find((p) => p.internal_api !== 'openmp') : null;
const peerLabel = `PyTorch ${peerInfo.torch} (Python ${peerInfo.python}), 1 thread, ${blas ? `${blas.internal_api} ${blas.version} ${blas.threading_layer === 'disabled' ? 'serial' : blas.threading_layer ?? ''} (${blas.architecture} kernels)` : 'BLAS unknown'}, oneDNN ${peerInfo.mkldnn ? 'on' : 'off'}`;
const result = { benchmark: 'native_peer', machine: machine(), date: new Date().toISOString(), command: 'node bench/native_peer.mjs',
  rounds: ROUNDS, stepsPerRound: STEPS, peer: { ...peerInfo, label: peerLabel, python, golden: goldenCheck },
  hyperparameters: HYPER, loadavg: { before: loadBefore, after: load() }, rows, ...(flag('--parts') ? { parts } : {}) };

const f = (v) => v.toFixed(2);
const md = [`${result.machine}; load ${loadBefore.join(' ')} before, ${result.loadavg.after.join(' ')} after`, '',
  `**One training step against PyTorch on one thread** — ${peerLabel}. ${ROUNDS} interleaved rounds of ${STEPS} steps per side and configuration; ms per step, 10th percentile / median over all steps; ratio = fsam-edge ÷ PyTorch (below 1: faster than native); fsam-edge's step is the compiled one (\`optimizer.compile()\`, its passes replayed: the library's training path), and each configuration's \`minimize()\` step, timed in the same rounds, has a row of its own; the CPU-time ratio compares each step's process CPU time, which being descheduled does not inflate. The peer replays the golden trajectories of the official F-SAM classes within ${goldenCheck.map((g) => g.maxAbsDiff.toExponential(1)).join(' and ')}.`, '',
  '| model | optimizer | fsam-edge p10 | fsam-edge median | PyTorch p10 | PyTorch median | ratio p10 | ratio median | CPU-time ratio p10 / median | per-round ratios (medians) |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.flatMap((r) => [`| ${r.model} | ${r.optimizer} | ${f(r.fsamEdgeMs.p10)} | ${f(r.fsamEdgeMs.median)} | ${f(r.pytorchMs.p10)} | ${f(r.pytorchMs.median)} | **${f(r.ratio.p10)}×** | ${f(r.ratio.median)}× | ${f(r.cpuRatio.p10)}× / ${f(r.cpuRatio.median)}× | ${r.roundRatios.map(f).join(' ')} |`,
    `| ${r.model} | ${r.optimizer}, \`minimize()\` | ${f(r.minimize.fsamEdgeMs.p10)} | ${f(r.minimize.fsamEdgeMs.median)} | ${f(r.pytorchMs.p10)} | ${f(r.pytorchMs.median)} | ${f(r.minimize.ratio.p10)}× | ${f(r.minimize.ratio.median)}× | ${f(r.minimize.cpuRatio.p10)}× / ${f(r.minimize.cpuRatio.median)}× | |`]),
].join('\n');
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
if (!quick && !option('--dist')) {
  writeResults('native_peer', result, md);
  writeFileSync(new URL('./results/native_peer.svg', import.meta.url), barChart({
    title: `One training step, fsam-edge ÷ PyTorch 1 thread (below 1 = faster) — load ${loadBefore[0]}`, yLabel: '× PyTorch',
    categories: rows.map((r) => `${r.model.split(',')[0]} · ${r.optimizer}`),
    series: [{ name: 'ratio of p10', values: rows.map((r) => r.ratio.p10) }, { name: 'ratio of medians', values: rows.map((r) => r.ratio.median) }],
    ref: { y: 1, label: 'PyTorch + OpenBLAS, 1 thread' }, width: 900, height: 460,
  }));
}

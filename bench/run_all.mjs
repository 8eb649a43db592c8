// `npm run bench`: every benchmark, one after another, each in its own process, then
// SVG charts and bench/results/README.md (machine, command, date, load, every table).
// The machine is shared: before each timing benchmark the 1-minute load is recorded,
// and if it is above 1.5× the core count we wait (up to 2 minutes) for it to fall; the
// benchmarks themselves compare against baselines measured in the same run.
// Usage: node bench/run_all.mjs [--only name,name] [--charts-only]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { machine, load } from './support.mjs';
import { lineChart, barChart } from './svg_chart.mjs';

const here = (p) => new URL(p, import.meta.url);
const results = (p) => here(`./results/${p}`);
mkdirSync(here('./results/'), { recursive: true });
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
const chartsOnly = process.argv.includes('--charts-only');

const BENCHMARKS = [
  { name: 'optimizer_step', script: 'optimizer_step.mjs', timing: true },
  { name: 'optimizer_passes', script: 'optimizer_passes.mjs', timing: true, charts: false },
  { name: 'training_kernels', script: 'training_kernels.mjs', timing: true, ownFiles: false },
  { name: 'tfjs_step', script: 'tfjs_step.mjs', timing: true },
  { name: 'step_profile', script: 'step_profile.mjs', timing: true, charts: false },
  // Skips itself (and says what to install) where PyTorch is missing.
  { name: 'native_peer', script: 'native_peer.mjs', timing: true },
  // 1 against 2 threads in Node, Deno and Chromium; skips (saying why) a runtime that cannot thread.
  { name: 'threads', script: 'threads.mjs', timing: true },
  // Where two threads gain, kernel by kernel (Node): the compiled step's kernels timed at 1 and 2 threads.
  { name: 'threads_kernels', script: 'threads_kernels.mjs', timing: true },
  // Issue 17's fused memory passes: the study CNN's conv blocks as a recorded pass, unfused against rewritten, at 1 and 2 threads.
  { name: 'fused_passes', script: 'fused_passes.mjs', timing: true, charts: false },
  { name: 'memory_footprint', script: 'memory_footprint.mjs', timing: false },
  { name: 'memory_plan', script: 'memory_plan.mjs', timing: false },
  { name: 'memory_cli', script: 'memory_cli.mjs', timing: false },
  { name: 'low_memory_accuracy', script: 'low_memory_accuracy.mjs', timing: false },
];

async function calm() {
  const limit = 1.5 * os.cpus().length, start = Date.now();
  while (os.loadavg()[0] > limit && Date.now() - start < 120_000) await new Promise((r) => setTimeout(r, 10_000));
  return { load: load(), waitedS: Math.round((Date.now() - start) / 1000), high: os.loadavg()[0] > limit };
}

const runs = existsSync(results('runs.json')) ? JSON.parse(readFileSync(results('runs.json'), 'utf8')) : {};
if (!chartsOnly) {
  for (const b of BENCHMARKS) {
    if (only && !only.includes(b.name)) continue;
    const before = b.timing ? await calm() : { load: load(), waitedS: 0, high: false };
    console.error(`== ${b.name} (load ${before.load.join(' ')})`);
    const t0 = Date.now();
    const out = execFileSync(process.execPath, [here(`./${b.script}`).pathname], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString();
    process.stderr.write(out.split('\n').filter((l) => !l.startsWith('{')).join('\n'));
    if (b.ownFiles === false) {
      // training_kernels.mjs (issue 4) prints a JSON line and a table; the files are written here.
      const json = JSON.parse(out.split('\n').find((l) => l.startsWith('{')));
      const table = out.slice(out.indexOf('\n|') + 1).trim();
      json.machine = machine(); json.command = 'npm run bench'; json.loadavg = { before: before.load, after: load() };
      writeFileSync(results(`${b.name}.json`), JSON.stringify(json, null, 2) + '\n');
      writeFileSync(results(`${b.name}.md`), `${json.machine}; load ${before.load.join(' ')}\n\n${table}\n`);
    }
    runs[b.name] = { date: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 1000), loadBefore: before.load, loadAfter: load(), waitedForLoadS: before.waitedS, highLoad: before.high };
    writeFileSync(results('runs.json'), JSON.stringify(runs, null, 2) + '\n');
  }
}

const read = (name) => (existsSync(results(`${name}.json`)) ? JSON.parse(readFileSync(results(`${name}.json`), 'utf8')) : null);
const charts = [];
function chart(file, svg, caption) { writeFileSync(results(file), svg); charts.push({ file, caption }); }

const opt = read('optimizer_step');
if (opt) {
  const col = (k) => opt.rows.map((r) => [r.n, r.ms[k]]);
  chart('optimizer_step.svg', lineChart({
    title: 'F-SAM optimizer step alone (lower is better)', xLabel: 'parameters N', yLabel: 'ms per step', logX: true, logY: true,
    series: [
      { name: 'fsam-edge kernels', points: col('fsam') }, { name: 'F-SAM in tfjs ops', points: col('tfjsOpsFsam') },
      { name: 'plain JS loops', points: col('plainFsam') }, { name: 'scalar kernels', points: col('fsamScalar') },
      { name: 'lowMemory kernels', points: col('fsamLowMemory') },
      { name: 'roofline (triad)', points: opt.rows.map((r) => [r.n, r.rooflineMs.fsam]), dashed: true },
    ],
  }), 'The F-SAM + SGD-momentum step alone against its baselines and the triad roofline.');
  chart('optimizer_roofline.svg', barChart({
    title: 'Step time / roofline time (1 = memory-bound ideal)', yLabel: '× roofline', categories: opt.rows.map((r) => `N = ${r.n.toExponential(0)}`),
    series: [['F-SAM', 'fsam'], ['SAM', 'sam'], ['SGD momentum', 'sgd'], ['F-SAM lowMemory', 'fsamLowMemory']].map(([name, k]) => ({ name, values: opt.rows.map((r) => r.ratioToRoofline[k]) })),
    ref: { y: 1.5, label: 'target 1.5× (F-SAM at 1M)' },
  }), 'Each step against the STREAM-triad roofline.');
}
const tk = read('training_kernels');
if (tk) {
  chart('training_kernels.svg', barChart({
    title: 'Training kernels: time / forward time (lower is better)', yLabel: '× wasm forward', categories: tk.rows.map((r) => `${r.kernel.replace('DepthwiseConv2dNative', 'Depthwise')} · ${r.layer.split(',')[0]}`),
    series: [{ name: 'fsam-edge backprop', values: tk.rows.map((r) => r.vsForward) }, { name: 'tfjs-cpu', values: tk.rows.map((r) => (r.cpuMs ? r.cpuMs / r.forwardMs : NaN)) }],
    width: 1100, height: 520,
  }), 'Backprop kernels relative to the wasm forward op on the same layer, and tfjs-cpu for the same work.');
}
const ts = read('tfjs_step');
if (ts) {
  chart('tfjs_whole_step.svg', barChart({
    title: 'Whole training steps: samples/s (higher is better)', yLabel: 'samples/s', categories: ts.whole.map((r) => r.model.split(' on ')[0].split(',')[0]),
    series: [['SGD momentum (tfjs)', 'sgdMomentum'], ['SAM', 'sam'], ['F-SAM', 'fsam'], ['F-SAM lowMemory', 'fsamLowMemory']].map(([name, k]) => ({ name, values: ts.whole.map((r) => r.samplesPerS[k]) })),
  }), 'trainOnBatch throughput; F-SAM and SAM take two forward/backward passes per step.');
}
const mem = read('memory_footprint');
if (mem) {
  const names = Object.keys(mem.footprint).filter((n) => mem.footprint[n].ok && n !== 'gradients only');
  chart('memory_state.svg', barChart({
    title: 'Optimizer state, bytes per parameter', yLabel: 'bytes / parameter', categories: names,
    series: [{ name: 'state', values: names.map((n) => mem.footprint[n].stateBytes / mem.footprint[n].parameters) }], ref: { y: 8, label: 'lowMemory target ≤ 8' },
  }), `Optimizer state per parameter (MLP 784-${mem.width}-${mem.width}-10).`);
  chart('memory_wasm_rss.svg', barChart({
    title: 'wasm heap high water and peak RSS (MiB)', yLabel: 'MiB', categories: Object.keys(mem.footprint).filter((n) => mem.footprint[n].ok),
    series: [{ name: 'wasm heap high water', values: Object.values(mem.footprint).filter((r) => r.ok).map((r) => r.wasm.highWater / 2 ** 20) },
      { name: 'peak RSS', values: Object.values(mem.footprint).filter((r) => r.ok).map((r) => r.maxRSS / 2 ** 20) }],
  }), 'The most of tfjs-wasm\'s heap each run used (its break: it never falls) and the process\'s peak RSS.');
  for (const capMiB of mem.capsMiB) {
    chart(`memory_cap_${capMiB}.svg`, barChart({
      title: `Widest MLP 784-W-W-10 trainable in ${capMiB} MiB of wasm memory`, yLabel: 'W', categories: Object.keys(mem.caps[capMiB]),
      series: [{ name: 'W', values: Object.values(mem.caps[capMiB]).map((c) => c.width) }],
    }), `Under an enforced ${capMiB} MiB wasm memory cap.`);
  }
}
const acc = read('low_memory_accuracy');
if (acc) {
  const seeds = [...new Set(acc.runs.map((r) => r.seed))];
  chart('low_memory_accuracy.svg', barChart({
    title: 'Default task: held-out accuracy, full vs lowMemory F-SAM', yLabel: 'accuracy %', categories: seeds.map((s) => `seed ${s}`),
    series: [false, true].map((low) => ({ name: low ? 'lowMemory (4 B/param)' : 'full (12 B/param)', values: seeds.map((s) => 100 * acc.runs.find((r) => r.seed === s && r.lowMemory === low).after) })),
  }), 'Per seed, same label noise and batch order for both modes.');
}

// native_peer.mjs draws its own chart.
if (existsSync(results('native_peer.svg'))) charts.push({ file: 'native_peer.svg', caption: 'One training step, fsam-edge ÷ PyTorch on one thread.' });

const md = (name) => (existsSync(results(`${name}.md`)) ? readFileSync(results(`${name}.md`), 'utf8').trim() : '_not run_');
const run = (name) => runs[name] ? `run ${runs[name].date}, ${runs[name].seconds} s, load (1/5/15 min) before ${runs[name].loadBefore.join(' ')}, after ${runs[name].loadAfter.join(' ')}${runs[name].highLoad ? ' — **high load** (the machine is shared)' : ''}` : '';
const TITLES = { optimizer_step: 'Optimizer step alone', optimizer_passes: 'Where the optimizer step spends its time', training_kernels: 'Training kernels', tfjs_step: 'Through tfjs: optimizer alone and whole steps', step_profile: 'Where a training step spends its time, kernel by kernel', native_peer: 'Against a native peer: PyTorch on one thread', threads: 'Every core: one thread against two', threads_kernels: 'Every core, kernel by kernel', memory_footprint: 'Memory footprint and a hard memory cap', memory_plan: 'The memory planner against measurement', memory_plan_layers: 'The activation model against measurement', memory_cli: 'The CLI\'s memory plan against its runs', low_memory_accuracy: 'Low-memory mode: accuracy on the default task' };
const readme = [
  '# fsam-edge benchmark results', '',
  `Generated by \`npm run bench\` (bench/run_all.mjs) on ${machine()}, ${new Date().toISOString()}.`,
  'Every benchmark runs in its own process and writes `<name>.json` (all numbers, with os.loadavg()) and `<name>.md`;',
  'the charts are `*.svg`. Times are the 10th percentile of per-call times (the machine is shared; see bench/support.mjs).',
  'Targets are ratios to baselines measured in the same run, never absolute times.', '',
  ...BENCHMARKS.flatMap((b) => [`## ${TITLES[b.name]}`, '', `_${run(b.name)}_`, '', md(b.name), '',
    ...(b.name === 'memory_plan' ? [`### ${TITLES.memory_plan_layers}`, '', md('memory_plan_layers'), ''] : []),
    ...charts.filter((c) => b.charts !== false && c.file.startsWith(b.name === 'memory_footprint' ? 'memory' : b.name.split('_')[0]) && !['memory_plan', 'memory_cli'].includes(b.name)).map((c) => `![${c.caption}](${c.file})`), '']),
].join('\n');
writeFileSync(results('README.md'), readme + '\n');
console.error(`wrote bench/results/README.md and ${charts.length} charts`);

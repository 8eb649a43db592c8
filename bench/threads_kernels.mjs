// Where two threads gain and where they do not, kernel by kernel: the study CNN's compiled
// F-SAM step (bench/models.mjs, batch 128, the step bench/threads.mjs times) with every
// 'wasm' kernel wrapped in a timer, at 1 and 2 threads, each side in its own Node process,
// in interleaved rounds. Per kernel and input shapes: calls per step and the time inside
// its outermost calls per step (the mean over the third of the steps with the least wall
// time, then over the rounds), at 1 and 2 threads, and their ratio. The timers add a little
// to every call, so the wall times here run above bench/threads.mjs's.
// --against DIR also profiles another build (a checkout at DIR, built: DIR/dist), in the
// same rounds, each side and thread count in turn, so two builds meet the same phases of a
// noisy machine; the table gains that build's 2-thread column and the last rows compare.
// Writes bench/results/threads_kernels.{json,md} (--out NAME: NAME.{json,md}; with
// --against, threads_kernels_against by default).
// Usage: node bench/threads_kernels.mjs [--rounds N] [--steps N] [--out NAME] [--against DIR]
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { machine, load, writeResults } from './support.mjs';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };

/** One side: `steps` timed steps at `threads`, each kernel's time inside its outermost calls. */
async function side(threads, steps, root) {
  const lib = await import(new URL('dist/fsam-edge.js', root).href);
  const { benchModels, trainingStep } = await import(new URL('bench/models.mjs', root).href);
  await lib.ready({ threads });
  const { tf, FSAM } = lib;
  let depth = 0, current = null;
  for (const { kernelName } of tf.getKernelsForBackend('wasm')) {
    const config = tf.getKernel(kernelName, 'wasm'), inner = config.kernelFunc;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: (args) => {
      if (depth++ > 0) { try { return inner(args); } finally { depth--; } }
      const t0 = performance.now();
      try { return inner(args); } finally {
        const ms = performance.now() - t0;
        depth--;
        if (current) {
          const key = `${kernelName} ${Object.values(args.inputs ?? {}).map((t) => t?.shape?.join('×')).join(', ')}`;
          const k = current.get(key) ?? { calls: 0, ms: 0 };
          k.calls++; k.ms += ms;
          current.set(key, k);
        }
      }
    } });
  }
  // A replay calls the kernels it looked up when it was made: the step is made after the wrapping.
  const model = benchModels(lib.layers).study;
  const made = trainingStep(tf, model.build(), new FSAM({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.2 }), model.batch, { compiled: true });
  for (let i = 0; i < 30; i++) made.step(); // recording, then V8's tiered compilation (bench/threads_step.mjs)
  const timed = [];
  for (let i = 0; i < steps; i++) {
    current = new Map();
    const t0 = performance.now();
    made.step();
    timed.push({ wall: performance.now() - t0, kernels: current });
  }
  current = null;
  made.dispose();
  const best = timed.sort((a, b) => a.wall - b.wall).slice(0, Math.max(1, Math.floor(steps / 3)));
  const kernels = {};
  for (const { kernels: m } of best) {
    for (const [key, { calls, ms }] of m) {
      const k = kernels[key] ??= { calls, ms: 0 };
      k.ms += ms / best.length;
    }
  }
  return { threads: (await lib.ready()).wasm.threads, wallMs: best.reduce((a, s) => a + s.wall, 0) / best.length, kernels };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await side(Number(process.argv[3]), Number(process.argv[4]), process.argv[5])));
} else {
  const ROUNDS = Number(arg('--rounds', 3)), STEPS = Number(arg('--steps', 60));
  const AGAINST = arg('--against', undefined), OUT = arg('--out', AGAINST ? 'threads_kernels_against' : 'threads_kernels');
  const here = new URL('..', import.meta.url).href, there = AGAINST ? pathToFileURL(resolve(AGAINST) + '/').href : undefined;
  const run = (threads, root = here) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(threads), String(STEPS), root], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`threads ${threads}${root === here ? '' : ` (${AGAINST})`}: exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const builds = AGAINST ? [['this', here], ['against', there]] : [['this', here]];
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const round = { load: load() };
    for (const threads of i % 2 ? [2, 1] : [1, 2]) {
      for (const [name, root] of i % 2 ? [...builds].reverse() : builds) (round[name] ??= {})[threads] = run(threads, root);
    }
    for (const [name] of builds) if (round[name][2].threads !== 2) throw new Error(`ready({ threads: 2 }) got ${round[name][2].threads} thread(s) (${name} build)`);
    rounds.push(round);
    console.error(`round ${i + 1}: ${builds.map(([name]) => `${AGAINST ? `${name}: ` : ''}${round[name][1].wallMs.toFixed(2)} ms at 1 thread, ${round[name][2].wallMs.toFixed(2)} ms at 2`).join('; ')}, load ${round.load[0]}`);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  /** One build's profile over the rounds: per kernel ms per step at 1 and 2 threads, and the totals. */
  const profileOf = (name) => {
    const sides = rounds.map((r) => r[name]);
    const keys = [...new Set(sides.flatMap((r) => [...Object.keys(r[1].kernels), ...Object.keys(r[2].kernels)]))];
    const kernels = keys.map((key) => {
      const at = (t) => mean(sides.map((r) => r[t].kernels[key]?.ms ?? 0));
      return { kernel: key, callsPerStep: sides[0][1].kernels[key]?.calls ?? sides[0][2].kernels[key]?.calls, ms1: at(1), ms2: at(2), ratio: at(1) / at(2) };
    }).sort((a, b) => b.ms1 - a.ms1);
    const wall = { 1: mean(sides.map((r) => r[1].wallMs)), 2: mean(sides.map((r) => r[2].wallMs)) };
    const inside = { 1: kernels.reduce((a, k) => a + k.ms1, 0), 2: kernels.reduce((a, k) => a + k.ms2, 0) };
    return { kernels, wall, inside };
  };
  const f = (x, d = 3) => x.toFixed(d);
  const tableOf = ({ kernels, wall, inside }) => {
    const big = kernels.filter((k) => k.ms1 >= 0.05), small = kernels.filter((k) => k.ms1 < 0.05);
    return [
      '| kernel (input shapes) | calls per step | 1 thread ms per step | 2 threads ms | × |',
      '|---|---:|---:|---:|---:|',
      ...big.map((k) => `| ${k.kernel} | ${k.callsPerStep} | ${f(k.ms1)} | ${f(k.ms2)} | ${f(k.ratio, 2)} |`),
      `| ${small.length} other kernels (under 0.05 ms each) | ${small.reduce((a, k) => a + k.callsPerStep, 0)} | ${f(small.reduce((a, k) => a + k.ms1, 0))} | ${f(small.reduce((a, k) => a + k.ms2, 0))} | ${f(small.reduce((a, k) => a + k.ms1, 0) / small.reduce((a, k) => a + k.ms2, 0), 2)} |`,
      `| inside kernels | | ${f(inside[1], 2)} | ${f(inside[2], 2)} | ${f(inside[1] / inside[2], 2)} |`,
      `| the step (wall, timers included) | | ${f(wall[1], 2)} | ${f(wall[2], 2)} | **${f(wall[1] / wall[2], 2)}** |`,
    ];
  };
  const profiles = Object.fromEntries(builds.map(([name]) => [name, profileOf(name)]));
  const { kernels, wall, inside } = profiles.this;
  const markdown = [
    `_threads_kernels: ${new Date().toISOString()}, ${machine()}; the study CNN's compiled F-SAM step, batch 128; ${ROUNDS} interleaved rounds of ${STEPS} steps per side; load (1 min) per round: ${rounds.map((r) => r.load[0]).join(' ')}._`,
    '',
    ...(AGAINST ? ['This build:', ''] : []),
    ...tableOf(profiles.this),
    ...(AGAINST ? ['', `The build at ${AGAINST}, in the same rounds:`, '', ...tableOf(profiles.against), '',
      '| ms per step | this build | the build at --against | this ÷ that |', '|---|---:|---:|---:|',
      ...[1, 2].flatMap((t) => [
        `| inside kernels, ${t} thread${t > 1 ? 's' : ''} | ${f(profiles.this.inside[t], 2)} | ${f(profiles.against.inside[t], 2)} | ${f(profiles.this.inside[t] / profiles.against.inside[t], 3)} |`,
        `| the step, ${t} thread${t > 1 ? 's' : ''} | ${f(profiles.this.wall[t], 2)} | ${f(profiles.against.wall[t], 2)} | ${f(profiles.this.wall[t] / profiles.against.wall[t], 3)} |`,
      ])] : []),
  ].join('\n');
  const result = { benchmark: 'threads_kernels', date: new Date().toISOString(), machine: machine(), command: `node bench/threads_kernels.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`, rounds: ROUNDS, steps: STEPS, loads: rounds.map((r) => r.load), wallMs: wall, insideKernelsMs: inside, kernels,
    ...(AGAINST ? { against: { dir: AGAINST, wallMs: profiles.against.wall, insideKernelsMs: profiles.against.inside, kernels: profiles.against.kernels } } : {}) };
  writeResults(OUT, result, markdown);
  console.log(JSON.stringify(result));
  console.log(`\n${markdown}\n`);
}

// One side of bench/threads.mjs: the study CNN's F-SAM step (bench/models.mjs, batch 128)
// on the threads asked for, in whichever runtime loads this module: Node and Deno run it
// as a script (`node bench/threads_step.mjs <threads> <steps>`, `deno run --allow-read
// bench/threads_step.mjs <threads> <steps>`: one JSON line), a page imports it
// (bench/threads_page.html). `profile` also times, on the same model, the kernels that
// split over threads, to give the step's parallel fraction. `step` is 'compiled' (the
// library's training path, optimizer.compile(): the passes replayed as kernel calls, with
// the fused memory passes) or 'minimize' (tfjs's dispatch of every op).

/** The kernels fsam-edge splits over threads (src/kernels/split.ts's callers). */
const SPLIT_KERNELS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad', 'BatchMatMul', 'Relu', 'FsamReluGrad', 'Add',
  'FsamConv2DBiasRelu', 'FsamMaxPoolReluGrad'];

/**
 * Untimed steps first: a compiled step records its first two, then replays; and V8 compiles
 * the WebAssembly in tiers, the optimized code in background threads while the first steps
 * run on baseline code — in Chromium the first 15 to 25 steps took 1.5–3× the steady time
 * (at 1 and 2 threads alike, the compiler threads taking the cores), in Node fewer.
 */
const WARMUP_STEPS = 30;

const cpuMs = () => {
  const p = globalThis.process;
  if (typeof p?.cpuUsage !== 'function') return undefined;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** `steps` timed F-SAM steps after a warm-up; with `profile`, the time inside kernels that split, per step. */
export async function runSteps(lib, { threads, steps, profile = false, mode = 'compiled' }) {
  if (mode !== 'compiled' && mode !== 'minimize') throw new TypeError(`step must be 'compiled' or 'minimize', got ${JSON.stringify(mode)}`);
  const { benchModels, trainingStep } = await import('./models.mjs');
  const report = await lib.ready({ threads });
  const { tf, FSAM } = lib;
  const model = benchModels(lib.layers).study;
  const makeStep = () => {
    const made = trainingStep(tf, model.build(), new FSAM({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.2 }), model.batch, { compiled: mode === 'compiled' });
    for (let i = 0; i < WARMUP_STEPS; i++) made.step();
    return made;
  };
  const { step, dispose } = makeStep();
  const chunksBefore = lib.wasmThreads().chunks;
  const times = [];
  const cpu0 = cpuMs(), wall0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const wallMs = performance.now() - wall0, cpu = cpuMs() - cpu0;
  const chunksAfter = lib.wasmThreads().chunks;
  dispose();
  // A replay calls the kernels it looked up when it was made: the profile makes its step after wrapping them.
  const splittable = profile ? timeSplittable(tf, makeStep, steps) : undefined;
  return {
    mode, threads: report.wasm.threads, requested: report.wasm.requested, reason: report.wasm.reason,
    times, wallMsPerStep: wallMs / steps, cpuMsPerStep: Number.isFinite(cpu) ? cpu / steps : undefined,
    chunks: { here: chunksAfter.here - chunksBefore.here, elsewhere: chunksAfter.elsewhere - chunksBefore.elsewhere },
    splittable,
  };
}

/** Per step: wall time, and the time inside the outermost calls of kernels that split (p10 over the steps). */
function timeSplittable(tf, makeStep, steps) {
  const configs = SPLIT_KERNELS.map((name) => tf.getKernel(name, 'wasm')).filter(Boolean);
  let inside = 0, depth = 0;
  for (const config of configs) {
    const f = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: (args) => {
      if (depth++ > 0) { try { return f(args); } finally { depth--; } }
      const t0 = performance.now();
      try { return f(args); } finally { inside += performance.now() - t0; depth--; }
    } });
  }
  const walls = [], ins = [];
  let made;
  try {
    made = makeStep();
    const step = made.step;
    for (let i = 0; i < steps; i++) {
      inside = 0;
      const t0 = performance.now();
      step();
      walls.push(performance.now() - t0);
      ins.push(inside);
    }
  } finally {
    made?.dispose();
    for (const config of configs) { tf.unregisterKernel(config.kernelName, 'wasm'); tf.registerKernel(config); }
  }
  // The steps with the least wall time are the least disturbed: their share is the fraction.
  const order = walls.map((w, i) => i).sort((a, b) => walls[a] - walls[b]).slice(0, Math.max(1, Math.floor(steps / 3)));
  const fraction = order.reduce((a, i) => a + ins[i] / walls[i], 0) / order.length;
  return { fraction, wallMs: order.reduce((a, i) => a + walls[i], 0) / order.length };
}

// As a script (Node, Deno): `<threads> <steps> [profile]`, one JSON line.
const args = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2);
const main = globalThis.Deno ? import.meta.main : globalThis.process && import.meta.url === `file://${globalThis.process.argv[1]}`;
if (main) {
  const lib = await import('../dist/fsam-edge.js');
  const result = await runSteps(lib, { threads: Number(args[0] ?? 1), steps: Number(args[1] ?? 30), profile: args[2] === 'profile', mode: args[3] ?? 'compiled' });
  console.log(JSON.stringify(result));
}

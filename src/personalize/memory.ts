// The memory of a whole run (the CLI's or the app's), planned before any of it is allocated: every phase that
// puts tensors on tfjs-wasm's heap — training the built-in base model when it is not
// cached, the fine-tuning steps, the evaluations (in batches of the training micro-batch,
// up to 256) and saving a checkpoint
// (the optimizer's state as tensors) — each with the library's planMemory; the run's peak
// is the largest. --max-memory bounds what a hard cap on wasm memory must allow for the
// run to complete: the peak plus Emscripten's growth step (a memory grows by at least 5%
// of its size, so a heap that peaks at p completes under any cap ≥ 1.05·p). A run that
// would not fit is refused before anything trains; --batch-size auto takes the largest
// batch that fits (../cli/memory.ts resolves the CLI's flags with these).
import { planMemory, type MemoryPlan } from '../index';
import { coreOptions, type OptimizerSettings } from './settings';
import { BUDGET_NAME } from './run';
import { formatBytes } from '../report/html';
import { evaluationBatch, type LayersModel } from './train';

const PAGE = 65536;
/**
 * Training the base model grows the process beyond its heap (V8's heap, code compiled
 * for the training path, the allocator's slack for the buffers of 6,000 digits' batches):
 * measured 33 MiB more than a plan made before it predicts (bench/results/memory_cli.md).
 */
const BASE_TRAINING_PROCESS_BYTES = 32 * 2 ** 20;

export interface RunPhase {
  name: string;
  /** The heap's predicted peak in this phase. */
  bytes: number;
  parts: Record<string, number>;
}

export interface RunMemory {
  /** False when a phase cannot be predicted (a layer the planner has no model for): `reason` says why, the numbers are 0. */
  predicted: boolean;
  reason?: string;
  /** The heap's predicted peak over the run, and the phase it is in. */
  peakBytes: number;
  phase: string;
  /** What a hard cap on wasm memory must allow for the run to complete: 1.05 × the peak, in whole 64 KiB pages. */
  requiredBytes: number;
  /** The process's predicted peak resident set. */
  rssBytes: number | null;
  phases: RunPhase[];
  batchSize: number;
}

export interface RunMemoryInput {
  /** The model to fine-tune (or, before the base model is trained, one of its architecture). */
  model: LayersModel;
  settings: OptimizerSettings;
  batchSize: number;
  accumulate: number;
  /** Bytes of other tensors kept through the run (compare: the base model each run is cloned from). */
  keptBytes?: number;
  /** The built-in base model must be trained first: its batch size and settings. */
  baseTraining?: { batchSize: number; settings: OptimizerSettings };
}

/** The plans of each phase of a run, and its peak. Nothing is allocated. */
export function planRun(input: RunMemoryInput): RunMemory {
  const phases: RunPhase[] = [];
  const plans: MemoryPlan[] = [];
  let reason: string | undefined;
  const add = (plan: MemoryPlan, prefix: string) => {
    if (!plan.predicted || !plan.wasm) { reason ??= plan.reason; return; }
    plans.push(plan);
    for (const [phase, p] of Object.entries(plan.wasm.phases)) {
      phases.push({ name: `${prefix}${phase}`, bytes: Math.ceil(p!.bytes), parts: p!.parts });
    }
  };
  if (input.baseTraining) {
    add(plan(input.model, input.baseTraining.settings, input.baseTraining.batchSize, 1, 0), 'base model: ');
  }
  add(plan(input.model, input.settings, input.batchSize, input.accumulate, input.keptBytes ?? 0), '');
  if (reason !== undefined) return { predicted: false, reason, peakBytes: 0, phase: '', requiredBytes: 0, rssBytes: null, phases: [], batchSize: input.batchSize };
  const peak = phases.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const rss = plans.map((p) => p.rss?.peakBytes ?? null);
  return {
    predicted: true, peakBytes: peak.bytes, phase: peak.name, requiredBytes: requiredBytes(peak.bytes),
    rssBytes: rss.includes(null) ? null : Math.max(...(rss as number[])) + (input.baseTraining ? BASE_TRAINING_PROCESS_BYTES : 0),
    phases, batchSize: input.batchSize,
  };
}

function plan(model: LayersModel, settings: OptimizerSettings, batchSize: number, accumulate: number, keptBytes: number): MemoryPlan {
  const inputFloats = model.inputs[0].shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  return planMemory(model, {
    batchSize, optimizer: { ...coreOptions(settings), accumulate },
    // One batch of examples and integer labels: ./train.ts builds each batch from the data in JavaScript.
    dataBytes: batchSize * (inputFloats + 1) * 4 + keptBytes,
    evaluationBatchSize: evaluationBatch(batchSize, accumulate), stateSaves: true,
  });
}

/** 1.05 × the peak, in whole pages: a hard cap this large always lets the heap grow to the peak. */
export function requiredBytes(peakBytes: number): number {
  return Math.ceil((peakBytes * 1.05) / PAGE) * PAGE;
}

/** The run's memory against the budget (`name`: how it is called, the CLI's --max-memory by default): a one-line reason when it does not fit (or cannot be known), else null. */
export function overBudget(memory: RunMemory, maxMemory: number | null, name = BUDGET_NAME): string | null {
  if (maxMemory === null) return null;
  if (!memory.predicted) return `${name} cannot be checked: the run's memory is not predicted (${memory.reason}); run without it`;
  if (memory.requiredBytes <= maxMemory) return null;
  const peak = memory.phases.find((p) => p.name === memory.phase)!;
  const where = Object.entries(peak.parts).filter(([, b]) => b > 0).map(([k, b]) => `${k} ${formatBytes(b)}`).join(', ');
  return `${name} ${maxMemory} bytes is too small: the run needs ${memory.requiredBytes} bytes of wasm memory ` +
    `(its heap peaks at ${memory.peakBytes} bytes in the ${memory.phase} — ${where} — and a memory grows by 5% steps); nothing was trained`;
}

/**
 * The largest batch (a multiple of `accumulate`, at most `limit`) whose run fits
 * `maxMemory`, and its plan; null if not even the smallest fits. The heap's peak grows
 * with the batch, so a binary search finds it.
 */
export function largestBatch(planAt: (batchSize: number) => RunMemory, maxMemory: number, limit: number, accumulate: number): RunMemory | null {
  // In multiples of `accumulate`: every batch up to lo fits (lo = 0: none known to), none above hi does.
  let lo = 0, hi = Math.floor(limit / accumulate), best: RunMemory | null = null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const m = planAt(mid * accumulate);
    if (!m.predicted) return null;
    if (m.requiredBytes <= maxMemory) { lo = mid; best = m; } else hi = mid - 1;
  }
  return best;
}

/** Lines for the console: the peak, what a cap must allow, the RSS, per phase. */
export function describeMemory(memory: RunMemory, maxMemory: number | null): string[] {
  if (!memory.predicted) return [`memory plan: not predicted (${memory.reason})`];
  return [
    `memory plan: wasm heap peaks at ${formatBytes(memory.peakBytes)} (${memory.phase}); a memory cap must allow ${formatBytes(memory.requiredBytes)}` +
      (maxMemory !== null ? ` — budget ${formatBytes(maxMemory)}` : '') +
      (memory.rssBytes !== null ? `; process peak RSS about ${formatBytes(memory.rssBytes)}` : ''),
    `  phases: ${memory.phases.map((p) => `${p.name} ${formatBytes(p.bytes)}`).join(', ')}`,
  ];
}

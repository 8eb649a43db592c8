// planMemory(model, { batchSize, optimizer }): the peak of tfjs-wasm's heap — and, where a
// process has one, its peak RSS — over a training run, predicted before the run
// allocates anything. The heap at a step's peak holds, from bottom to top:
//
//   runtime       tfjs-wasm's static data and stack (./memory_plan.ts)
//   weights       every weight of the model
//   data          the tensors the app keeps through training (default: one batch)
//   arena         the optimizer's state and the gradients it keeps (src/core/state.ts)
//   gradients     one pass's gradient tensors
//   activations   one pass over a micro-batch, layer by layer (./layer_memory.ts)
//   slack         two thirds of the largest activation tensor, at least 96 KiB: after the
//                 first step the allocator may no longer pack a pass as tightly. Measured
//                 since fsam-edge runs MaxPool and ReLU itself (issue 17), the high water
//                 exceeds the live bytes by one such tensor on the study's CNN at batch 32
//                 to 512 (minimize()), by none on the default task's CNN at 32 to 1,024
//                 nor on the study's in 4 micro-batches (with tfjs-wasm's XNNPACK ReLU, by
//                 one on both), by about 0.6 in the CLI's base-model training (fit(),
//                 batch 64), and by 87 KiB at batch 8. Two thirds keep each of these within
//                 9% of the measured high water; which passes leave the hole is not
//                 modelled (bench/memory_plan.mjs measures it).
//
// An evaluation pass, if asked for, holds its forward pass instead of the last four; saving
// the state, if asked for, a copy of each saved slab as tensors.
// The prediction is for the wasm backend, the one fsam-edge's optimizers train on; on
// another backend the plan says it is not predicted.
import { tf } from '../tf';
import { savedKind, type ArenaLayout } from '../core/arena';
import { SAVED_KINDS } from '../core/state';
import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from '../core/hyperparams';
import { MemoryBudgetError } from '../core/errors';
import { layoutFor } from './step_layout';
import { layerMemory, type LayerMemory, type PlannedLayer } from './layer_memory';
import { RUNTIME_BYTES, BLOCK_OVERHEAD } from './memory_plan';

/** What planMemory() needs of a tfjs-layers model (a Sequential, or a functional model whose layers form one chain). */
export interface PlannedModel {
  layers: PlannedLayer[];
  inputs: { shape: (number | null)[] }[];
  outputs: { shape: (number | null)[] }[];
  weights: { shape: readonly (number | null)[] }[];
  trainableWeights: { name: string; shape: readonly (number | null)[] }[];
}

export interface MemoryPlanOptions {
  /** Examples per optimizer step. */
  batchSize: number;
  /** The optimizer (FSAM, SAM, SGD, AdamW), or FSAM's options (sharpness, base, lowMemory, …); default FSAM's defaults. */
  optimizer?: tf.Optimizer | (OptimizerOptions & { accumulate?: number; maxBytes?: number });
  /** Micro-batches per step; default the optimizer's `accumulate`. */
  accumulate?: number;
  /** Bytes of tensors the app keeps on the heap through training besides the weights (its dataset, the current batch); default one batch of inputs and targets. */
  dataBytes?: number;
  /** Also plan an evaluation (inference) pass at this batch size. */
  evaluationBatchSize?: number;
  /** Also plan saving the optimizer's state (getWeights() hands it out as new tensors, one per variable and saved slab). */
  stateSaves?: boolean;
  /** Refuse (MemoryBudgetError) a plan whose heap peak exceeds this; default the optimizer's maxBytes. */
  maxBytes?: number;
}

export type PlanPhase = 'training step' | 'evaluation' | 'saving state';

export interface MemoryPlan {
  /** False when the run's memory cannot be predicted here; `reason` says why. */
  predicted: boolean;
  reason?: string;
  backend: string;
  batchSize: number;
  accumulate: number;
  parameters: number;
  trainableParameters: number;
  /** tfjs-wasm's heap at the run's peak: its bytes, where they go, and the phase it occurs in. */
  wasm: {
    peakBytes: number;
    /** The phase at the peak, and where its bytes go. */
    phase: PlanPhase;
    parts: Record<string, number>;
    /** Each planned phase: its bytes and where they go. */
    phases: Partial<Record<PlanPhase, { bytes: number; parts: Record<string, number> }>>;
  } | null;
  /** The process's resident set at the run's peak, where the runtime reports one (Node, Deno). */
  rss: { peakBytes: number; nowBytes: number } | null;
  /** Floats per example each layer holds in a training pass. */
  layers: LayerMemory[];
}

/**
 * V8's heap grows while training runs (tensor objects, closures, the tape) beyond what it
 * held when the plan was made: measured ≤ 12 MiB for the CLI's runs (bench/memory_plan.mjs).
 */
const JS_GROWTH_BYTES = 12 * 2 ** 20;

export function planMemory(model: PlannedModel, options: MemoryPlanOptions): MemoryPlan {
  const { batchSize } = options ?? ({} as MemoryPlanOptions);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`planMemory: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!model || !Array.isArray(model.layers)) throw new TypeError(`planMemory: model must be a tfjs-layers model, got ${String(model)}`);
  const { hyper, accumulate, maxBytes } = optimizerOf(options);
  if (!(Number.isInteger(accumulate) && accumulate >= 1)) throw new RangeError(`planMemory: accumulate must be an integer >= 1, got ${accumulate}`);
  if (batchSize < accumulate) throw new RangeError(`planMemory: a batch of ${batchSize} cannot be split into ${accumulate} micro-batches`);
  const evalBatch = options.evaluationBatchSize;
  if (evalBatch !== undefined && !(Number.isInteger(evalBatch) && evalBatch >= 1)) throw new RangeError(`planMemory: evaluationBatchSize must be an integer >= 1, got ${evalBatch}`);
  const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  const parameters = model.weights.reduce((s, w) => s + size(w.shape), 0);
  const trainableParameters = model.trainableWeights.reduce((s, w) => s + size(w.shape), 0);
  const backend = tf.getBackend() ?? 'none';
  const base = { backend, batchSize, accumulate, parameters, trainableParameters };
  const notPredicted = (reason: string, layers: LayerMemory[] = []): MemoryPlan => ({ predicted: false, reason, ...base, wasm: null, rss: null, layers });
  if (backend !== 'wasm') return notPredicted(`the active backend is '${backend}'; the plan is of tfjs-wasm's heap (await ready())`);
  if (model.inputs?.length !== 1 || model.outputs?.length !== 1) return notPredicted('the model has several inputs or outputs');
  if (!isChain(model)) return notPredicted('the model\'s layers do not form one chain');
  const floats = (shape: (number | null)[]) => shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  const inputFloats = floats(model.inputs[0].shape), outputFloats = floats(model.outputs[0].shape);
  const memory = layerMemory(model.layers, inputFloats);
  if (!memory.ok) return notPredicted(memory.reason);

  const micro = Math.ceil(batchSize / accumulate); // microBatchLoss's largest slice
  const layout: ArenaLayout = layoutFor(model.trainableWeights.map((w) => ({ name: w.name, size: size(w.shape) })), hyper, accumulate, true);
  const weights = model.weights.reduce((s, w) => s + size(w.shape) * 4 + BLOCK_OVERHEAD, 0);
  const data = options.dataBytes ?? batchSize * (inputFloats + outputFloats) * 4 + 2 * BLOCK_OVERHEAD;
  if (!(Number.isFinite(data) && data >= 0)) throw new RangeError(`planMemory: dataBytes must be a number >= 0, got ${options.dataBytes}`);
  const pass = memory.layers.reduce((s, l) => s + l.trainingFloats, 0) + memory.lossFloats;
  const slices = accumulate > 1 ? (inputFloats + outputFloats) * micro * 4 : 0; // microBatchLoss's slices of x and y
  const parts: Record<string, number> = {
    runtime: RUNTIME_BYTES, weights, data,
    arena: layout.totalBytes + BLOCK_OVERHEAD,
    gradients: model.trainableWeights.reduce((s, w) => s + size(w.shape) * 4 + BLOCK_OVERHEAD, 0),
    activations: pass * micro * 4 + slices,
    slack: slackFor(memory.largestFloats * micro * 4),
  };
  const phases: NonNullable<MemoryPlan['wasm']>['phases'] = { 'training step': { bytes: sum(parts), parts } };
  const resident = { runtime: RUNTIME_BYTES, weights, data, arena: parts.arena };
  if (evalBatch !== undefined) {
    const forward = memory.layers.reduce((s, l) => s + l.inferenceFloats, 0) + memory.lossFloats / 2;
    const evaluation = { ...resident, batch: (inputFloats + 1) * evalBatch * 4, activations: forward * evalBatch * 4, slack: slackFor(memory.largestFloats * evalBatch * 4) };
    phases.evaluation = { bytes: sum(evaluation), parts: evaluation };
  }
  if (options.stateSaves) {
    const saved = layout.kinds.filter((k) => SAVED_KINDS.includes(savedKind(k))).length;
    const saving = { ...resident, 'saved state': saved * parts.gradients + 2 * BLOCK_OVERHEAD };
    phases['saving state'] = { bytes: sum(saving), parts: saving };
  }
  const [phase, peak] = (Object.entries(phases) as [PlanPhase, { bytes: number; parts: Record<string, number> }][]).reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a));
  const peakBytes = Math.ceil(peak.bytes);
  const plan: MemoryPlan = {
    predicted: true, ...base,
    wasm: { peakBytes, phase, parts: peak.parts, phases },
    rss: rssFor(peakBytes),
    layers: memory.layers,
  };
  if (Number.isFinite(maxBytes) && peakBytes > maxBytes) throw new MemoryBudgetError(peakBytes, maxBytes, peak.parts, `training this model at batch ${batchSize} (${phase})`);
  return plan;
}

/** fsam-edge's tfjs optimizer classes (their registered names) and what their config leaves out. */
const FSAM_EDGE_CLASSES: Record<string, Partial<OptimizerOptions>> = {
  FSAM: { sharpness: 'fsam' }, SAM: { sharpness: 'sam' }, FsamEdgeSGD: { sharpness: 'none', base: 'sgd' }, FsamEdgeAdamW: { sharpness: 'none', base: 'adamw' },
};

/** The optimizer's configuration, accumulate and maxBytes, from an fsam-edge optimizer or FSAM's options. */
function optimizerOf(options: MemoryPlanOptions): { hyper: Hyperparams; accumulate: number; maxBytes: number } {
  const o = options.optimizer;
  let hyper: Hyperparams, accumulate = 1, maxBytes = Infinity;
  // tf.Optimizer's instanceof checks for the methods of an optimizer (any subclass says
  // yes to any optimizer): the class name tells fsam-edge's apart.
  if (o != null && o instanceof tf.Optimizer) {
    const cls = o.getClassName();
    const kind = FSAM_EDGE_CLASSES[cls];
    if (!kind) throw new TypeError(`planMemory: the optimizer must be one of fsam-edge's (FSAM, SAM, SGD, AdamW), got ${cls}`);
    const { maxBytes: m, accumulate: a, ...rest } = o.getConfig() as Record<string, unknown>;
    hyper = resolveHyperparams({ ...(rest as OptimizerOptions), ...kind });
    accumulate = Number(a ?? 1);
    maxBytes = typeof m === 'number' ? m : Infinity;
  } else {
    const { accumulate: a = 1, maxBytes: m = Infinity, ...rest } = o ?? {};
    hyper = resolveHyperparams(rest);
    accumulate = a;
    maxBytes = m;
  }
  return { hyper, accumulate: options.accumulate ?? accumulate, maxBytes: options.maxBytes ?? maxBytes };
}

/** Whether each layer's one input is the previous layer's output (a Sequential model always). */
function isChain(model: PlannedModel): boolean {
  const layers = model.layers as unknown as { inboundNodes?: { inboundLayers: unknown[] }[] }[];
  return layers.every((layer, i) => {
    const nodes = layer.inboundNodes;
    if (!nodes) return true;
    if (nodes.length !== 1) return false;
    const inbound = nodes[0].inboundLayers;
    return i === 0 ? inbound.length <= 1 : inbound.length === 1 && inbound[0] === layers[i - 1];
  });
}

/** The allocator's slack over a pass whose largest tensor has `largest` bytes. */
const slackFor = (largest: number) => Math.max(Math.ceil((2 * largest) / 3), 96 * 1024);

function sum(parts: Record<string, number>): number {
  return Object.values(parts).reduce((a, b) => a + b, 0);
}

/** The process's peak resident set: now, plus the heap still to be touched, plus V8's growth; null without a process. */
function rssFor(peakHeapBytes: number): MemoryPlan['rss'] {
  const proc = (globalThis as { process?: { memoryUsage?: () => { rss: number }; resourceUsage?: () => { maxRSS: number } } }).process;
  if (typeof proc?.memoryUsage !== 'function') return null;
  const nowBytes = proc.memoryUsage().rss;
  const heapInUse = RUNTIME_BYTES + tf.memory().numBytes;
  const soFar = typeof proc.resourceUsage === 'function' ? proc.resourceUsage().maxRSS * 1024 : 0;
  return { nowBytes, peakBytes: Math.max(soFar, nowBytes + Math.max(0, peakHeapBytes - heapInUse) + JS_GROWTH_BYTES) };
}

// The messages between the app's page (../page/, the interface) and its Web Worker
// (../worker/, tfjs and the training run): the page never holds a tensor, the worker
// never touches the document.
import type { OptimizerName } from '../../personalize/settings';
import type { Summary } from '../../personalize/summary';
import type { EpochRecord, Evaluation } from '../../personalize/train';

export type { EpochRecord, Evaluation };

/** What a person chooses for a run; the rest is the CLI's defaults. */
export interface RunChoice {
  optimizer: OptimizerName;
  rho: number;
  epochs: number;
  lowMemory: boolean;
  /** The optimizer-state budget in bytes, or null for none. */
  maxMemory: number | null;
}

/** The examples a run trains on: the built-in task as it is, or a person's set as CSV. */
export type RunData =
  | { kind: 'default'; noiseRate: number }
  | { kind: 'file'; name: string; features: Float32Array; labels: Int32Array };

export interface ModelInfo {
  /** Where the model came from, as summaries name it. */
  source: string;
  builtin: boolean;
  inputShape: number[];
  numClasses: number;
  parameters: number;
}

export interface MemoryInfo {
  /** The optimizer arena's bytes per kind of slab (its layout as planned, before the first step). */
  bytesPerKind: Record<string, number>;
  arenaBytes: number;
  stateBytesPerParameter: number;
  /** tfjs-backend-wasm's heap (its WebAssembly memory) now, bytes. */
  heapBytes: number;
  /** The run's plan: the heap's predicted peak, its phase, and what the budget must allow (null: not predicted). */
  plan: { peakBytes: number; phase: string; requiredBytes: number } | null;
  planned: boolean;
}

export type RunState = 'running' | 'paused' | 'stopped' | 'finished' | 'failed';

/** A run as the page shows it (the worker's view of the stored run). */
export interface RunInfo {
  state: RunState;
  epochs: number;
  epochsDone: number;
  choice: RunChoice;
  dataKind: 'default' | 'file';
  before: Evaluation | null;
  history: EpochRecord[];
  summary: Summary | null;
  weightsSha256: string | null;
  message: string | null;
}

export interface NamedBytes { name: string; bytes: Uint8Array }

export type ToWorker =
  | { type: 'init' }
  | { type: 'builtinSet'; noiseRate: number }
  | { type: 'plan'; choice: RunChoice }
  | { type: 'start'; choice: RunChoice; data: RunData }
  | { type: 'resume' }
  | { type: 'pause' }
  | { type: 'continue' }
  | { type: 'cancel' }
  | { type: 'predict'; features: Float32Array }
  | { type: 'parseData'; file: NamedBytes }
  /** `exampleFeatures`: the length of the examples there are (a model must take them), or null. */
  | { type: 'importModel'; files: NamedBytes[]; exampleFeatures: number | null }
  | { type: 'resetModel' }
  /** `examples`: the examples there are, for a checkpoint that trained on a person's examples. */
  | { type: 'importCheckpoint'; file: NamedBytes; examples?: RunData }
  | { type: 'export'; what: 'checkpoint' | 'model' | 'examples' | 'summary' | 'report'; data?: RunData };

export interface ThreadsInfo {
  threads: number;
  reason: string | null;
}

export type FromWorker =
  /** `threads`: what the worker's training runs on (ready()'s report), and why one thread where it fell back. */
  | { type: 'ready'; model: ModelInfo; run: RunInfo | null; storage: string | null; threads: ThreadsInfo }
  | { type: 'builtinSet'; features: Float32Array; labels: Int32Array; count: number }
  | { type: 'plan'; memory: MemoryInfo }
  | { type: 'started'; run: RunInfo }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; run: RunInfo; memory: MemoryInfo }
  /** The run waits after step `batch` of epoch `epoch`, until 'continue'. */
  | { type: 'paused'; run: RunInfo; epoch: number; batch: number }
  | { type: 'continued'; run: RunInfo }
  | { type: 'finished'; run: RunInfo; memory: MemoryInfo }
  | { type: 'stopped'; run: RunInfo }
  | { type: 'prediction'; top: { label: number; probability: number }[] }
  | { type: 'data'; name: string; features: Float32Array; labels: Int32Array; count: number }
  | { type: 'model'; model: ModelInfo; run: RunInfo | null }
  | { type: 'run'; run: RunInfo | null }
  | { type: 'files'; files: NamedBytes[] }
  /** `request`: the message it answers ('run': the run that was training). */
  | { type: 'error'; request: ToWorker['type'] | 'run'; name: string; message: string };

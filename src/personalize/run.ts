// One optimizer's run: train from epoch k to N with a checkpoint after every epoch, and
// collect what the summary and the report show. (Its memory is planned, and refused over
// the budget, before the run starts: ./memory.ts.) Platform-neutral: where a checkpoint
// goes (a file, IndexedDB) and what a person sees of the progress are the caller's
// (../cli/run_files.ts; the browser app's worker).
import { tf } from '../index';
import { MemoryBudgetError } from '../core/errors';
import { CheckpointError } from '../checkpoint/format';
import type { CheckpointContent } from '../checkpoint/checkpoint';
import type { ReportRun } from '../report/html';
import { trainingOptimizer, plannedMemory, type NamedTensor } from './optimizers';
import { describeSettings, type OptimizerSettings } from './settings';
import { STATE_KINDS, type ArenaReport, type SlabKind } from '../core/arena';
import { train, evaluate, evaluationBatch, type EpochRecord, type Evaluation, type LayersModel } from './train';
import type { DataSpec, Task } from './task';

/** What a checkpoint's config holds: everything needed to continue the run. */
export interface RunConfig {
  optimizer: OptimizerSettings;
  epochs: number;
  batchSize: number;
  /** Micro-batches per step (absent in checkpoints written before --accumulate: 1). */
  accumulate?: number;
  seed: number;
  /** --max-memory: the whole run's budget of wasm memory. */
  maxMemory: number | null;
  data: DataSpec;
  modelSource: string;
}

export interface RunProgress {
  epochsDone: number;
  before: Evaluation;
  history: EpochRecord[];
}

export class BudgetError extends Error {
  constructor(message: string) { super(message); this.name = 'BudgetError'; }
}

/** How a budget is named in its refusal unless told otherwise: the CLI's flag. */
export const BUDGET_NAME = '--max-memory';

/** The optimizer state's layout (what the summary shows per parameter), known before anything is allocated. */
export function stateLayout(settings: OptimizerSettings, model: LayersModel): ArenaReport {
  return plannedMemory(settings, model.trainableWeights.map((w) => ({ name: w.name, size: w.read().size })));
}

export interface RunOptions {
  config: RunConfig;
  model: LayersModel;
  task: Task;
  /** Keeps the checkpoint after an epoch (its config, progress, model and optimizer state); awaited before the next. */
  saveCheckpoint: (content: CheckpointContent<RunConfig, RunProgress>) => Promise<void>;
  /** Resume: the checkpoint's progress and optimizer state (disposed here). */
  resumeFrom?: { progress: RunProgress; optimizerWeights: NamedTensor[] };
  /** Where the resumed checkpoint came from, for messages. */
  checkpointName?: string;
  stopAfter?: number;
  label?: string;
  /** How the budget is named in a refusal (default: the CLI's --max-memory). */
  budgetName?: string;
  /** After each step, awaited: progress, or a pause (throw to stop; the last checkpoint stays). */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => Promise<void> | void;
  /** After each epoch, before its checkpoint is kept. */
  onEpoch?: (record: EpochRecord) => Promise<void> | void;
  /** After each epoch's checkpoint is kept, with the optimizer's arena. */
  onSaved?: (record: EpochRecord, memory: ArenaReport | null) => Promise<void> | void;
}

/** What the summary and the report show of a run: the same whether the run finished in
 *  one go, was resumed, or is a finished checkpoint whose outputs are written again. */
export function reportRun(config: RunConfig, memory: ArenaReport, before: Evaluation, history: EpochRecord[], seconds: number, label: string = config.optimizer.name): ReportRun {
  const s = config.optimizer;
  const after = history.length ? { loss: history[history.length - 1].heldOutLoss, accuracy: history[history.length - 1].heldOutAccuracy } : before;
  const sam = s.name === 'fsam' || s.name === 'sam';
  return {
    optimizer: label, settings: describeSettings(s), before, after, history,
    memory: {
      parameters: memory.parameters, stateBytes: memory.stateBytes,
      // The state's slabs (the arena also holds g, scratch within a step: not state).
      stateBytesPerKind: Object.fromEntries(Object.entries(memory.bytesPerKind).filter(([k]) => STATE_KINDS.includes(k as SlabKind))) as Record<string, number>,
      weightBytes: memory.parameters * 4, gradientBytes: memory.parameters * 4 * (sam ? 2 : 1),
    },
    seconds,
  };
}

export async function runOptimizer(o: RunOptions): Promise<{ run: ReportRun; progress: RunProgress; stopped: boolean }> {
  const { config, model, task } = o;
  const s = config.optimizer;
  const plan = stateLayout(s, model);
  const before = o.resumeFrom?.progress.before ?? evaluate(model, task.heldOut, undefined, evaluationBatch(config.batchSize, config.accumulate ?? 1));
  const history = [...(o.resumeFrom?.progress.history ?? [])];
  const from = o.resumeFrom?.progress.epochsDone ?? 0;
  const to = Math.min(config.epochs, o.stopAfter ?? config.epochs);
  const label = o.label ?? s.name;
  const accumulate = config.accumulate ?? 1;
  const optimizer = trainingOptimizer(s, config.maxMemory ?? undefined, accumulate);
  const t0 = performance.now();
  try {
    if (o.resumeFrom) {
      try {
        await optimizer.setWeights(o.resumeFrom.optimizerWeights);
      } catch (err) {
        tf.dispose(o.resumeFrom.optimizerWeights.map((w) => w.tensor));
        throw new CheckpointError(`${o.checkpointName ?? 'the checkpoint'}: its optimizer state does not fit ${s.name}: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
      }
      // The optimizer copied them into its arena.
      tf.dispose(o.resumeFrom.optimizerWeights.map((w) => w.tensor));
    }
    try {
      await train({
        model, optimizer, train: task.train, flipped: task.flipped, heldOut: task.heldOut, batchSize: config.batchSize, accumulate, seed: config.seed,
        fromEpoch: from, toEpoch: to, onBatch: o.onBatch,
        onEpoch: async (r) => {
          history.push(r);
          await o.onEpoch?.(r);
          const weights = await optimizer.getWeights();
          try {
            await o.saveCheckpoint({ config, progress: { epochsDone: r.epoch, before, history }, model, optimizerWeights: weights });
          } finally {
            tf.dispose(weights.map((w) => w.tensor)); // copies of the arena's state
          }
          await o.onSaved?.(r, optimizer.memory());
        },
      });
    } catch (err) {
      // The optimizer's own check of the budget, at its first step (the plan should have refused first).
      if (err instanceof MemoryBudgetError) throw new BudgetError(`${o.budgetName ?? BUDGET_NAME} ${err.availableBytes} bytes is too small: ${err.message}; nothing was trained`);
      throw err;
    }
    const arena = optimizer.memory() ?? plan;
    const seconds = (performance.now() - t0) / 1000 + (o.resumeFrom ? o.resumeFrom.progress.history.reduce((a, e) => a + e.seconds, 0) : 0);
    const run = reportRun(config, arena, before, history, seconds, label);
    return { run, progress: { epochsDone: history.length ? history[history.length - 1].epoch : from, before, history }, stopped: to < config.epochs };
  } finally {
    optimizer.dispose();
  }
}

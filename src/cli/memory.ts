// The CLI's memory flags (--batch-size N or auto, --accumulate, --max-memory) resolved
// against the run's plan (../personalize/memory.ts) before anything trains.
import { UsageError } from './args';
import { BudgetError } from '../personalize/run';
import { planRun, largestBatch, overBudget, type RunMemory, type RunMemoryInput } from '../personalize/memory';
import type { OptimizerSettings } from '../personalize/settings';
import type { LayersModel } from '../personalize/train';

export interface RunMemoryOptions {
  model: LayersModel;
  /** One optimizer, or several run one after another (compare): the peak is the largest. */
  settings: OptimizerSettings[];
  batchSize: number | 'auto';
  accumulate: number;
  maxMemory: number | null;
  /** Training examples: --batch-size auto takes at most this many. */
  trainCount: number;
  keptBytes?: number;
  baseTraining?: RunMemoryInput['baseTraining'];
}

/**
 * The run's memory, planned before anything of it is allocated, with --batch-size auto
 * resolved: refused (BudgetError, exit 2) when it does not fit --max-memory.
 */
export function resolveRunMemory(o: RunMemoryOptions): { batchSize: number; memory: RunMemory } {
  const at = (batchSize: number): RunMemory => {
    const runs = o.settings.map((settings) => planRun({ model: o.model, settings, batchSize, accumulate: o.accumulate, keptBytes: o.keptBytes, baseTraining: o.baseTraining }));
    return runs.find((r) => !r.predicted) ?? runs.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a));
  };
  if (o.batchSize === 'auto') {
    if (o.maxMemory === null) throw new UsageError('--batch-size auto needs --max-memory: it takes the largest batch whose run fits that budget');
    const limit = Math.max(o.trainCount, o.accumulate);
    let best = largestBatch(at, o.maxMemory, limit, o.accumulate);
    // Every batch must split into --accumulate micro-batches, the epoch's last one too.
    while (best && best.batchSize > o.accumulate && shortLastBatch(o.trainCount, best.batchSize, o.accumulate)) best = at(best.batchSize - o.accumulate);
    if (!best) {
      const smallest = at(o.accumulate);
      throw new BudgetError(overBudget(smallest, o.maxMemory) ?? `--max-memory ${o.maxMemory} bytes fits no batch size`);
    }
    return { batchSize: best.batchSize, memory: best };
  }
  if (o.batchSize < o.accumulate) throw new UsageError(`--accumulate ${o.accumulate} splits each batch into ${o.accumulate} micro-batches; --batch-size ${o.batchSize} is smaller`);
  if (shortLastBatch(o.trainCount, o.batchSize, o.accumulate)) {
    throw new UsageError(`--accumulate ${o.accumulate}: the last batch of each epoch has ${o.trainCount % o.batchSize} of the ${o.trainCount} training examples, too few to split; choose another --batch-size`);
  }
  const memory = at(o.batchSize);
  const refusal = overBudget(memory, o.maxMemory);
  if (refusal) throw new BudgetError(refusal);
  return { batchSize: o.batchSize, memory };
}

/** Whether an epoch's last batch is shorter than `accumulate` (and not empty). */
function shortLastBatch(count: number, batchSize: number, accumulate: number): boolean {
  const last = count % batchSize;
  return last > 0 && last < accumulate;
}

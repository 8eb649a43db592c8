// A CLI run: the shared run (../personalize/run.ts) with its checkpoint in a file, a
// progress bar and a line per epoch, and the status an interruption reports.
import { join } from 'node:path';
import { saveCheckpoint } from '../node/checkpoint_file';
import { runOptimizer as runShared, type RunOptions as SharedRunOptions, type RunConfig, type RunProgress } from '../personalize/run';
import type { Output } from './ui';
import { percent } from './ui';
import { newStatus, type RunStatus } from './interrupt';

export const CHECKPOINT_NAME = 'checkpoint.fsam';

export const checkpointIn = (dir: string, name = CHECKPOINT_NAME) => join(dir, name);

export interface RunOptions extends Omit<SharedRunOptions, 'saveCheckpoint' | 'checkpointName' | 'onBatch' | 'onEpoch' | 'onSaved' | 'budgetName'> {
  checkpointPath: string;
  out: Output;
  /** Kept up to date with the last checkpoint, for the message on an interruption. */
  status?: RunStatus;
}

export async function runOptimizer(o: RunOptions) {
  const { config, out } = o;
  const label = o.label ?? config.optimizer.name;
  const status = o.status ?? newStatus();
  status.checkpoint = o.checkpointPath;
  status.epochsSaved = o.resumeFrom?.progress.epochsDone ?? 0;
  try {
    return await runShared({
      ...o, checkpointName: o.checkpointPath,
      saveCheckpoint: async (content) => { await saveCheckpoint<RunConfig, RunProgress>(o.checkpointPath, content); },
      onBatch: (epoch, b, n, loss) => out.progress(`${label} epoch ${epoch}/${config.epochs}`, b, n, `loss ${loss.toFixed(4)}`),
      onEpoch: (r) => out.line(`${label.padEnd(5)} epoch ${String(r.epoch).padStart(String(config.epochs).length)}/${config.epochs}  loss ${r.loss.toFixed(4)}  ` +
        `train acc ${percent(r.trainAccuracy).padStart(6)}  held-out loss ${r.heldOutLoss.toFixed(4)}  acc ${percent(r.heldOutAccuracy).padStart(6)}  ${r.seconds.toFixed(1)}s`),
      onSaved: (r) => { status.epochsSaved = r.epoch; },
    });
  } finally {
    out.endProgress();
  }
}

// The subcommands: personalize (one optimizer), compare (several, same start and data),
// resume (continue a checkpoint). Inputs are all read and checked before anything is
// written; outputs go to --out: report.html, summary.json, checkpoint(s), model/.
import { dirname, join, resolve } from 'node:path';
import { readFileSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { ready, tf, versions, staleWeightFiles } from '../index';
import { loadCheckpoint } from '../node/checkpoint_file';
import { saveModelFiles } from '../node/model_files';
import { writeFileAtomic } from '../node/atomic';
import { renderReport, type ReportData, type ReportRun } from '../report/html';
import { parseFlags, helpText, UsageError, type FlagValues } from './args';
import {
  PERSONALIZE_FLAGS, COMPARE_FLAGS, RESUME_FLAGS, DEFAULT_OUT, DEFAULT_EPOCHS, DEFAULT_NOISE, DEFAULT_HOLDOUT,
  settingsFrom, describeSettings, batchSizeFrom,
} from './flags';
import { defaultCacheDir, BASE_RECIPE, BASE_SETTINGS } from './base_model';
import { openModel, openDefaultTask, openFileTask, reopenTask, cloneModel, type Task } from './session';
import { stateLayout, reportRun, type RunConfig, type RunProgress } from '../personalize/run';
import { runOptimizer, checkpointIn, CHECKPOINT_NAME } from './run_files';
import type { OptimizerName, OptimizerSettings } from '../personalize/settings';
import { resolveRunMemory } from './memory';
import { describeMemory, type RunMemory } from '../personalize/memory';
import { DEFAULT_TASK_SIZES } from '../data/default_task';
import { countOf } from '../data/digits';
import { type Output, formatTable, percent, formatBytes } from './ui';
import type { LayersModel } from '../personalize/train';
import type { RunStatus } from './interrupt';
import { checkRunCheckpoint, checkOptimizerState } from '../personalize/checkpoint_fields';
import { summaryOf, summaryJson, configurationRows } from '../personalize/summary';

export interface Context {
  out: Output;
  argvText: string;
  log: (s: string) => void;
  /** Where the command is, for the message on Ctrl-C. */
  status: RunStatus;
  /** Claims --out (writable, locked) until the command ends; a UsageError if it cannot. */
  claimOut: (dir: string) => void;
}

/**
 * The model and the data; when the built-in base model is not cached yet, `beforeBaseTraining`
 * sees an untrained model of its architecture before its training allocates anything.
 */
export async function openInputs(v: FlagValues, ctx: Context, beforeBaseTraining?: (model: LayersModel) => void): Promise<{ model: LayersModel; source: string; task: Task }> {
  const { model, source } = await openModel(v.model as string | undefined, (v.cache as string | undefined) ?? defaultCacheDir(), ctx.log, beforeBaseTraining);
  const seed = (v.seed as number | undefined) ?? 0;
  const task = v.data === undefined
    ? openDefaultTask((v.noise as number | undefined) ?? DEFAULT_NOISE, seed, model, source)
    : openFileTask(v.data as string, v.eval as string | undefined, (v.holdout as number | undefined) ?? DEFAULT_HOLDOUT, seed, model, source);
  return { model, source, task };
}

/** The flags that shape a run's memory: --batch-size (or auto), --accumulate, --max-memory. */
export function memoryFlags(v: FlagValues): { batchSize: number | 'auto'; accumulate: number; maxMemory: number | null } {
  return { batchSize: batchSizeFrom(v), accumulate: (v.accumulate as number | undefined) ?? 1, maxMemory: (v['max-memory'] as number | undefined) ?? null };
}

/**
 * Opens the model and the data with the run's memory planned before anything trains: if
 * the built-in base model must be trained first, the whole run (its training, then this
 * one) is planned on an untrained copy of it and refused over --max-memory before it
 * starts; then this run is planned on the model itself, and --batch-size auto resolved.
 */
export async function openPlanned(v: FlagValues, ctx: Context, settings: OptimizerSettings[], keptModel: boolean):
  Promise<{ model: LayersModel; source: string; task: Task; batchSize: number; memory: RunMemory }> {
  const flags = memoryFlags(v);
  const baseTraining = { batchSize: BASE_RECIPE.batchSize, settings: BASE_SETTINGS };
  const kept = (m: LayersModel) => (keptModel ? m.weights.reduce((s, w) => s + w.read().size * 4, 0) : 0);
  let trainedBase = false;
  const { model, source, task } = await openInputs(v, ctx, (untrained) => {
    trainedBase = true;
    resolveRunMemory({ model: untrained, settings, ...flags, trainCount: v.data === undefined ? DEFAULT_TASK_SIZES.userTrainSize : 1 << 20, keptBytes: kept(untrained), baseTraining });
  });
  try {
    const { batchSize, memory } = resolveRunMemory({ model, settings, ...flags, trainCount: countOf(task.train), keptBytes: kept(model), ...(trainedBase ? { baseTraining } : {}) });
    return { model, source, task, batchSize, memory };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

function summaryTable(runs: ReportRun[]): string {
  const memorized = runs.some((r) => r.history.at(-1)?.memorized !== undefined);
  return formatTable(
    ['optimizer', 'held-out before', 'after', 'best', 'final loss', ...(memorized ? ['wrong labels learned'] : []), 'state', 'B/param', 'time'],
    runs.map((r) => [
      r.optimizer, percent(r.before.accuracy), percent(r.after.accuracy), percent(Math.max(...r.history.map((e) => e.heldOutAccuracy))),
      r.history.length ? r.history[r.history.length - 1].loss.toFixed(4) : 'n/a',
      ...(memorized ? [percent(r.history.at(-1)?.memorized ?? NaN)] : []),
      formatBytes(r.memory.stateBytes), r.memory.parameters ? (r.memory.stateBytes / r.memory.parameters).toFixed(0) : '0', `${r.seconds.toFixed(1)}s`,
    ]),
  );
}

/** The versions that made a run: fsam-edge's own (from its package.json), the bundled tfjs, Node. */
function runVersions(): Record<string, string> {
  let own = 'unknown';
  try { own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version ?? own; } catch { /* not in its package */ }
  return { 'fsam-edge': own, ...versions, node: process.version };
}

/**
 * The model files a compare does not write, left by an earlier run in the same --out:
 * model.json first (then no half model remains), then the weight files of fsam-edge's
 * naming (the rule a save removes its stale ones by: src/io/weight_file_name.ts).
 */
function removeStaleModel(outDir: string): void {
  const dir = join(outDir, 'model');
  try { unlinkSync(join(dir, 'model.json')); } catch { /* not there */ }
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { /* not there */ }
  for (const f of staleWeightFiles(names, [])) {
    try { unlinkSync(join(dir, f)); } catch { /* raced */ }
  }
  try { rmdirSync(dir); } catch { /* not there, or holds other files */ }
}

/** Writes the model, the report and, last, summary.json (so a summary means the rest is there). */
async function writeOutputs(outDir: string, configs: RunConfig[], runs: ReportRun[], report: Omit<ReportData, 'runs' | 'createdAt' | 'configuration'>, model: LayersModel | null, ctx: Context, memory?: RunMemory): Promise<void> {
  ctx.status.writingOutputs = true;
  // memory: the run's plan (../personalize/memory.ts), made before it trained.
  const summary = summaryOf(report.command, configs, runVersions(), report.task, runs, memory);
  if (model) await saveModelFiles(join(outDir, 'model'), model);
  else removeStaleModel(outDir);
  const html = renderReport({ ...report, runs, configuration: configurationRows(summary.config, summary.versions, memory), createdAt: new Date().toISOString() });
  writeFileAtomic(join(outDir, 'report.html'), new TextEncoder().encode(html));
  writeFileAtomic(join(outDir, 'summary.json'), new TextEncoder().encode(summaryJson(summary)));
  ctx.out.line('');
  ctx.out.line(summaryTable(runs));
  ctx.out.line('');
  ctx.out.line(`wrote ${join(outDir, 'report.html')}, ${join(outDir, 'summary.json')}${model ? `, ${join(outDir, 'model', 'model.json')}` : ''}`);
}

function announce(ctx: Context, name: string, config: RunConfig, plan: { stateBytes: number; parameters: number; stateBytesPerParameter: number }) {
  const hp = Object.entries(describeSettings(config.optimizer)).map(([k, x]) => `${k} ${x}`).join(', ');
  const k = config.accumulate ?? 1;
  ctx.out.line(`${name}: ${hp}; ${config.epochs} epochs, batch ${config.batchSize}${k > 1 ? ` in ${k} micro-batches` : ''}, seed ${config.seed}`);
  ctx.out.line(`${name}: optimizer state ${formatBytes(plan.stateBytes)} (${plan.stateBytesPerParameter.toFixed(0)} B/parameter × ${plan.parameters} parameters)`);
}

export async function personalize(argv: string[], ctx: Context): Promise<void> {
  const v = parseFlags(argv, PERSONALIZE_FLAGS, 'personalize');
  if (v.help) { process.stdout.write(helpText('personalize', 'Fine-tune a model on one user\'s data with one optimizer.', PERSONALIZE_FLAGS)); return; }
  const settings = settingsFrom(v, ((v.optimizer as string | undefined) ?? 'fsam') as OptimizerName);
  const outDir = resolve((v.out as string | undefined) ?? DEFAULT_OUT);
  ctx.claimOut(outDir);
  await ready();
  const { model, source, task, batchSize, memory } = await openPlanned(v, ctx, [settings], false);
  const config: RunConfig = {
    optimizer: settings, epochs: (v.epochs as number | undefined) ?? DEFAULT_EPOCHS, batchSize, accumulate: memoryFlags(v).accumulate,
    seed: (v.seed as number | undefined) ?? 0, maxMemory: memoryFlags(v).maxMemory, data: task.spec, modelSource: source,
  };
  for (const line of task.description) ctx.out.line(line);
  ctx.out.line(`model: ${source}`);
  announce(ctx, settings.name, config, stateLayout(settings, model));
  for (const line of describeMemory(memory, config.maxMemory)) ctx.out.line(line);
  const { run, stopped, progress } = await runOptimizer({ config, model, task, checkpointPath: checkpointIn(outDir), stopAfter: v['stop-after'] as number | undefined, out: ctx.out, status: ctx.status });
  ctx.out.line(`held-out accuracy: ${percent(run.before.accuracy)} before, ${percent(run.after.accuracy)} after ${progress.epochsDone} epochs`);
  if (stopped) {
    ctx.out.line(`stopped after epoch ${progress.epochsDone} of ${config.epochs}; continue with: fsam-edge resume --checkpoint ${checkpointIn(outDir)}`);
    return;
  }
  await writeOutputs(outDir, [config], [run], { title: `fsam-edge personalize (${settings.name})`, command: ctx.argvText, task: [...task.description, `model: ${source}`], budgetBytes: config.maxMemory ?? undefined }, model, ctx, memory);
  ctx.out.line(`checkpoint: ${checkpointIn(outDir)}`);
}

export async function compare(argv: string[], ctx: Context): Promise<void> {
  const v = parseFlags(argv, COMPARE_FLAGS, 'compare');
  if (v.help) { process.stdout.write(helpText('compare', 'Run the same task with several optimizers from the same start.', COMPARE_FLAGS)); return; }
  const names = ((v.optimizers as string[] | undefined) ?? ['sgd', 'sam', 'fsam']) as OptimizerName[];
  const settings = names.map((n) => settingsFrom(v, n));
  const outDir = resolve((v.out as string | undefined) ?? DEFAULT_OUT);
  ctx.claimOut(outDir);
  await ready();
  // Each optimizer trains a copy of the model while the model itself stays: its weights are kept through the run.
  const { model: base, source, task, batchSize, memory } = await openPlanned(v, ctx, settings, true);
  const configs: RunConfig[] = settings.map((s) => ({
    optimizer: s, epochs: (v.epochs as number | undefined) ?? DEFAULT_EPOCHS, batchSize, accumulate: memoryFlags(v).accumulate,
    seed: (v.seed as number | undefined) ?? 0, maxMemory: memoryFlags(v).maxMemory, data: task.spec, modelSource: source,
  }));
  for (const line of task.description) ctx.out.line(line);
  ctx.out.line(`model: ${source}`);
  for (const line of describeMemory(memory, memoryFlags(v).maxMemory)) ctx.out.line(line);
  const plans = configs.map((c) => stateLayout(c.optimizer, base));
  const runs: ReportRun[] = [];
  for (let i = 0; i < configs.length; i++) {
    announce(ctx, configs[i].optimizer.name, configs[i], plans[i]);
    const model = await cloneModel(base);
    const { run } = await runOptimizer({ config: configs[i], model, task, checkpointPath: join(outDir, 'checkpoints', `${configs[i].optimizer.name}.fsam`), out: ctx.out, status: ctx.status });
    ctx.out.line(`${run.optimizer}: held-out accuracy ${percent(run.before.accuracy)} before, ${percent(run.after.accuracy)} after`);
    runs.push(run);
    model.dispose();
  }
  await writeOutputs(outDir, configs, runs, { title: `fsam-edge compare (${names.join(', ')})`, command: ctx.argvText, task: [...task.description, `model: ${source}`], budgetBytes: configs[0].maxMemory ?? undefined }, null, ctx, memory);
  ctx.out.line(`checkpoints: ${join(outDir, 'checkpoints')}/{${names.join(',')}}.fsam`);
}

export async function resume(argv: string[], ctx: Context): Promise<void> {
  const v = parseFlags(argv, RESUME_FLAGS, 'resume');
  if (v.help) { process.stdout.write(helpText('resume', 'Continue a run from its checkpoint; the result equals an uninterrupted run.', RESUME_FLAGS)); return; }
  const path = resolve((v.checkpoint as string | undefined) ?? join(DEFAULT_OUT, CHECKPOINT_NAME));
  const outDir = resolve((v.out as string | undefined) ?? dirname(path));
  ctx.claimOut(outDir);
  await ready();
  const ck = await loadCheckpoint<RunConfig, RunProgress>(path);
  let task;
  try {
    checkRunCheckpoint(ck.config, ck.progress, path);
    checkOptimizerState(ck.optimizerWeights, ck.model, path);
    if ((v.data !== undefined || v.eval !== undefined) && ck.config.data.kind !== 'file') throw new UsageError(`${path}: the run trained on the built-in digits; --data and --eval apply to a run on data files`);
    if (v.epochs !== undefined && (v.epochs as number) < ck.progress.epochsDone) {
      throw new UsageError(`${path}: the run already trained ${ck.progress.epochsDone} epochs; --epochs ${v.epochs} would undo some`);
    }
    const data = ck.config.data.kind === 'file'
      ? { ...ck.config.data, path: v.data !== undefined ? resolve(v.data as string) : ck.config.data.path, evalPath: v.eval !== undefined ? resolve(v.eval as string) : ck.config.data.evalPath }
      : ck.config.data;
    task = reopenTask(data, ck.model, `checkpoint ${path}`);
  } catch (err) {
    tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    ck.model.dispose();
    throw err;
  }
  const config: RunConfig = { ...ck.config, epochs: (v.epochs as number | undefined) ?? ck.config.epochs };
  const done = ck.progress.epochsDone;
  // The checkpoint is continued in place, or under --out when that is given.
  const checkpointPath = v.out === undefined ? path : join(outDir, CHECKPOINT_NAME);
  Object.assign(ctx.status, { checkpoint: checkpointPath, epochsSaved: done, resumed: true });
  for (const line of task.description) ctx.out.line(line);
  const plan = stateLayout(config.optimizer, ck.model);
  let memory: RunMemory;
  try {
    // The run's budget holds for the rest of it: planned again, refused before training (a finished run only writes its outputs).
    const maxMemory = done >= config.epochs ? null : config.maxMemory;
    memory = resolveRunMemory({ model: ck.model, settings: [config.optimizer], batchSize: config.batchSize, accumulate: config.accumulate ?? 1, maxMemory, trainCount: countOf(task.train) }).memory;
  } catch (err) {
    tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    throw err;
  }
  const report = (name: string) => ({ title: `fsam-edge personalize (${name}, resumed)`, command: ctx.argvText, task: [...task.description, `model: ${config.modelSource}`], budgetBytes: config.maxMemory ?? undefined });
  if (done >= config.epochs) {
    // A finished run, stopped before (or while) its outputs were written: write them,
    // the same as the uninterrupted run's. Doing it again changes nothing.
    tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    ctx.out.line(`${path}: the run finished all ${done} epochs; writing its outputs (--epochs above ${done} trains further)`);
    if (checkpointPath !== path) writeFileAtomic(checkpointPath, readFileSync(path));
    const run = reportRun(config, plan, ck.progress.before, ck.progress.history, ck.progress.history.reduce((a, e) => a + e.seconds, 0));
    ctx.out.line(`held-out accuracy: ${percent(run.before.accuracy)} before, ${percent(run.after.accuracy)} after ${done} epochs`);
    await writeOutputs(outDir, [config], [run], report(config.optimizer.name), ck.model, ctx, memory);
    ctx.out.line(`checkpoint: ${checkpointPath}`);
    return;
  }
  ctx.out.line(`resuming ${path} after epoch ${done} of ${config.epochs}`);
  announce(ctx, config.optimizer.name, config, plan);
  for (const line of describeMemory(memory, config.maxMemory)) ctx.out.line(line);
  const { run, stopped, progress } = await runOptimizer({
    config, model: ck.model, task, checkpointPath, out: ctx.out, stopAfter: v['stop-after'] as number | undefined, status: ctx.status,
    resumeFrom: { progress: ck.progress, optimizerWeights: ck.optimizerWeights },
  });
  ctx.out.line(`held-out accuracy: ${percent(run.before.accuracy)} before, ${percent(run.after.accuracy)} after ${progress.epochsDone} epochs`);
  if (stopped) {
    ctx.out.line(`stopped after epoch ${progress.epochsDone} of ${config.epochs}; continue with: fsam-edge resume --checkpoint ${checkpointPath}`);
    return;
  }
  await writeOutputs(outDir, [config], [run], report(config.optimizer.name), ck.model, ctx, memory);
  ctx.out.line(`checkpoint: ${checkpointPath}`);
}

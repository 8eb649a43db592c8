// fsam-edge plan: a run's memory, planned without running it — the same plan personalize
// makes before it trains (./memory.ts), printed: the wasm heap's peak and the phase it is
// in, what a hard memory cap must allow, the process's peak RSS, and with --batch-size
// auto the batch that fits --max-memory. A plan over --max-memory is refused as
// personalize would refuse the run: one line, exit 2. The built-in base model, when not
// cached yet, is planned (untrained) rather than trained.
import { existsSync } from 'node:fs';
import { ready } from '../index';
import { loadModelFiles } from '../node/model_files';
import { makeDefaultTask } from '../data/default_task';
import { loadMnist } from '../node/mnist';
import { countOf } from '../data/digits';
import { parseFlags, helpText, type FlagValues } from './args';
import { PLAN_FLAGS, DEFAULT_NOISE, DEFAULT_HOLDOUT, settingsFrom } from './flags';
import { baseModelPath, buildDigitCnn, defaultCacheDir, BASE_RECIPE, BASE_SETTINGS } from './base_model';
import { openDefaultTask, openFileTask } from './session';
import { resolveRunMemory } from './memory';
import { describeMemory } from '../personalize/memory';
import type { OptimizerName } from '../personalize/settings';
import type { LayersModel } from '../personalize/train';
import type { Context } from './commands';
import { memoryFlags } from './commands';

/** The run's model: a model file, the cached base model, or (not cached yet) an untrained one of its architecture. */
async function modelToPlan(v: FlagValues): Promise<{ model: LayersModel; source: string; untrainedBase: boolean }> {
  if (v.model !== undefined) return { model: await loadModelFiles(v.model as string), source: v.model as string, untrainedBase: false };
  const path = baseModelPath((v.cache as string | undefined) ?? defaultCacheDir(), makeDefaultTask(loadMnist()).population);
  if (existsSync(path)) return { model: await loadModelFiles(path), source: `built-in digit CNN (${path})`, untrainedBase: false };
  return { model: buildDigitCnn(BASE_RECIPE.seed), source: 'built-in digit CNN (not cached yet: its training is planned too)', untrainedBase: true };
}

export async function plan(argv: string[], ctx: Context): Promise<void> {
  const v = parseFlags(argv, PLAN_FLAGS, 'plan');
  if (v.help) { process.stdout.write(helpText('plan', 'Plan a run\'s memory without running it: wasm heap peak, what a memory cap must allow, peak RSS.', PLAN_FLAGS)); return; }
  const settings = settingsFrom(v, ((v.optimizer as string | undefined) ?? 'fsam') as OptimizerName);
  await ready();
  const { model, source, untrainedBase } = await modelToPlan(v);
  try {
    const seed = 0;
    const task = v.data === undefined
      ? openDefaultTask((v.noise as number | undefined) ?? DEFAULT_NOISE, seed, model, source)
      : openFileTask(v.data as string, v.eval as string | undefined, (v.holdout as number | undefined) ?? DEFAULT_HOLDOUT, seed, model, source);
    const flags = memoryFlags(v);
    const { batchSize, memory } = resolveRunMemory({
      model, settings: [settings], ...flags, trainCount: countOf(task.train),
      ...(untrainedBase ? { baseTraining: { batchSize: BASE_RECIPE.batchSize, settings: BASE_SETTINGS } } : {}),
    });
    if (v.json) {
      process.stdout.write(JSON.stringify({ model: source, optimizer: settings, batchSize, accumulate: flags.accumulate, maxMemory: flags.maxMemory, memory }, null, 2) + '\n');
      return;
    }
    ctx.out.line(`model: ${source}`);
    ctx.out.line(`${settings.name}, batch ${batchSize}${flags.accumulate > 1 ? ` in ${flags.accumulate} micro-batches` : ''}${flags.batchSize === 'auto' ? ' (auto: the largest that fits --max-memory)' : ''}`);
    for (const line of describeMemory(memory, flags.maxMemory)) ctx.out.line(line);
  } finally {
    model.dispose();
  }
}

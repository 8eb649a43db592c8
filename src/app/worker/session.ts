// The worker's side of the app: the base model, the stored run, and the run itself,
// through the very code the CLI runs (../../personalize/: tasks, training loop, library
// optimizers, checkpoint format, summary). Each epoch's checkpoint is stored before the
// next epoch starts; a reload or a crashed tab resumes from it, bit for bit the run that
// never stopped, and a checkpoint moves to the CLI and back unchanged.
import { tf, wasmMemory, versions, type ArenaReport } from '../../index';
import { resolveHyperparams } from '../../core/hyperparams';
import {
  encodeTrainingCheckpoint, decodeTrainingCheckpoint, modelArtifacts, weightBytes, cloneModel, type CheckpointContent,
} from '../../checkpoint/checkpoint';
import { sha256Hex } from '../../checkpoint/sha256';
import { parseDataset, DataError } from '../../data/dataset_text';
import { countOf } from '../../data/digits';
import { renderReport } from '../../report/html';
import { DEFAULT_SETTINGS, DEFAULT_BATCH, DEFAULT_HOLDOUT, DEFAULT_SEED, coreOptions, type OptimizerSettings } from '../../personalize/settings';
import type { NamedTensor } from '../../personalize/optimizers';
import { outputKind, type LayersModel } from '../../personalize/train';
import { modelSignature, defaultTask, reopenDefaultTask, fileTask, type Task } from '../../personalize/task';
import { runOptimizer, stateLayout, reportRun, BudgetError, type RunConfig, type RunProgress } from '../../personalize/run';
import { planRun, overBudget, type RunMemory } from '../../personalize/memory';
import { checkRunCheckpoint, checkOptimizerState } from '../../personalize/checkpoint_fields';
import { summaryOf, summaryJson, configurationRows } from '../../personalize/summary';
import { CSV_NAME, examplesCsv } from '../common/examples';
import type { MemoryInfo, ModelInfo, NamedBytes, RunChoice, RunData, RunInfo } from '../common/protocol';
import type { Storage, StoredModel, StoredRun } from '../common/storage';
import { modelFromFiles, modelFiles, weightFilesNamed } from './model_files';
import { packagedDigits } from './digits';

/** Thrown between two steps when the person cancels: the last checkpoint stays. */
export class CancelledError extends Error {
  constructor() { super('cancelled'); this.name = 'CancelledError'; }
}

/** A problem the person can fix, shown as one line (not a bug). */
export class AppError extends Error {
  constructor(message: string) { super(message); this.name = 'AppError'; }
}

const BUDGET_NAME = 'The memory budget';
const CHECKPOINT_FILE = 'checkpoint.fsam';

export interface Events {
  started(run: RunInfo): void;
  batch(epoch: number, batch: number, batches: number, loss: number): void;
  epoch(run: RunInfo, memory: MemoryInfo): void;
  /** The run waits, after step `batch` of epoch `epoch`. */
  paused(run: RunInfo, epoch: number, batch: number): void;
  continued(run: RunInfo): void;
  finished(run: RunInfo, memory: MemoryInfo): void;
  stopped(run: RunInfo): void;
  failed(name: string, message: string): void;
}

export interface Place {
  /** The shipped model's files and digits, beside the page: its model.json (the weights files it names are fetched beside it). */
  modelUrl: string;
  baseInfoUrl: string;
  digitsUrl: string;
  appVersion: string;
  userAgent: string;
}

function settingsOf(choice: RunChoice): OptimizerSettings {
  const sharp = choice.optimizer === 'fsam' || choice.optimizer === 'sam';
  const s: OptimizerSettings = { name: choice.optimizer, ...DEFAULT_SETTINGS, rho: choice.rho, lowMemory: sharp && choice.lowMemory };
  try {
    resolveHyperparams(coreOptions(s));
  } catch (err) {
    throw new AppError(`${s.name}: ${(err as Error).message}`);
  }
  return s;
}

/** The CLI command that makes the same run (summary.json's `command`). */
function cliCommand(choice: RunChoice, data: 'default' | 'file'): string {
  return ['fsam-edge personalize', `--optimizer ${choice.optimizer}`, ...(choice.optimizer === 'fsam' || choice.optimizer === 'sam' ? [`--rho ${choice.rho}`] : []),
    `--epochs ${choice.epochs}`, `--seed ${DEFAULT_SEED}`, ...(choice.lowMemory ? ['--low-memory'] : []),
    ...(choice.maxMemory !== null ? [`--max-memory ${choice.maxMemory}`] : []), ...(data === 'file' ? [`--data ${CSV_NAME}`] : [])].join(' ');
}

const parameterCount = (model: LayersModel) => model.trainableWeights.reduce((n, w) => n + w.read().size, 0);

export class Session {
  private base!: LayersModel;
  private baseInfo!: ModelInfo;
  /** The last run's model: its checkpoint's, or the one being trained. */
  private current: LayersModel | null = null;
  private run: StoredRun | null = null;
  private progress: RunProgress | null = null;
  private control: { paused: boolean; cancelled: boolean; wake?: () => void } | null = null;

  constructor(private readonly storage: Storage, private readonly place: Place, private readonly events: Events) {}

  get training(): boolean { return this.control !== null; }

  /** Loads the base model (an imported one, else the shipped one) and the stored run. */
  async open(): Promise<{ model: ModelInfo; run: RunInfo | null }> {
    await this.loadBase();
    this.run = (await this.storage.get<StoredRun>('run')) ?? null;
    const bytes = await this.storage.get<Uint8Array>('checkpoint');
    if (this.run && bytes) {
      try {
        const ck = await this.decode(bytes, CHECKPOINT_FILE);
        tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
        this.current = ck.model;
        this.progress = ck.progress;
        this.run = { ...this.run, epochsDone: ck.progress.epochsDone }; // the checkpoint is what counts
      } catch (err) {
        // A stored checkpoint that no longer loads (another build's) is left as it is, and said.
        this.run = { ...this.run, state: 'failed', message: `the stored checkpoint does not load here: ${(err as Error).message}` };
      }
    }
    return { model: this.baseInfo, run: this.info() };
  }

  private async loadBase(): Promise<void> {
    const stored = await this.storage.get<StoredModel>('model');
    if (stored) {
      try {
        this.base = await modelFromFiles(stored.files);
        this.baseInfo = this.describe(this.base, stored.name, false);
        return;
      } catch {
        // An imported model that no longer loads: the built-in one, and the stored one stays.
      }
    }
    const fetchBytes = async (url: string) => {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url} did not load (HTTP ${r.status})`);
      return new Uint8Array(await r.arrayBuffer());
    };
    const [json, info] = await Promise.all([fetchBytes(this.place.modelUrl), fetchBytes(this.place.baseInfoUrl)]);
    const shards = await Promise.all(weightFilesNamed(json).map(async (name) => ({ name, bytes: await fetchBytes(new URL(name, this.place.modelUrl).href) })));
    const { key } = JSON.parse(new TextDecoder().decode(info)) as { key: string };
    this.base = await modelFromFiles([{ name: 'model.json', bytes: json }, ...shards]);
    this.baseInfo = this.describe(this.base, `built-in digit CNN (${key})`, true);
  }

  private describe(model: LayersModel, source: string, builtin: boolean): ModelInfo {
    const sig = modelSignature(model, source);
    return { source, builtin, inputShape: sig.shape, numClasses: sig.numClasses, parameters: parameterCount(model) };
  }

  /** The run as the page shows it. */
  info(): RunInfo | null {
    const r = this.run;
    if (!r) return null;
    return {
      state: r.state, epochs: r.config.epochs, epochsDone: r.epochsDone, choice: r.choice, dataKind: r.config.data.kind,
      before: this.progress?.before ?? null, history: this.progress?.history ?? [],
      summary: r.summary, weightsSha256: r.weightsSha256, message: r.message,
    };
  }

  memory(report: ArenaReport, plan: RunMemory | null, planned: boolean): MemoryInfo {
    let heapBytes = 0;
    try { heapBytes = wasmMemory().buffer.byteLength; } catch { /* not on 'wasm' */ }
    return {
      bytesPerKind: report.bytesPerKind as Record<string, number>, arenaBytes: report.totalBytes,
      stateBytesPerParameter: report.stateBytesPerParameter, heapBytes, planned,
      plan: plan?.predicted ? { peakBytes: plan.peakBytes, phase: plan.phase, requiredBytes: plan.requiredBytes } : null,
    };
  }

  /** The whole run's memory (the CLI's plan: the steps, the evaluations, saving the state), refused over the budget. */
  private planned(settings: OptimizerSettings, model: LayersModel, maxMemory: number | null, batchSize = DEFAULT_BATCH, accumulate = 1): RunMemory {
    const memory = planRun({ model, settings, batchSize, accumulate });
    const refusal = overBudget(memory, maxMemory, BUDGET_NAME);
    if (refusal) throw new BudgetError(refusal);
    return memory;
  }

  plan(choice: RunChoice): MemoryInfo {
    const s = settingsOf(choice);
    return this.memory(stateLayout(s, this.base), planRun({ model: this.base, settings: s, batchSize: DEFAULT_BATCH, accumulate: 1 }), true);
  }

  /** The built-in user set (its training digits, their noisy labels), to show and edit as examples. */
  async builtinSet(noiseRate: number): Promise<{ features: Float32Array; labels: Int32Array; count: number }> {
    const task = defaultTask(await packagedDigits(this.place.digitsUrl), noiseRate, DEFAULT_SEED, this.base, this.baseInfo.source, 'import a CSV for this model');
    return { features: task.train.features, labels: task.train.labels, count: countOf(task.train) };
  }

  parseData(file: NamedBytes): { features: Float32Array; labels: Int32Array; count: number } {
    const sig = modelSignature(this.base, this.baseInfo.source);
    const { set } = parseDataset(file.bytes, file.name, sig);
    return { features: Float32Array.from(set.features), labels: Int32Array.from(set.labels), count: countOf(set) };
  }

  predict(features: Float32Array): { label: number; probability: number }[] {
    const model = this.current ?? this.base;
    const shape = model.inputs[0].shape.slice(1) as number[];
    const p = tf.tidy(() => {
      const out = model.predict(tf.tensor(features, [1, ...shape])) as tf.Tensor;
      return (outputKind(model) === 'logits' ? tf.softmax(out) : out).dataSync() as Float32Array;
    });
    return Array.from(p, (probability, label) => ({ label, probability })).sort((a, b) => b.probability - a.probability).slice(0, 3);
  }

  private async task(config: RunConfig, model: LayersModel, csv: Uint8Array | undefined, name: string): Promise<Task> {
    const spec = config.data;
    if (spec.kind === 'default') return reopenDefaultTask(spec, await packagedDigits(this.place.digitsUrl), model, name);
    if (!csv) throw new AppError(`${name} trained on ${spec.path} (SHA-256 ${spec.sha256.slice(0, 12)}…), which is not here; import that run's examples first`);
    const read = parseDataset(csv, spec.path, modelSignature(model, name));
    if (read.sha256 !== spec.sha256) {
      throw new AppError(`${name} trained on ${spec.path} (SHA-256 ${spec.sha256.slice(0, 12)}…), not on the examples here (${read.sha256.slice(0, 12)}…); import that run's examples first`);
    }
    return fileTask({ ...read, path: spec.path }, undefined, spec.holdout, spec.seed, ' (add more examples)');
  }

  /** Starts a new run on the base model; the stored run before it is replaced once this one is stored. */
  async start(choice: RunChoice, data: RunData): Promise<void> {
    if (this.training) throw new AppError('a run is in progress: pause or cancel it first');
    const settings = settingsOf(choice);
    const model = await cloneModel(this.base);
    try {
      const source = this.baseInfo.source;
      let task: Task, csv: Uint8Array | undefined;
      if (data.kind === 'default') {
        task = defaultTask(await packagedDigits(this.place.digitsUrl), data.noiseRate, DEFAULT_SEED, model, source, 'import a CSV for this model');
      } else {
        csv = examplesCsv(data.features, data.labels);
        const read = parseDataset(csv, CSV_NAME, modelSignature(model, source));
        task = fileTask({ ...read, path: CSV_NAME }, undefined, DEFAULT_HOLDOUT, DEFAULT_SEED, ' (add more examples)');
      }
      const config: RunConfig = {
        optimizer: settings, epochs: choice.epochs, batchSize: DEFAULT_BATCH, accumulate: 1, seed: DEFAULT_SEED,
        maxMemory: choice.maxMemory, data: task.spec, modelSource: source,
      };
      const memory = this.planned(settings, model, config.maxMemory);
      const run: StoredRun = {
        state: 'running', choice, config, dataName: data.kind === 'file' ? CSV_NAME : null, command: cliCommand(choice, data.kind),
        epochsDone: 0, memory, summary: null, weightsSha256: null, message: null,
      };
      // One transaction: the new run, its data, and no checkpoint yet (the old run's goes).
      await this.storage.put({ run, 'run-data': csv, checkpoint: undefined });
      this.current?.dispose();
      this.current = model;
      this.run = run;
      this.progress = null;
      await this.train(model, task);
    } catch (err) {
      if (this.current !== model) model.dispose();
      throw err;
    }
  }

  /** Continues the stored run from its checkpoint (or from its start, if it has none yet). */
  async resume(): Promise<void> {
    if (this.training) throw new AppError('a run is in progress');
    const run = this.run;
    if (!run) throw new AppError('there is no run to continue');
    if (run.epochsDone >= run.config.epochs && run.state === 'finished') throw new AppError(`the run finished all ${run.config.epochs} epochs`);
    const bytes = await this.storage.get<Uint8Array>('checkpoint');
    const csv = await this.storage.get<Uint8Array>('run-data');
    let model: LayersModel, resumeFrom: { progress: RunProgress; optimizerWeights: NamedTensor[] } | undefined;
    if (bytes) {
      const ck = await this.decode(bytes, CHECKPOINT_FILE);
      model = ck.model;
      resumeFrom = { progress: ck.progress, optimizerWeights: ck.optimizerWeights };
    } else {
      model = await cloneModel(this.base);
    }
    let task: Task;
    try {
      task = await this.task(run.config, model, csv, CHECKPOINT_FILE);
      // The run's budget holds for the rest of it: planned again before it trains.
      this.planned(run.config.optimizer, model, run.config.maxMemory, run.config.batchSize, run.config.accumulate ?? 1);
    } catch (err) {
      if (resumeFrom) tf.dispose(resumeFrom.optimizerWeights.map((w) => w.tensor));
      model.dispose();
      throw err;
    }
    this.run = { ...run, state: 'running', message: null };
    await this.storage.put({ run: this.run });
    if (this.current !== model) this.current?.dispose();
    this.current = model;
    await this.train(model, task, resumeFrom);
  }

  private async decode(bytes: Uint8Array, name: string) {
    const ck = await decodeTrainingCheckpoint<RunConfig, RunProgress>(bytes, name);
    try {
      checkRunCheckpoint(ck.config, ck.progress, name);
      checkOptimizerState(ck.optimizerWeights, ck.model, name);
    } catch (err) {
      tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
      ck.model.dispose();
      throw err;
    }
    return ck;
  }

  private async train(model: LayersModel, task: Task, resumeFrom?: { progress: RunProgress; optimizerWeights: NamedTensor[] }): Promise<void> {
    const control: { paused: boolean; cancelled: boolean; wake?: () => void } = { paused: false, cancelled: false };
    this.control = control;
    const config = this.run!.config;
    this.progress = resumeFrom ? { ...resumeFrom.progress } : null;
    this.events.started(this.info()!);
    let arena: ArenaReport | null = null;
    try {
      const { run } = await runOptimizer({
        config, model, task, resumeFrom, checkpointName: CHECKPOINT_FILE, budgetName: BUDGET_NAME,
        saveCheckpoint: async (content: CheckpointContent<RunConfig, RunProgress>) => {
          const bytes = await encodeTrainingCheckpoint(content);
          // The run record is written after its latest change: a pause while this write is
          // queued writes after it, with this epoch in it.
          const before = this.run!;
          this.run = { ...before, epochsDone: content.progress.epochsDone };
          try {
            await this.storage.put({ run: this.run, checkpoint: bytes });
          } catch (err) {
            this.run = { ...this.run, epochsDone: before.epochsDone };
            throw err;
          }
          this.progress = { ...content.progress, history: [...content.progress.history] };
        },
        onBatch: async (epoch, batch, batches, loss) => {
          this.events.batch(epoch, batch, batches, loss);
          if (control.paused && !control.cancelled) {
            // Said only now that nothing runs (a pause asked for during an epoch's evaluation
            // and checkpoint takes effect after them).
            this.events.paused(this.info()!, epoch, batch);
            while (control.paused && !control.cancelled) await new Promise<void>((wake) => { control.wake = wake; });
            if (!control.cancelled) this.events.continued(this.info()!);
          }
          if (control.cancelled) throw new CancelledError();
        },
        onSaved: (_record, memory) => {
          arena = memory;
          if (memory) this.events.epoch(this.info()!, this.memory(memory, this.run!.memory, false));
        },
      });
      const summary = summaryOf(this.run!.command, [config], this.versions(), [...task.description, `model: ${config.modelSource}`], [run], this.run!.memory ?? undefined);
      const weightsSha256 = sha256Hex(weightBytes((await modelArtifacts(model)).weightData));
      this.run = { ...this.run!, state: 'finished', summary, weightsSha256 };
      this.control = null;
      await this.storage.put({ run: this.run }).catch(() => { /* the checkpoint is stored; the summary is shown */ });
      this.events.finished(this.info()!, this.memory(arena ?? stateLayout(config.optimizer, model), this.run!.memory, arena === null));
    } catch (err) {
      this.control = null;
      const cancelled = err instanceof CancelledError;
      this.run = { ...this.run!, state: cancelled ? 'stopped' : 'failed', message: cancelled ? null : (err as Error).message.split('\n')[0] };
      await this.storage.put({ run: this.run }).catch(() => { /* said below */ });
      // The model is mid-epoch: the last checkpoint's is the run's model again.
      await this.restoreFromCheckpoint(model);
      if (cancelled) this.events.stopped(this.info()!);
      else this.events.failed((err as Error).name, (err as Error).message.split('\n')[0]);
    } finally {
      this.control = null;
    }
  }

  private async restoreFromCheckpoint(trained: LayersModel): Promise<void> {
    const bytes = await this.storage.get<Uint8Array>('checkpoint').catch(() => undefined);
    if (this.current === trained) this.current = null;
    trained.dispose();
    if (!bytes) return;
    try {
      const ck = await this.decode(bytes, CHECKPOINT_FILE);
      tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
      this.current = ck.model;
    } catch { /* left as it is */ }
  }

  /** Asks the run to wait after the step in progress (events.paused says when it does). */
  pause(): void {
    if (!this.control || this.control.paused) return;
    this.control.paused = true;
    this.run = { ...this.run!, state: 'paused' };
    void this.storage.put({ run: this.run }).catch(() => undefined);
  }

  continue(): void {
    if (!this.control?.paused) return;
    this.control.paused = false;
    this.run = { ...this.run!, state: 'running' };
    void this.storage.put({ run: this.run }).catch(() => undefined);
    this.control.wake?.();
  }

  cancel(): void {
    if (!this.control) return;
    this.control.cancelled = true;
    this.control.wake?.();
  }

  private versions(): Record<string, string> {
    return { 'fsam-edge': this.place.appVersion, ...versions, browser: this.place.userAgent };
  }

  async importModel(files: NamedBytes[], exampleFeatures: number | null): Promise<ModelInfo> {
    if (this.training) throw new AppError('a run is in progress: cancel it before importing a model');
    const model = await modelFromFiles(files);
    const name = files.find((f) => f.name.endsWith('.json'))?.name ?? 'model.json';
    try {
      const info = this.describe(model, name, false);
      const size = info.inputShape.reduce((a, b) => a * b, 1);
      if (exampleFeatures !== null && exampleFeatures !== size) {
        throw new DataError(`${name}: its input [${info.inputShape.join(', ')}] takes ${size} features, but the examples here have ${exampleFeatures}; remove them first, or import a CSV for this model after it`);
      }
      await this.storage.put({ model: { name, files } satisfies StoredModel, run: undefined, 'run-data': undefined, checkpoint: undefined });
      this.replaceBase(model, info);
      return info;
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  async resetModel(): Promise<ModelInfo> {
    if (this.training) throw new AppError('a run is in progress: cancel it first');
    await this.storage.put({ model: undefined, run: undefined, 'run-data': undefined, checkpoint: undefined });
    const old = this.base;
    await this.loadBase();
    old.dispose();
    this.current?.dispose();
    this.current = null;
    this.run = null;
    this.progress = null;
    return this.baseInfo;
  }

  private replaceBase(model: LayersModel, info: ModelInfo): void {
    this.base.dispose();
    this.base = model;
    this.baseInfo = info;
    this.current?.dispose();
    this.current = null;
    this.run = null;
    this.progress = null;
  }

  /** Takes over a checkpoint file (the CLI's or an export), after every check the CLI makes on resume. */
  async importCheckpoint(file: NamedBytes, examples: RunData | undefined): Promise<RunInfo> {
    if (this.training) throw new AppError('a run is in progress: cancel it before importing a checkpoint');
    const ck = await this.decode(file.bytes, file.name);
    try {
      const { config, progress } = ck;
      const csv = config.data.kind === 'file' && examples?.kind === 'file' ? examplesCsv(examples.features, examples.labels) : undefined;
      await this.task(config, ck.model, csv, file.name); // the data it trained on is here, unchanged
      const finished = progress.epochsDone >= config.epochs;
      // As the CLI's resume: the rest of the run is planned against its budget (a finished run trains no more).
      const memory = this.planned(config.optimizer, ck.model, finished ? null : config.maxMemory, config.batchSize, config.accumulate ?? 1);
      const choice: RunChoice = { optimizer: config.optimizer.name, rho: config.optimizer.rho, epochs: config.epochs, lowMemory: config.optimizer.lowMemory, maxMemory: config.maxMemory };
      const command = cliCommand(choice, config.data.kind);
      const run: StoredRun = {
        state: finished ? 'finished' : 'stopped', choice, config, dataName: config.data.kind === 'file' ? config.data.path : null, command,
        epochsDone: progress.epochsDone, message: null, memory,
        summary: finished ? summaryOf(command, [config], this.versions(), [`model: ${config.modelSource}`],
          [reportRun(config, stateLayout(config.optimizer, ck.model), progress.before, progress.history, progress.history.reduce((a, e) => a + e.seconds, 0))], memory) : null,
        weightsSha256: finished ? sha256Hex(weightBytes((await modelArtifacts(ck.model)).weightData)) : null,
      };
      await this.storage.put({ run, 'run-data': csv, checkpoint: file.bytes });
      this.current?.dispose();
      this.current = ck.model;
      this.run = run;
      this.progress = progress;
      return this.info()!;
    } catch (err) {
      ck.model.dispose();
      throw err;
    } finally {
      tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
    }
  }

  async export(what: 'checkpoint' | 'model' | 'examples' | 'summary' | 'report', data?: RunData): Promise<NamedBytes[]> {
    switch (what) {
      case 'checkpoint': {
        const bytes = await this.storage.get<Uint8Array>('checkpoint');
        if (!bytes) throw new AppError('there is no checkpoint yet: it is written after each epoch');
        return [{ name: CHECKPOINT_FILE, bytes }];
      }
      case 'model':
        if (this.training) throw new AppError('the model is training: pause or wait for the run to end');
        return modelFiles(this.current ?? this.base);
      case 'examples':
        if (data?.kind !== 'file' || data.labels.length === 0) throw new AppError('there are no examples to export');
        return [{ name: CSV_NAME, bytes: examplesCsv(data.features, data.labels) }];
      case 'summary':
      case 'report': {
        const summary = this.run?.summary;
        if (!summary) throw new AppError('no run has finished yet');
        if (what === 'summary') return [{ name: 'summary.json', bytes: new TextEncoder().encode(summaryJson(summary)) }];
        const html = renderReport({
          title: `fsam-edge personalize (${summary.runs[0].optimizer}, browser app)`, command: summary.command, task: summary.task, runs: summary.runs,
          budgetBytes: this.run!.config.maxMemory ?? undefined, configuration: configurationRows(summary.config, summary.versions), createdAt: new Date().toISOString(),
        });
        return [{ name: 'report.html', bytes: new TextEncoder().encode(html) }];
      }
    }
  }
}

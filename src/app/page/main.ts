// The app's page: examples (drawn, imported or built in), the run's controls and its live
// chart, trying the model, and files in and out. Every tensor lives in the Web Worker
// (../worker/worker.ts); the page only draws, listens and stores the person's examples.
// index.html?autorun=N runs the built-in task for N epochs with the CLI's defaults and
// seed 0, and writes summary.json's content into <pre id="summary">.
import { DEFAULT_EPOCHS, DEFAULT_NOISE, DEFAULT_OPTIMIZER, DEFAULT_SETTINGS, parseBytes, type OptimizerName } from '../../personalize/settings';
import { summaryJson } from '../../personalize/summary';
import { KIND_NAMES, formatBytes } from '../../report/html';
import { EMPTY_SET, isBuiltinTask, setProblem, flatten, type Example, type ExampleSet } from '../common/examples';
import type { FromWorker, MemoryInfo, ModelInfo, NamedBytes, RunChoice, RunData, RunInfo, ThreadsInfo, ToWorker } from '../common/protocol';
import { openStorage, memoryStorage, type Storage } from '../common/storage';
import { DrawingPad } from './drawing';
import { ExamplesView } from './examples_view';
import { chartSvg } from './chart';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const button = (id: string) => $<HTMLButtonElement>(id);
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);

// ---- messages ------------------------------------------------------------------------

const messageEl = $('message');
function say(text: string, kind: 'error' | 'info' = 'error'): void {
  messageEl.textContent = text.split('\n')[0];
  messageEl.className = kind;
  messageEl.hidden = false;
}
const unsay = () => { messageEl.hidden = true; messageEl.textContent = ''; };

// ---- the worker ----------------------------------------------------------------------

const worker = new Worker(new URL('worker.js', location.href), { type: 'module' });
/** Requests waiting for their answer, first in first out per kind of request. */
const waiting = new Map<string, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[]>();
const pending = (type: string) => waiting.get(type)?.shift();
const ANSWERS: Partial<Record<ToWorker['type'], FromWorker['type']>> = {
  init: 'ready', builtinSet: 'builtinSet', plan: 'plan', predict: 'prediction', parseData: 'data',
  importModel: 'model', resetModel: 'model', importCheckpoint: 'run', export: 'files',
};

function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(m, transfer);
}

/** Sends a request and waits for its answer (or its error). */
function ask<T extends FromWorker['type']>(m: ToWorker, transfer: Transferable[] = []): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    waiting.set(m.type, [...(waiting.get(m.type) ?? []), { resolve: resolve as (m: FromWorker) => void, reject }]);
    send(m, transfer);
  });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'error') {
    const asked = pending(m.request);
    if (asked) asked.reject(Object.assign(new Error(m.message), { name: m.name }));
    else onRunError(m.request, m.message);
    return;
  }
  for (const [request, answer] of Object.entries(ANSWERS)) {
    if (answer !== m.type || !waiting.get(request)?.length) continue;
    pending(request)!.resolve(m);
    return;
  }
  onRunEvent(m);
};
worker.onerror = (e) => say(`The training worker failed: ${e.message}`);

// ---- state ---------------------------------------------------------------------------

let storage: Storage = memoryStorage();
let model: ModelInfo | null = null;
let set: ExampleSet = EMPTY_SET;
let run: RunInfo | null = null;
let busy: 'idle' | 'starting' | 'running' | 'pausing' | 'paused' = 'idle';
const autorun = (() => {
  const v = new URLSearchParams(location.search).get('autorun');
  if (v === null) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 1 && n <= 100_000 ? n : NaN;
})();

const isImageModel = () => model !== null && model.inputShape.reduce((a, b) => a * b, 1) === 28 * 28 && model.numClasses === 10;

// ---- examples ------------------------------------------------------------------------

const view = new ExamplesView({
  thumbs: $('thumbs'), counts: $('counts'), selected: $('selected'), selectedText: $('selected-text'),
  relabel: $<HTMLSelectElement>('relabel'), remove: button('delete'),
}, {
  relabel: (id, label) => changeSet({ ...set, items: set.items.map((e) => (e.id === id ? { ...e, label } : e)), builtin: touched(set) }),
  remove: (id) => changeSet({ ...set, items: set.items.filter((e) => e.id !== id), builtin: touched(set) }),
});

const touched = (s: ExampleSet) => (s.builtin ? { ...s.builtin, intact: false } : null);

function changeSet(next: ExampleSet): void {
  set = next.items.length === 0 ? { ...EMPTY_SET, nextId: next.nextId } : next;
  view.show(set, model?.numClasses ?? 10, isImageModel());
  updateControls();
  storage.put({ examples: set }).catch((err: Error) => say(`The examples were not stored: ${err.message}`));
}

function addExamples(features: Float32Array, labels: Int32Array, origin: Example['origin'], builtin: ExampleSet['builtin'] = touched(set)): void {
  const d = features.length / labels.length;
  const items = Array.from(labels, (label, i) => ({ id: set.nextId + i, features: features.slice(i * d, (i + 1) * d), label, origin }));
  changeSet({ items: [...set.items, ...items], builtin, nextId: set.nextId + labels.length });
}

const drawPad = new DrawingPad($<HTMLCanvasElement>('draw'));
$('labels').append(...Array.from({ length: 10 }, (_, c) => {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = String(c);
  b.setAttribute('aria-label', `add the drawing labelled ${c}`);
  b.addEventListener('click', () => {
    const features = drawPad.features();
    if (!features) { say('Draw a digit on the pad first, then press its label.'); return; }
    unsay();
    addExamples(features, Int32Array.of(c), 'drawn');
    drawPad.clear();
  });
  return b;
}));
button('clear-draw').addEventListener('click', () => drawPad.clear());

button('add-builtin').addEventListener('click', async () => {
  try {
    const m = await ask<'builtinSet'>({ type: 'builtinSet', noiseRate: DEFAULT_NOISE });
    unsay();
    const alone = set.items.length === 0;
    addExamples(m.features, m.labels, 'builtin', { noiseRate: DEFAULT_NOISE, intact: alone });
  } catch (err) { say((err as Error).message); }
});
button('clear-examples').addEventListener('click', () => { unsay(); changeSet({ ...EMPTY_SET, nextId: set.nextId }); });

const pickFile = (input: HTMLInputElement) => () => { input.value = ''; input.click(); };
button('import-data-button').addEventListener('click', pickFile($<HTMLInputElement>('import-data')));
$<HTMLInputElement>('import-data').addEventListener('change', async (e) => {
  const files = [...((e.target as HTMLInputElement).files ?? [])];
  if (files.length) await importData(files[0]);
});

async function importData(file: File): Promise<void> {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const m = await ask<'data'>({ type: 'parseData', file: { name: file.name, bytes } }, [bytes.buffer]);
    unsay();
    addExamples(m.features, m.labels, 'imported');
    say(`Imported ${m.count} examples from ${m.name}.`, 'info');
  } catch (err) { say((err as Error).message); }
}

button('export-data').addEventListener('click', () => exportFiles('examples'));

// ---- run controls --------------------------------------------------------------------

const optimizerEl = $<HTMLSelectElement>('optimizer');
const rhoEl = $<HTMLInputElement>('rho');
const epochsEl = $<HTMLInputElement>('epochs');
const budgetEl = $<HTMLInputElement>('budget');
const lowMemoryEl = $<HTMLInputElement>('low-memory');

/** The controls as a run's choice, or a one-line reason they are not one. */
function choice(): RunChoice | string {
  const optimizer = optimizerEl.value as OptimizerName;
  const rho = Number(rhoEl.value);
  if (rhoEl.value.trim() === '' || !Number.isFinite(rho) || rho < 0) return `ρ must be a number >= 0, got '${rhoEl.value}'.`;
  const epochs = Number(epochsEl.value);
  if (!/^\s*\d+\s*$/.test(epochsEl.value) || !Number.isSafeInteger(epochs) || epochs < 1 || epochs > 100_000) return `Epochs must be a whole number from 1 to 100000, got '${epochsEl.value}'.`;
  let maxMemory: number | null = null;
  if (budgetEl.value.trim() !== '') {
    const b = parseBytes(budgetEl.value);
    if (b === undefined) return `The memory budget is a size in bytes, e.g. 65536, 512KB or 2MB; got '${budgetEl.value}'.`;
    maxMemory = b;
  }
  const sharp = optimizer === 'fsam' || optimizer === 'sam';
  return { optimizer, rho, epochs, lowMemory: sharp && lowMemoryEl.checked, maxMemory };
}

function showChoice(c: RunChoice): void {
  optimizerEl.value = c.optimizer;
  rhoEl.value = String(c.rho);
  epochsEl.value = String(c.epochs);
  lowMemoryEl.checked = c.lowMemory;
  budgetEl.value = c.maxMemory === null ? '' : String(c.maxMemory);
}

let planTimer = 0;
function updatePlan(): void {
  clearTimeout(planTimer);
  planTimer = window.setTimeout(async () => {
    const c = choice();
    if (typeof c === 'string' || !model || busy !== 'idle') return;
    try { showMemory((await ask<'plan'>({ type: 'plan', choice: c })).memory); } catch { /* the run says why */ }
  }, 150);
}
for (const el of [optimizerEl, rhoEl, epochsEl, budgetEl, lowMemoryEl]) el.addEventListener('input', () => { updateControls(); updatePlan(); });

function runData(): RunData {
  if (isBuiltinTask(set)) return { kind: 'default', noiseRate: set.builtin!.noiseRate };
  return { kind: 'file', name: 'examples.csv', ...flatten(set) };
}

button('personalize').addEventListener('click', () => start());

function start(fixed?: RunChoice, data?: RunData): void {
  const c = fixed ?? choice();
  if (typeof c === 'string') { say(c); return; }
  if (!data) {
    const problem = setProblem(set, model?.numClasses ?? 10);
    if (problem) { say(problem); return; }
  }
  unsay();
  busy = 'starting';
  document.body.dataset.run = 'starting';
  updateControls();
  setStatus('Preparing the run…');
  const d = data ?? runData();
  send({ type: 'start', choice: c, data: d }, d.kind === 'file' ? [d.features.buffer, d.labels.buffer] : []);
  pendingSettings = c;
}
let pendingSettings: RunChoice | null = null;

button('pause').addEventListener('click', () => {
  if (busy === 'paused' || busy === 'pausing') { send({ type: 'continue' }); busy = 'running'; setStatus('Continuing…'); }
  else { send({ type: 'pause' }); busy = 'pausing'; setStatus('Pausing after the step in progress…'); }
  updateControls();
});
button('cancel').addEventListener('click', () => { send({ type: 'cancel' }); setStatus('Stopping after this step…'); });

function updateControls(): void {
  const training = busy !== 'idle';
  const unfinished = run !== null && run.state !== 'finished' && run.epochsDone < run.epochs;
  const p = button('personalize');
  p.disabled = training || model === null;
  p.textContent = !training && unfinished && run!.state !== 'failed' ? 'Personalize anew' : 'Personalize';
  button('pause').disabled = !(busy === 'running' || busy === 'pausing' || busy === 'paused');
  button('pause').textContent = busy === 'paused' || busy === 'pausing' ? 'Continue' : 'Pause';
  button('cancel').disabled = !(busy === 'running' || busy === 'pausing' || busy === 'paused');
  continueButton.hidden = training || !unfinished;
  continueButton.textContent = run ? `Continue the run (epoch ${run.epochsDone} of ${run.epochs})` : 'Continue';
  for (const el of [optimizerEl, rhoEl, epochsEl, budgetEl, lowMemoryEl]) el.disabled = training;
  rhoEl.disabled = training || optimizerEl.value === 'sgd';
  lowMemoryEl.disabled = training || optimizerEl.value === 'sgd';
  for (const id of ['add-builtin', 'import-data-button', 'clear-examples', 'import-model-button', 'reset-model', 'import-checkpoint-button']) button(id).disabled = training || model === null;
  button('export-model').disabled = training || model === null;
  button('export-data').disabled = set.items.length === 0;
  const drawing = isImageModel();
  $('labels').querySelectorAll('button').forEach((b) => { b.disabled = !drawing; });
  button('add-builtin').disabled ||= !drawing;
  const finished = run?.summary != null;
  button('export-summary').disabled = !finished;
  button('export-report').disabled = !finished;
  button('export-checkpoint').disabled = run === null || run.epochsDone === 0;
}

const continueButton = document.createElement('button');
continueButton.type = 'button';
continueButton.id = 'continue-run';
continueButton.hidden = true;
continueButton.addEventListener('click', () => { unsay(); busy = 'starting'; document.body.dataset.run = 'starting'; updateControls(); send({ type: 'resume' }); });
button('cancel').after(continueButton);

// ---- run display ---------------------------------------------------------------------

const progressEl = $<HTMLProgressElement>('progress');
const setStatus = (text: string) => { $('status').textContent = text; };

function showRun(r: RunInfo | null): void {
  run = r;
  $('before').textContent = pct(r?.before?.accuracy);
  $('after').textContent = r && r.history.length ? pct(r.history[r.history.length - 1].heldOutAccuracy) : '–';
  $('chart').innerHTML = r && (r.before || r.history.length) ? chartSvg(r.before, r.history) : '';
  progressEl.value = r ? r.epochsDone / r.epochs : 0;
  $('weights-sha256').textContent = r?.weightsSha256 ?? '–';
  const summary = $('summary');
  summary.textContent = r?.summary ? summaryJson(r.summary) : '';
  if (r?.summary) (summary.parentElement as HTMLDetailsElement).open = autorun !== null;
  if (r) {
    const where = `epoch ${r.epochsDone} of ${r.epochs}`;
    setStatus(r.state === 'finished' ? `Finished ${r.epochs} epochs.` : r.state === 'stopped' ? `Stopped after ${where}; the checkpoint is kept.`
      : r.state === 'failed' ? `Stopped after ${where}.` : busy === 'pausing' ? 'Pausing after the step in progress…'
      : r.state === 'paused' ? `Paused at ${where}.` : `Training: ${where}.`);
  }
  updateControls();
}

function showMemory(m: MemoryInfo): void {
  const rows: [string, string][] = Object.entries(m.bytesPerKind).map(([k, v]) => [KIND_NAMES[k] ?? k, formatBytes(v)]);
  rows.push([`arena${m.planned ? ' (planned)' : ''}; state ${m.stateBytesPerParameter.toFixed(0)} B/parameter`, formatBytes(m.arenaBytes)]);
  rows.push(['wasm heap now', m.heapBytes ? formatBytes(m.heapBytes) : '–']);
  if (m.plan) rows.push([`run plan: heap peak (${m.plan.phase}); the budget must allow ${formatBytes(m.plan.requiredBytes)}`, formatBytes(m.plan.peakBytes)]);
  $('memory').querySelector('tbody')!.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td'); a.textContent = k;
    const b = document.createElement('td'); b.textContent = v;
    tr.append(a, b);
    return tr;
  }));
}

function onRunEvent(m: FromWorker): void {
  switch (m.type) {
    case 'started':
      performance.mark('fsam-edge:run-started');
      busy = 'running';
      if (pendingSettings) { storage.put({ settings: pendingSettings }).catch(() => undefined); pendingSettings = null; }
      showRun(m.run);
      setStatus(`Training: epoch ${m.run.epochsDone + 1} of ${m.run.epochs}…`);
      document.body.dataset.run = 'running';
      break;
    case 'batch':
      if (run) progressEl.value = (m.epoch - 1 + m.batch / m.batches) / run.epochs;
      if (busy === 'running') setStatus(`Training: epoch ${m.epoch} of ${run?.epochs ?? '?'}, step ${m.batch} of ${m.batches}, loss ${m.loss.toFixed(4)}`);
      break;
    case 'epoch':
      showRun(m.run);
      showMemory(m.memory);
      document.body.dataset.epochs = String(m.run.epochsDone);
      break;
    case 'paused':
      if (busy !== 'pausing') break; // Continue was pressed meanwhile
      busy = 'paused';
      showRun(m.run);
      setStatus(`Paused after step ${m.batch} of epoch ${m.epoch}: nothing runs until Continue.`);
      break;
    case 'continued': busy = 'running'; showRun(m.run); break;
    case 'finished':
      performance.mark('fsam-edge:run-ended');
      busy = 'idle';
      showRun(m.run);
      showMemory(m.memory);
      document.body.dataset.run = 'finished';
      break;
    case 'stopped': performance.mark('fsam-edge:run-ended'); busy = 'idle'; showRun(m.run); document.body.dataset.run = 'stopped'; break;
    default: break;
  }
}

function onRunError(request: string, message: string): void {
  if (request === 'start' || request === 'resume' || request === 'run') {
    performance.mark('fsam-edge:run-ended');
    busy = 'idle';
    document.body.dataset.run = 'failed';
    setStatus('');
    updateControls();
  }
  say(message);
}

// ---- try it --------------------------------------------------------------------------

const tryPad = new DrawingPad($<HTMLCanvasElement>('try-pad'), () => predict());
button('clear-try').addEventListener('click', () => { tryPad.clear(); $('top3').replaceChildren(item('Draw a digit above.')); });
const item = (text: string) => { const li = document.createElement('li'); li.textContent = text; return li; };

async function predict(): Promise<void> {
  const features = tryPad.features();
  if (!features || !isImageModel()) return;
  try {
    const { top } = await ask<'prediction'>({ type: 'predict', features }, [features.buffer]);
    $('top3').replaceChildren(...top.map(({ label, probability }) => {
      const li = item(`${label}: ${(100 * probability).toFixed(1)}%`);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(1, 100 * probability)}%`;
      li.append(bar);
      return li;
    }));
  } catch (err) { say((err as Error).message); }
}

// ---- files ---------------------------------------------------------------------------

function download(files: NamedBytes[]): void {
  for (const f of files) {
    const url = URL.createObjectURL(new Blob([f.bytes as Uint8Array<ArrayBuffer>]));
    const a = document.createElement('a');
    a.href = url;
    a.download = f.name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

async function exportFiles(what: 'checkpoint' | 'model' | 'examples' | 'summary' | 'report'): Promise<void> {
  try {
    const data = what === 'examples' ? { kind: 'file' as const, name: 'examples.csv', ...flatten(set) } : undefined;
    download((await ask<'files'>({ type: 'export', what, data })).files);
  } catch (err) { say((err as Error).message); }
}
button('export-checkpoint').addEventListener('click', () => exportFiles('checkpoint'));
button('export-model').addEventListener('click', () => exportFiles('model'));
button('export-summary').addEventListener('click', () => exportFiles('summary'));
button('export-report').addEventListener('click', () => exportFiles('report'));

const readAll = (files: File[]) => Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));

async function importModel(files: File[]): Promise<void> {
  try {
    const named = await readAll(files);
    const exampleFeatures = set.items.length ? set.items[0].features.length : null;
    const m = await ask<'model'>({ type: 'importModel', files: named, exampleFeatures });
    showModel(m.model);
    showRun(null);
    say(`Now personalizing ${m.model.source}.`, 'info');
  } catch (err) { say((err as Error).message); }
}

async function importCheckpoint(file: File): Promise<void> {
  try {
    const [named] = await readAll([file]);
    const examples: RunData | undefined = set.items.length ? { kind: 'file', name: 'examples.csv', ...flatten(set) } : undefined;
    const m = await ask<'run'>({ type: 'importCheckpoint', file: named, examples });
    unsay();
    if (m.run) showChoice(m.run.choice);
    showRun(m.run);
    if (m.run) say(`Imported ${file.name}: ${m.run.state === 'finished' ? 'a finished run' : `epoch ${m.run.epochsDone} of ${m.run.epochs}; Continue trains the rest`}.`, 'info');
  } catch (err) { say((err as Error).message); }
}

button('import-model-button').addEventListener('click', pickFile($<HTMLInputElement>('import-model')));
$<HTMLInputElement>('import-model').addEventListener('change', (e) => { const f = [...((e.target as HTMLInputElement).files ?? [])]; if (f.length) void importModel(f); });
button('import-checkpoint-button').addEventListener('click', pickFile($<HTMLInputElement>('import-checkpoint')));
$<HTMLInputElement>('import-checkpoint').addEventListener('change', (e) => { const f = (e.target as HTMLInputElement).files?.[0]; if (f) void importCheckpoint(f); });
button('reset-model').addEventListener('click', async () => {
  try {
    const m = await ask<'model'>({ type: 'resetModel' });
    showModel(m.model);
    showRun(null);
    unsay();
  } catch (err) { say((err as Error).message); }
});

// Files dropped anywhere: a checkpoint, a model (model.json with its weights), or data.
document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
document.addEventListener('dragleave', (e) => { if (e.relatedTarget === null) document.body.classList.remove('dragging'); });
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  if (busy !== 'idle') { say('A run is in progress: drop files when it has ended.'); return; }
  const files = [...(e.dataTransfer?.files ?? [])];
  const fsam = files.find((f) => f.name.toLowerCase().endsWith('.fsam'));
  if (fsam) void importCheckpoint(fsam);
  else if (files.some((f) => f.name.toLowerCase().endsWith('.bin') || f.name === 'model.json')) void importModel(files);
  else if (files[0]) void importData(files[0]);
});

// ---- start ---------------------------------------------------------------------------

function showModel(m: ModelInfo): void {
  model = m;
  $('model-line').textContent = `Model: ${m.source} — input [${m.inputShape.join(', ')}], ${m.numClasses} classes, ${m.parameters.toLocaleString('en')} parameters. ` +
    (isImageModel() ? 'Draw digits, or add the built-in set.' : 'Its input is not a 28×28 digit: import a CSV of examples for it.');
  view.show(set, m.numClasses, isImageModel());
  updateControls();
  updatePlan();
}

function showThreads(t: ThreadsInfo): void {
  document.body.dataset.threads = String(t.threads);
  $('threads-line').textContent = t.threads > 1 ? `Training runs on ${t.threads} threads.`
    : `Training runs on one thread${t.reason ? `: ${t.reason}` : '.'}`;
}

async function main(): Promise<void> {
  updateControls();
  try {
    storage = await openStorage();
  } catch (err) {
    say((err as Error).message);
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((err: Error) => console.warn(`offline use is not available: ${err.message}`));
  }
  set = (await storage.get<ExampleSet>('examples').catch(() => undefined)) ?? EMPTY_SET;
  const settings = await storage.get<RunChoice>('settings').catch(() => undefined);
  showChoice(settings ?? { optimizer: DEFAULT_OPTIMIZER, rho: DEFAULT_SETTINGS.rho, epochs: DEFAULT_EPOCHS, lowMemory: DEFAULT_SETTINGS.lowMemory, maxMemory: null });
  let ready;
  try {
    ready = await ask<'ready'>({ type: 'init' });
  } catch (err) {
    $('model-line').textContent = 'The model did not load.';
    say(`The training worker did not start: ${(err as Error).message}`);
    return;
  }
  if (ready.storage && messageEl.hidden) say(ready.storage);
  showThreads(ready.threads);
  showModel(ready.model);
  showRun(ready.run);
  document.body.dataset.ready = 'true';
  if (autorun !== null) {
    if (Number.isNaN(autorun)) { say(`?autorun= takes a number of epochs from 1 to 100000, got '${new URLSearchParams(location.search).get('autorun')}'.`); return; }
    const c: RunChoice = { optimizer: DEFAULT_OPTIMIZER, rho: DEFAULT_SETTINGS.rho, epochs: autorun, lowMemory: false, maxMemory: null };
    showChoice(c);
    start(c, { kind: 'default', noiseRate: DEFAULT_NOISE });
    return;
  }
  if (ready.run?.state === 'running') {
    // A reload or a crashed tab: the run goes on from its last checkpoint.
    say(`Resuming the run after epoch ${ready.run.epochsDone} of ${ready.run.epochs}.`, 'info');
    busy = 'starting';
    document.body.dataset.run = 'starting';
    updateControls();
    send({ type: 'resume' });
  }
}

void main();

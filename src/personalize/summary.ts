// What a finished run reports: summary.json's content (the CLI writes it to a file, the
// browser app shows it) and the configuration rows of report.html.
import type { ReportRun } from '../report/html';
import type { RunConfig } from './run';
import type { RunMemory } from './memory';

export interface Summary {
  command: string;
  config: Record<string, unknown>;
  versions: Record<string, string>;
  task: string[];
  runs: ReportRun[];
  /** The run's memory plan, made before it trained. */
  memory?: RunMemory;
}

/** A run's configuration as summary.json records it and the report shows it. */
export function configuration(configs: RunConfig[]): Record<string, unknown> {
  const [c] = configs;
  return {
    seed: c.seed, epochs: c.epochs, batchSize: c.batchSize, accumulate: c.accumulate ?? 1, maxMemory: c.maxMemory, model: c.modelSource, data: c.data,
    optimizers: configs.map((x) => x.optimizer),
  };
}

export function summaryOf(command: string, configs: RunConfig[], versions: Record<string, string>, task: string[], runs: ReportRun[], memory?: RunMemory): Summary {
  return { command, config: configuration(configs), versions, task, runs, ...(memory ? { memory } : {}) };
}

/** summary.json's text. */
export const summaryJson = (summary: Summary): string => `${JSON.stringify(summary, null, 2)}\n`;

function memoryText(m: RunMemory): string {
  return m.predicted ? `heap peak ${m.peakBytes} bytes (${m.phase}); a cap must allow ${m.requiredBytes} bytes${m.rssBytes !== null ? `; process peak RSS about ${m.rssBytes} bytes` : ''}` : `not predicted (${m.reason})`;
}

export function configurationRows(config: Record<string, unknown>, v: Record<string, string>, memory?: RunMemory): [string, string][] {
  const data = config.data as RunConfig['data'];
  return [
    ['seed', String(config.seed)], ['epochs', String(config.epochs)],
    ['batch size', `${config.batchSize}${(config.accumulate as number) > 1 ? ` in ${config.accumulate} micro-batches` : ''}`],
    ['wasm memory budget', config.maxMemory === null ? 'none' : `${config.maxMemory} bytes`],
    ...(memory ? [['wasm memory planned', memoryText(memory)]] as [string, string][] : []),
    ['model', String(config.model)],
    ...(data.kind === 'file'
      ? [['data', `${data.path} (SHA-256 ${data.sha256})`], ['held out', data.evalPath ? `${data.evalPath} (SHA-256 ${data.evalSha256})` : `${data.holdout * 100}% of the data`]] as [string, string][]
      : [['data', `built-in digits, ${data.noiseRate * 100}% wrong labels, seed ${data.seed}`]] as [string, string][]),
    ...(config.optimizers as RunConfig['optimizer'][]).map((o) => [`optimizer ${o.name}`, Object.entries(o).filter(([k]) => k !== 'name').map(([k, x]) => `${k}=${x}`).join(' ')] as [string, string]),
    ['versions', Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')],
  ];
}

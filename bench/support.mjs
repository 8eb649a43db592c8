// Shared by the benchmarks: the machine, the load, timing, statistics, result files.
import os from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';

export const machine = () => `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;

/** os.loadavg(): 1, 5 and 15 minute load averages (the machine is shared: record it). */
export const load = () => os.loadavg().map((x) => +x.toFixed(2));

export function meanStd(xs) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std, n: xs.length };
}

/**
 * Milliseconds per call of fn: the 10th percentile of the per-call times over enough
 * repetitions to fill ~budgetMs. The machine is shared (2 cores, other jobs): being
 * descheduled only ever adds time, so a low percentile estimates the undisturbed cost
 * far more stably than the median does (measured: single calls of a 2 ms step spread
 * to 140 ms at load 8).
 */
export function time(fn, budgetMs, { warmup = 3, min = 10 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < min) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return percentile10(samples);
}

export function percentile10(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * 0.1)];
}

/** time() for an async fn. */
export async function timeAsync(fn, budgetMs, { warmup = 3, min = 10 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < min) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return percentile10(samples);
}

export function writeResults(name, result, markdown) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${name}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(new URL(`./results/${name}.md`, import.meta.url), `${markdown}\n`);
}

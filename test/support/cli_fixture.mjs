// What the CLI's tests and fuzzers share: the command run as a child process, a tiny
// seeded dense model in tfjs format, a seeded 4-feature CSV, and a snapshot of a folder.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/fsam-edge.mjs', import.meta.url));

/** Runs `fsam-edge args…`; resolves to its status, output and wall time. */
export function runCli(args, { env = {}, cwd, timeout = 120_000 } = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd, timeout, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** A 4-feature, 3-class problem: Gaussian blobs, seeded. */
export function blobs(n, seed) {
  let s = seed >>> 0;
  const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = [[2, 0, 0, 1], [0, 2, 1, 0], [-1, -1, 2, 2]];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    rows.push({ x: centres[y].map((c) => Number((c + 0.8 * normal()).toFixed(4))), y });
  }
  return rows;
}

export const csvOf = (rows) => `f1,f2,f3,f4,label\n${rows.map((r) => [...r.x, r.y].join(',')).join('\n')}\n`;

/** The tiny model: 4 → 8 (relu) → 3 (softmax), seeded, saved in tfjs format; returns model.json's path. */
export async function saveTinyModel(cli, dir) {
  const { layers } = cli;
  const L = layers.layers;
  const init = (seed) => layers.initializers.glorotUniform({ seed });
  const model = layers.sequential({ layers: [
    L.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: init(1) }),
    L.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
  ] });
  await cli.checkpoint.saveModelFiles(dir, model);
  model.dispose();
  return join(dir, 'model.json');
}

/** Every file under `dir` (lock files of a run in progress aside), path → base64 bytes. */
export function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else out[p] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

// Runs of one phase on several cores: each run in its own child process
// (`node dist/study.js --run-one '<json>'`), at most `jobs` at a time. A run's result comes
// back as the child's stdout (one JSON line); its progress goes to stderr, prefixed.
// Runs are seeded, so a run gives the same result in a child as in the parent.
import { spawn } from 'node:child_process';
import type { RunSpec, RunResult, Scale } from './run';

export interface RunOneRequest { spec: RunSpec; scale: Scale; log: boolean }

/** One run in a child process of this same script. */
function runInChild(req: RunOneRequest, tag: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1], '--run-one', JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) console.log(`${tag} ${l}`);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) { reject(new Error(`${tag} exited with ${signal ?? code}:\n${err.slice(-2000)}`)); return; }
      try { resolve(JSON.parse(out) as RunResult); } catch { reject(new Error(`${tag} printed no result: ${out.slice(0, 200)}`)); }
    });
  });
}

/**
 * Runs `specs` with at most `jobs` children at once; `onDone` sees each result as it
 * finishes (in finishing order). After a failure no new run starts; the running ones
 * finish (and are kept), then the first error is thrown.
 */
export async function runPool(specs: RunSpec[], scale: Scale, jobs: number, log: boolean, label: (i: number) => string, onDone: (r: RunResult) => void): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (next < specs.length && !failure) {
      const i = next++;
      console.log(label(i));
      try {
        onDone(await runInChild({ spec: specs[i], scale, log }, `[${specs[i].optimizer} ρ${specs[i].rho} s${specs[i].seed}]`));
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, specs.length) }, worker));
  if (failure) throw failure;
}

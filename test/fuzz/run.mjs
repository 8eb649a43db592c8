// The fuzzers of the three untrusted formats: seeded mutations of a CSV, of a model.json
// with its shard, and of a checkpoint, each run through the CLI. Every case must end in
// success, or in one line on stderr with exit 2 (or, for data the model cannot learn
// from, "training diverged", exit 1), within a time and a memory bound, and a case that
// fails must leave every file in --out as it was. No stack trace, no hang.
//   node test/fuzz/run.mjs [--cases N] [--seed S] [--formats csv,model,checkpoint]
//                          [--case-seconds 60] [--max-rss-mib 2048] [--case I]
// --case I runs only case I of each format and keeps its input (to reproduce a failure).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const cases = Number(flag('cases', 100));
const seed = Number(flag('seed', 1));
const formats = flag('formats', 'csv,model,checkpoint').split(',');
const caseSeconds = Number(flag('case-seconds', 60));
const maxRss = Number(flag('max-rss-mib', 2048)) * 2 ** 20;
const only = flag('case', undefined);
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

const oneLineError = (text) => text.endsWith('\n') && text.split('\n').length === 2;

/** Runs one format's cases in a worker; resolves to its tally and the violations found. */
function fuzz(format, work) {
  return new Promise((resolve) => {
    const first = only === undefined ? 0 : Number(only), count = only === undefined ? cases : 1;
    const child = spawn(process.execPath, [WORKER, format, String(seed), String(first), String(count), work], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tally = { trained: 0, refused: 0, diverged: 0, slowestMs: 0, peakRss: 0, cases: 0 };
    const violations = [];
    let pending = '', stderr = '', timer, current;
    child.stderr.on('data', (c) => { stderr += c; });
    child.stdout.on('data', (c) => {
      pending += c;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let m;
        try { m = JSON.parse(line); } catch { violations.push({ case: current, why: `stray output: ${line.slice(0, 200)}` }); continue; }
        clearTimeout(timer);
        if (m.start) {
          current = m.case;
          timer = setTimeout(() => { violations.push({ case: current, why: `no end after ${caseSeconds} s (a hang)` }); child.kill('SIGKILL'); }, caseSeconds * 1000);
          continue;
        }
        tally.cases++;
        tally.slowestMs = Math.max(tally.slowestMs, m.ms);
        tally.peakRss = Math.max(tally.peakRss, m.rss);
        const bad = (why) => violations.push({ case: m.case, why, argv: m.argv, stderr: m.stderr.slice(0, 2000) });
        if (m.code === 0) tally.trained++;
        else if (m.code === 2 && oneLineError(m.stderr) && !/internal error/.test(m.stderr)) tally.refused++;
        else if (m.code === 1 && oneLineError(m.stderr) && /training diverged/.test(m.stderr)) tally.diverged++;
        else bad(`exit ${m.code} with ${m.stderr.split('\n').length - 1} lines on stderr`);
        if (m.code !== 0 && m.changed) bad('a failed case changed a file in --out');
        if (m.rss > maxRss) bad(`peak RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB over the ${maxRss / 2 ** 20} MiB bound`);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (tally.cases < count && !violations.some((v) => /hang/.test(v.why))) {
        violations.push({ case: current, why: `the worker ended early (${signal ?? `exit ${code}`}): ${stderr.slice(-2000)}` });
      }
      resolve({ tally, violations });
    });
  });
}

const t0 = performance.now();
const work = mkdtempSync(join(tmpdir(), 'fsam-edge-fuzz-'));
let failed = false;
try {
  for (const format of formats) {
    const started = performance.now();
    const { tally, violations } = await fuzz(format, join(work, format));
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz ${format}: ${tally.cases} cases (seed ${seed}) in ${seconds.toFixed(1)} s: ${tally.trained} trained, ${tally.refused} refused with one line (exit 2), ` +
      `${tally.diverged} diverged (exit 1, one line); slowest case ${(tally.slowestMs / 1000).toFixed(1)} s, peak RSS ${(tally.peakRss / 2 ** 20).toFixed(0)} MiB`);
    for (const v of violations) {
      failed = true;
      console.log(`  VIOLATION ${format} case ${v.case}: ${v.why}\n    rerun: node test/fuzz/run.mjs --formats ${format} --seed ${seed} --case ${v.case}` +
        `${v.argv ? `\n    command: fsam-edge ${v.argv.join(' ')}` : ''}${v.stderr ? `\n    stderr: ${v.stderr.trimEnd().split('\n').join('\n            ')}` : ''}`);
    }
  }
} finally {
  if (only === undefined) rmSync(work, { recursive: true, force: true });
  else console.log(`inputs kept in ${work}`);
}
console.log(`fuzz: ${failed ? 'FAILED' : 'passed'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exitCode = failed ? 1 : 0;

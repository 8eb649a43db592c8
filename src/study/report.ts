import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyConfig } from './plan';
import type { RunResult } from './run';
export function writeReport(c: StudyConfig, done: RunResult[], out: string, o: { quick: boolean }): string[] {
  const f = join(out, 'summary.json');
  writeFileSync(f, JSON.stringify({ runs: done.length }, null, 2));
  return [f];
}

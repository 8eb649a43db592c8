// Terminal output: a progress bar when stderr is a terminal (nothing when piped, where
// the per-epoch lines on stdout are the progress), and aligned tables.

export interface Output {
  line(text: string): void;
  progress(label: string, done: number, total: number, detail: string): void;
  endProgress(): void;
}

const closedOnEpipe = new WeakMap<NodeJS.WriteStream, { open: boolean }>();

export function terminalOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const tty = Boolean(stderr.isTTY) && process.env.TERM !== 'dumb';
  let shown = false;
  let last = 0;
  // A reader that goes away (`| head`) closes stdout; the run goes on and writes its files.
  // One listener per stream, however many commands a process runs (tests run many).
  if (!closedOnEpipe.has(stdout)) {
    closedOnEpipe.set(stdout, { open: true });
    stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') closedOnEpipe.get(stdout)!.open = false; else throw err; });
  }
  const stdoutState = closedOnEpipe.get(stdout)!;
  const clear = () => { if (shown) { stderr.write('\r\x1b[2K'); shown = false; } };
  return {
    line(text) { clear(); if (stdoutState.open) stdout.write(`${text}\n`); },
    progress(label, done, total, detail) {
      if (!tty) return;
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      const width = 24;
      const filled = Math.round((width * done) / total);
      stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${detail}`);
      shown = true;
    },
    endProgress: clear,
  };
}

/** Columns padded to their widest cell; numbers (and %) right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = (s: string) => /^[-+]?[\d.,]+( ?(%|s|B|KiB|MiB|x))?$/.test(s);
  const fmt = (r: string[]) => r.map((cell, c) => (numeric(cell) && c > 0 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export const percent = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

export { formatBytes } from '../report/html';

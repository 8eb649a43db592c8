// Command-line flags, parsed strictly: an unknown flag, a missing value or a value of
// the wrong kind is a UsageError with one line naming the flag.
import { parseBytes } from '../personalize/settings';

export { parseBytes };

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export type FlagKind = 'string' | 'number' | 'integer' | 'boolean' | 'bytes' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** Shown in help; not applied by the parser. */
  default?: string;
  min?: number;
  /** Values must be greater than this (for a minimum that is not itself allowed, like 0). */
  above?: number;
  max?: number;
  choices?: readonly string[];
  /** The value's name in help (default by kind: N, SIZE, A,B, VALUE). */
  placeholder?: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export function parseFlags(argv: readonly string[], specs: Record<string, FlagSpec>, command: string): FlagValues {
  const out: FlagValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (flags start with --; see fsam-edge ${command} --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (see fsam-edge ${command} --help)`);
    if (name in out) throw new UsageError(`--${name} is given twice`);
    let raw: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (spec.kind === 'boolean') {
      if (raw === undefined) { out[name] = true; continue; }
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--${name} is true or false, got '${raw}'`);
      out[name] = raw === 'true';
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined || (raw.startsWith('--') && spec.kind !== 'number')) throw new UsageError(`--${name} needs a value`);
    }
    out[name] = parseValue(name, raw, spec);
  }
  return out;
}

function parseValue(name: string, raw: string, spec: FlagSpec): string | number | string[] {
  const range = (v: number) => {
    if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${name} must be >= ${spec.min}, got ${raw}`);
    if (spec.above !== undefined && !(v > spec.above)) throw new UsageError(`--${name} must be > ${spec.above}, got ${raw}`);
    if (spec.max !== undefined && v > spec.max) throw new UsageError(`--${name} must be <= ${spec.max}, got ${raw}`);
    return v;
  };
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new UsageError(`--${name} needs a non-empty value`);
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name} is one of ${spec.choices.join(', ')}; got '${raw}'`);
      return raw;
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} needs a finite number, got '${raw}'`);
      return range(v);
    }
    case 'integer': {
      const v = Number(raw);
      if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`--${name} needs an integer, got '${raw}'`);
      return range(v);
    }
    case 'bytes': {
      const v = parseBytes(raw);
      if (v === undefined) throw new UsageError(`--${name} needs a size in bytes, e.g. 65536, 512KB or 2MB; got '${raw}'`);
      return range(v);
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw new UsageError(`--${name} needs a comma-separated list`);
      for (const it of items) if (spec.choices && !spec.choices.includes(it)) throw new UsageError(`--${name}: '${it}' is not one of ${spec.choices.join(', ')}`);
      if (new Set(items).size !== items.length) throw new UsageError(`--${name} lists an item twice`);
      return items;
    }
    default:
      throw new UsageError(`--${name}: unsupported flag kind`);
  }
}

export function helpText(command: string, summary: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = s.kind === 'boolean' ? '' : ` ${s.placeholder ?? (s.kind === 'bytes' ? 'SIZE' : s.kind === 'list' ? 'A,B' : s.kind === 'string' ? 'VALUE' : 'N')}`;
    const notes = [s.choices ? s.choices.join(' | ') : '', s.default !== undefined ? `default ${s.default}` : ''].filter(Boolean);
    return [`  --${name}${value}`, s.help + (notes.length ? ` (${notes.join('; ')})` : '')];
  });
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `usage: fsam-edge ${command} [flags]\n\n${summary}\n\n${rows.map(([a, b]) => a.padEnd(width) + b).join('\n')}\n`;
}

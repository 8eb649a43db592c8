// The parameter arena: one bounded block of wasm memory, laid out from a table of
// variables like llm.c's malloc_and_point_parameters. Every kind of per-parameter
// state gets a parallel slab with the same table of offsets (16-byte aligned), so a
// kernel runs over variable i of any slab with one pointer and one length.
// The arena's size is known before anything is allocated; over budget it refuses,
// allocating nothing. It never grows: a planned arena is sized once.
// Slabs of the low-memory mode's bf16 state ('ema_bf16', 'momentum_bf16') take 2 bytes
// per element at the same element offsets; every slab starts 16-byte aligned.
import { ArenaBudgetError } from './errors';

/** Kinds of slab: the weights and gradients (standalone mode only) and the state. */
export type SlabKind = 'weights' | 'grad' | 'grad2' | 'ema' | 'wold' | 'momentum' | 'adam_m' | 'adam_v'
  | 'ema_bf16' | 'momentum_bf16';
/** Slabs that are optimizer state, as opposed to the weights and gradients themselves. */
export const STATE_KINDS: readonly SlabKind[] = ['ema', 'wold', 'momentum', 'adam_m', 'adam_v', 'ema_bf16', 'momentum_bf16'];
/** Kinds stored as bf16 (2 bytes per element) rather than float32. */
export const BF16_KINDS: readonly SlabKind[] = ['ema_bf16', 'momentum_bf16'];
/** The name a slab is saved under: bf16 state is saved decoded, as its float32 kind. */
export const savedKind = (k: SlabKind): SlabKind => (k === 'ema_bf16' ? 'ema' : k === 'momentum_bf16' ? 'momentum' : k);
export const elementBytes = (k: SlabKind): number => (BF16_KINDS.includes(k) ? 2 : 4);

export interface VariableSpec { name: string; size: number }

const ALIGN_FLOATS = 4;
const PAGE = 65536;
/** A wasm32 memory holds at most 65536 pages (4 GiB). */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

export interface ArenaReport {
  totalBytes: number;
  parameters: number;
  bytesPerKind: Partial<Record<SlabKind, number>>;
  stateBytes: number;
  stateBytesPerParameter: number;
}

export class ArenaLayout {
  readonly variables: readonly VariableSpec[];
  readonly kinds: readonly SlabKind[];
  /** Float offset of each variable inside any slab. */
  readonly offsets: readonly number[];
  /** Floats per slab, alignment padding included. */
  readonly slabFloats: number;
  readonly parameters: number;

  constructor(variables: readonly VariableSpec[], kinds: readonly SlabKind[]) {
    const names = new Set<string>();
    for (const v of variables) {
      if (!v || typeof v.name !== 'string') throw new TypeError(`variable spec needs a string name, got ${JSON.stringify(v)}`);
      if (!Number.isInteger(v.size) || v.size < 0) throw new RangeError(`variable '${v.name}' size must be an integer >= 0, got ${v.size}`);
      if (names.has(v.name)) throw new RangeError(`variable name '${v.name}' appears twice`);
      names.add(v.name);
    }
    if (new Set(kinds).size !== kinds.length) throw new RangeError(`slab kinds repeat: ${kinds.join(', ')}`);
    this.variables = variables.map((v) => ({ name: v.name, size: v.size }));
    this.kinds = [...kinds];
    const offsets: number[] = [];
    let floats = 0;
    for (const v of variables) {
      offsets.push(floats);
      floats += Math.ceil(v.size / ALIGN_FLOATS) * ALIGN_FLOATS;
    }
    this.offsets = offsets;
    this.slabFloats = floats;
    this.parameters = variables.reduce((s, v) => s + v.size, 0);
  }

  /** Bytes of a float32 slab (slabFloats is a multiple of 4, so bf16 slabs stay 8-byte multiples). */
  get slabBytes(): number { return this.slabFloats * 4; }
  /** Bytes of the slab of `kind`, rounded up to 16 so the next slab starts aligned. */
  bytesOf(kind: SlabKind): number { return Math.ceil((this.slabFloats * elementBytes(kind)) / 16) * 16; }
  /** Byte offset of the slab of `kind` from the arena's base. */
  startOf(kind: SlabKind): number {
    let at = 0;
    for (const k of this.kinds) {
      if (k === kind) return at;
      at += this.bytesOf(k);
    }
    throw new Error(`this arena has no '${kind}' slab`);
  }
  get totalBytes(): number { return this.kinds.reduce((s, k) => s + this.bytesOf(k), 0); }

  report(): ArenaReport {
    const bytesPerKind: Partial<Record<SlabKind, number>> = {};
    for (const k of this.kinds) bytesPerKind[k] = this.bytesOf(k);
    const stateBytes = this.kinds.filter((k) => STATE_KINDS.includes(k)).reduce((s, k) => s + this.bytesOf(k), 0);
    return {
      totalBytes: this.totalBytes, parameters: this.parameters, bytesPerKind, stateBytes,
      stateBytesPerParameter: this.parameters === 0 ? 0 : stateBytes / this.parameters,
    };
  }
}

/** Where an arena's bytes come from: its own memory, or a host's heap (tfjs-wasm's). */
export interface ArenaHost {
  readonly memory: WebAssembly.Memory;
  /** Returns a 16-byte aligned pointer to `bytes` bytes, or throws. */
  allocate(bytes: number): number;
  release(pointer: number): void;
}

/** A memory of its own, exactly as large as the arena, that can never grow. */
export function ownMemoryHost(): ArenaHost {
  let memory: WebAssembly.Memory | undefined;
  return {
    get memory() {
      if (!memory) throw new Error('arena memory is created by allocate()');
      return memory;
    },
    allocate(bytes: number) {
      if (memory) throw new Error('an own-memory host holds one arena');
      if (bytes > MAX_MEMORY_BYTES) throw new ArenaBudgetError(bytes, MAX_MEMORY_BYTES);
      const pages = Math.max(1, Math.ceil(bytes / PAGE));
      try {
        memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      } catch (err) {
        // The engine could not reserve that much (its own limit, or the machine's).
        if (err instanceof RangeError) throw new ArenaBudgetError(bytes, 0);
        throw err;
      }
      return 0;
    },
    release() { memory = undefined; },
  };
}

export class Arena {
  readonly layout: ArenaLayout;
  readonly host: ArenaHost;
  private base: number;
  private slabStart: Map<SlabKind, number>;

  private constructor(layout: ArenaLayout, host: ArenaHost, base: number) {
    this.layout = layout;
    this.host = host;
    this.base = base;
    this.slabStart = new Map(layout.kinds.map((k) => [k, layout.startOf(k)]));
  }

  /** Allocates the arena, or throws ArenaBudgetError having allocated nothing. */
  static allocate(layout: ArenaLayout, options: { maxBytes?: number; host?: ArenaHost } = {}): Arena {
    const { maxBytes = Infinity, host = ownMemoryHost() } = options;
    if (!(typeof maxBytes === 'number' && maxBytes >= 0)) throw new RangeError(`maxBytes must be a number >= 0, got ${maxBytes}`);
    if (layout.totalBytes > maxBytes) throw new ArenaBudgetError(layout.totalBytes, maxBytes);
    const base = host.allocate(layout.totalBytes);
    if (base % 16 !== 0) throw new Error(`arena host returned a pointer ${base} that is not 16-byte aligned`);
    return new Arena(layout, host, base);
  }

  get memory(): WebAssembly.Memory { return this.host.memory; }
  has(kind: SlabKind): boolean { return this.slabStart.has(kind); }

  /** Byte pointer of variable i in the slab of `kind`. */
  pointer(kind: SlabKind, i: number): number {
    const s = this.slabStart.get(kind);
    if (s === undefined) throw new Error(`this arena has no '${kind}' slab`);
    return this.base + s + (this.layout.offsets[i] ?? 0) * elementBytes(kind);
  }

  /** A view of variable i in a float32 slab of `kind`; valid until the host's memory grows. */
  view(kind: SlabKind, i: number): Float32Array {
    if (elementBytes(kind) !== 4) throw new Error(`'${kind}' is bf16: use readFloats/writeFloats`);
    return new Float32Array(this.memory.buffer, this.pointer(kind, i), this.layout.variables[i].size);
  }

  /** The raw bytes of variable i in the slab of `kind` (to copy state between arenas). */
  bytes(kind: SlabKind, i: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.pointer(kind, i), this.layout.variables[i].size * elementBytes(kind));
  }

  /** The whole float32 slab of `kind`, padding included. */
  slab(kind: SlabKind): Float32Array {
    if (elementBytes(kind) !== 4) throw new Error(`'${kind}' is bf16: use readFloats/writeFloats`);
    return new Float32Array(this.memory.buffer, this.pointer(kind, 0), this.layout.slabFloats);
  }

  /** Variable i of `kind` (or the whole slab, i = -1) as float32 values; bf16 is decoded exactly. */
  readFloats(kind: SlabKind, i: number): Float32Array {
    const n = i < 0 ? this.layout.slabFloats : this.layout.variables[i].size;
    const p = this.pointer(kind, Math.max(i, 0));
    if (elementBytes(kind) === 4) return new Float32Array(this.memory.buffer, p, n).slice();
    const out = new Float32Array(n), bits = new Uint32Array(out.buffer), h = new Uint16Array(this.memory.buffer, p, n);
    for (let j = 0; j < n; j++) bits[j] = h[j] << 16;
    return out;
  }

  /** Writes float32 values into variable i of `kind` (or the whole slab, i = -1); bf16 rounds to nearest even. */
  writeFloats(kind: SlabKind, i: number, values: Float32Array): void {
    const p = this.pointer(kind, Math.max(i, 0));
    if (elementBytes(kind) === 4) { new Float32Array(this.memory.buffer, p, values.length).set(values); return; }
    const h = new Uint16Array(this.memory.buffer, p, values.length);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let j = 0; j < values.length; j++) {
      const b = bits[j];
      h[j] = Number.isNaN(values[j]) ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 0) >>> 16;
    }
  }

  release(): void { this.host.release(this.base); this.base = -1; }
}

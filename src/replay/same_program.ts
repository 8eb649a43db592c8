// Whether two recordings of a pass are the same program: the same kernels in the same
// order with the same attrs and wiring, the same shapes, the same externals (the same
// inputs and variables, constants with the same bytes, the same captured data). Dropout's
// random masks are constants whose bytes differ; data-dependent control flow calls other
// kernels. Either makes the recordings differ, and a replay of one would be wrong for the
// other. Returns what differs first, or undefined.
import type { Recording, Source } from './recording';
import { sameShape } from './recording';

export function programDifference(a: Recording, b: Recording): string | undefined {
  const pa = a.pass, pb = b.pass;
  if (pa.ops.length !== pb.ops.length) return `${pa.ops.length} kernel calls, then ${pb.ops.length}`;
  for (let i = 0; i < pa.ops.length; i++) {
    const x = pa.ops[i], y = pb.ops[i];
    const at = `kernel call ${i + 1} (${x.kernelName})`;
    if (x.kernelName !== y.kernelName) return `${at} became ${y.kernelName}`;
    if (!equal(x.inputs, y.inputs) || !equal(x.outputs, y.outputs)) return `${at} is wired differently`;
    if (!equal(x.attrs ?? {}, y.attrs ?? {})) return `${at} has other attrs`;
  }
  if (pa.infos.length !== pb.infos.length) return 'the slot counts differ';
  for (let s = 0; s < pa.infos.length; s++) {
    if (pa.infos[s].dtype !== pb.infos[s].dtype || !sameShape(pa.infos[s].shape, pb.infos[s].shape)) return `slot ${s} has another shape or dtype`;
  }
  if (a.loss !== b.loss || !equal(a.grads, b.grads)) return 'the results are other slots';
  if (!equal([...pa.external], [...pb.external])) return 'the external slots differ';
  for (const [s, src] of a.sources) {
    const other = b.sources.get(s);
    if (!other || !sameSource(src, other)) return `external slot ${s} (${src.kind}) holds other data${src.kind === 'constant' ? ' (random values, such as dropout masks?)' : ''}`;
  }
  return undefined;
}

function sameSource(a: Source, b: Source): boolean {
  switch (a.kind) {
    case 'input': return b.kind === 'input' && a.index === b.index;
    case 'variable': return b.kind === 'variable' && a.variable === b.variable;
    case 'captured': return b.kind === 'captured' && a.dataId === b.dataId;
    case 'constant': return b.kind === 'constant' && sameBytes(a.values, b.values);
  }
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Structural equality of attrs and slot lists: plain values, arrays, typed arrays, plain objects (NaN equals NaN). */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && sameBytes(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

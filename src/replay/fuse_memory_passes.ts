// A rewrite of a recorded gradient pass (./ops.ts) that cuts passes over the activations:
// tfjs-layers dispatches a conv layer's Conv2D, bias Add and Relu separately, and tfjs's
// gradients MaxPoolGrad, the ReLU gradient and the bias gradient's Sum; only the recorded
// pass shows that they chain. Two patterns, each replaced by one fused kernel giving the
// same bits (src/kernels/Conv2DBiasRelu.ts, src/kernels/MaxPoolReluGrad.ts):
//
//  forward   a = Conv2D(x, w); z = Add(a, bias); y = Relu(z)
//            → y = FsamConv2DBiasRelu(x, w, bias)
//            where a is read by the Add only and z by the Relu and by ReLU gradients
//            (FsamReluGrad's x), which then read y instead: step(y) has step(z)'s bits.
//  backward  g = MaxPoolGrad(dy, y); r = FsamReluGrad(g, m) [; s = Sum(r, all axes but the last)]
//            → r [, s] = FsamMaxPoolReluGrad(dy, y)
//            where g is read by the ReLU gradient only and its mask m is y or y's Relu input.
//
// Alias ops (Reshape, Identity, same-dtype Cast: the same data, ./ops.ts's isAliasOp) are
// seen through, so tfjs's saved-tensor clones and reshapes do not hide a chain. A slot the
// rewrite stops producing must have no other reader and be in neither `results` nor
// `external`; anything else leaves the chain as recorded.
import type { RecordedOp, RecordedPass } from './ops';
import { isAliasOp } from './ops';

export const CONV2D_BIAS_RELU = 'FsamConv2DBiasRelu';
export const MAX_POOL_RELU_GRAD = 'FsamMaxPoolReluGrad';
const RELU_GRAD = 'FsamReluGrad';

type Use = { op: number; name: string };
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((n, i) => n === b[i]);
const inputsOf = (op: RecordedOp): [string, number][] => Object.entries(op.inputs) as [string, number][];

/** The pass's slots seen through alias ops: each slot's root, and each root's readers that are not alias ops. */
class Graph {
  readonly producer = new Map<number, number>();
  readonly aliasOf = new Map<number, number>();
  readonly uses = new Map<number, Use[]>();
  readonly members = new Map<number, number[]>();
  constructor(readonly pass: RecordedPass, readonly ops: RecordedOp[], readonly dead: Set<number>) {
    ops.forEach((op, i) => {
      if (dead.has(i)) return;
      for (const s of op.outputs) this.producer.set(s, i);
      if (isAliasOp(op, pass.infos)) this.aliasOf.set(op.outputs[0], inputsOf(op)[0][1]);
    });
    ops.forEach((op, i) => {
      if (dead.has(i) || isAliasOp(op, pass.infos)) return;
      for (const [name, s] of inputsOf(op)) {
        const r = this.root(s);
        if (!this.uses.has(r)) this.uses.set(r, []);
        this.uses.get(r)!.push({ op: i, name });
      }
    });
    for (const s of new Set([...this.producer.keys(), ...this.aliasOf.values()])) {
      const r = this.root(s);
      if (!this.members.has(r)) this.members.set(r, []);
      this.members.get(r)!.push(s);
    }
  }
  root(s: number): number {
    while (this.aliasOf.has(s)) s = this.aliasOf.get(s)!;
    return s;
  }
  made(s: number): RecordedOp | undefined {
    const i = this.producer.get(this.root(s));
    return i === undefined ? undefined : this.ops[i];
  }
  madeAt(s: number): number | undefined {
    return this.producer.get(this.root(s));
  }
  usesOf(s: number): Use[] {
    return this.uses.get(this.root(s)) ?? [];
  }
  /** Whether the slot's data (any alias of it) must survive or comes from outside. */
  pinned(s: number): boolean {
    return (this.members.get(this.root(s)) ?? [s]).some((m) => this.pass.results.has(m) || this.pass.external.has(m));
  }
  /** The alias ops reading the slot's data. */
  aliasOps(s: number): number[] {
    return (this.members.get(this.root(s)) ?? []).filter((m) => this.aliasOf.has(m)).map((m) => this.producer.get(m)!);
  }
  f32(...slots: number[]): boolean {
    return slots.every((s) => this.pass.infos[s]?.dtype === 'float32');
  }
}

/** a = Conv2D(x, w); z = Add(a, bias); y = Relu(z) → y = FsamConv2DBiasRelu(x, w, bias). */
function fuseForward(pass: RecordedPass, ops: RecordedOp[], dead: Set<number>): boolean {
  const g = new Graph(pass, ops, dead);
  for (let l = 0; l < ops.length; l++) {
    const relu = ops[l];
    if (dead.has(l) || relu.kernelName !== 'Relu' || relu.inputs.x === undefined) continue;
    const z = relu.inputs.x, y = relu.outputs[0];
    const addAt = g.madeAt(z), add = g.made(z);
    if (addAt === undefined || !add || add.kernelName !== 'Add' || add.inputs.a === undefined || add.inputs.b === undefined) continue;
    const zShape = pass.infos[g.root(z)].shape;
    for (const [full, bias] of [[add.inputs.a, add.inputs.b], [add.inputs.b, add.inputs.a]]) {
      const convAt = g.madeAt(full), conv = g.made(full);
      if (convAt === undefined || !conv || conv.kernelName !== 'Conv2D') continue;
      const { x, filter } = conv.inputs;
      if (x === undefined || filter === undefined || !g.f32(x, filter, bias, full, z, y)) continue;
      const xs = pass.infos[x].shape, fs = pass.infos[filter].shape, bs = pass.infos[bias].shape;
      const C = fs[3];
      if (xs.length !== 4 || fs.length !== 4 || (fs[2] === 1 && fs[3] === 1)) continue; // 1-in, 1-out: XNNPACK's Conv2D
      if ((conv.attrs.dataFormat ?? 'NHWC') !== 'NHWC') continue;
      if (!sameShape(pass.infos[full].shape, zShape) || zShape.length !== 4 || zShape[3] !== C) continue;
      if (size(bs) !== C || bs[bs.length - 1] !== C || !sameShape(pass.infos[y].shape, zShape)) continue;
      // a: read by the Add only; z: by this Relu and by ReLU gradients as their mask.
      const aUses = g.usesOf(full), zUses = g.usesOf(z);
      if (g.pinned(full) || g.pinned(z) || aUses.length !== 1 || aUses[0].op !== addAt) continue;
      const masks = zUses.filter((u) => u.op !== l);
      if (zUses.filter((u) => u.op === l).length !== 1 || !masks.every((u) => ops[u.op].kernelName === RELU_GRAD && u.name === 'x' &&
          sameShape(pass.infos[ops[u.op].inputs.dy]?.shape ?? [], zShape))) continue;
      ops[l] = { kernelName: CONV2D_BIAS_RELU, inputs: { x, filter, bias }, attrs: { ...conv.attrs }, outputs: [y] };
      for (const u of masks) ops[u.op] = { ...ops[u.op], inputs: { ...ops[u.op].inputs, x: y } };
      for (const i of [convAt, addAt, ...g.aliasOps(full), ...g.aliasOps(z)]) dead.add(i);
      return true;
    }
  }
  return false;
}

/** Whether Sum's attrs sum every axis but the last of a rank-`rank` input, keeping no dims. */
function sumsColumns(op: RecordedOp, rank: number): boolean {
  if (op.attrs.keepDims === true || rank < 2) return false;
  const raw = op.attrs.axis;
  const axes = (Array.isArray(raw) ? raw : [raw]).map((a) => (typeof a === 'number' && a < 0 ? a + rank : a));
  const sorted = [...new Set(axes)].sort((p, q) => (p as number) - (q as number));
  return sorted.length === rank - 1 && sorted.every((a, i) => a === i);
}

/** g = MaxPoolGrad(dy, y); r = FsamReluGrad(g, m) [; s = Sum(r)] → r [, s] = FsamMaxPoolReluGrad(dy, y). */
function fuseBackward(pass: RecordedPass, ops: RecordedOp[], dead: Set<number>): boolean {
  const g = new Graph(pass, ops, dead);
  for (let k = 0; k < ops.length; k++) {
    const rg = ops[k];
    if (dead.has(k) || rg.kernelName !== RELU_GRAD) continue;
    const { dy: gs, x: m } = rg.inputs;
    const poolAt = g.madeAt(gs), pool = g.made(gs);
    if (gs === undefined || m === undefined || poolAt === undefined || !pool || pool.kernelName !== 'MaxPoolGrad') continue;
    const { dy, input: y } = pool.inputs;
    const r = rg.outputs[0];
    if (dy === undefined || y === undefined || !g.f32(dy, y, gs, m, r)) continue;
    const shape = pass.infos[y].shape;
    if (shape.length !== 4 || ![gs, m, r].every((s) => sameShape(pass.infos[s].shape, shape))) continue;
    // The mask: y itself, or the input of the Relu that made y.
    const relu = g.made(y);
    const sameMask = g.root(m) === g.root(y) ||
      (relu?.kernelName === 'Relu' && relu.inputs.x !== undefined && g.root(relu.inputs.x) === g.root(m));
    if (!sameMask) continue;
    const gUses = g.usesOf(gs);
    if (g.pinned(gs) || gUses.length !== 1 || gUses[0].op !== k) continue;
    // The bias gradient: the first Sum of r over every axis but the last, into [C].
    const C = shape[3];
    const sum = g.usesOf(r).find((u) => {
      const op = ops[u.op], xs = pass.infos[op.inputs.x]?.shape;
      return op.kernelName === 'Sum' && u.name === 'x' && op.outputs.length === 1 && xs !== undefined &&
        xs[xs.length - 1] === C && sumsColumns(op, xs.length) && g.f32(op.outputs[0]) && sameShape(pass.infos[op.outputs[0]].shape, [C]);
    });
    const outputs = sum ? [r, ops[sum.op].outputs[0]] : [r];
    ops[poolAt] = { kernelName: MAX_POOL_RELU_GRAD, inputs: { dy, input: y }, attrs: { ...pool.attrs, biasGrad: sum !== undefined }, outputs };
    for (const i of [k, ...g.aliasOps(gs), ...(sum ? [sum.op] : [])]) dead.add(i);
    return true;
  }
  return false;
}

/** Alias ops left reading data no op makes any more, or read by nobody since the rewrite. */
function dropStrandedAliases(pass: RecordedPass, ops: RecordedOp[], dead: Set<number>, readBefore: Set<number>): void {
  for (let changed = true; changed;) {
    changed = false;
    const made = new Set<number>(pass.external), read = new Set<number>();
    ops.forEach((op, i) => { if (!dead.has(i)) { op.outputs.forEach((s) => made.add(s)); inputsOf(op).forEach(([, s]) => read.add(s)); } });
    ops.forEach((op, i) => {
      if (dead.has(i) || !isAliasOp(op, pass.infos)) return;
      const out = op.outputs[0];
      const stranded = !made.has(inputsOf(op)[0][1]);
      const unread = readBefore.has(out) && !read.has(out) && !pass.results.has(out);
      if (stranded || unread) { dead.add(i); changed = true; }
    });
  }
}

/** Every op reads slots made before it (or external), and every result is made. */
function check(pass: RecordedPass, ops: RecordedOp[]): void {
  const made = new Set<number>(pass.external);
  ops.forEach((op, i) => {
    for (const [name, s] of inputsOf(op)) {
      if (!made.has(s)) throw new Error(`fuseMemoryPasses: op ${i} (${op.kernelName}) input ${name} reads slot ${s}, which no earlier op makes`);
    }
    op.outputs.forEach((s) => made.add(s));
  });
  for (const s of pass.results) if (!made.has(s)) throw new Error(`fuseMemoryPasses: result slot ${s} is no longer made`);
}

/** The pass with its conv → bias → ReLU chains and their gradients fused; the same bits in every result slot. */
export function fuseMemoryPasses(pass: RecordedPass): RecordedPass {
  const ops = pass.ops.map((op) => ({ ...op }));
  const dead = new Set<number>();
  const readBefore = new Set<number>(pass.ops.flatMap((op) => inputsOf(op).map(([, s]) => s)));
  while (fuseForward(pass, ops, dead));
  while (fuseBackward(pass, ops, dead));
  dropStrandedAliases(pass, ops, dead, readBefore);
  const kept = ops.filter((_, i) => !dead.has(i));
  check(pass, kept);
  return { ops: kept, infos: pass.infos, external: pass.external, results: pass.results };
}

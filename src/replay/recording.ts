// Recording one gradient pass on 'wasm': the outermost kernel calls made while the pass
// runs normally (tf.variableGrads over the user's loss), wired by TensorInfo dataId
// identity into a RecordedPass (./ops.ts), and where each external slot's data comes from
// at a replay. What the pass reads without a kernel having made it during the pass is
// external:
//   input      one of the step's declared inputs (the batch), bound anew at each replay
//   variable   a live tf.Variable (the trained ones, frozen ones): its dataId at replay time
//   constant   data written during the pass without a kernel (engine.makeTensor: scalars,
//              the `ones` seed of the backward pass): its bytes are copied and held
//   captured   any other tensor the loss closes over, checked alive at each replay
// A pass that cannot be replayed gets a reason instead (refusal): a variable's data
// replaced during it (BatchNormalization's moving statistics), a tensor tf.keep()'d that
// outlives it, a kernel that shared or copied data against ./ops.ts's alias rule, a result
// that is an input's or a constant's data. The tfjs internals watched while recording are
// named in src/tfjs/wasm_bridge.ts (kernelCallsDuring).
import { tf } from '../tf';
import { wasmBackend } from '../backend/wasm_backend';
import { kernelCallsDuring, keptDuring, liveVariables, type KernelCall } from '../tfjs/wasm_bridge';
import { isAliasOp, type RecordedOp, type RecordedPass } from './ops';

export type Source =
  | { kind: 'input'; index: number }
  | { kind: 'variable'; variable: tf.Variable }
  | { kind: 'constant'; values: tf.TypedArray }
  | { kind: 'captured'; dataId: object };

export interface Recording {
  pass: RecordedPass;
  /** Where each external slot's data comes from at a replay. */
  sources: Map<number, Source>;
  /** The loss's slot, and each variable's gradient's, in the order of the variables. */
  loss: number;
  grads: number[];
}

export type PassResult = { value: tf.Scalar; grads: tf.NamedTensorMap };

export interface Recorded {
  result: PassResult;
  /** The pass as a replayable program, or why it is not one (then `lasting` says whether trying again can help). */
  recording?: Recording;
  refusal?: string;
  lasting?: boolean;
}

/** Runs `run` (a normal pass) and records it; `inputs` are the step's declared inputs, `vars` the variables it differentiates. */
export function recordPass(run: () => PassResult, inputs: readonly tf.Tensor[], vars: readonly tf.Variable[]): Recorded {
  const before = new Map(liveVariables().map((v) => [v, v.dataId]));
  const { result: { result, calls, written }, kept } = keptDuring(() => kernelCallsDuring(run));
  const refuse = (refusal: string, lasting = true): Recorded => ({ result, refusal, lasting });
  const after = liveVariables();
  const replaced = after.find((v) => before.has(v) && before.get(v) !== v.dataId);
  if (replaced) return refuse(`variable '${replaced.name}' was assigned during the pass (as BatchNormalization's moving statistics are); a replay would not update it`);
  if (after.some((v) => !before.has(v))) return refuse('variables were created during the pass (a model built lazily); recording again next step', false);
  const outliving = kept.filter((t) => !t.isDisposed);
  if (outliving.length > 0) return refuse(`the pass tf.keep()'d ${outliving.length} tensor(s) that outlive it (metrics?); a replay would not make them`);
  try {
    return { result, recording: wire(calls, written, result, inputs, vars, before) };
  } catch (err) {
    if (err instanceof NotReplayable) return refuse(err.message);
    throw err;
  }
}

class NotReplayable extends Error {}

/** The kernel calls as a RecordedPass over slots, with the sources of its external slots. */
function wire(calls: KernelCall[], written: Map<tf.DataId, tf.TypedArray>, result: PassResult, inputs: readonly tf.Tensor[], vars: readonly tf.Variable[], variables: Map<tf.Variable, tf.DataId>): Recording {
  const backend = wasmBackend();
  const infos: RecordedPass['infos'] = [], external = new Set<number>(), sources = new Map<number, Source>();
  const slotsOf = new Map<tf.DataId, number[]>(), made = new Set<tf.DataId>();
  const owner = new Map<tf.DataId, tf.Variable>();
  for (const [v, dataId] of variables) if (!owner.has(dataId)) owner.set(dataId, v);
  const same = (s: number, t: tf.TensorInfo) => infos[s].dtype === t.dtype && sameShape(infos[s].shape, t.shape);
  const newSlot = (t: tf.TensorInfo) => {
    infos.push({ shape: [...t.shape], dtype: t.dtype });
    const s = infos.length - 1;
    slotsOf.set(t.dataId, [...(slotsOf.get(t.dataId) ?? []), s]);
    return s;
  };
  const read = (t: tf.TensorInfo): number => {
    const slots = slotsOf.get(t.dataId) ?? [];
    for (let i = slots.length - 1; i >= 0; i--) if (same(slots[i], t)) return slots[i];
    if (made.has(t.dataId)) throw new NotReplayable(`data made in the pass was read as [${t.shape}] ${t.dtype}, a shape no kernel gave it`);
    const s = newSlot(t);
    external.add(s);
    sources.set(s, sourceOf(t.dataId));
    return s;
  };
  const sourceOf = (dataId: tf.DataId): Source => {
    const index = inputs.findIndex((x) => x.dataId === dataId);
    if (index >= 0) return { kind: 'input', index };
    const variable = owner.get(dataId);
    if (variable) return { kind: 'variable', variable };
    const values = written.get(dataId);
    if (values) return { kind: 'constant', values };
    return { kind: 'captured', dataId };
  };
  const ops: RecordedOp[] = [];
  for (const call of calls) {
    const names = Array.isArray(call.inputs) ? null : Object.keys(call.inputs).filter((k) => call.inputs[k] != null);
    const inputSlots = names
      ? Object.fromEntries(names.map((k) => [k, read(call.inputs[k]!)]))
      : (call.inputs as unknown as tf.TensorInfo[]).map((t) => read(t)) as unknown as Record<string, number>;
    const inputIds = new Set(Object.values(call.inputs).map((t) => t?.dataId));
    const shares = call.outputs.some((t) => inputIds.has(t.dataId));
    const outputs = call.outputs.map((t) => {
      if (!inputIds.has(t.dataId)) made.add(t.dataId);
      return newSlot(t);
    });
    const op: RecordedOp = { kernelName: call.kernelName, inputs: inputSlots, attrs: call.attrs as Record<string, unknown>, outputs };
    if (shares !== isAliasOp(op, infos)) throw new NotReplayable(`kernel ${call.kernelName} ${shares ? 'shared its input\'s data' : 'copied where a share was expected'}`);
    ops.push(op);
  }
  const resultSlot = (t: tf.Tensor, what: string): number => {
    const slots = (slotsOf.get(t.dataId) ?? []).filter((s) => same(s, t) && !external.has(s));
    if (slots.length === 0) throw new NotReplayable(`${what} was not computed by the pass's kernels`);
    return slots[slots.length - 1];
  };
  const loss = resultSlot(result.value, 'the loss');
  const grads = vars.map((v) => resultSlot(result.grads[v.name], `the gradient of '${v.name}'`));
  const pass: RecordedPass = { ops, infos, external, results: new Set([loss, ...grads]) };
  const root = aliasRoots(pass);
  for (const s of pass.results) {
    if (external.has(root[s])) throw new NotReplayable('a result is data from outside the pass (an input, a variable or a constant)');
  }
  for (const [s, src] of sources) {
    if (src.kind === 'captured' && !backend.dataIdMap.has(src.dataId)) {
      throw new NotReplayable(`the pass read data [${infos[s].shape}] made during it outside any kernel`);
    }
  }
  return { pass, sources, loss, grads };
}

/** For each slot, the slot whose data it is: itself, or, through alias ops, the slot first holding that data. */
export function aliasRoots(pass: RecordedPass): number[] {
  const root = pass.infos.map((_, s) => s);
  for (const op of pass.ops) {
    if (isAliasOp(op, pass.infos)) root[op.outputs[0]] = root[op.inputs.x ?? op.inputs.tensor];
  }
  return root;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// A recorded gradient pass as a plain list of kernel calls over integer slots: the shape
// shared by the replayer (./replayer.ts) and the rewrites that fuse its ops
// (/work/notes/contract_ops.md). Slots are small integers naming TensorInfos.
// An op called with a list of inputs (AddN, Concat, Pack: tfjs-core passes them as an
// array) keeps its `inputs` as an array of slots, so Array.isArray(op.inputs) tells.

/** One kernel call of a recorded pass. */
export interface RecordedOp {
  kernelName: string;                 // as registered for 'wasm', e.g. 'Conv2D', 'FsamReluGrad'
  inputs: Record<string, number>;     // the kernel's named inputs → slots (e.g. { x: 3, filter: 1 })
  attrs: Record<string, unknown>;     // the attrs the kernel was called with
  outputs: number[];                  // slots of its outputs, in order
}

export interface RecordedPass {
  ops: RecordedOp[];
  /** slot → shape and dtype of what it holds */
  infos: { shape: number[]; dtype: string }[];
  /** slots read from outside the pass (inputs, variables, constants): never written */
  external: Set<number>;
  /** slots the pass hands out (the loss, each variable's gradient): must survive */
  results: Set<number>;
}

/**
 * Ops whose kernel on 'wasm' returns its input's data under another shape (refcounted,
 * no copy): tfjs-wasm's Reshape, and fsam-edge's Identity and same-dtype Cast
 * (src/kernels/SharedIdentity.ts). A replay makes them slot aliases and calls nothing.
 */
export function isAliasOp(op: RecordedOp, infos: RecordedPass['infos']): boolean {
  if (op.outputs.length !== 1 || Array.isArray(op.inputs)) return false;
  const x = op.inputs.x ?? op.inputs.tensor;
  if (x === undefined) return false;
  const from = infos[x], to = infos[op.outputs[0]];
  if (from.dtype !== to.dtype || from.dtype === 'string') return false;
  return op.kernelName === 'Reshape' || op.kernelName === 'Identity' || op.kernelName === 'Cast';
}

// Replaying a recorded pass (./recording.ts) on 'wasm': each op's registered kernelFunc is
// called directly with { inputs, attrs, backend } — no engine, tape, tidy or tensor
// tracking. Alias ops (./ops.ts: Reshape, Identity, a same-dtype Cast) become slot
// aliases and call nothing. Each piece of data the pass makes is released with
// backend.disposeData right after its last reader; the results (the loss and the
// gradients) are handed out as engine tensors, so the optimizer's protocol after the pass
// is unchanged. The constants are written into the backend once and held until dispose().
import { tf } from '../tf';
import { wasmBackend } from '../backend/wasm_backend';
import { isAliasOp, type RecordedPass } from './ops';
import { aliasRoots, type PassResult, type Recording } from './recording';

type KernelFunc = (args: { inputs: unknown; attrs: unknown; backend: unknown }) => tf.TensorInfo | tf.TensorInfo[];

interface Step {
  /** The kernel to call, or undefined for an alias op. */
  kernel?: KernelFunc;
  inputNames: string[] | null; // null: the kernel takes a list of inputs
  inputSlots: number[];
  attrs: unknown;
  outputs: number[];
  /** Slots whose data is released after this step. */
  release: number[];
}

export class Replayer {
  private readonly pass: RecordedPass;
  private readonly steps: Step[];
  private readonly constants = new Map<number, tf.TensorInfo>();
  private readonly recording: Recording;
  private released = false;

  constructor(recording: Recording) {
    this.recording = recording;
    const pass = this.pass = recording.pass;
    const root = aliasRoots(pass);
    const lastUse = new Map<number, number>();
    const keep = new Set([...pass.results].map((s) => root[s]));
    pass.ops.forEach((op, i) => {
      for (const s of Object.values(op.inputs)) lastUse.set(root[s], i);
      for (const s of op.outputs) if (root[s] === s && !lastUse.has(s)) lastUse.set(s, i); // never read: released at once
    });
    const releaseAfter = pass.ops.map(() => [] as number[]);
    for (const [r, i] of lastUse) if (!keep.has(r) && !pass.external.has(r)) releaseAfter[i].push(r);
    this.steps = pass.ops.map((op, i) => {
      const list = Array.isArray(op.inputs);
      const inputNames = list ? null : Object.keys(op.inputs);
      const inputSlots = list ? [...(op.inputs as unknown as number[])] : inputNames!.map((k) => op.inputs[k]);
      const config = isAliasOp(op, pass.infos) ? undefined : tf.getKernel(op.kernelName, 'wasm');
      if (!isAliasOp(op, pass.infos) && !config) throw new Error(`no kernel ${op.kernelName} is registered for 'wasm'`);
      return { kernel: config?.kernelFunc as unknown as KernelFunc | undefined, inputNames, inputSlots, attrs: op.attrs, outputs: op.outputs, release: releaseAfter[i] };
    });
    const backend = wasmBackend();
    for (const [s, src] of recording.sources) {
      if (src.kind !== 'constant') continue;
      const { shape, dtype } = pass.infos[s];
      this.constants.set(s, { dataId: backend.write(src.values.slice(), shape, dtype as tf.DataType), shape, dtype: dtype as tf.DataType });
    }
  }

  /** Why the recording cannot be replayed now (a variable or a captured tensor it reads was disposed), or undefined. */
  stale(): string | undefined {
    const backend = wasmBackend();
    for (const src of this.recording.sources.values()) {
      if (src.kind === 'variable' && src.variable.isDisposed) return `variable '${src.variable.name}' was disposed`;
      if (src.kind === 'captured' && !backend.dataIdMap.has(src.dataId)) return 'a tensor the loss reads was disposed';
    }
    return undefined;
  }

  /** The pass on these inputs (shaped as recorded) and variables (those recorded, in order): the loss and each variable's gradient. */
  run(inputs: readonly tf.Tensor[], vars: readonly tf.Variable[]): PassResult {
    if (this.released) throw new Error('this replay was disposed');
    const backend = wasmBackend();
    const { infos } = this.pass;
    const data: tf.TensorInfo[] = new Array(infos.length);
    for (const [s, src] of this.recording.sources) {
      const dataId = src.kind === 'input' ? inputs[src.index].dataId
        : src.kind === 'variable' ? src.variable.dataId
        : src.kind === 'captured' ? src.dataId : this.constants.get(s)!.dataId;
      data[s] = { dataId, shape: infos[s].shape, dtype: infos[s].dtype as tf.DataType };
    }
    let done = -1;
    try {
      for (const step of this.steps) {
        if (step.kernel) {
          const inputs = step.inputNames ? {} as Record<string, tf.TensorInfo> : [] as tf.TensorInfo[];
          for (let j = 0; j < step.inputSlots.length; j++) {
            (inputs as Record<string, tf.TensorInfo>)[step.inputNames ? step.inputNames[j] : j] = data[step.inputSlots[j]];
          }
          const out = step.kernel({ inputs, attrs: step.attrs, backend });
          if (Array.isArray(out)) for (let j = 0; j < out.length; j++) data[step.outputs[j]] = out[j];
          else data[step.outputs[0]] = out;
        } else {
          const s = step.outputs[0];
          data[s] = { dataId: data[step.inputSlots[0]].dataId, shape: infos[s].shape, dtype: infos[s].dtype as tf.DataType };
        }
        done++;
        for (const r of step.release) backend.disposeData(data[r].dataId);
      }
    } catch (err) {
      this.releaseAfterFailure(data, done);
      throw err;
    }
    return this.handOut(data, vars);
  }

  /** The results as engine tensors; results sharing data each hold a reference. */
  private handOut(data: tf.TensorInfo[], vars: readonly tf.Variable[]): PassResult {
    const backend = wasmBackend(), engine = tf.engine(), owned = new Set<tf.DataId>();
    const tensor = (s: number) => {
      const info = data[s];
      if (owned.has(info.dataId)) backend.incRef(info.dataId);
      owned.add(info.dataId);
      return engine.makeTensorFromTensorInfo({ dataId: info.dataId, shape: this.pass.infos[s].shape, dtype: info.dtype }, backend);
    };
    const value = tensor(this.recording.loss) as tf.Scalar;
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => { grads[v.name] = tensor(this.recording.grads[i]); });
    return { value, grads };
  }

  /** After a kernel threw: releases the data made so far that was not released yet. */
  private releaseAfterFailure(data: tf.TensorInfo[], done: number): void {
    const backend = wasmBackend(), released = new Set<number>();
    for (let i = 0; i <= done; i++) for (const r of this.steps[i].release) released.add(r);
    for (let i = 0; i <= done + 1 && i < this.steps.length; i++) {
      const step = this.steps[i];
      if (!step.kernel) continue;
      for (const s of step.outputs) if (data[s] && !released.has(s)) { backend.disposeData(data[s].dataId); released.add(s); }
    }
  }

  /** Releases the constants it holds. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    const backend = wasmBackend();
    for (const c of this.constants.values()) backend.disposeData(c.dataId);
    this.constants.clear();
  }
}

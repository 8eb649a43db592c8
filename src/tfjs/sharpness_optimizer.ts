// F-SAM and SAM as tfjs optimizers (and, for baselines, the base optimizer alone:
// base_optimizers.ts). minimize() runs the step of src/core/fsam_step.ts
// on tfjs-wasm's heap: the weights are the variables' own bytes, the gradients are
// tfjs's gradient tensors, and the state (m, w_old, momentum or Adam moments) lives in
// an arena allocated once beside them. Per step: first pass → perturb in place → second
// pass (BN frozen) → restore and update in place. Nothing is copied into or out of tfjs.
import { tf } from '../tf';
import { Arena, ArenaLayout, type ArenaReport, type SlabKind, STATE_KINDS, BF16_KINDS, savedKind } from '../core/arena';
import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from '../core/hyperparams';
import { bindOptimizerKernels, compiledOptimizerKernels } from '../core/kernels';
import { stateKinds, type FsamStep } from '../core/fsam_step';
import { createStep } from '../core/create_step';
import { wasmBackend, wasmMemory } from '../backend/wasm_backend';
import { contentsChanged, ownedOffset, tfjsHeapHost } from './tensor_memory';
import { secondPass } from './second_pass';

export interface SharpnessOptions extends Omit<OptimizerOptions, 'sharpness'> {
  /** Budget in bytes for the optimizer state (the arena); weights and gradients are tfjs's. */
  maxBytes?: number;
}
export interface FSAMOptions extends SharpnessOptions {}
export interface SAMOptions extends Omit<SharpnessOptions, 'sigma' | 'lambda'> {}

/**
 * State slabs saved by getWeights, named `${variable}/${kind}` as tfjs names its slots.
 * The low-memory mode's bf16 slabs are saved decoded, under their float32 kind's name
 * (ema, momentum), so a checkpoint loads in either mode.
 */
type NamedTensor = { name: string; tensor: tf.Tensor };
const SAVED_KINDS: SlabKind[] = STATE_KINDS.filter((k) => k !== 'wold' && !BF16_KINDS.includes(k));
/** The slab of this arena that holds a saved kind: itself, or its bf16 form. */
const slabFor = (arena: Arena, saved: SlabKind): SlabKind | undefined =>
  arena.layout.kinds.find((k) => savedKind(k) === saved && k !== 'wold');

export abstract class SharpnessOptimizer extends tf.Optimizer {
  protected readonly h: Hyperparams;
  protected readonly maxBytes: number;
  private step?: FsamStep;
  private names: string[] = [];
  /** State loaded by setWeights before the variables were known. */
  private pending?: { step: number; slabs: Map<string, Float32Array> };

  protected constructor(options: OptimizerOptions & { maxBytes?: number }) {
    super();
    const { maxBytes = Infinity, ...rest } = options;
    if (!(typeof maxBytes === 'number' && maxBytes >= 0)) throw new RangeError(`maxBytes must be a number >= 0, got ${maxBytes}`);
    this.h = resolveHyperparams(rest);
    this.maxBytes = maxBytes;
  }

  get learningRate(): number { return this.h.learningRate; }
  set learningRate(lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRate must be finite and > 0, got ${lr}`);
    this.h.learningRate = lr;
  }

  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  get skipped(): number { return this.step?.skipped ?? 0; }

  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const vars = this.variablesFor(varList);
    const step = this.layoutFor(vars);
    const loss = scalarLoss(f);
    if (this.h.sharpness === 'none') return this.baseStep(step, loss, vars, returnCost);
    const first = tf.variableGrads(loss, vars);
    let second: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    try {
      const w = vars.map(ownedOffset);
      const g = this.gradientOffsets(vars, first.grads);
      if (!step.perturb(w, g)) return this.finish(first.value, returnCost);
      try {
        vars.forEach(contentsChanged); // the second pass must see w + ε
        second = secondPass(loss, vars);
        step.update(w, g, this.gradientOffsets(vars, second.grads));
        this.iterations_ = step.step;
      } finally {
        step.restore(w); // a no-op after update(); after a failure, back to w_old
        vars.forEach(contentsChanged);
      }
      return this.finish(first.value, returnCost);
    } catch (err) {
      first.value.dispose();
      throw err;
    } finally {
      tf.dispose(first.grads);
      if (second) tf.dispose([second.value, ...Object.values(second.grads)]);
    }
  }

  /** sharpness 'none': one gradient, the base optimizer's step in place. */
  private baseStep(step: FsamStep, loss: () => tf.Scalar, vars: tf.Variable[], returnCost: boolean): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(loss, vars);
    try {
      const w = vars.map(ownedOffset);
      step.apply(w, this.gradientOffsets(vars, grads));
      this.iterations_ = step.step;
      vars.forEach(contentsChanged);
      return this.finish(value, returnCost);
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      tf.dispose(grads);
    }
  }

  override applyGradients(): void {
    throw new Error(`${this.getClassName()} needs the loss function to take its second gradient: call minimize(f), not applyGradients()`);
  }

  /** The arena's layout and byte counts, or null before the first step lays it out. */
  memory(): ArenaReport | null { return this.step?.arena.layout.report() ?? null; }

  override dispose(): void {
    this.step?.arena.release();
    this.step = undefined;
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    const s = this.step;
    if (!s) return out;
    s.arena.layout.variables.forEach((v, i) => {
      for (const saved of SAVED_KINDS) {
        const kind = slabFor(s.arena, saved);
        if (kind) out.push({ name: `${v.name}/${saved}`, tensor: tf.tensor1d(s.arena.readFloats(kind, i)) });
      }
    });
    return out;
  }

  /** Loads a state saved by getWeights. Everything is checked before anything is written. */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weights)) throw new TypeError(`setWeights needs an array of { name, tensor }, got ${String(weights)}`);
    const iter = weights.find((w) => w?.name === 'iter');
    if (!iter) throw new RangeError("optimizer weights lack 'iter' (the step count)");
    const steps = (await iter.tensor.data())[0];
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`optimizer weight 'iter' must be an integer >= 0, got ${steps}`);
    const slabs = new Map<string, Float32Array>();
    for (const { name, tensor } of weights) {
      if (name === 'iter') continue;
      const kind = name.slice(name.lastIndexOf('/') + 1) as SlabKind;
      if (!SAVED_KINDS.includes(kind)) throw new RangeError(`unknown optimizer weight '${name}'`);
      if (tensor.dtype !== 'float32') throw new TypeError(`optimizer weight '${name}' must be float32, got ${tensor.dtype}`);
      slabs.set(name, (await tensor.data()) as Float32Array);
    }
    const pending = { step: steps, slabs };
    if (this.step) {
      this.applyPending(this.step, pending);
    } else { // no variables yet: checked against them at the first minimize()
      this.pending = pending;
      this.iterations_ = steps;
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { onNonFinite, sharpness, ...rest } = this.h;
    return { ...rest, onNonFinite, maxBytes: Number.isFinite(this.maxBytes) ? this.maxBytes : null };
  }

  /** The trainable float32 variables this step updates, checked. */
  private variablesFor(varList?: tf.Variable[]): tf.Variable[] {
    const vars = varList ?? Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
    if (!Array.isArray(vars) || vars.length === 0) throw new TypeError('minimize() found no trainable variables to update');
    for (const v of vars) {
      if (!(v instanceof tf.Variable)) throw new TypeError(`varList must hold tf.Variable objects, got ${String(v)}`);
      if (v.isDisposed) throw new Error(`variable '${v.name}' was disposed`);
      if (v.dtype !== 'float32') throw new TypeError(`variable '${v.name}' is ${v.dtype}; ${this.getClassName()} updates float32 variables only`);
    }
    if (tf.getBackend() !== 'wasm') throw new Error(`${this.getClassName()} runs on the 'wasm' backend (await ready()), the active backend is '${tf.getBackend()}'`);
    return vars;
  }

  /**
   * The step for this set of variables. The first call lays out the arena; a later call
   * with other variables (a layer unfrozen, say) lays it out anew and carries each
   * surviving variable's state over by name; new variables start with zero state.
   */
  private layoutFor(vars: tf.Variable[]): FsamStep {
    const names = vars.map((v) => v.name);
    const sizes = vars.map((v) => v.size);
    const old = this.step;
    if (old && names.length === this.names.length && names.every((n, i) => n === this.names[i] && old.arena.layout.variables[i].size === sizes[i])) {
      return old;
    }
    const layout = new ArenaLayout(names.map((name, i) => ({ name, size: sizes[i] })), stateKinds(this.h));
    const arena = Arena.allocate(layout, { maxBytes: this.maxBytes, host: tfjsHeapHost() });
    const step = createStep(this.h, arena, bindOptimizerKernels(compiledOptimizerKernels(), wasmMemory()));
    if (old) {
      const before = new Map(old.arena.layout.variables.map((v, i) => [v.name, i]));
      names.forEach((name, i) => {
        const j = before.get(name);
        if (j === undefined || old.arena.layout.variables[j].size !== sizes[i]) return;
        for (const kind of layout.kinds) arena.bytes(kind, i).set(old.arena.bytes(kind, j));
      });
      step.step = old.step;
      step.emaReady = old.emaReady;
      step.skipped = old.skipped;
      old.arena.release();
    }
    this.step = step;
    this.names = names;
    if (this.pending) this.applyPending(step);
    return step;
  }

  private applyPending(step: FsamStep, pending = this.pending!): void {
    const { slabs } = pending;
    const vars = step.arena.layout.variables;
    for (const [name, values] of slabs) {
      const slash = name.lastIndexOf('/');
      const i = vars.findIndex((v) => v.name === name.slice(0, slash));
      const kind = slabFor(step.arena, name.slice(slash + 1) as SlabKind);
      if (i < 0) throw new RangeError(`optimizer weight '${name}' names no variable this optimizer updates`);
      if (!kind) throw new RangeError(`optimizer weight '${name}': this configuration keeps no '${name.slice(slash + 1)}'`);
      if (values.length !== vars[i].size) throw new RangeError(`optimizer weight '${name}' has ${values.length} values, the variable ${vars[i].size}`);
    }
    for (const [name, values] of slabs) {
      const slash = name.lastIndexOf('/');
      const i = vars.findIndex((v) => v.name === name.slice(0, slash));
      step.arena.writeFloats(slabFor(step.arena, name.slice(slash + 1) as SlabKind)!, i, values);
    }
    step.step = pending.step;
    step.emaReady = this.h.sharpness === 'fsam' && step.step > 0;
    this.iterations_ = step.step;
    this.pending = undefined;
  }

  private gradientOffsets(vars: tf.Variable[], grads: tf.NamedTensorMap): number[] {
    const backend = wasmBackend();
    return vars.map((v) => {
      const g = grads[v.name];
      if (!g) throw new Error(`the loss does not depend on variable '${v.name}'`);
      return backend.dataIdMap.get(g.dataId).memoryOffset;
    });
  }

  private finish(value: tf.Scalar, returnCost: boolean): tf.Scalar | null {
    if (returnCost) return value;
    value.dispose();
    return null;
  }
}

/** The loss function, checked to return a float32 scalar. */
function scalarLoss(f: () => tf.Scalar): () => tf.Scalar {
  if (typeof f !== 'function') throw new TypeError(`minimize() needs a loss function, got ${String(f)}`);
  return () => {
    const y = f();
    if (!(y instanceof tf.Tensor) || y.rank !== 0 || y.dtype !== 'float32') {
      const what = y instanceof tf.Tensor ? `a ${y.dtype} tensor of shape [${y.shape}]` : String(y);
      throw new TypeError(`the loss function must return a float32 scalar tensor, got ${what}`);
    }
    return y;
  };
}

/**
 * Friendly Sharpness-Aware Minimization (Li et al., CVPR 2024): SAM whose perturbation
 * leaves out an EMA estimate of the full gradient. Defaults: ρ 0.2, σ 1, λ 0.6, SGD
 * with momentum 0.9 and weight decay 5e-4.
 */
export class FSAM extends SharpnessOptimizer {
  static className = 'FSAM';
  constructor(options: FSAMOptions = {}) { super({ ...options, sharpness: 'fsam' }); }
  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, maxBytes: config.maxBytes ?? undefined });
  }
}

/** Sharpness-Aware Minimization (Foret et al., ICLR 2021); adaptive: true is ASAM. */
export class SAM extends SharpnessOptimizer {
  static className = 'SAM';
  constructor(options: SAMOptions = {}) {
    for (const key of ['sigma', 'lambda']) {
      if (key in (options ?? {})) throw new TypeError(`SAM has no option '${key}' (that is F-SAM's)`);
    }
    super({ ...options, sharpness: 'sam' });
  }
  override getConfig(): tf.serialization.ConfigDict {
    const { sigma, lambda, ...rest } = super.getConfig();
    return rest;
  }
  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, maxBytes: config.maxBytes ?? undefined });
  }
}

tf.serialization.registerClass(FSAM);
tf.serialization.registerClass(SAM);

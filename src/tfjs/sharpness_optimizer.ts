// The minimize protocol shared by the tfjs optimizers FSAM, SAM, SGD and AdamW
// (./optimizers.ts): one sequencer with named phases, as tfjs-core's Optimizer and
// davda54/sam sequence theirs.
//
//   minimize(loss):
//     first pass    g = ∇L_B(w)                           tfjs's gradients
//     perturb       w_old = w;  w = w + ε                  SAM, F-SAM   (the step: src/core/sharpness_step.ts)
//     second pass   g₂ = ∇L_B(w + ε), BN frozen             ./second_pass.ts
//     update        w = w_old;  m;  base step with g₂
//   or, for the base optimizer alone:  first pass → apply (base step with g)
//
// On 'wasm', the weights are the variables' own bytes and the gradients tfjs's gradient
// tensors, both on tfjs-wasm's heap, and the state lives in an arena beside them: the
// phases are the arena step's kernels over byte pointers, and nothing is copied into or
// out of tfjs. On any other backend (cpu, webgl, webgpu) the same phases run in tfjs ops
// over the tensors themselves (./ops_step.ts). ./step_layout.ts lays the state out for the
// variables and the backend; the tfjs-wasm internals are in ./wasm_bridge.ts, the format
// of getWeights()/setWeights() in ./optimizer_state.ts.
import { tf } from '../tf';
import type { ArenaReport } from '../core/arena';
import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from '../core/hyperparams';
import type { Pointers } from '../core/sharpness_step';
import { OptimizerDisposedError } from '../core/errors';
import { contentsChanged, tensorOffset, writableOffset } from './wasm_bridge';
import { secondPass } from './second_pass';
import { stepFor, type TfjsStep } from './step_layout';
import { OpsStep, type Gradients } from './ops_step';
import { readState, writeState, stateTensors, type NamedTensor, type SavedState } from './optimizer_state';

export interface SharpnessOptions extends Omit<OptimizerOptions, 'sharpness'> {
  /** Budget in bytes for the optimizer state (the arena); weights and gradients are tfjs's. */
  maxBytes?: number;
}

export abstract class SharpnessOptimizer extends tf.Optimizer {
  protected readonly hyper: Hyperparams;
  protected readonly maxBytes: number;
  /** The step over the current variables and backend, which owns the state; undefined before the first minimize(). */
  private step?: TfjsStep;
  /** A state setWeights() loaded before the variables were known, written at the first minimize(). */
  private pendingState?: SavedState;
  private disposed = false;

  protected constructor(options: OptimizerOptions & { maxBytes?: number }) {
    super();
    const { maxBytes = Infinity, ...rest } = options;
    if (!(typeof maxBytes === 'number' && maxBytes >= 0)) throw new RangeError(`maxBytes must be a number >= 0, got ${maxBytes}`);
    this.hyper = resolveHyperparams(rest);
    this.maxBytes = maxBytes;
  }

  get learningRate(): number { return this.hyper.learningRate; }
  set learningRate(lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRate must be finite and > 0, got ${lr}`);
    this.hyper.learningRate = lr;
  }

  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  get skipped(): number { return this.step?.skipped ?? 0; }

  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.refuseIfDisposed('minimize');
    const vars = this.variablesFor(varList);
    const step = this.layOut(vars);
    const loss = scalarLoss(f);
    const first = tf.variableGrads(loss, vars); // first pass: g = ∇L_B(w)
    try {
      if (step instanceof OpsStep) {
        this.phases(step, loss, vars, vars, gradientsOf(vars, first.grads), (grads) => gradientsOf(vars, grads), () => {});
      } else {
        const changed = () => vars.forEach(contentsChanged); // tfjs-wasm's caches of the old bytes go
        this.phases(step, loss, vars, vars.map(writableOffset), gradientOffsets(vars, first.grads), (grads) => gradientOffsets(vars, grads), changed);
      }
      return this.finish(first.value, returnCost);
    } catch (err) {
      first.value.dispose();
      throw err;
    } finally {
      tf.dispose(first.grads);
    }
  }

  /**
   * The phases after the first pass, over whichever handles the step works on: byte
   * pointers on 'wasm', the tensors themselves elsewhere. `changed` tells tfjs that the
   * weights' contents changed in place.
   */
  private phases<W, G>(step: Phases<W, G>, loss: () => tf.Scalar, vars: tf.Variable[], w: W, g: G,
    grads: (map: tf.NamedTensorMap) => G, changed: () => void): void {
    if (this.hyper.sharpness === 'none') { // the base optimizer alone: its step with g
      step.apply(w, g);
      this.iterations_ = step.t;
      changed();
      return;
    }
    // SAM and F-SAM: climb to w + ε, take g₂ there, come back to w_old and step; or, if anything fails, back to w_old.
    if (!step.perturb(w, g)) return; // skipped (a non-finite g): nothing changed
    let second: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    try {
      changed(); // the second pass must see w + ε
      second = secondPass(loss, vars); // second pass: g₂ = ∇L_B(w + ε)
      step.update(w, g, grads(second.grads));
      this.iterations_ = step.t;
    } finally {
      step.restore(w); // a no-op after update(); after a failure, back to w_old
      changed();
      if (second) tf.dispose([second.value, ...Object.values(second.grads)]);
    }
  }

  override applyGradients(): void {
    throw new Error(`${this.getClassName()} needs the loss function to take its second gradient: call minimize(f), not applyGradients()`);
  }

  /** The arena's layout and byte counts, or null before the first step lays it out. */
  memory(): ArenaReport | null {
    this.refuseIfDisposed('memory');
    return this.step?.arena.layout.report() ?? null;
  }

  /** Frees the arena. Later calls of minimize, getWeights, setWeights and memory throw OptimizerDisposedError. */
  override dispose(): void {
    this.step?.arena.release();
    this.step = undefined;
    this.pendingState = undefined;
    this.disposed = true;
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    this.refuseIfDisposed('getWeights');
    const iter = await this.saveIterations();
    if (this.step) return [iter, ...stateTensors(this.step)];
    return [iter, ...(this.pendingState?.slabs ?? []).map(({ name, values }) => ({ name, tensor: tf.tensor1d(values) }))];
  }

  /** Loads a state saved by getWeights (./optimizer_state.ts). Everything is checked before anything is written. */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    this.refuseIfDisposed('setWeights');
    const state = await readState(weights);
    if (this.step) writeState(this.step, state);
    else this.pendingState = state; // no variables yet: checked against them at the first minimize()
    this.iterations_ = state.t;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { onNonFinite, sharpness, ...rest } = this.hyper;
    return { ...rest, onNonFinite, maxBytes: Number.isFinite(this.maxBytes) ? this.maxBytes : null };
  }

  private refuseIfDisposed(call: string): void {
    if (this.disposed) {
      throw new OptimizerDisposedError(`${this.getClassName()}.${call}()`, 'create a new optimizer (setWeights() restores a saved state into it)');
    }
  }

  /** The step for these variables and the active backend (./step_layout.ts), with a pending state written into it. */
  private layOut(vars: tf.Variable[]): TfjsStep {
    const step = stepFor(this.step, vars, this.hyper, this.maxBytes);
    this.step = step;
    if (this.pendingState) {
      writeState(step, this.pendingState); // throws, keeping it pending, if it does not fit these variables
      this.pendingState = undefined;
      this.iterations_ = step.t;
    }
    return step;
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
    return vars;
  }

  private finish(value: tf.Scalar, returnCost: boolean): tf.Scalar | null {
    if (returnCost) return value;
    value.dispose();
    return null;
  }
}

/** A step as the protocol drives it: over byte pointers (the arena step) or tensors (./ops_step.ts). */
interface Phases<W, G> {
  readonly t: number;
  perturb(w: W, g: G): boolean;
  update(w: W, g: G, g2: G): boolean;
  restore(w: W): void;
  apply(w: W, g: G): boolean;
}

/** Each variable's gradient tensor. */
function gradientsOf(vars: tf.Variable[], grads: tf.NamedTensorMap): Gradients {
  return vars.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`the loss does not depend on variable '${v.name}'`);
    return g;
  });
}

/** Byte offsets of each variable's gradient tensor. */
function gradientOffsets(vars: tf.Variable[], grads: tf.NamedTensorMap): number[] {
  return gradientsOf(vars, grads).map((g) => tensorOffset(g));
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

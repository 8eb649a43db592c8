// The minimize protocol shared by the tfjs optimizers FSAM, SAM, SGD and AdamW
// (./optimizers.ts): one sequencer with named phases, as tfjs-core's Optimizer and
// davda54/sam sequence theirs.
//
//   minimize(loss):
//     first pass    g = ∇L_B(w)                           ./gradient_pass.ts
//     perturb       w_old = w;  w = w + ε                  SAM, F-SAM   (the step: src/core/sharpness_step.ts)
//     second pass   g₂ = ∇L_B(w + ε), BN frozen             ./second_pass.ts
//     update        w = w_old;  m;  base step with g₂
//   or, for the base optimizer alone:  first pass → apply (base step with g)
//
// With `accumulate: k`, each pass runs over k micro-batches — minimize(f) calls f(i) for
// i = 0…k−1 — and steps with the mean of their gradients (./gradient_pass.ts), so
// activations take one micro-batch's memory and the step is the whole batch's.
//
// On 'wasm', the weights are the variables' own bytes, g₂ (without micro-batches) tfjs's
// gradient tensors, and the state and g live in an arena beside them on tfjs-wasm's
// heap: the phases are the arena step's kernels over byte pointers. On any other backend
// (cpu, webgl, webgpu) the same phases run in tfjs ops over the tensors themselves
// (./ops_step.ts). ./step_layout.ts lays the state out for the variables and the
// backend; the tfjs-wasm internals are in ./wasm_bridge.ts, the format of
// getWeights()/setWeights() in ./optimizer_state.ts.
import { tf } from '../tf';
import type { ArenaReport } from '../core/arena';
import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from '../core/hyperparams';
import type { Pointers } from '../core/sharpness_step';
import { OptimizerDisposedError } from '../core/errors';
import { contentsChanged, writableOffset } from './wasm_bridge';
import { secondPass } from './second_pass';
import { laidOutFor, layoutFor, stepOn, type TfjsStep } from './step_layout';
import { OpsStep } from './ops_step';
import { arenaGradientPass, tensorGradientPass, type Gradient, type Pass } from './gradient_pass';
import { checkStepBudget } from './memory_plan';
import { PassReplay, type ReplayStatus } from '../replay/pass_replay';
import { readState, writeState, stateTensors, type NamedTensor, type SavedState } from './optimizer_state';

export interface SharpnessOptions extends Omit<OptimizerOptions, 'sharpness'> {
  /**
   * Budget in bytes for the whole run: weights, data, gradients, optimizer state. Checked
   * before the first step allocates anything (and again when the variables change): the
   * tensors in use, the state and the gradients a step holds must fit, or minimize()
   * throws MemoryBudgetError. Activations are known only to planMemory(model, { batchSize,
   * optimizer }), which counts them (and tfjs-wasm's own) too.
   */
  maxBytes?: number;
  /**
   * Micro-batches per step (default 1): minimize(f) calls f(i), the loss of micro-batch
   * i = 0…k−1 (a mean over it), in each pass, and steps with the mean of their gradients:
   * the whole batch's step with one micro-batch's activation memory. BatchNorm computes
   * its batch statistics per micro-batch and updates its moving statistics once per
   * micro-batch of the first pass. tfjs-layers' fit() hands over one loss for its whole
   * batch, which cannot be split: use microBatchLoss() or train with a loop.
   */
  accumulate?: number;
}

export interface CompileOptions {
  /** The variables to train (default: every trainable variable), as minimize()'s varList. */
  varList?: tf.Variable[];
  /** Whether a step returns its loss (before the step) or null, as minimize()'s returnCost; default false. */
  returnCost?: boolean;
}

/** A training step compile() made: `step(...inputs)` steps on that batch and returns the loss or null. */
export interface CompiledStep<I extends tf.Tensor[]> {
  (...inputs: I): tf.Scalar | null;
  /** Whether the last step's passes were recorded, replayed, or run normally, and why. */
  readonly replay: ReplayStatus;
  /** Releases what the replays hold (a few constant tensors); the step keeps working, recording anew. */
  dispose(): void;
}

export abstract class SharpnessOptimizer extends tf.Optimizer {
  protected readonly hyper: Hyperparams;
  protected readonly maxBytes: number;
  protected readonly accumulate: number;
  /** The step over the current variables and backend, which owns the state; undefined before the first minimize(). */
  private step?: TfjsStep;
  /** A state setWeights() loaded before the variables were known, written at the first minimize(). */
  private pendingState?: SavedState;
  private disposed = false;
  /** The replays of the steps compile() made, released with the optimizer. */
  private readonly compiled = new Set<PassReplay>();

  protected constructor(options: OptimizerOptions & { maxBytes?: number; accumulate?: number }) {
    super();
    const { maxBytes = Infinity, accumulate = 1, ...rest } = options;
    if (!(typeof maxBytes === 'number' && maxBytes >= 0)) throw new RangeError(`maxBytes must be a number >= 0, got ${maxBytes}`);
    if (!(Number.isInteger(accumulate) && accumulate >= 1)) throw new RangeError(`accumulate must be an integer >= 1, got ${accumulate}`);
    this.hyper = resolveHyperparams(rest);
    this.maxBytes = maxBytes;
    this.accumulate = accumulate;
  }

  get learningRate(): number { return this.hyper.learningRate; }
  set learningRate(lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRate must be finite and > 0, got ${lr}`);
    this.hyper.learningRate = lr;
  }

  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'). */
  get skipped(): number { return this.step?.skipped ?? 0; }

  /**
   * One step on the loss `f`. With `accumulate: k` > 1, `f(i)` is the loss of micro-batch
   * i = 0…k−1 of the step's batch, called once per pass for each.
   */
  override minimize(f: (microBatch: number) => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.refuseIfDisposed('minimize');
    const vars = this.variablesFor(varList);
    const losses = microBatchLosses(f, this.accumulate);
    return this.stepWith(vars, losses, { first: tf.variableGrads as Pass, second: secondPass }, returnCost);
  }

  /**
   * A training step as a function of its inputs: `compile((x, y) => loss(model.apply(x,
   * { training: true }), y))` returns `step`, and `step(x, y)` takes the same step as
   * `minimize(() => loss(...), returnCost, varList)`, bit for bit. On 'wasm' it records
   * the gradient pass of its first two steps and, when they were the same program, replays
   * it as kernel calls for both passes of every later step (src/replay/): no tfjs engine,
   * tape or tidy in between. The loss must depend on the batch only through its inputs;
   * what it cannot replay (dropout, BatchNormalization's moving statistics, tf.keep()) it
   * runs as minimize() would, and `step.replay` says why. One micro-batch per step.
   */
  compile<I extends tf.Tensor[]>(loss: (...inputs: I) => tf.Scalar, options: CompileOptions = {}): CompiledStep<I> {
    this.refuseIfDisposed('compile');
    if (typeof loss !== 'function') throw new TypeError(`compile() needs a loss function of the step's inputs, got ${String(loss)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`compile() options must be an object, got ${String(options)}`);
    const { varList, returnCost = false, ...unknown } = options;
    const extra = Object.keys(unknown);
    if (extra.length > 0) throw new TypeError(`compile() has no option '${extra[0]}'`);
    if (typeof returnCost !== 'boolean') throw new TypeError(`compile() option returnCost must be a boolean, got ${String(returnCost)}`);
    if (this.accumulate > 1) {
      throw new RangeError(`compile() takes one batch per step; this optimizer has accumulate: ${this.accumulate} — call minimize(f(i)) with microBatchLoss() for micro-batches`);
    }
    if (varList !== undefined) this.variablesFor(varList);
    const replay = new PassReplay();
    this.compiled.add(replay);
    const step = (...inputs: I): tf.Scalar | null => {
      this.refuseIfDisposed('compile()d step');
      checkInputs(inputs, loss.length);
      const vars = this.variablesFor(varList);
      const losses = microBatchLosses(() => loss(...inputs), 1);
      return this.stepWith(vars, losses, replay.passes(inputs, vars), returnCost);
    };
    return Object.defineProperties(step, {
      replay: { get: () => replay.status, enumerable: true },
      dispose: { value: () => { replay.dispose(); this.compiled.delete(replay); } },
    }) as CompiledStep<I>;
  }

  /** One step of the protocol on these variables, with `passes` taking the gradients (normal passes, or recorded and replayed ones). */
  private stepWith(vars: tf.Variable[], losses: (() => tf.Scalar)[], passes: { first: Pass; second: Pass }, returnCost: boolean): tf.Scalar | null {
    const step = this.layOut(vars);
    if (step instanceof OpsStep) {
      const first = tensorGradientPass(passes.first, losses, vars); // first pass: g = ∇L_B(w)
      return this.afterFirstPass(first, () => this.phases(step, vars, vars, first.gradients, () => tensorGradientPass(passes.second, losses, vars), () => {}), returnCost);
    }
    const sharpness = this.hyper.sharpness !== 'none', k = this.accumulate;
    const slab = (kind: 'grad' | 'grad2', use: boolean) => (use ? { arena: step.arena, kind, kernels: step.kernels } : undefined);
    // First pass: g = ∇L_B(w), in the arena for SAM and F-SAM and over micro-batches.
    const first = arenaGradientPass(passes.first, losses, vars, slab('grad', sharpness || k > 1));
    const changed = () => vars.forEach(contentsChanged); // tfjs-wasm's caches of the old bytes go
    return this.afterFirstPass(first, () => this.phases(step, vars, vars.map(writableOffset), first.gradients,
      () => arenaGradientPass(passes.second, losses, vars, slab('grad2', k > 1)), changed), returnCost);
  }

  /** Runs the phases after the first pass, then returns its loss (or disposes it), and releases its gradient. */
  private afterFirstPass<G>(first: Gradient<G>, phases: () => void, returnCost: boolean): tf.Scalar | null {
    try {
      phases();
      return this.finish(first.loss, returnCost);
    } catch (err) {
      first.loss.dispose();
      throw err;
    } finally {
      first.release();
    }
  }

  /**
   * The phases after the first pass, over whichever handles the step works on: byte
   * pointers on 'wasm', the tensors themselves elsewhere. `second` runs the second pass;
   * `changed` tells tfjs that the weights' contents changed in place.
   */
  private phases<W, G>(step: Phases<W, G>, vars: tf.Variable[], w: W, g: G, second: () => Gradient<G>, changed: () => void): void {
    if (this.hyper.sharpness === 'none') { // the base optimizer alone: its step with g
      step.apply(w, g);
      this.iterations_ = step.t;
      changed();
      return;
    }
    // SAM and F-SAM: climb to w + ε, take g₂ there, come back to w_old and step; or, if anything fails, back to w_old.
    if (!step.perturb(w, g)) return; // skipped (a non-finite g): nothing changed
    let g2: Gradient<G> | undefined;
    try {
      changed(); // the second pass must see w + ε
      g2 = second(); // second pass: g₂ = ∇L_B(w + ε)
      step.update(w, g, g2.gradients);
      this.iterations_ = step.t;
    } finally {
      step.restore(w); // a no-op after update(); after a failure, back to w_old
      changed();
      if (g2) {
        g2.release();
        g2.loss.dispose();
      }
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
    for (const replay of this.compiled) replay.dispose();
    this.compiled.clear();
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
    return { ...rest, onNonFinite, maxBytes: Number.isFinite(this.maxBytes) ? this.maxBytes : null, accumulate: this.accumulate };
  }

  private refuseIfDisposed(call: string): void {
    if (this.disposed) {
      throw new OptimizerDisposedError(`${this.getClassName()}.${call}()`, 'create a new optimizer (setWeights() restores a saved state into it)');
    }
  }

  /**
   * The step for these variables and the active backend (./step_layout.ts), with a
   * pending state written into it. A new layout is checked against maxBytes before
   * anything is allocated.
   */
  private layOut(vars: tf.Variable[]): TfjsStep {
    const onWasm = tf.getBackend() === 'wasm';
    if (this.step && laidOutFor(this.step, vars, onWasm)) return this.step;
    const layout = layoutFor(vars, this.hyper, this.accumulate, onWasm);
    checkStepBudget(vars, this.hyper, this.accumulate, this.step ? this.step.arena.layout.totalBytes : 0, this.maxBytes);
    const step = stepOn(layout, this.hyper, this.step, onWasm);
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

/**
 * The step's loss functions, one per micro-batch, each checked to return a float32
 * scalar. With k > 1 the loss must take the micro-batch's index: a loss function of no
 * argument (such as the one tfjs-layers' fit() hands over, over its whole batch) cannot
 * be split.
 */
function microBatchLosses(f: (microBatch: number) => tf.Scalar, k: number): (() => tf.Scalar)[] {
  if (typeof f !== 'function') throw new TypeError(`minimize() needs a loss function, got ${String(f)}`);
  if (k > 1 && f.length === 0) {
    throw new TypeError(`accumulate: ${k} needs a loss function of the micro-batch, f(i) for i = 0…${k - 1}; this one takes no argument ` +
      "(tfjs-layers' fit() passes one loss for its whole batch, which the optimizer cannot split): build one with microBatchLoss(), or fit with accumulate: 1");
  }
  return Array.from({ length: k }, (_, i) => () => {
    const y = f(i);
    if (!(y instanceof tf.Tensor) || y.rank !== 0 || y.dtype !== 'float32') {
      const what = y instanceof tf.Tensor ? `a ${y.dtype} tensor of shape [${y.shape}]` : String(y);
      throw new TypeError(`the loss function must return a float32 scalar tensor, got ${what}`);
    }
    return y;
  });
}

/** A compiled step's inputs: live tensors, as many as the loss function declares (when it declares any). */
function checkInputs(inputs: unknown[], declared: number): void {
  if (declared > 0 && inputs.length !== declared) {
    throw new TypeError(`the compiled step's loss takes ${declared} input(s), the step was given ${inputs.length}`);
  }
  inputs.forEach((x, i) => {
    if (!(x instanceof tf.Tensor)) throw new TypeError(`input ${i} of the compiled step must be a tf.Tensor, got ${String(x)}`);
    if (x.isDisposed) throw new TypeError(`input ${i} of the compiled step (a ${x.dtype} tensor of shape [${x.shape}]) was disposed`);
  });
}

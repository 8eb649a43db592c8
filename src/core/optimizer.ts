// The framework-free optimizer: F-SAM, SAM, or the base optimizer alone, over
// Float32Arrays that live in the arena. The caller computes gradients; the optimizer
// asks for them once (base alone) or twice (SAM family) per step.
import { Arena, ArenaLayout, type ArenaReport, type SlabKind, type VariableSpec } from './arena';
import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from './hyperparams';
import { loadOptimizerKernels, type KernelVariant } from './kernels';
import type { SharpnessStep } from './sharpness_step';
import { createStep } from './create_step';
import { stateKinds, exportState, importState, type OptimizerState } from './state';
import { OptimizerDisposedError } from './errors';

export type { OptimizerState };

export interface CoreOptimizerOptions extends OptimizerOptions {
  variables: VariableSpec[];
  /** Budget for the arena in bytes (weights, gradients and state together). */
  maxBytes?: number;
  /** 'simd' (default) or 'scalar', the reference twins. */
  kernels?: KernelVariant;
}

/** Write all of `grads[i]` = ∂L/∂weights[i] (they hold stale values); may return the loss. */
export type GradientFn = (weights: Float32Array[], grads: Float32Array[]) => number | void;

export async function createOptimizer(options: CoreOptimizerOptions): Promise<CoreOptimizer> {
  const { variables, maxBytes, kernels = 'simd', ...rest } = options ?? ({} as CoreOptimizerOptions);
  const hyper = resolveHyperparams(rest);
  if (!Array.isArray(variables)) throw new TypeError(`variables must be an array of { name, size }, got ${String(variables)}`);
  const pass2: SlabKind[] = hyper.sharpness === 'none' ? [] : ['grad2'];
  const layout = new ArenaLayout(variables, ['weights', 'grad', ...pass2, ...stateKinds(hyper)]);
  const arena = Arena.allocate(layout, { maxBytes });
  try {
    return new CoreOptimizer(createStep(hyper, arena, await loadOptimizerKernels(arena.memory, kernels)));
  } catch (err) {
    arena.release();
    throw err;
  }
}

export class CoreOptimizer {
  /** The step, which owns the arena; undefined once disposed. */
  private sharpnessStep: SharpnessStep | undefined;
  /** The weights, views into the arena: write the initial values here. */
  readonly weights: Float32Array[];
  private readonly grads: Float32Array[];
  private readonly grads2: Float32Array[];
  private readonly weightPointers: number[];
  private readonly gradPointers: number[];
  private readonly grad2Pointers: number[];

  constructor(step: SharpnessStep) {
    this.sharpnessStep = step;
    const arena = step.arena, indices = [...Array(arena.layout.variables.length).keys()];
    this.weights = indices.map((i) => arena.view('weights', i));
    this.grads = indices.map((i) => arena.view('grad', i));
    this.grads2 = arena.has('grad2') ? indices.map((i) => arena.view('grad2', i)) : this.grads;
    this.weightPointers = indices.map((i) => arena.pointer('weights', i));
    this.gradPointers = indices.map((i) => arena.pointer('grad', i));
    this.grad2Pointers = arena.has('grad2') ? indices.map((i) => arena.pointer('grad2', i)) : this.gradPointers;
  }

  /** The live step; throws OptimizerDisposedError after dispose(). */
  private step(call: string): SharpnessStep {
    if (!this.sharpnessStep) throw new OptimizerDisposedError(`CoreOptimizer.${call}()`, 'createOptimizer() a new one (importState() restores a saved state into it)');
    return this.sharpnessStep;
  }

  get hyperparams(): Readonly<Hyperparams> { return this.step('hyperparams').hyper; }
  /** Completed steps (the step count t), as tf.Optimizer's `iterations`. */
  get iterations(): number { return this.step('iterations').t; }
  get skipped(): number { return this.step('skipped').skipped; }
  get learningRate(): number { return this.step('learningRate').hyper.learningRate; }
  set learningRate(lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRate must be finite and > 0, got ${lr}`);
    this.step('learningRate').hyper.learningRate = lr;
  }

  /**
   * One step. `gradients` runs at w (and, for SAM and F-SAM, again at w + ε).
   * Returns the first pass's loss (if `gradients` returns one), or undefined if the
   * step was skipped. If `gradients` throws, weights and state are left as they were.
   */
  stepWith(gradients: GradientFn): number | undefined {
    const step = this.step('stepWith');
    const w = this.weightPointers, g = this.gradPointers, g2 = this.grad2Pointers;
    const loss = gradients(this.weights, this.grads);
    if (step.hyper.sharpness === 'none') return step.apply(w, g) ? (loss ?? NaN) : undefined;
    if (!step.perturb(w, g)) return undefined;
    try {
      gradients(this.weights, this.grads2);
    } catch (err) {
      step.restore(w);
      throw err;
    }
    return step.update(w, g, g2) ? (loss ?? NaN) : undefined;
  }

  /** The arena's layout: bytes per kind of slab, state bytes per parameter. */
  memory(): ArenaReport { return this.step('memory').arena.layout.report(); }

  exportState(): OptimizerState { return exportState(this.step('exportState')); }

  /** Loads a state saved by exportState from an optimizer of the same configuration. */
  importState(state: OptimizerState): void { importState(this.step('importState'), state); }

  /** Frees the arena (weights, gradients and state). Later calls throw OptimizerDisposedError; a second dispose() does nothing. */
  dispose(): void {
    this.sharpnessStep?.arena.release();
    this.sharpnessStep = undefined;
  }
}

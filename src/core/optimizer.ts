// The framework-free optimizer: F-SAM, SAM, or the base optimizer alone, over
// Float32Arrays that live in the arena. The caller computes gradients; the optimizer
// asks for them once (base alone) or twice (SAM family) per step.
import { Arena, ArenaLayout, type ArenaReport, type SlabKind, type VariableSpec, STATE_KINDS } from './arena';

import { resolveHyperparams, type Hyperparams, type OptimizerOptions } from './hyperparams';
import { loadOptimizerKernels, type KernelVariant } from './kernels';
import { stateKinds, type FsamStep } from './fsam_step';
import { createStep } from './create_step';

export interface CoreOptimizerOptions extends OptimizerOptions {
  variables: VariableSpec[];
  /** Budget for the arena in bytes (weights, gradients and state together). */
  maxBytes?: number;
  /** 'simd' (default) or 'scalar', the reference twins. */
  kernels?: KernelVariant;
}

/** Write all of `grads[i]` = ∂L/∂weights[i] (they hold stale values); may return the loss. */
export type GradientFn = (weights: Float32Array[], grads: Float32Array[]) => number | void;

/** Optimizer state as saved by exportState: plain data, copies of the state slabs. */
export interface OptimizerState {
  format: 'fsam-edge/optimizer-state';
  version: 1;
  hyperparams: Hyperparams;
  variables: VariableSpec[];
  step: number;
  emaReady: boolean;
  skipped: number;
  slabs: Partial<Record<SlabKind, Float32Array>>;
}

export async function createOptimizer(options: CoreOptimizerOptions): Promise<CoreOptimizer> {
  const { variables, maxBytes, kernels = 'simd', ...rest } = options ?? ({} as CoreOptimizerOptions);
  const h = resolveHyperparams(rest);
  if (!Array.isArray(variables)) throw new TypeError(`variables must be an array of { name, size }, got ${String(variables)}`);
  const pass2: SlabKind[] = h.sharpness === 'none' ? [] : ['grad2'];
  const layout = new ArenaLayout(variables, ['weights', 'grad', ...pass2, ...stateKinds(h)]);
  const arena = Arena.allocate(layout, { maxBytes });
  try {
    return new CoreOptimizer(createStep(h, arena, await loadOptimizerKernels(arena.memory, kernels)));
  } catch (err) {
    arena.release();
    throw err;
  }
}

export class CoreOptimizer {
  private readonly s: FsamStep;
  /** The weights, views into the arena: write the initial values here. */
  readonly weights: Float32Array[];
  private readonly grads: Float32Array[];
  private readonly grads2: Float32Array[];
  private readonly w: number[];
  private readonly g: number[];
  private readonly g2: number[];

  constructor(step: FsamStep) {
    this.s = step;
    const a = step.arena, n = a.layout.variables.length;
    const idx = [...Array(n).keys()];
    this.weights = idx.map((i) => a.view('weights', i));
    this.grads = idx.map((i) => a.view('grad', i));
    this.grads2 = a.has('grad2') ? idx.map((i) => a.view('grad2', i)) : this.grads;
    this.w = idx.map((i) => a.pointer('weights', i));
    this.g = idx.map((i) => a.pointer('grad', i));
    this.g2 = a.has('grad2') ? idx.map((i) => a.pointer('grad2', i)) : this.g;
  }

  get hyperparams(): Readonly<Hyperparams> { return this.s.h; }
  get step(): number { return this.s.step; }
  get skipped(): number { return this.s.skipped; }
  get learningRate(): number { return this.s.h.learningRate; }
  set learningRate(lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`learningRate must be finite and > 0, got ${lr}`);
    this.s.h.learningRate = lr;
  }

  /**
   * One step. `gradients` runs at w (and, for SAM and F-SAM, again at w + ε).
   * Returns the first pass's loss (if `gradients` returns one), or undefined if the
   * step was skipped. If `gradients` throws, weights and state are left as they were.
   */
  stepWith(gradients: GradientFn): number | undefined {
    const s = this.s;
    const loss = gradients(this.weights, this.grads);
    if (s.h.sharpness === 'none') return s.apply(this.w, this.g) ? (loss ?? NaN) : undefined;
    if (!s.perturb(this.w, this.g)) return undefined;
    try {
      gradients(this.weights, this.grads2);
    } catch (err) {
      s.restore(this.w);
      throw err;
    }
    return s.update(this.w, this.g, this.g2) ? (loss ?? NaN) : undefined;
  }

  /** The arena's layout: bytes per kind of slab, state bytes per parameter. */
  memory(): ArenaReport { return this.s.arena.layout.report(); }

  exportState(): OptimizerState {
    const a = this.s.arena;
    const slabs: Partial<Record<SlabKind, Float32Array>> = {};
    for (const k of a.layout.kinds) if (STATE_KINDS.includes(k) && k !== 'wold') slabs[k] = a.readFloats(k, -1);
    return {
      format: 'fsam-edge/optimizer-state', version: 1, hyperparams: { ...this.s.h },
      variables: a.layout.variables.map((v) => ({ ...v })), step: this.s.step, emaReady: this.s.emaReady,
      skipped: this.s.skipped, slabs,
    };
  }

  /** Loads a state saved by exportState from an optimizer of the same configuration. */
  importState(state: OptimizerState): void {
    const a = this.s.arena;
    if (state?.format !== 'fsam-edge/optimizer-state' || state.version !== 1) {
      throw new TypeError(`not an fsam-edge optimizer state (format ${String(state?.format)}, version ${String(state?.version)})`);
    }
    const mine = JSON.stringify(a.layout.variables), theirs = JSON.stringify(state.variables);
    if (mine !== theirs) throw new RangeError(`state is for variables ${theirs}, this optimizer has ${mine}`);
    for (const k of ['sharpness', 'base', 'adaptive', 'nesterov', 'lowMemory'] as const) {
      const theirs = k === 'lowMemory' ? (state.hyperparams[k] ?? false) : state.hyperparams[k];
      if (theirs !== this.s.h[k]) throw new RangeError(`state has ${k} ${theirs}, this optimizer ${this.s.h[k]}`);
    }
    const kinds = a.layout.kinds.filter((k) => STATE_KINDS.includes(k) && k !== 'wold');
    for (const k of kinds) {
      const src = state.slabs[k];
      if (!(src instanceof Float32Array) || src.length !== a.layout.slabFloats) {
        throw new RangeError(`state slab '${k}' must be a Float32Array of ${a.layout.slabFloats} floats, got ${src?.length}`);
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`state step must be an integer >= 0, got ${state.step}`);
    for (const k of kinds) a.writeFloats(k, -1, state.slabs[k]!);
    this.s.step = state.step;
    this.s.emaReady = state.emaReady;
    this.s.skipped = state.skipped;
    this.s.h.learningRate = state.hyperparams.learningRate;
  }

  dispose(): void { this.s.arena.release(); }
}

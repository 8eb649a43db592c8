// Optimizer state: the slabs a configuration keeps, which of them are saved, and the
// counters beside them. w_old is scratch within a step and is not saved; bf16 slabs
// (low-memory mode) are saved decoded, under their float32 kind's name, so a saved state
// loads in either mode. Two formats are built on this: exportState()'s plain data here
// (the framework-free optimizer, ./optimizer.ts) and tfjs's named tensors
// (src/tfjs/optimizer_state.ts).
import { STATE_KINDS, BF16_KINDS, savedKind, type Arena, type SlabKind, type VariableSpec } from './arena';
import type { Hyperparams } from './hyperparams';
import type { SharpnessStep } from './sharpness_step';

/** The state slabs a configuration needs, in arena order. */
export function stateKinds(hyper: Hyperparams): SlabKind[] {
  const kinds: SlabKind[] = [];
  if (hyper.lowMemory) {
    if (hyper.sharpness === 'fsam') kinds.push('ema_bf16');
    if (hyper.momentum > 0) kinds.push('momentum_bf16');
    return kinds;
  }
  if (hyper.sharpness === 'fsam') kinds.push('ema');
  if (hyper.sharpness !== 'none') kinds.push('wold');
  if (hyper.base === 'sgd' && hyper.momentum > 0) kinds.push('momentum');
  if (hyper.base === 'adamw') kinds.push('adam_m', 'adam_v');
  return kinds;
}

/**
 * The slabs that hold a step's gradients in the arena (scratch, like w_old: not saved).
 * 'grad': the first pass's gradient g of SAM and F-SAM, which outlives the second pass
 * (the EMA, the low-memory restore), and of every configuration over micro-batches (the
 * sum). 'grad2': the second pass's g₂ over micro-batches. Without micro-batches, g₂ and a
 * base optimizer's one gradient stay in the gradient tensors of the pass.
 */
export function gradientKinds(hyper: Hyperparams, accumulate: number): SlabKind[] {
  const sharpness = hyper.sharpness !== 'none';
  return [...(sharpness || accumulate > 1 ? ['grad' as const] : []), ...(sharpness && accumulate > 1 ? ['grad2' as const] : [])];
}

/** The kinds a state is saved as: ema, momentum, adam_m, adam_v. */
export const SAVED_KINDS: readonly SlabKind[] = STATE_KINDS.filter((k) => k !== 'wold' && !BF16_KINDS.includes(k));

/** The slab of this arena that holds a saved kind: itself, or its bf16 form; undefined if none. */
export function savedSlab(arena: Pick<Arena, 'layout'>, saved: SlabKind): SlabKind | undefined {
  return arena.layout.kinds.find((k) => savedKind(k) === saved && k !== 'wold');
}

/**
 * Carries a step's state into a step over another list of variables (an arena laid out
 * anew): each variable in both, with the same size, keeps its state by name; a new one
 * starts at zero. The counters carry over.
 */
export function carryState(from: SharpnessStep, to: SharpnessStep): void {
  const before = new Map(from.arena.layout.variables.map((v, i) => [v.name, i]));
  to.arena.layout.variables.forEach((v, i) => {
    const j = before.get(v.name);
    if (j === undefined || from.arena.layout.variables[j].size !== v.size) return;
    for (const kind of to.arena.layout.kinds) to.arena.bytes(kind, i).set(from.arena.bytes(kind, j));
  });
  to.t = from.t;
  to.emaReady = from.emaReady;
  to.skipped = from.skipped;
}

/** Optimizer state as exportState() saves it: plain data, copies of the saved slabs. */
export interface OptimizerState {
  format: 'fsam-edge/optimizer-state';
  version: 1;
  hyperparams: Hyperparams;
  variables: VariableSpec[];
  /** Completed steps t. */
  step: number;
  emaReady: boolean;
  skipped: number;
  slabs: Partial<Record<SlabKind, Float32Array>>;
}

/** The slabs of this arena that a state saves (bf16 ones under their own kind, decoded). */
const savedKinds = (arena: Arena) => arena.layout.kinds.filter((k) => STATE_KINDS.includes(k) && k !== 'wold');

export function exportState(step: SharpnessStep): OptimizerState {
  const arena = step.arena;
  const slabs: Partial<Record<SlabKind, Float32Array>> = {};
  for (const k of savedKinds(arena)) slabs[k] = arena.readFloats(k, -1);
  return {
    format: 'fsam-edge/optimizer-state', version: 1, hyperparams: { ...step.hyper },
    variables: arena.layout.variables.map((v) => ({ ...v })), step: step.t, emaReady: step.emaReady,
    skipped: step.skipped, slabs,
  };
}

/** Loads a state saved by exportState into a step of the same configuration; checks everything before writing. */
export function importState(step: SharpnessStep, state: OptimizerState): void {
  const arena = step.arena;
  if (state?.format !== 'fsam-edge/optimizer-state' || state.version !== 1) {
    throw new TypeError(`not an fsam-edge optimizer state (format ${String(state?.format)}, version ${String(state?.version)})`);
  }
  const mine = JSON.stringify(arena.layout.variables), theirs = JSON.stringify(state.variables);
  if (mine !== theirs) throw new RangeError(`state is for variables ${theirs}, this optimizer has ${mine}`);
  for (const k of ['sharpness', 'base', 'adaptive', 'nesterov', 'lowMemory'] as const) {
    const theirs = k === 'lowMemory' ? (state.hyperparams[k] ?? false) : state.hyperparams[k];
    if (theirs !== step.hyper[k]) throw new RangeError(`state has ${k} ${theirs}, this optimizer ${step.hyper[k]}`);
  }
  const kinds = savedKinds(arena);
  for (const k of kinds) {
    const src = state.slabs[k];
    if (!(src instanceof Float32Array) || src.length !== arena.layout.slabFloats) {
      throw new RangeError(`state slab '${k}' must be a Float32Array of ${arena.layout.slabFloats} floats, got ${src?.length}`);
    }
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`state step must be an integer >= 0, got ${state.step}`);
  for (const k of kinds) arena.writeFloats(k, -1, state.slabs[k]!);
  step.t = state.step;
  step.emaReady = state.emaReady;
  step.skipped = state.skipped;
  step.hyper.learningRate = state.hyperparams.learningRate;
}

// fsam-edge/core: the optimizer without tfjs, over Float32Arrays in a bounded arena.
export { createOptimizer, CoreOptimizer } from './optimizer';
export type { CoreOptimizerOptions, GradientFn, OptimizerState } from './optimizer';
export { Arena, ArenaLayout, ownMemoryHost, STATE_KINDS } from './arena';
export type { ArenaHost, ArenaReport, SlabKind, VariableSpec } from './arena';
export { SharpnessStep } from './sharpness_step';
export { LowMemorySharpnessStep } from './low_memory_step';
export { createStep } from './create_step';
export { stateKinds, gradientKinds } from './state';
export type { Pointers } from './sharpness_step';
export { DEFAULTS, resolveHyperparams } from './hyperparams';
export type { Hyperparams, OptimizerOptions, Sharpness, BaseOptimizer } from './hyperparams';
export { loadOptimizerKernels, bindOptimizerKernels, compileOptimizerKernels } from './kernels';
export type { OptimizerKernels, KernelVariant } from './kernels';
export { ArenaBudgetError, MemoryBudgetError, NonFiniteGradientError, NonFinitePerturbationError, OptimizerDisposedError } from './errors';

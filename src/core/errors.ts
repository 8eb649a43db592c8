// The typed errors of the core. Each names the value that was wrong.

/** The arena's layout does not fit its byte budget. Nothing was allocated. */
export class ArenaBudgetError extends RangeError {
  readonly neededBytes: number;
  readonly availableBytes: number;
  constructor(neededBytes: number, availableBytes: number) {
    super(`parameter arena needs ${neededBytes} bytes but the budget allows ${availableBytes} bytes`);
    this.name = 'ArenaBudgetError';
    this.neededBytes = neededBytes;
    this.availableBytes = availableBytes;
  }
}

/**
 * A training run would need more wasm memory than its budget (an optimizer's maxBytes,
 * the CLI's --max-memory): refused before anything was allocated for it. `parts` says
 * where the bytes go (weights, gradients, optimizer arena, activations, ...).
 */
export class MemoryBudgetError extends RangeError {
  readonly neededBytes: number;
  readonly availableBytes: number;
  readonly parts: Readonly<Record<string, number>>;
  constructor(neededBytes: number, availableBytes: number, parts: Record<string, number>, what = 'the training run') {
    const list = Object.entries(parts).filter(([, b]) => b > 0).map(([k, b]) => `${k} ${b}`).join(', ');
    super(`${what} needs ${neededBytes} bytes (${list}) but the budget allows ${availableBytes} bytes`);
    this.name = 'MemoryBudgetError';
    this.neededBytes = neededBytes;
    this.availableBytes = availableBytes;
    this.parts = { ...parts };
  }
}

/** A gradient held NaN or ±Inf. Weights and optimizer state were left as they were. */
export class NonFiniteGradientError extends Error {
  readonly variable: string;
  readonly index: number;
  readonly value: number;
  readonly pass: 1 | 2;
  constructor(pass: 1 | 2, variable: string, index: number, value: number) {
    super(`${pass === 1 ? 'first' : 'second'}-pass gradient of '${variable}' is ${value} at index ${index}; ` +
      'weights and optimizer state are unchanged');
    this.name = 'NonFiniteGradientError';
    this.pass = pass; this.variable = variable; this.index = index; this.value = value;
  }
}

/** The perturbation direction d = g − σ·m overflowed although g was finite. */
export class NonFinitePerturbationError extends Error {
  readonly normSquared: number;
  constructor(normSquared: number) {
    super(`perturbation norm² is ${normSquared} (d = g − σ·m overflowed); weights and optimizer state are unchanged`);
    this.name = 'NonFinitePerturbationError';
    this.normSquared = normSquared;
  }
}

/** A call on an optimizer after its dispose(): its arena, and the state in it, was freed. */
export class OptimizerDisposedError extends Error {
  /** The call that was refused, e.g. 'FSAM.minimize()'. */
  readonly call: string;
  constructor(call: string, remedy: string) {
    super(`${call} after dispose(): the optimizer's arena, and the state in it, was freed; ${remedy}`);
    this.name = 'OptimizerDisposedError';
    this.call = call;
  }
}

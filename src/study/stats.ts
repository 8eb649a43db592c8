// Summary statistics for a handful of seeds: mean, sample standard deviation, and a
// Student-t 95% confidence interval for a mean (of paired differences, say).

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function std(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom. */
const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
  2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile975(df: number): number {
  return df < 1 ? NaN : df < T975.length ? T975[df] : 1.96;
}

/** Mean and 95% CI half-width (t, n − 1 degrees of freedom); NaN half-width below n = 2. */
export function meanCi95(xs: number[]): { mean: number; half: number; n: number } {
  return { mean: mean(xs), half: tQuantile975(xs.length - 1) * std(xs) / Math.sqrt(xs.length), n: xs.length };
}

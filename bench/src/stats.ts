/** Summary statistics of timing samples. Pure functions: the tests pin their definitions. */

/** The value at quantile `q` (0…1) of `samples`, by linear interpolation between the closest ranks. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0…1, got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (position - below);
}

/** The median (NaN for no samples). */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** The 95th percentile (NaN for no samples). */
export function p95(samples: readonly number[]): number {
  return quantile(samples, 0.95);
}

/** What a table cell shows about a set of samples. */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p95: p95(samples),
    min: samples.length === 0 ? Number.NaN : Math.min(...samples),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

/**
 * The least-squares line through (x, y) points: `slope` is how much y grows per unit of x.
 * Undefined with fewer than two distinct x values.
 */
export function linearFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number } | undefined {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return undefined;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += xs[i] as number;
    sumY += ys[i] as number;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    covariance += dx * ((ys[i] as number) - meanY);
    variance += dx * dx;
  }
  if (variance === 0) return undefined;
  const slope = covariance / variance;
  return { slope, intercept: meanY - slope * meanX };
}

/** `value / floor`, or undefined when either is missing or the floor is not positive. */
export function ratio(value: number | undefined, floor: number | undefined): number | undefined {
  if (value === undefined || floor === undefined) return undefined;
  if (!Number.isFinite(value) || !Number.isFinite(floor) || floor <= 0) return undefined;
  return value / floor;
}

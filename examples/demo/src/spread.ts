/** One run's measure (best position, cells discovered) as a step function of container steps. */
export interface Curve {
  /** Rises of the value, in step order: it is `value` from `steps` on, until the next point. */
  readonly points: readonly { readonly steps: number; readonly value: number }[];
  /** Where the run ended; the last value holds from there on (a run that met its target stays there). */
  readonly endSteps: number;
}

/** Several runs at one step count: the median and the range. */
export interface SpreadPoint {
  readonly steps: number;
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** The curve's value after `steps` container steps (0 before its first point). */
export function valueAt(curve: Curve, steps: number): number {
  let value = 0;
  for (const point of curve.points) {
    if (point.steps > steps) break;
    value = point.value;
  }
  return value;
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The median and the range (lowest, highest) of several runs' curves, at every step count where
 * one of them changes, from 0 to the last run's end: a step function, exact between those points.
 */
export function spread(curves: readonly Curve[]): SpreadPoint[] {
  if (curves.length === 0) return [];
  const end = Math.max(...curves.map((curve) => curve.endSteps));
  const breaks = new Set<number>([0, end]);
  for (const curve of curves) for (const point of curve.points) if (point.steps <= end) breaks.add(point.steps);
  return [...breaks]
    .sort((a, b) => a - b)
    .map((steps) => {
      const values = curves.map((curve) => valueAt(curve, steps)).sort((a, b) => a - b);
      return { steps, median: median(values), low: values[0] as number, high: values.at(-1) as number };
    });
}

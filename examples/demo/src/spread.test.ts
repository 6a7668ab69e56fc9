import { describe, expect, it } from 'vitest';
import { spread, valueAt } from './spread.js';

describe('spread', () => {
  const a = {
    points: [
      { steps: 0, value: 0 },
      { steps: 10, value: 2 },
      { steps: 20, value: 4 },
    ],
    endSteps: 20,
  };
  const b = { points: [{ steps: 0, value: 1 }], endSteps: 40 };
  const c = {
    points: [
      { steps: 0, value: 0 },
      { steps: 5, value: 3 },
    ],
    endSteps: 30,
  };

  it('reads a step function: a value holds until the next rise, and after the end', () => {
    expect(valueAt(a, 0)).toBe(0);
    expect(valueAt(a, 9)).toBe(0);
    expect(valueAt(a, 10)).toBe(2);
    expect(valueAt(a, 100)).toBe(4);
    expect(valueAt({ points: [{ steps: 3, value: 1 }], endSteps: 9 }, 2)).toBe(0);
  });

  it('gives the median and the range at every step count where a run changes, up to the last end', () => {
    expect(spread([a, b, c])).toEqual([
      { steps: 0, median: 0, low: 0, high: 1 },
      { steps: 5, median: 1, low: 0, high: 3 },
      { steps: 10, median: 2, low: 1, high: 3 },
      { steps: 20, median: 3, low: 1, high: 4 },
      { steps: 40, median: 3, low: 1, high: 4 },
    ]);
    // An even count takes the mean of the middle two.
    expect(spread([a, b]).map((point) => point.median)).toEqual([0.5, 1.5, 2.5, 2.5]);
    expect(spread([])).toEqual([]);
  });
});

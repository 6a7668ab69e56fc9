import { describe, expect, it } from 'vitest';
import { linearFit, median, p95, quantile, ratio, summarize } from './stats.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is NaN for no samples rather than a made-up number', () => {
    expect(median([])).toBeNaN();
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('p95', () => {
  it('interpolates between the closest ranks', () => {
    // 1…20: position (20 - 1) × 0.95 = 18.05 → 19 + 0.05 × (20 - 19)
    const samples = Array.from({ length: 20 }, (_, index) => index + 1);
    expect(p95(samples)).toBeCloseTo(19.05, 10);
  });

  it('is pulled up by one slow outlier while the median is not', () => {
    const samples = [10, 10, 10, 10, 10, 10, 10, 10, 10, 1000];
    expect(median(samples)).toBe(10);
    expect(p95(samples)).toBeGreaterThan(500);
  });

  it('equals the only sample', () => {
    expect(p95([7])).toBe(7);
  });
});

describe('quantile', () => {
  it('gives the extremes at 0 and 1', () => {
    expect(quantile([5, 3, 8], 0)).toBe(3);
    expect(quantile([5, 3, 8], 1)).toBe(8);
  });

  it('rejects a quantile outside 0…1', () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('summarize and ratio', () => {
  it('summarizes samples', () => {
    expect(summarize([4, 2, 6])).toEqual({ n: 3, median: 4, p95: 5.8, min: 2, max: 6 });
  });

  it('divides by the floor', () => {
    expect(ratio(11, 10)).toBeCloseTo(1.1, 10);
  });

  it('has no ratio without a positive, finite floor', () => {
    expect(ratio(5, 0)).toBeUndefined();
    expect(ratio(5, Number.NaN)).toBeUndefined();
    expect(ratio(undefined, 3)).toBeUndefined();
  });
});

describe('linearFit', () => {
  it('recovers the slope and intercept of points on a line', () => {
    const fit = linearFit([1, 2, 3, 4], [12, 14, 16, 18]);
    expect(fit?.slope).toBeCloseTo(2, 10);
    expect(fit?.intercept).toBeCloseTo(10, 10);
  });

  it('fits noisy points by least squares', () => {
    // y = x, with the middle point pushed up: the slope stays 1, the line moves up by 1/3.
    const fit = linearFit([0, 1, 2], [0, 2, 2]);
    expect(fit?.slope).toBeCloseTo(1, 10);
    expect(fit?.intercept).toBeCloseTo(1 / 3, 10);
  });

  it('has no line without two distinct x values', () => {
    expect(linearFit([5, 5], [1, 2])).toBeUndefined();
    expect(linearFit([1], [1])).toBeUndefined();
  });
});

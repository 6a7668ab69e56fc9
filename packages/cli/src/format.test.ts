import { describe, expect, it } from 'vitest';
import { formatAge, formatSize, formatTable, parseDuration } from './format.js';

describe('format helpers', () => {
  it('parses durations and refuses anything else', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    for (const bad of ['', 'soon', '10', '5x', '-3m', '1h 2m']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('prints ages, sizes and aligned tables', () => {
    const now = Date.now();
    expect(formatAge(new Date(now - 5_000), now)).toBe('5s');
    expect(formatAge(new Date(now - 3 * 3600_000), now)).toBe('3h');
    expect(formatSize(512)).toBe('512B');
    expect(formatSize(4_330_000)).toBe('4.3MB');
    expect(
      formatTable([
        ['A', 'BB', 'x'],
        ['CCC', 'D', 'y'],
      ]),
    ).toBe('A    BB  x\nCCC  D   y');
  });
});

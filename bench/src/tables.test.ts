import { describe, expect, it } from 'vitest';
import type { OpResult } from './results.js';
import { floorRatio, formatMs, memoryTable, opCell, opsTable, windowMedian } from './tables.js';

const exec: OpResult = {
  id: 'exec-true',
  label: 'exec `true`',
  samples: { floor: [10, 12, 11], snapbox: [11, 13, 12], python: [30, 33, 36] },
  unsupported: { testcontainers: 'cannot' },
  failed: { cli: 'docker: boom' },
};

describe('floorRatio', () => {
  it('divides the tool’s median by the floor’s median from the same op', () => {
    expect(floorRatio(exec, 'snapbox')).toBeCloseTo(12 / 11, 10);
    expect(floorRatio(exec, 'python')).toBeCloseTo(33 / 11, 10);
  });

  it('has no ratio for a tool without samples', () => {
    expect(floorRatio(exec, 'cli')).toBeUndefined();
  });

  it('has no ratio when the floor was not measured', () => {
    expect(floorRatio({ ...exec, samples: { snapbox: [1] } }, 'snapbox')).toBeUndefined();
  });
});

describe('opsTable', () => {
  it('renders one row per operation with median (p95) and the ratio to the floor', () => {
    const table = opsTable([exec], ['floor', 'snapbox', 'python', 'cli', 'testcontainers']).split('\n');
    expect(table[0]).toBe(
      '| operation | floor (dockerode) | snapbox | Python SDK (as ARES) | docker CLI | testcontainers |',
    );
    expect(table[1]).toBe('|---|---:|---:|---:|---:|---:|');
    // floor: median 11, p95 of [10, 11, 12] = 11.9; snapbox 12 / 11 = 1.09; python 33 / 11 = 3.00
    expect(table[2]).toBe(
      '| exec `true` | 11.0 (11.9) | 12.0 (12.9) · **1.09×** | 33.0 (35.7) · **3.00×** | failed² | n/a¹ |',
    );
    expect(table).toHaveLength(3);
  });

  it('says why a cell is empty', () => {
    expect(opCell(exec, 'testcontainers')).toBe('n/a¹');
    expect(opCell(exec, 'cli')).toBe('failed²');
    expect(opCell({ ...exec, failed: {} }, 'cli')).toBe('–');
  });
});

describe('memoryTable', () => {
  it('shows the largest peak over the repetitions', () => {
    const upload: OpResult = {
      id: 'upload-1gib',
      label: 'upload 1 GiB',
      samples: { snapbox: [1, 2] },
      memoryMiB: { snapbox: [3.25, 12.5], python: [2100, 2150.4] },
    };
    const table = memoryTable([upload], ['snapbox', 'python']).split('\n');
    expect(table[2]).toBe('| upload 1 GiB | 12.5 MiB | 2150 MiB |');
  });
});

describe('formatMs', () => {
  it('keeps three significant digits for small values and none for large ones', () => {
    expect(formatMs(0.4234)).toBe('0.42');
    expect(formatMs(12.345)).toBe('12.3');
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatMs(Number.NaN)).toBe('–');
  });
});

describe('windowMedian', () => {
  const generations = Array.from({ length: 300 }, (_, index) => index + 1);

  it('takes the median of the ten generations ending at the depth', () => {
    // generations 291…300 → median 295.5
    expect(windowMedian(generations, 300)).toBe(295.5);
    expect(windowMedian(generations, 10)).toBe(5.5);
  });

  it('uses what there is near the start, and nothing past the end', () => {
    expect(windowMedian(generations, 3)).toBe(2);
    expect(windowMedian(generations.slice(0, 124), 130)).toBeUndefined();
  });
});

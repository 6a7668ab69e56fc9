import { InvalidArgumentError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { applySelection, parseSelector, shardRange } from './selector.js';

function parseError(selector: string): InvalidArgumentError {
  try {
    parseSelector(selector);
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    return error as InvalidArgumentError;
  }
  throw new Error(`parseSelector(${JSON.stringify(selector)}) did not throw`);
}

describe('parseSelector', () => {
  it('parses every valid form', () => {
    expect(parseSelector('tbench-2.0')).toEqual({ name: 'tbench-2.0', selection: { kind: 'all' } });
    expect(parseSelector('tbench-2.0:5')).toEqual({ name: 'tbench-2.0', selection: { kind: 'index', index: 5 } });
    expect(parseSelector('tbench-2.0:0')).toEqual({ name: 'tbench-2.0', selection: { kind: 'index', index: 0 } });
    expect(parseSelector('sbv:2:10')).toEqual({ name: 'sbv', selection: { kind: 'slice', start: 2, end: 10 } });
    expect(parseSelector('sbv:5:')).toEqual({ name: 'sbv', selection: { kind: 'slice', start: 5, end: undefined } });
    expect(parseSelector('sbv::10')).toEqual({ name: 'sbv', selection: { kind: 'slice', start: undefined, end: 10 } });
    expect(parseSelector('a/b_c.d-e@2/8')).toEqual({
      name: 'a/b_c.d-e',
      selection: { kind: 'shard', index: 2, count: 8 },
    });
    expect(parseSelector('x@0/1')).toEqual({ name: 'x', selection: { kind: 'shard', index: 0, count: 1 } });
  });

  it.each([
    ['', /non-empty string/],
    [':5', /no preset name/],
    ['@1/2', /no preset name/],
    ['bad name:1', /invalid preset name "bad name"/],
    ['x:', /empty task index/],
    ['x:-1', /negative task index \(-1\)/],
    ['x:1.5', /task index that is not a non-negative integer: "1.5"/],
    ['x:abc', /not a non-negative integer: "abc"/],
    ['x:+3', /not a non-negative integer/],
    ['x: 3', /not a non-negative integer/],
    ['x:99999999999999999999', /too large/],
    ['x::', /empty slice/],
    ['x:-2:5', /negative slice start/],
    ['x:2:-5', /negative slice end/],
    ['x:a:5', /slice start that is not a non-negative integer/],
    ['x:5:5', /start 5 not below its end 5/],
    ['x:7:3', /start 7 not below its end 3/],
    ['x:1:2:3', /extra ":" separators/],
    ['x:1@2/3', /mixes ":" and "@"/],
    ['x@', /no "\/"/],
    ['x@2', /no "\/"/],
    ['x@/8', /empty shard index/],
    ['x@2/', /empty shard count/],
    ['x@-1/8', /negative shard index/],
    ['x@1/-8', /negative shard count/],
    ['x@1.0/8', /shard index that is not a non-negative integer/],
    ['x@8/8', /shard index 8, which is not below the shard count 8 \(shards are numbered 0..7\)/],
    ['x@9/8', /not below the shard count 8/],
    ['x@0/0', /shard count of 0/],
    ['x@1/2/3', /extra "\/" separators/],
    ['x@1/2:3', /extra separators after "@"/],
    ['x@1/2@3', /extra separators after "@"/],
  ])('rejects %j naming the problem', (selector, problem) => {
    const error = parseError(selector);
    expect(error.argument).toBe('selector');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(problem);
  });
});

describe('applySelection', () => {
  const tasks = ['t0', 't1', 't2', 't3', 't4'];

  it('selects all, one, and slices (end excluded, clamped like Python)', () => {
    expect(applySelection(tasks, { kind: 'all' })).toEqual(tasks);
    expect(applySelection(tasks, { kind: 'index', index: 4 })).toEqual(['t4']);
    expect(applySelection(tasks, { kind: 'slice', start: 1, end: 3 })).toEqual(['t1', 't2']);
    expect(applySelection(tasks, { kind: 'slice', start: 3, end: undefined })).toEqual(['t3', 't4']);
    expect(applySelection(tasks, { kind: 'slice', start: undefined, end: 2 })).toEqual(['t0', 't1']);
    expect(applySelection(tasks, { kind: 'slice', start: undefined, end: 10 })).toEqual(tasks);
  });

  it('returns a copy, not the preset’s own array', () => {
    const all = applySelection(tasks, { kind: 'all' });
    all.pop();
    expect(tasks).toHaveLength(5);
  });

  it('rejects an index or slice start past the last task', () => {
    expect(() => applySelection(tasks, { kind: 'index', index: 5 }, '"x:5"')).toThrow(
      /"x:5" asks for task 5, but there are 5 tasks \(indexes 0..4\)/,
    );
    expect(() => applySelection(tasks, { kind: 'slice', start: 5, end: undefined })).toThrow(/starts at task 5/);
    expect(() => applySelection([], { kind: 'index', index: 0 })).toThrow(/there are no tasks/);
    expect(() => applySelection(['only'], { kind: 'index', index: 1 })).toThrow(/there is 1 task \(index 0\)/);
  });

  it('shards so that sizes differ by at most one and every task is in exactly one shard (exhaustive)', () => {
    for (let total = 0; total <= 40; total++) {
      const items = Array.from({ length: total }, (_, i) => i);
      for (let count = 1; count <= 12; count++) {
        const shards = Array.from({ length: count }, (_, index) =>
          applySelection(items, { kind: 'shard', index, count }),
        );
        const sizes = shards.map((shard) => shard.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Concatenated in shard order they give back every task exactly once, in order.
        expect(shards.flat()).toEqual(items);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        // Each shard is what shardRange says.
        shards.forEach((shard, index) => {
          const { start, end } = shardRange(total, index, count);
          expect(shard).toEqual(items.slice(start, end));
        });
      }
    }
  });

  it('gives shard 2 of 8 over 10 tasks the third block (0-based), with the first two shards one longer', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    // 10 = 8 × 1 + 2: shards 0 and 1 hold 2 tasks, shards 2..7 hold 1.
    expect(applySelection(items, { kind: 'shard', index: 0, count: 8 })).toEqual([0, 1]);
    expect(applySelection(items, { kind: 'shard', index: 1, count: 8 })).toEqual([2, 3]);
    expect(applySelection(items, { kind: 'shard', index: 2, count: 8 })).toEqual([4]);
    expect(applySelection(items, { kind: 'shard', index: 7, count: 8 })).toEqual([9]);
  });
});

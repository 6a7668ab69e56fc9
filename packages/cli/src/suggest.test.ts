import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, replacements and adjacent swaps as one edit each', () => {
    expect(editDistance('ls', 'ls')).toBe(0);
    expect(editDistance('lss', 'ls')).toBe(1);
    expect(editDistance('prne', 'prune')).toBe(1);
    expect(editDistance('prunx', 'prune')).toBe(1);
    expect(editDistance('verison', 'version')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('suggest', () => {
  const commands = ['ls', 'prune', 'presets', 'help'];

  it('finds the closest candidates when they are close enough to be a typo', () => {
    expect(suggest('lss', commands)).toEqual(['ls']);
    expect(suggest('prsets', commands)).toEqual(['presets']);
    expect(suggest('PRUNE', commands)).toEqual(['prune']);
    expect(suggest('--jsno', ['--json', '--registry'])).toEqual(['--json']);
  });

  it('finds nothing for a word unlike every candidate', () => {
    expect(suggest('frobnicate', commands)).toEqual([]);
    expect(suggest('x', commands)).toEqual([]);
    expect(suggest('delete', ['list'])).toEqual([]);
  });

  it('returns every candidate at the smallest distance, once', () => {
    expect(suggest('ab', ['aa', 'bb', 'ab2', 'aa'])).toEqual(['aa', 'bb', 'ab2']);
  });

  it('words the suggestion for a message', () => {
    expect(didYouMean([])).toBe('');
    expect(didYouMean(['ls'])).toBe(' Did you mean "ls"?');
    expect(didYouMean(['a', 'b', 'c'])).toBe(' Did you mean "a", "b" or "c"?');
  });
});

import { describe, expect, it } from 'vitest';
import { inRemovalOrder } from './removal-order.js';

const at = (seconds: number) => new Date(seconds * 1000);

describe('inRemovalOrder', () => {
  it('puts the newest first', () => {
    const ordered = inRemovalOrder([
      { id: 'old', createdAt: at(1) },
      { id: 'new', createdAt: at(3) },
      { id: 'mid', createdAt: at(2) },
    ]);
    expect(ordered.map((snapshot) => snapshot.id)).toEqual(['new', 'mid', 'old']);
  });

  it('puts a descendant before its ancestor made in the same second, whatever the input order', () => {
    const chain = [
      { id: 'root', createdAt: at(5) },
      { id: 'child', createdAt: at(5), parentSnapshot: 'root' },
      { id: 'grandchild', createdAt: at(5), parentSnapshot: 'child' },
    ];
    for (const input of [chain, [...chain].reverse(), [chain[1], chain[0], chain[2]]]) {
      expect(inRemovalOrder(input as typeof chain).map((snapshot) => snapshot.id)).toEqual([
        'grandchild',
        'child',
        'root',
      ]);
    }
  });

  it('survives a cycle in what it was given', () => {
    const ordered = inRemovalOrder([
      { id: 'a', createdAt: at(1), parentSnapshot: 'b' },
      { id: 'b', createdAt: at(1), parentSnapshot: 'a' },
    ]);
    expect(ordered).toHaveLength(2);
  });
});

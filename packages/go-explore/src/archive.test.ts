import { describe, expect, it } from 'vitest';
import { Archive, type CellEntry } from './archive.js';
import { isBetterCell } from './cell.js';

const entry = (key: string, snapshotId: string, score: number, length: number, step = 0): CellEntry<number, null> => ({
  key,
  snapshotId,
  score,
  trajectory: Array.from({ length }, (_, i) => i),
  observation: null,
  done: false,
  step,
});

describe('the replacement rule', () => {
  it('prefers a higher score, then fewer steps; ties keep the incumbent', () => {
    expect(isBetterCell({ score: 2, trajectoryLength: 50 }, { score: 1, trajectoryLength: 3 })).toBe(true);
    expect(isBetterCell({ score: 1, trajectoryLength: 2 }, { score: 1, trajectoryLength: 3 })).toBe(true);
    expect(isBetterCell({ score: 1, trajectoryLength: 3 }, { score: 1, trajectoryLength: 3 })).toBe(false);
    expect(isBetterCell({ score: 1, trajectoryLength: 4 }, { score: 1, trajectoryLength: 3 })).toBe(false);
    expect(isBetterCell({ score: 0, trajectoryLength: 1 }, { score: 1, trajectoryLength: 9 })).toBe(false);
  });
});

describe('Archive', () => {
  it('adds new cells, replaces worse entries and rejects others, returning the snapshot that left', () => {
    const archive = new Archive<number, null>();
    expect(archive.offer(entry('a', 's1', 1, 5)).outcome).toBe('added');
    expect(archive.wouldAccept('a', 1, 5)).toBe(false);
    expect(archive.wouldAccept('a', 1, 4)).toBe(true);
    expect(archive.wouldAccept('b', -10, 99)).toBe(true);

    const shorter = archive.offer(entry('a', 's2', 1, 4, 7));
    expect(shorter).toMatchObject({ outcome: 'replaced', previousSnapshotId: 's1' });
    const higher = archive.offer(entry('a', 's3', 2, 9, 8));
    expect(higher).toMatchObject({ outcome: 'replaced', previousSnapshotId: 's2' });
    expect(archive.offer(entry('a', 's4', 2, 9)).outcome).toBe('rejected');
    expect(archive.offer(entry('a', 's5', 1, 1)).outcome).toBe('rejected');

    const cell = archive.get('a');
    expect(cell).toMatchObject({
      snapshotId: 's3',
      score: 2,
      trajectoryLength: 9,
      improvements: 2,
      discoveredAtStep: 0,
      updatedAtStep: 8,
      // Every arrival counts as a visit, improving or not.
      timesVisited: 5,
    });
    expect(archive.size).toBe(1);
  });

  it('keeps counts across replacements and cells in discovery order', () => {
    const archive = new Archive<number, null>();
    archive.offer(entry('root', 'r', 0, 0));
    archive.offer(entry('x', 'x1', 1, 3));
    const x = archive.get('x');
    if (x === undefined) throw new Error('x missing');
    x.timesChosen = 4;
    archive.visit('x');
    archive.visit('missing');
    archive.offer(entry('x', 'x2', 1, 2));
    expect(archive.get('x')).toMatchObject({ timesChosen: 4, timesVisited: 3, snapshotId: 'x2' });
    archive.offer(entry('y', 'y1', 0, 1));
    expect(archive.cells.map((c) => c.key)).toEqual(['root', 'x', 'y']);
  });

  it('tracks the best cell: highest score, then shortest, then first found', () => {
    const archive = new Archive<number, null>();
    archive.offer(entry('root', 'r', 0, 0));
    expect(archive.best?.key).toBe('root');
    archive.offer(entry('a', 'a', 3, 6));
    archive.offer(entry('b', 'b', 3, 6));
    expect(archive.best?.key).toBe('a');
    archive.offer(entry('b', 'b2', 3, 5));
    expect(archive.best?.key).toBe('b');
    archive.offer(entry('a', 'a2', 4, 20));
    expect(archive.best?.key).toBe('a');
  });
});

import type { AdminResource } from '@snapbox/core';
import { runLabels } from '@snapbox/go-explore';
import { describe, expect, it } from 'vitest';
import { goExploreLabels, groupRuns } from './go-explore-runs.js';

const owner = {
  session: 's',
  pid: 1,
  host: 'h',
  processStartedAt: 0,
  liveness: 'dead',
  isCurrentProcess: false,
} as const;
const resource = (id: string, minutesAgo: number, labels: Record<string, string> = {}): AdminResource => ({
  backend: 'b',
  kind: 'snapshot',
  id,
  owner,
  createdAt: new Date(Date.now() - minutesAgo * 60_000),
  labels,
});

describe('groupRuns', () => {
  it("keeps the CLI's copy of the run labels equal to @snapbox/go-explore's", () => {
    expect(goExploreLabels).toEqual(runLabels);
  });

  it('groups by run id, oldest run first, with the checkpoint a resource names', () => {
    const late = { [goExploreLabels.run]: 'late' };
    const early = { [goExploreLabels.run]: 'early', [goExploreLabels.checkpoint]: '/c.json' };
    const { runs, rest } = groupRuns([
      resource('a', 1, late),
      resource('b', 9, early),
      resource('c', 5),
      resource('d', 2, { [goExploreLabels.run]: 'early' }),
      resource('e', 3, { [goExploreLabels.run]: '' }),
    ]);
    expect(runs.map((run) => [run.id, run.checkpoint, run.resources.map((r) => r.id)])).toEqual([
      ['early', '/c.json', ['b', 'd']],
      ['late', undefined, ['a']],
    ]);
    expect(rest.map((r) => r.id)).toEqual(['c', 'e']);
  });
});

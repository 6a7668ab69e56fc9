import { currentSession, snapboxLabels } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';
import { leftovers, removeLabelled, tinyImage } from '@snapbox/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { goExplore } from './go-explore.js';
import { replay } from './replay.js';
import type { GoExploreTask } from './task.js';

const image = tinyImage;
const code = '213';

// A combination lock in bash: the right digit advances, a wrong one resets on a draw from an
// LCG whose state is in the same file, so the lock is deterministic given the moves.
const lockScript = [
  '#!/bin/sh',
  'dir=/var/lib/lock',
  'if [ "$1" = init ]; then',
  '  seed=$2; shift 2; mkdir -p "$dir/code"; length=0',
  '  for digit in "$@"; do echo "$digit" > "$dir/code/$length"; length=$((length + 1)); done',
  '  echo "$length" > "$dir/length"; echo "0 $seed" > "$dir/state"',
  'elif [ "$1" = try ]; then',
  '  read -r length < "$dir/length"; read -r pos seed < "$dir/state"; before=$pos',
  '  if [ "$pos" -lt "$length" ]; then',
  '    read -r expected < "$dir/code/$pos"',
  '    if [ "$2" = "$expected" ]; then pos=$((pos + 1))',
  '    else',
  '      seed=$(( (seed * 75 + 74 + $2) % 65537 ))',
  '      if [ $((seed % 100)) -lt 50 ]; then pos=0; fi',
  '    fi',
  '  fi',
  '  echo "$pos $seed" > "$dir/state"; echo "$before $pos"',
  'else',
  '  echo "usage: lock init <seed> <digit>... | lock try <digit>" >&2; exit 2',
  'fi',
  '',
].join('\n');

const task: GoExploreTask<number, number> = {
  async reset(container) {
    await container.writeFile('/usr/local/bin/lock', lockScript);
    const made = await container.exec(`chmod +x /usr/local/bin/lock && lock init 99 ${code.split('').join(' ')}`);
    if (made.exitCode !== 0) throw new Error(`lock install failed: ${made.output}`);
    return 0;
  },
  async step(container, digit, context) {
    const result = await container.exec(['lock', 'try', String(digit)], { signal: context.signal });
    if (result.exitCode !== 0) throw new Error(`lock try failed: ${result.output}`);
    const [before, after] = result.stdout.trim().split(' ').map(Number) as [number, number];
    return { observation: after, reward: after - before, done: after === code.length };
  },
  cellOf: (position) => String(position),
  sampleAction: (rng) => rng.int(4),
};

describe('goExplore on Docker', () => {
  const factory = createDockerFactory({ pull: 'never' });
  const ours = [`${snapboxLabels.session}=${currentSession().id}`];

  afterAll(async () => {
    // Leave nothing behind even if an assertion failed half-way.
    await removeLabelled(factory.docker, ours);
  });

  it('opens a small lock with two workers, replays it, and leaves no container or image', async () => {
    const result = await goExplore({
      factory,
      image,
      task,
      workers: 2,
      seed: 3,
      explorationSteps: 4,
      maxSteps: 600,
      targetScore: code.length,
    });
    expect(result.stopReason).toBe('target');
    expect(result.best.score).toBe(code.length);
    expect(result.returns).toBeGreaterThan(0);
    expect(result.snapshotsDeleted).toBe(result.snapshotsTaken);

    const check = await replay({
      factory,
      image,
      task,
      trajectory: result.bestTrajectory,
      inspect: async (container) => (await container.exec('cat /var/lib/lock/state')).stdout.trim(),
    });
    expect(check).toMatchObject({ score: code.length, cell: String(code.length), done: true });
    expect(check.inspection).toMatch(new RegExp(`^${code.length} `));

    expect(await leftovers(factory.docker, ours)).toEqual({ containers: [], images: [] });
  });
});

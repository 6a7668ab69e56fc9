import type { Container } from '@snapbox/core';
import type { GoExploreTask } from '@snapbox/go-explore';

/** A combination lock: the code, the digits a move can try, and how unforgiving a wrong move is. */
export interface LockConfig {
  /** The combination, one digit per position. */
  readonly code: readonly number[];
  /** Moves try digits `0 .. digits-1`. */
  readonly digits: number;
  /** Chance, in percent, that a wrong digit sends the lock back to position 0. */
  readonly resetPercent: number;
  /** Seed of the lock's own draws (whether a wrong digit resets). */
  readonly seed: number;
}

/** What a move shows: the lock's position after it (0 .. code.length). */
export interface LockObservation {
  readonly position: number;
}

/** Where the lock script is installed in the container. */
export const lockPath = '/usr/local/bin/lock';

/**
 * The lock as a shell script. Its whole state is in `/var/lib/lock` (the code, one file per
 * position, and `state`: the position and the seed of its draws), so a snapshot captures it and
 * a replay of the same moves from `lock init` ends in the same state. A wrong digit draws from a
 * small LCG (`seed = (75·seed + 74 + digit) mod 65537`, the ZX81's) and resets the lock when
 * `seed mod 100 < resetPercent`. Plain POSIX `sh` syntax: it runs under bash, busybox sh, and the
 * memory backend's shell alike.
 *
 * - `lock init <seed> <digit>...` sets the code and closes the lock; prints `0 0`;
 * - `lock try <digit>` makes a move; prints the position before and after;
 * - `lock status` prints `position <p>/<length>: OPEN` or `... locked`.
 */
export function lockScript(resetPercent: number): string {
  return [
    '#!/bin/sh',
    '# A combination lock; its whole state lives in /var/lib/lock.',
    'dir=/var/lib/lock',
    'if [ "$1" = init ]; then',
    '  seed=$2; shift 2; rm -rf "$dir"; mkdir -p "$dir/code"; length=0',
    '  for digit in "$@"; do echo "$digit" > "$dir/code/$length"; length=$((length + 1)); done',
    '  echo "$length" > "$dir/length"; echo "0 $seed" > "$dir/state"; echo "0 0"',
    'elif [ "$1" = try ]; then',
    '  read -r length < "$dir/length"; read -r pos seed < "$dir/state"; before=$pos',
    '  if [ "$pos" -lt "$length" ]; then',
    '    read -r expected < "$dir/code/$pos"',
    '    if [ "$2" = "$expected" ]; then',
    '      pos=$((pos + 1))',
    '    else',
    '      seed=$(( (seed * 75 + 74 + $2) % 65537 ))',
    `      if [ $((seed % 100)) -lt ${resetPercent} ]; then pos=0; fi`,
    '    fi',
    '  fi',
    '  echo "$pos $seed" > "$dir/state"; echo "$before $pos"',
    'elif [ "$1" = status ]; then',
    '  read -r length < "$dir/length"; read -r pos seed < "$dir/state"',
    '  if [ "$pos" -eq "$length" ]; then state=OPEN; else state=locked; fi',
    '  echo "position $pos/$length: $state"',
    'else',
    '  echo "usage: lock init <seed> <digit>... | lock try <digit> | lock status" >&2; exit 2',
    'fi',
    '',
  ].join('\n');
}

/** Parses `<before> <after>`, what `lock try` prints. */
export function parseMove(stdout: string): { before: number; after: number } {
  const match = /^(\d+) (\d+)$/.exec(stdout.trim());
  if (match === null) throw new Error(`the lock answered ${JSON.stringify(stdout)}, expected "<before> <after>"`);
  return { before: Number(match[1]), after: Number(match[2]) };
}

/**
 * The lock as a Go-Explore task: an action is a digit, the cell is the position, the reward is
 * the change of position (so a trajectory's score is the position it reaches), and the episode
 * is done when the lock opens.
 */
export function createLockTask(config: LockConfig): GoExploreTask<number, LockObservation> {
  const length = config.code.length;
  return {
    // Names the lock in checkpoints: a checkpoint of another lock is refused, not resumed.
    id: `lock:${config.code.join('')}:${config.digits}:${config.resetPercent}:${config.seed}`,
    async reset(container, context) {
      await container.writeFile(lockPath, lockScript(config.resetPercent));
      const installed = await container.exec(
        `chmod 755 ${lockPath} && lock init ${config.seed} ${config.code.join(' ')}`,
        { signal: context.signal },
      );
      if (installed.exitCode !== 0) throw new Error(`installing the lock failed: ${installed.output.trim()}`);
      return { position: 0 };
    },
    async step(container, digit, context) {
      const moved = await container.exec(['lock', 'try', String(digit)], { signal: context.signal });
      if (moved.exitCode !== 0) throw new Error(`lock try ${digit} failed: ${moved.output.trim()}`);
      const { before, after } = parseMove(moved.stdout);
      return { observation: { position: after }, reward: after - before, done: after === length };
    },
    cellOf: (observation) => String(observation.position),
    sampleAction: (rng) => rng.int(config.digits),
  };
}

/** What `lock status` says in a running container. */
export async function lockStatus(container: Container): Promise<string> {
  const status = await container.exec(['lock', 'status']);
  return status.output.trim();
}

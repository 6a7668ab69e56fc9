// A seeded, single-worker Go-Explore run with a checkpoint, in its own process, so that the
// checkpoint test can SIGKILL it at any point and resume it in another process.
// Usage: node checkpoint-child.mjs <fresh|resume|reference> <checkpoint path> <image> [docker|bubblewrap]
// (bubblewrap keeps its state in SNAPBOX_BUBBLEWRAP_STATE_DIR, which the test sets).
// Prints one JSON line per step taken ({"step":n}) and, at the end, {"result":{...}}.
import { goExplore } from '@snapbox/go-explore';

const [mode, path, image, backend = 'docker'] = process.argv.slice(2);
const factory =
  backend === 'bubblewrap'
    ? (await import('@snapbox/bubblewrap')).createBubblewrapFactory()
    : (await import('@snapbox/docker')).createDockerFactory({ pull: 'never' });
const code = [2, 0, 3, 1, 1, 3];

// The lock of the Docker integration test: the right digit advances, a wrong one resets on a draw
// from an LCG whose state is in the same file, so the lock is deterministic given the moves.
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
  'fi',
  '',
].join('\n');

let steps = 0;
const task = {
  id: 'sigkill-lock',
  async reset(container) {
    await container.writeFile('/usr/local/bin/lock', lockScript);
    const made = await container.exec(`chmod +x /usr/local/bin/lock && lock init 99 ${code.join(' ')}`);
    if (made.exitCode !== 0) throw new Error(`lock install failed: ${made.output}`);
    return 0;
  },
  async step(container, digit, context) {
    process.stdout.write(`${JSON.stringify({ step: ++steps })}\n`);
    const result = await container.exec(['lock', 'try', String(digit)], { signal: context.signal });
    if (result.exitCode !== 0) throw new Error(`lock try failed: ${result.output}`);
    const [before, after] = result.stdout.trim().split(' ').map(Number);
    return { observation: after, reward: after - before, done: after === code.length };
  },
  cellOf: (position) => String(position),
  sampleAction: (rng) => rng.int(4),
};

const options = {
  factory,
  image,
  task,
  seed: 13,
  explorationSteps: 3,
  maxIterations: 24,
};
const result = await goExplore(
  mode === 'reference'
    ? options
    : mode === 'fresh'
      ? { ...options, checkpoint: { path } }
      : { ...options, resumeFrom: path },
);
const summary = {
  cells: result.cells.map(({ snapshotId: _, ...cell }) => cell),
  steps: result.steps,
  iterations: result.iterations,
  returns: result.returns,
  snapshotsTaken: result.snapshotsTaken,
  snapshotsDeleted: result.snapshotsDeleted,
  resumed: result.resumed,
  checkpointPath: result.checkpointPath,
};
process.stdout.write(`${JSON.stringify({ result: summary })}\n`);

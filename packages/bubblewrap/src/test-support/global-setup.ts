import { execFileSync } from 'node:child_process';
import { ensureBubblewrap } from '@snapbox/test-support';

/** The engine tags of bubblewrap's `fromDockerfile` builds (`snapbox-build:<hash of the path>`). */
function buildTags(): Set<string> {
  const listed = execFileSync(
    'docker',
    ['images', '--filter', 'reference=snapbox-build:*', '--format', '{{.Repository}}:{{.Tag}}'],
    {
      encoding: 'utf8',
    },
  );
  return new Set(listed.split('\n').filter((line) => line !== ''));
}

/**
 * Installs bubblewrap (scripts/ensure-bubblewrap.sh); the script does nothing when it is there.
 * The Docker engine the images are read from, and the fixture images, are the shared setup's,
 * which runs first.
 * The backend keeps each `fromDockerfile` build tagged on the engine as a build cache, and the
 * tests build from Dockerfiles in fresh temporary folders: the tags this run added are removed
 * at its end, so that no run leaves images behind.
 */
export default function setup(): () => void {
  ensureBubblewrap();
  // The shared setup, listed before this one in vitest.config.ts, has made the engine answer.
  const before = buildTags();
  return () => {
    const added = [...buildTags()].filter((tag) => !before.has(tag));
    if (added.length > 0) execFileSync('docker', ['rmi', ...added], { stdio: 'ignore' });
  };
}

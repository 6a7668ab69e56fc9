import { execFileSync } from 'node:child_process';
import { repoRoot } from '@snapbox/test-support';

/**
 * Installs bubblewrap (scripts/ensure-bubblewrap.sh); the script does nothing when it is there.
 * The Docker engine the images are read from, and the fixture images, are the shared setup's.
 */
export default function setup(): void {
  execFileSync('bash', ['scripts/ensure-bubblewrap.sh'], { cwd: repoRoot, stdio: 'inherit' });
}

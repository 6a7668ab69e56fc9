import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The demo's own run needs a real engine and the fixture image; both scripts do nothing when
 * everything is there already. A missing engine fails the run; it is never a skip.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The demo's own run needs a real Docker engine, the fixture image, and bubblewrap; each script
 * does nothing when its work is done already. A missing piece fails the run; it is never a skip.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-bubblewrap.sh'], { cwd: root, stdio: 'inherit' });
}

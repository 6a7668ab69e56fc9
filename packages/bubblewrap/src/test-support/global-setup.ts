import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Installs bubblewrap (scripts/ensure-bubblewrap.sh), starts the Docker engine the images are
 * read from, and builds the fixture images. Each script does nothing when its work is done.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-bubblewrap.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
}

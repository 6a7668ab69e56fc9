import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Docker examples run against a real engine with the fixture image; no engine fails the run. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
}

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bubblewrapStateDir } from './bubblewrap-state.js';

/**
 * `snapbox ls` and `prune` are tested against a real engine and real bubblewrap sandboxes; a
 * missing engine or bubblewrap fails the run.
 */
export default function setup(): () => void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-bubblewrap.sh'], { cwd: root, stdio: 'inherit' });
  return () => rmSync(bubblewrapStateDir, { recursive: true, force: true });
}

import { execFileSync } from 'node:child_process';
import { ensureDockerEngine } from './docker-global-setup.js';
import { repoRoot } from './repo-root.js';

/**
 * Makes bubblewrap present, through the project's script (it does nothing when it is there).
 * The bubblewrap backend reads its images from the local engine, so the engine comes first.
 */
export function ensureBubblewrap(): void {
  execFileSync('bash', ['scripts/ensure-bubblewrap.sh'], { cwd: repoRoot, stdio: 'inherit' });
}

/**
 * Vitest global setup for tests on every local backend:
 * `globalSetup: ['@snapbox/test-support/integration-global-setup']`. A missing engine or
 * bubblewrap fails the run; it is never a skip.
 */
export default function setup(): void {
  ensureDockerEngine();
  ensureBubblewrap();
}

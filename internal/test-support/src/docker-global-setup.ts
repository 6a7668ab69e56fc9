import { execFileSync } from 'node:child_process';
import { repoRoot } from './repo-root.js';

/**
 * Makes the Docker engine answer and the fixture images exist, through the project's scripts;
 * both do nothing when everything is there already. A failure throws, so a run that needs the
 * engine fails: a missing engine is never a skip.
 */
export function ensureDockerEngine(): void {
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: repoRoot, stdio: 'inherit' });
}

/** Vitest global setup: `globalSetup: ['@snapbox/test-support/docker-global-setup']`. */
export default function setup(): void {
  ensureDockerEngine();
}

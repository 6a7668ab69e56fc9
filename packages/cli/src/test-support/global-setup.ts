import { rmSync } from 'node:fs';
import setupIntegration from '@snapbox/test-support/integration-global-setup';
import { bubblewrapStateDir } from './bubblewrap-state.js';

/**
 * `snapbox ls` and `prune` are tested against a real engine and real bubblewrap sandboxes; a
 * missing engine or bubblewrap fails the run. The bubblewrap state folder of this run goes at
 * the end.
 */
export default function setup(): () => void {
  setupIntegration();
  return () => rmSync(bubblewrapStateDir, { recursive: true, force: true });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartOptions } from '@snapbox/core';
import { afterAll } from 'vitest';
import type { BubblewrapContainer } from '../bubblewrap-container.js';
import type { BubblewrapFactory } from '../bubblewrap-factory.js';

// The fixture images are named once for the whole workspace.
export { debianImage, tinyImage } from '@snapbox/test-support';

/**
 * A fresh state folder for one test file (tmp is on a filesystem overlayfs accepts here). Called
 * at the top of a test file, it removes the folder after every other hook of the file (vitest
 * runs after-hooks in reverse order), so the file's own checks of what is left still see it.
 */
export function testStateDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `snapbox-bwrap-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * For one test file: a function that starts a container and remembers it; after the file's tests
 * every container it started is stopped, then the `factories` given have removed what they left
 * to the background. Called at the top of the file.
 */
export function startsContainers(
  ...factories: readonly BubblewrapFactory[]
): (container: BubblewrapContainer, options?: StartOptions) => Promise<BubblewrapContainer> {
  const live: BubblewrapContainer[] = [];
  afterAll(async () => {
    await Promise.all(live.map((container) => container.stop()));
    await Promise.all(factories.map((factory) => factory.settled()));
  });
  return async (container, options) => {
    live.push(container);
    await container.start(options);
    return container;
  };
}

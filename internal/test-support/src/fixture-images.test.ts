import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianImage, tinyImage } from './fixture-images.js';
import { repoRoot } from './repo-root.js';

describe('fixture images', () => {
  it('are the images scripts/ensure-test-images.sh builds', () => {
    const script = readFileSync(join(repoRoot, 'scripts', 'ensure-test-images.sh'), 'utf8');
    expect(/^TINY=(\S+)$/m.exec(script)?.[1]).toBe(tinyImage);
    expect(/^DEBIAN=(\S+)$/m.exec(script)?.[1]).toBe(debianImage);
  });
});

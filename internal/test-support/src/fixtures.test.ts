import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { harborRegistryPath, harborRegistrySha256 } from './fixtures.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe('vendored fixtures', () => {
  it('the Harbor registry lives inside the repository', () => {
    expect(relative(repoRoot, harborRegistryPath).startsWith('..')).toBe(false);
  });

  it('the Harbor registry is byte for byte the copy its provenance note describes', () => {
    const digest = createHash('sha256').update(readFileSync(harborRegistryPath)).digest('hex');
    expect(digest).toBe(harborRegistrySha256);
    const note = readFileSync(join(dirname(harborRegistryPath), 'PROVENANCE.md'), 'utf8');
    expect(note).toContain(harborRegistrySha256);
  });
});

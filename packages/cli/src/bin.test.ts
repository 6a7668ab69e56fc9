import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { harborRegistryPath } from '@snapbox/test-support';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** The real registry, vendored in @snapbox/test-support (see its PROVENANCE.md). */
const realRegistry = harborRegistryPath;

function node(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('the built snapbox bin (run `pnpm run build` first)', () => {
  it('is an ESM script with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('lists the presets of the real registry as JSON', async () => {
    const result = await node('presets', 'list', '--registry', realRegistry, '--json');
    expect(result.code).toBe(0);
    const presets = JSON.parse(result.stdout) as { name: string; numTasks: number }[];
    expect(presets).toHaveLength(83);
    expect(presets.find((p) => p.name === 'sbv-1.0')?.numTasks).toBe(500);
    expect(result.stderr).toMatch(/^Harbor presets: 83 registered/);
  });

  it('exits 2 with usage on stderr for an unknown command', async () => {
    const result = await node('nope');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('snapbox: unknown command "nope"');
  });

  it('exits 1 for a malformed registry', async () => {
    const result = await node('presets', 'list', '--registry', bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not valid JSON');
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harborRegistryPath } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** The real registry, vendored in @snapbox/test-support (see its PROVENANCE.md). */
const realRegistry = harborRegistryPath;

const recordImports = fileURLToPath(new URL('./test-support/record-imports.mjs', import.meta.url));

function node(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return nodeWith([], {}, ...args);
}

function nodeWith(
  nodeOptions: string[],
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeOptions, bin, ...args],
      { encoding: 'utf8', env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'snapbox-cli-bin-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Runs the bin and returns the URLs of every module it imported (see record-imports.mjs). */
async function importsOf(env: Record<string, string>, ...args: string[]) {
  const log = join(folder, `imports-${args.join('_').replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}.log`);
  const result = await nodeWith(['--import', recordImports], { ...env, SNAPBOX_IMPORT_LOG: log }, ...args);
  const urls = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((url) => url !== '');
  return { ...result, urls };
}

/** dockerode and its modem, and @snapbox/docker (in the workspace or installed). */
const dockerClient = /\/(dockerode|docker-modem|@snapbox\/docker|packages\/docker)\//;

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

  it('answers help, version and usage errors without loading the Docker client', async () => {
    const quick: [string[], number][] = [
      [['--version'], 0],
      [['-v'], 0],
      [['help'], 0],
      [['--help'], 0],
      [['presets', '--help'], 0],
      [['presets', 'list', '--help'], 0],
      [['ls', '--help'], 0],
      [['prune', '--help'], 0],
      [['help', 'prune'], 0],
      [['backends', '--help'], 0],
      [['prune', '--al-sessions'], 2],
      [['lss'], 2],
    ];
    for (const [args, expectedCode] of quick) {
      const { code, urls } = await importsOf({}, ...args);
      expect(code, args.join(' ')).toBe(expectedCode);
      // The recorder worked: it saw the bin itself.
      expect(urls.some((url) => url.endsWith('/dist/bin.js'))).toBe(true);
      expect(
        urls.filter((url) => dockerClient.test(url)),
        args.join(' '),
      ).toEqual([]);
    }
    // Help for the presets commands does not load the presets package either.
    const presetsHelp = await importsOf({}, 'presets', 'list', '--help');
    expect(presetsHelp.urls.filter((url) => /\/(@snapbox\/presets|packages\/presets)\//.test(url))).toEqual([]);

    // Running an engine command does load it, and the recorder sees that (an engine that is
    // not there makes it fail fast, after the import).
    const ls = await importsOf({ DOCKER_HOST: `unix://${join(folder, 'no-engine.sock')}` }, 'ls');
    expect(ls.code).toBe(1);
    expect(ls.urls.some((url) => /\/(@snapbox\/docker|packages\/docker)\//.test(url))).toBe(true);
    expect(ls.urls.some((url) => /\/dockerode\//.test(url))).toBe(true);
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

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/**
 * The built bin with `env` over this environment (DOCKER_HOST cleared: discovery decides), with
 * the Docker backend only: these tests are about how it finds its engine.
 */
function snapbox(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.DOCKER_HOST;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: { ...base, SNAPBOX_BACKENDS: '@snapbox/docker', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

let root: string;
let server: Server | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
});

afterEach(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
  await rm(root, { recursive: true, force: true });
});

/** A docker CLI context under `$HOME/.docker`, as `docker context create` writes it. */
async function writeContext(home: string, name: string, host: string): Promise<void> {
  const dir = join(home, '.docker', 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
}

describe('snapbox ls finds the engine as the library does', () => {
  it('uses the docker context, here a stand-in engine with nothing of snapbox on it', async () => {
    const socket = join(root, 'engine.sock');
    const requests: string[] = [];
    server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      requests.push(path);
      response.setHeader('content-type', 'application/json');
      response.end(path.endsWith('/_ping') ? 'OK' : '[]');
    });
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
    const home = join(root, 'home');
    await writeContext(home, 'stand-in', `unix://${socket}`);
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'stand-in' }));

    const result = await snapbox({ HOME: home }, 'ls', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ containers: [], snapshots: [], builds: [] });
    expect(requests[0]).toBe('/_ping');
    expect(requests.slice(1).sort()).toEqual(['/containers/json', '/containers/json', '/images/json', '/images/json']);
  });

  it('exits 1 listing what it tried when the named context has no engine', async () => {
    const home = join(root, 'home');
    await writeContext(home, 'stopped', `unix://${join(root, 'stopped.sock')}`);
    const result = await snapbox({ HOME: home, DOCKER_CONTEXT: 'stopped' }, 'ls');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('snapbox ls: The docker backend is unavailable: no engine answered. Looked at:');
    expect(result.stderr).toContain(
      `1. unix://${join(root, 'stopped.sock')} (docker context "stopped" (DOCKER_CONTEXT)): no socket there`,
    );
    expect(result.stderr).toContain('DOCKER_CONTEXT names this context, so no other engine was tried');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryFormatError } from './errors/registry-format-error.js';
import { RegistryLoadError } from './errors/registry-load-error.js';
import { harborDefaultRegistryUrl, loadHarborRegistry } from './load-harbor-registry.js';

const registryJson = JSON.stringify([
  {
    name: 'demo',
    version: '1.0',
    description: 'Demo.',
    tasks: [{ name: 't', git_url: 'file:///r', git_commit_id: 'HEAD', path: 'tasks/t' }],
  },
]);

let folder: string;
let server: Server;
let base: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'snapbox-load-'));
  server = createServer((request, response) => {
    if (request.url === '/registry.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(registryJson);
    } else if (request.url === '/broken.json') {
      response.writeHead(200).end('[{"name": "demo", ');
    } else {
      response.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('loadHarborRegistry', () => {
  it('defaults to the raw registry.json of the Harbor repository', () => {
    expect(harborDefaultRegistryUrl).toBe(
      'https://raw.githubusercontent.com/laude-institute/harbor/main/registry.json',
    );
  });

  it('loads a file by path and by file: URL', async () => {
    const path = join(folder, 'registry.json');
    await writeFile(path, registryJson);
    const byPath = await loadHarborRegistry(path);
    expect(byPath).toHaveLength(1);
    expect(byPath[0]!.tasks[0]!.gitCommitId).toBe('HEAD');
    expect(await loadHarborRegistry(pathToFileURL(path).href)).toEqual(byPath);
  });

  it('loads over HTTP', async () => {
    const datasets = await loadHarborRegistry(`${base}/registry.json`);
    expect(datasets.map((d) => `${d.name}@${d.version}`)).toEqual(['demo@1.0']);
  });

  it('fails with RegistryLoadError for a missing file, an HTTP error and an unreachable server', async () => {
    const missing = await rejection(loadHarborRegistry(join(folder, 'nope.json')));
    expect(RegistryLoadError.isInstance(missing)).toBe(true);
    expect((missing as RegistryLoadError).message).toMatch(
      /^Could not load the Harbor registry from .*nope\.json: no such file\./,
    );
    expect((missing as RegistryLoadError).cause).toMatchObject({ code: 'ENOENT' });

    const notFound = await rejection(loadHarborRegistry(`${base}/missing.json`));
    expect(RegistryLoadError.isInstance(notFound)).toBe(true);
    expect((notFound as Error).message).toContain('the server answered HTTP 404 Not Found');

    // A port that was just closed: nothing listens there, so the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await rejection(loadHarborRegistry(`http://127.0.0.1:${port}/registry.json`));
    expect(RegistryLoadError.isInstance(refused)).toBe(true);
    expect((refused as RegistryLoadError).source).toBe(`http://127.0.0.1:${port}/registry.json`);
    expect((refused as Error).message).toMatch(/the download failed \(.*ECONNREFUSED.*\)/);
  });

  it('fails with RegistryFormatError for text that is not JSON, from a file or a URL', async () => {
    const path = join(folder, 'broken.json');
    await writeFile(path, '{ not json');
    const fromFile = await rejection(loadHarborRegistry(path));
    expect(RegistryFormatError.isInstance(fromFile)).toBe(true);
    expect((fromFile as RegistryFormatError).field).toBe('(registry)');
    expect((fromFile as Error).message).toContain('not valid JSON');
    const fromUrl = await rejection(loadHarborRegistry(`${base}/broken.json`));
    expect(RegistryFormatError.isInstance(fromUrl)).toBe(true);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryFormatError } from './errors/registry-format-error.js';
import { RegistryLoadError } from './errors/registry-load-error.js';
import { RegistryTimeoutError } from './errors/registry-timeout-error.js';
import { defaultRegistryTimeoutMs, harborDefaultRegistryUrl, loadHarborRegistry } from './load-harbor-registry.js';

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
    } else if (request.url === '/empty.json') {
      response.writeHead(200).end();
    } else if (request.url === '/silent.json') {
      // Accepts the request and never answers.
    } else if (request.url === '/stalls.json') {
      // Answers, sends half the body, then goes quiet.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(registryJson.slice(0, 20));
    } else {
      response.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
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

  it('reports an empty file, or one that is not JSON, as one whole-file error with its place', async () => {
    const whole = async (name: string, content: string) => {
      const path = join(folder, name);
      await writeFile(path, content);
      const error = await rejection(loadHarborRegistry(path));
      expect(RegistryFormatError.isInstance(error)).toBe(true);
      const formatError = error as RegistryFormatError;
      expect(formatError.source).toBe(path);
      expect(formatError.problems).toEqual([
        { entryIndex: undefined, dataset: undefined, field: '(registry)', detail: expect.any(String) },
      ]);
      expect(formatError.message).toMatch(/Fix the file, or load another registry\.$/);
      return formatError.message;
    };
    expect(await whole('empty.json', '')).toBe(
      `Malformed Harbor registry ${join(folder, 'empty.json')}: it is empty, where a JSON array of datasets was expected. Fix the file, or load another registry.`,
    );
    expect(await whole('blank.json', ' \n\t\n')).toContain('it holds only white space');
    // A trailing comma on line 3: the place is given as a line and column, not a byte offset.
    expect(await whole('comma.json', '[\n  {\n    "name": "x",\n  }\n]\n')).toMatch(
      /: it is not valid JSON \(.* at line 4, column 3\)\. /,
    );
    expect(await whole('page.html', '<!doctype html><title>Not Found</title>')).toContain('it is not valid JSON');

    const fromUrl = await rejection(loadHarborRegistry(`${base}/empty.json`));
    expect(RegistryFormatError.isInstance(fromUrl)).toBe(true);
    expect((fromUrl as Error).message).toContain('it is empty');
  });

  it('reads a file that starts with a byte-order mark', async () => {
    const path = join(folder, 'bom.json');
    await writeFile(path, `\ufeff${registryJson}`);
    expect((await loadHarborRegistry(path)).map((d) => d.name)).toEqual(['demo']);
  });

  it('says so for a URL scheme it cannot load, rather than looking for a file of that name', async () => {
    for (const source of ['ftp://example.invalid/registry.json', 's3://bucket/registry.json', 'git+ssh://h/r.json']) {
      const error = await rejection(loadHarborRegistry(source));
      expect(RegistryLoadError.isInstance(error)).toBe(true);
      expect((error as RegistryLoadError).source).toBe(source);
      const scheme = source.slice(0, source.indexOf(':') + 1);
      expect((error as Error).message).toBe(
        `Could not load the Harbor registry from ${source}: the URL scheme "${scheme}" is not supported; give a file path, a file: URL, or an http: or https: URL (download the file first for other schemes). Check the path or URL, or load a registry file instead.`,
      );
    }
    // One letter before the colon is a Windows drive, read as a path.
    const drive = await rejection(loadHarborRegistry('C:\\registry.json'));
    expect((drive as Error).message).toContain('no such file');
  });

  it('gives up on a download after timeoutMs with RegistryTimeoutError, a RegistryLoadError', async () => {
    expect(defaultRegistryTimeoutMs).toBe(60_000);
    for (const path of ['/silent.json', '/stalls.json']) {
      const source = `${base}${path}`;
      const error = await rejection(loadHarborRegistry(source, { timeoutMs: 300 }));
      expect(RegistryTimeoutError.isInstance(error)).toBe(true);
      expect(RegistryLoadError.isInstance(error)).toBe(true);
      const timeout = error as RegistryTimeoutError;
      expect(timeout.code).toBe('REGISTRY_TIMEOUT');
      expect(timeout.timeoutMs).toBe(300);
      expect(timeout.source).toBe(source);
      expect(timeout.message).toContain(`from ${source}: the download took longer than 300 ms and was abandoned`);
    }
    // A download that finishes in time is not affected, and Infinity means no limit.
    expect(await loadHarborRegistry(`${base}/registry.json`, { timeoutMs: 10_000 })).toHaveLength(1);
    expect(await loadHarborRegistry(`${base}/registry.json`, { timeoutMs: Number.POSITIVE_INFINITY })).toHaveLength(1);
  });

  it('tells an abort by the caller from a timeout', async () => {
    const controller = new AbortController();
    const pending = rejection(
      loadHarborRegistry(`${base}/silent.json`, { signal: controller.signal, timeoutMs: 60_000 }),
    );
    setTimeout(() => controller.abort(), 100);
    const error = await pending;
    expect(RegistryLoadError.isInstance(error)).toBe(true);
    expect(RegistryTimeoutError.isInstance(error)).toBe(false);
    expect((error as Error).message).toContain('the download was aborted');
  });

  it('rejects a timeoutMs that is not a positive number', async () => {
    for (const timeoutMs of [0, -1, Number.NaN]) {
      const error = await rejection(loadHarborRegistry(`${base}/registry.json`, { timeoutMs }));
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('options.timeoutMs');
    }
  });
});

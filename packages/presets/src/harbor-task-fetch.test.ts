import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Container, ContainerFactory, ContainerOptions } from '@snapbox/core';
import { InvalidArgumentError } from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskFetchError } from './errors/task-fetch-error.js';
import { TaskFetchTimeoutError } from './errors/task-fetch-timeout-error.js';
import { HarborPreset } from './harbor-preset.js';
import type { HarborTask } from './harbor-registry-schema.js';
import { defaultTaskCacheDir, defaultTaskFetchTimeoutMs, fetchHarborTask, taskCacheKey } from './harbor-task-fetch.js';

/** Command lines of the processes on this machine that mention `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes(text)) found.push(`${pid}: ${command}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

let root: string;
let origin: string;
let originUrl: string;
let firstCommit: string;
let secondCommit: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=snapbox test', '-c', 'user.email=test@snapbox.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'snapbox-fetch-'));
  origin = join(root, 'origin');
  originUrl = pathToFileURL(origin).href;
  await mkdir(origin);
  git(origin, 'init', '--quiet', '--initial-branch=main');
  await put(join(origin, 'datasets/demo/hello/environment/Dockerfile'), 'FROM alpine:3.20\n');
  await put(join(origin, 'datasets/demo/hello/instruction.md'), 'version one\n');
  await put(join(origin, 'datasets/demo/other/environment/Dockerfile'), 'FROM busybox\n');
  await put(join(origin, 'datasets/demo/no-env/instruction.md'), 'no environment here\n');
  await put(join(origin, 'big-unrelated-file.txt'), 'x'.repeat(10_000));
  git(origin, 'add', '.');
  git(origin, 'commit', '--quiet', '-m', 'one');
  firstCommit = git(origin, 'rev-parse', 'HEAD');
  await put(join(origin, 'datasets/demo/hello/instruction.md'), 'version two\n');
  git(origin, 'commit', '--quiet', '-am', 'two');
  secondCommit = git(origin, 'rev-parse', 'HEAD');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const task = (overrides: Partial<HarborTask> = {}): HarborTask => ({
  name: 'hello',
  gitUrl: originUrl,
  gitCommitId: firstCommit,
  path: 'datasets/demo/hello',
  ...overrides,
});

async function cache(): Promise<string> {
  return mkdtemp(join(root, 'cache-'));
}

async function rejection(promise: Promise<unknown>): Promise<TaskFetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught,
  );
  expect(TaskFetchError.isInstance(error)).toBe(true);
  return error as TaskFetchError;
}

describe('fetchHarborTask', () => {
  it('checks out only the task folder, at the task’s commit', async () => {
    const cacheDir = await cache();
    const folder = await fetchHarborTask(task(), { cacheDir });
    expect(folder).toBe(join(cacheDir, taskCacheKey(task())));
    expect(await readFile(join(folder, 'instruction.md'), 'utf8')).toBe('version one\n');
    expect(await readFile(join(folder, 'environment/Dockerfile'), 'utf8')).toBe('FROM alpine:3.20\n');
    expect((await readdir(folder)).sort()).toEqual(['environment', 'instruction.md']);
    // Nothing else is left in the cache: no repository, no temporary folder.
    expect(await readdir(cacheDir)).toEqual([taskCacheKey(task())]);

    const latest = await fetchHarborTask(task({ gitCommitId: secondCommit }), { cacheDir });
    expect(await readFile(join(latest, 'instruction.md'), 'utf8')).toBe('version two\n');
    expect(latest).not.toBe(folder);
  });

  it('fetches HEAD when the commit is absent or "HEAD", and resolves an abbreviated commit id', async () => {
    const cacheDir = await cache();
    for (const gitCommitId of [undefined, 'HEAD']) {
      const folder = await fetchHarborTask(task({ gitCommitId }), { cacheDir });
      expect(await readFile(join(folder, 'instruction.md'), 'utf8')).toBe('version two\n');
    }
    const short = await fetchHarborTask(task({ gitCommitId: firstCommit.slice(0, 7) }), { cacheDir });
    expect(await readFile(join(short, 'instruction.md'), 'utf8')).toBe('version one\n');
  });

  it('serves a second fetch from the cache without running git', async () => {
    const cacheDir = await cache();
    const copy = join(root, 'copy-for-cache-test');
    execFileSync('git', ['clone', '--quiet', '--bare', origin, copy]);
    const cached = task({ gitUrl: pathToFileURL(copy).href });
    const first = await fetchHarborTask(cached, { cacheDir });
    // With the repository gone and no git program, only the cache can answer.
    await rm(copy, { recursive: true, force: true });
    const second = await fetchHarborTask(cached, { cacheDir, gitBinary: join(root, 'no-such-git') });
    expect(second).toBe(first);
    expect(await readFile(join(second, 'instruction.md'), 'utf8')).toBe('version one\n');
    // refresh really goes back to the repository, which is gone.
    const error = await rejection(fetchHarborTask(cached, { cacheDir, refresh: true }));
    expect(error.message).toContain('`git fetch` failed');
  });

  it('refresh replaces a cached folder with the repository’s current content', async () => {
    const cacheDir = await cache();
    const head = task({ gitCommitId: 'HEAD', name: 'moving' });
    const moving = join(root, 'moving');
    execFileSync('git', ['clone', '--quiet', origin, moving]);
    const headTask = { ...head, gitUrl: pathToFileURL(moving).href };
    const before = await fetchHarborTask(headTask, { cacheDir });
    expect(await readFile(join(before, 'instruction.md'), 'utf8')).toBe('version two\n');
    await writeFile(join(moving, 'datasets/demo/hello/instruction.md'), 'version three\n');
    git(moving, 'commit', '--quiet', '-am', 'three');
    expect(await readFile(join(await fetchHarborTask(headTask, { cacheDir }), 'instruction.md'), 'utf8')).toBe(
      'version two\n',
    );
    const after = await fetchHarborTask(headTask, { cacheDir, refresh: true });
    expect(after).toBe(before);
    expect(await readFile(join(after, 'instruction.md'), 'utf8')).toBe('version three\n');
    expect(await readdir(cacheDir)).toEqual([taskCacheKey(headTask)]);
  });

  it('lets concurrent fetches of one task all succeed with one complete folder', async () => {
    const cacheDir = await cache();
    const folders = await Promise.all(Array.from({ length: 6 }, () => fetchHarborTask(task(), { cacheDir })));
    expect(new Set(folders).size).toBe(1);
    expect(await readFile(join(folders[0]!, 'environment/Dockerfile'), 'utf8')).toBe('FROM alpine:3.20\n');
    expect(await readdir(cacheDir)).toEqual([taskCacheKey(task())]);
  });

  it('fails with TaskFetchError for a missing path, commit, repository or git program', async () => {
    const cacheDir = await cache();
    const noPath = await rejection(fetchHarborTask(task({ path: 'datasets/demo/absent' }), { cacheDir }));
    expect(noPath.code).toBe('TASK_FETCH_FAILED');
    expect(noPath.message).toContain('the folder datasets/demo/absent does not exist at that commit');
    expect(noPath.path).toBe('datasets/demo/absent');

    const noCommit = await rejection(fetchHarborTask(task({ gitCommitId: 'f'.repeat(40) }), { cacheDir }));
    expect(noCommit.message).toContain('`git fetch` failed');
    expect(noCommit.stderr).not.toBe('');
    expect(noCommit.cause).toBeInstanceOf(Error);

    const noShort = await rejection(fetchHarborTask(task({ gitCommitId: 'abcdef1' }), { cacheDir }));
    expect(noShort.message).toContain('commit abcdef1 is not in the repository');

    const noRepo = await rejection(
      fetchHarborTask(task({ gitUrl: pathToFileURL(join(root, 'absent-repo')).href }), { cacheDir }),
    );
    expect(noRepo.gitUrl).toContain('absent-repo');
    expect(noRepo.message).toMatch(/git said[\s\S]*absent-repo/);

    const noGit = await rejection(fetchHarborTask(task(), { cacheDir, gitBinary: join(root, 'no-such-git') }));
    expect(noGit.message).toContain('was not found; install git or pass gitBinary');
    expect(noGit.cause).toMatchObject({ code: 'ENOENT' });

    // Failures leave no partial folder behind.
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('fails with TaskFetchError when the signal aborts, leaving nothing behind', async () => {
    const cacheDir = await cache();
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(fetchHarborTask(task(), { cacheDir, signal: controller.signal }));
    expect(error.message).toContain('the fetch was aborted');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('gives up after timeoutMs with TaskFetchTimeoutError, killing git and its transport helper', async () => {
    expect(defaultTaskFetchTimeoutMs).toBe(600_000);
    // A git server that takes the request and never answers: git would wait for ever.
    let requests = 0;
    const server = createServer(() => {
      requests++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stalled.git`;
    try {
      const cacheDir = await cache();
      const error = await rejection(fetchHarborTask(task({ gitUrl: url }), { cacheDir, timeoutMs: 2_000 }));
      expect(TaskFetchTimeoutError.isInstance(error)).toBe(true);
      expect(error.code).toBe('TASK_FETCH_TIMEOUT');
      expect((error as TaskFetchTimeoutError).timeoutMs).toBe(2_000);
      expect(error.gitUrl).toBe(url);
      expect(error.message).toContain('the fetch took longer than 2000 ms; git was stopped');
      // git reached the server, so the time ran out in the download, not before it.
      expect(requests).toBeGreaterThan(0);
      // git-remote-http would otherwise stay, waiting on the server (it is the one that holds the URL).
      expect(processesMentioning(url)).toEqual([]);
      expect(await readdir(cacheDir)).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects a timeoutMs that is not a positive number', async () => {
    const error = await fetchHarborTask(task(), { cacheDir: await cache(), timeoutMs: 0 }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('options.timeoutMs');
  });

  it('defaults the cache to $XDG_CACHE_HOME/snapbox/tasks, else the temporary folder', () => {
    expect(defaultTaskCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' })).toBe('/home/u/.cache/snapbox/tasks');
    expect(defaultTaskCacheDir({})).toBe(join(tmpdir(), 'snapbox', 'tasks'));
  });

  it('keys the cache on repository, commit and path only', () => {
    expect(taskCacheKey(task())).toBe(taskCacheKey(task({ name: 'another name, same folder' })));
    expect(taskCacheKey(task())).not.toBe(taskCacheKey(task({ gitCommitId: secondCommit })));
    expect(taskCacheKey(task())).not.toBe(taskCacheKey(task({ path: 'datasets/demo/other' })));
    expect(taskCacheKey(task({ gitCommitId: undefined }))).toBe(taskCacheKey(task({ gitCommitId: 'HEAD' })));
  });
});

/** A factory that records what it is asked for; its containers are never started. */
function recordingFactory() {
  const calls: ({ dockerfilePath: string } & ContainerOptions)[] = [];
  const factory: ContainerFactory = {
    fromImage: () => {
      throw new Error('fromImage is not expected');
    },
    fromDockerfile(options) {
      calls.push(options);
      return { backend: 'recording', name: options.name, state: 'created' } as unknown as Container;
    },
  };
  return { factory, calls };
}

describe('HarborPreset.createContainer', () => {
  const dataset = (tasks: HarborTask[]) => ({ name: 'demo', version: '1', description: 'Demo.', tasks, metrics: [] });

  it('fetches the task and asks the factory for a container built from environment/Dockerfile', async () => {
    const cacheDir = await cache();
    const preset = new HarborPreset({ dataset: dataset([task()]), fetch: { cacheDir } });
    const { factory, calls } = recordingFactory();
    const container = await preset.createContainer(preset.tasks[0]!, factory, {
      name: 'hello-1',
      labels: { run: '7' },
    });
    const folder = join(cacheDir, taskCacheKey(task()));
    expect(calls).toEqual([
      { name: 'hello-1', labels: { run: '7' }, dockerfilePath: join(folder, 'environment', 'Dockerfile') },
    ]);
    expect(container.state).toBe('created');
    expect(await readFile(calls[0]!.dockerfilePath, 'utf8')).toBe('FROM alpine:3.20\n');
  });

  it('takes fetch options per call, and does not pass them to the factory', async () => {
    const preset = new HarborPreset({ dataset: dataset([task()]) });
    const cacheDir = await cache();
    const { factory, calls } = recordingFactory();
    await preset.createContainer(task(), factory, { fetch: { cacheDir } });
    expect(calls).toEqual([{ dockerfilePath: join(cacheDir, taskCacheKey(task()), 'environment', 'Dockerfile') }]);
  });

  it('fails with TaskFetchError when the task has no environment/Dockerfile', async () => {
    const noEnv = task({ name: 'no-env', path: 'datasets/demo/no-env' });
    const preset = new HarborPreset({ dataset: dataset([noEnv]), fetch: { cacheDir: await cache() } });
    const { factory, calls } = recordingFactory();
    const error = await rejection(preset.createContainer(noEnv, factory));
    expect(error.message).toContain('the task has no environment/Dockerfile');
    expect(calls).toEqual([]);
  });
});

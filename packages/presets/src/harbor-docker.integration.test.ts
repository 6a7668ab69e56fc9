import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { currentSession, snapboxLabels } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';
import { removeLabelled, tinyImage } from '@snapbox/test-support';
import { afterAll, expect, it } from 'vitest';
import { HarborPreset } from './harbor-preset.js';
import type { HarborTask } from './harbor-registry-schema.js';

const dirs: string[] = [];
const factory = createDockerFactory();

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  // The task's image is a build of this session (kept as build cache by the backend): remove it.
  await removeLabelled(factory.docker, [
    `${snapboxLabels.session}=${currentSession().id}`,
    `${snapboxLabels.kind}=build`,
  ]);
});

it('fetches a task from a git repository and starts its environment on Docker', async () => {
  const root = await mkdtemp(join(tmpdir(), 'snapbox-harbor-docker-'));
  dirs.push(root);
  const origin = join(root, 'origin');
  const taskDir = join(origin, 'tasks', 'hello');
  await mkdir(join(taskDir, 'environment'), { recursive: true });
  await writeFile(
    join(taskDir, 'environment', 'Dockerfile'),
    `FROM ${tinyImage}\nCOPY greeting.txt /task/greeting.txt\n`,
  );
  await writeFile(join(taskDir, 'environment', 'greeting.txt'), 'hello from the task\n');
  await writeFile(join(taskDir, 'instruction.md'), 'Say hello.\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@snapbox.invalid', ...args], {
      cwd: origin,
      encoding: 'utf8',
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'task');
  const task: HarborTask = {
    name: 'hello',
    gitUrl: pathToFileURL(origin).href,
    gitCommitId: git('rev-parse', 'HEAD'),
    path: 'tasks/hello',
  };
  const preset = new HarborPreset({
    dataset: { name: 'demo', version: '1.0', description: 'one task', tasks: [task], metrics: [] },
    fetch: { cacheDir: join(root, 'cache') },
  });

  const container = await preset.createContainer(task, factory);
  expect(container.state).toBe('created');
  await container.start();
  try {
    expect(container.backend).toBe('docker');
    expect((await container.exec('cat /task/greeting.txt')).stdout).toBe('hello from the task\n');
  } finally {
    await container.stop();
  }
});

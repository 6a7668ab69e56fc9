import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProgressEvent, StartAbortedError, StartTimeoutError } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildLog, PullProgress } from './image-source.js';
import { createDockerFactory } from './index.js';
import { engine, imageExists, removeSessionBuilds, sessionLeftovers } from './test-support/engine.js';

const factory = createDockerFactory();
let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'snapbox-start-progress-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await removeSessionBuilds();
});

async function dockerfile(lines: string[]): Promise<string> {
  const dir = await mkdtemp(join(scratch, 'ctx-'));
  const path = join(dir, 'Dockerfile');
  await writeFile(path, `FROM ${tinyImage}\n${lines.join('\n')}\n`);
  return path;
}

async function exists(kind: 'container' | 'image', id: string): Promise<boolean> {
  try {
    await (kind === 'container' ? engine.getContainer(id).inspect() : engine.getImage(id).inspect());
    return true;
  } catch {
    return false;
  }
}

describe('a start cancelled during a build', () => {
  it('leaves no container, no image of a finished step, no step container and no tag', async () => {
    const nonce = Math.random().toString(36).slice(2);
    const path = await dockerfile([`RUN echo first-${nonce} > /first`, `RUN echo second-${nonce} && sleep 120`]);
    const before = await sessionLeftovers();
    const events: ProgressEvent[] = [];
    const controller = new AbortController();
    const box = factory.fromDockerfile({ dockerfilePath: path });
    const error = await box
      .start({
        signal: controller.signal,
        onProgress: (event) => {
          events.push(event);
          // The second step is running once it prints: abort in the middle of it.
          if (event.message === `second-${nonce}`) setTimeout(() => controller.abort(new Error('enough')), 300);
        },
      })
      .catch((e: unknown) => e);
    expect(StartAbortedError.isInstance(error), String(error)).toBe(true);
    expect((error as StartAbortedError).phase).toBe('build');
    expect(box.state).toBe('stopped');

    const lines = events.map((event) => event.message);
    // The first step ran here (not from a cache) and made an image; the second ran in a container.
    const stepContainers = lines.flatMap((line) => /Running in ([0-9a-f]+)/.exec(line)?.[1] ?? []);
    const stepImages = lines.flatMap((line) => /^ ?--->? ([0-9a-f]{12,})$/.exec(line)?.[1] ?? []);
    expect(stepContainers.length).toBe(2);
    expect(stepImages.length).toBeGreaterThanOrEqual(2);
    // Three steps of the Dockerfile, and one per label that snapbox adds at the end.
    const steps = events.filter((event) => event.total !== undefined);
    expect(steps.at(-1)?.total).toBeGreaterThan(3);
    expect(steps.at(-1)?.done).toBe(2);
    // The engine may take a moment to wind the step down.
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const remaining = await Promise.all(stepContainers.map((id) => exists('container', id)));
      if (!remaining.includes(true)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const id of stepContainers) expect(await exists('container', id), `step container ${id}`).toBe(false);
    // The FROM image stays; the image the first step made is gone.
    expect(await exists('image', stepImages[0] as string)).toBe(true);
    expect(await exists('image', stepImages[1] as string), `image of the first step ${stepImages[1]}`).toBe(false);
    const after = await sessionLeftovers();
    expect(after.containers.filter((id) => !before.containers.includes(id))).toEqual([]);
    expect(after.images.filter((id) => !before.images.includes(id))).toEqual([]);
  });

  it('a timeout during a build says so and leaves the build tag absent', async () => {
    const nonce = Math.random().toString(36).slice(2);
    const path = await dockerfile([`RUN echo slow-${nonce} && sleep 120`]);
    const box = factory.fromDockerfile({ dockerfilePath: path });
    const error = await box.start({ timeoutMs: 2500 }).catch((e: unknown) => e);
    expect(StartTimeoutError.isInstance(error), String(error)).toBe(true);
    expect((error as StartTimeoutError).message).toMatch(/timed out after 2500 ms during its build phase/);
    // No tag of this Dockerfile (named after its path): the build never finished.
    const tag = `snapbox-build:${createHash('sha256').update(path).digest('hex').slice(0, 16)}`;
    expect(await imageExists(tag)).toBe(false);
    expect(box.state).toBe('stopped');
  });
});

describe('progress of a start', () => {
  it('a build reports steps done over steps in all, and each line as printed', async () => {
    const nonce = Math.random().toString(36).slice(2);
    const path = await dockerfile([`RUN printf 'a-${nonce}\\nb-${nonce}\\n'`, 'ENV SNAPBOX_STEP=3']);
    const events: ProgressEvent[] = [];
    const box = factory.fromDockerfile({ dockerfilePath: path });
    await box.start({ onProgress: (event) => events.push(event) });
    try {
      const messages = events.filter((event) => event.phase === 'build').map((event) => event.message);
      expect(messages).toContain(`a-${nonce}`);
      expect(messages).toContain(`b-${nonce}`);
      const counted = events.filter((event) => event.phase === 'build' && event.total !== undefined);
      const total = counted[0]?.total ?? 0;
      // Three steps of the Dockerfile, and one per label that snapbox adds at the end.
      expect(total).toBeGreaterThan(3);
      expect(counted.every((event) => event.total === total)).toBe(true);
      expect(counted.at(-1)?.done).toBe(total);
      expect(counted.map((event) => event.done)).toEqual(
        [...counted.map((event) => event.done)].sort((a, b) => (a ?? 0) - (b ?? 0)),
      );
      expect(events.at(-1)).toEqual({ phase: 'start', message: expect.stringMatching(/is running$/) });
    } finally {
      await box.stop();
    }
  });
});

describe('BuildLog', () => {
  it('splits chunks into lines, counts steps and keeps only the images that steps made here', () => {
    const events: ProgressEvent[] = [];
    const log = new BuildLog((event) => events.push(event));
    log.push('Step 1/3 : FROM tiny\n ---> 0af9622fbbb8\nStep 2/3 : RUN echo hi\n ---> Using cache\n');
    log.push(' ---> 1111111111aa\nStep 3/3 : RUN make\n ---> Running in 2222222222bb\npartial ');
    log.push('line\nRemoving intermediate container 2222222222bb\n ---> 3333333333cc\nSuccessfully built 3333333333cc');
    log.end();
    expect(log.createdImages).toEqual(['3333333333cc']);
    expect(events.map((event) => event.message)).toContain('partial line');
    expect(events.at(-1)).toEqual({ phase: 'build', message: 'Successfully built 3333333333cc', done: 3, total: 3 });
  });

  it("understands Podman's STEP lines", () => {
    const log = new BuildLog(() => {});
    log.push('STEP 1/2: FROM tiny\nSTEP 2/2: RUN echo hi\nhi\n--> 4444444444dd\n');
    expect(log.lines).toEqual(['STEP 1/2: FROM tiny', 'STEP 2/2: RUN echo hi', 'hi', '--> 4444444444dd']);
  });
});

describe('PullProgress', () => {
  it('adds up the bytes of every layer whose size is known', () => {
    const progress = new PullProgress();
    expect(progress.event({ status: 'Pulling from library/debian', id: '12' })).toEqual({
      phase: 'pull',
      message: 'Pulling from library/debian 12',
    });
    progress.event({ status: 'Pulling fs layer', id: 'a' });
    expect(progress.event({ status: 'Downloading', id: 'a', progressDetail: { current: 50, total: 200 } })).toEqual({
      phase: 'pull',
      message: 'Downloading a',
      done: 50,
      total: 200,
    });
    expect(
      progress.event({ status: 'Downloading', id: 'b', progressDetail: { current: 10, total: 100 } }),
    ).toMatchObject({
      done: 60,
      total: 300,
    });
    expect(progress.event({ status: 'Download complete', id: 'a' })).toMatchObject({ done: 210, total: 300 });
    expect(progress.event({ status: 'Pull complete', id: 'b' })).toMatchObject({ done: 300, total: 300 });
    expect(progress.event({ status: 'Digest: sha256:abc' })).toMatchObject({ message: 'Digest: sha256:abc' });
    expect(progress.event({})).toBeUndefined();
  });
});

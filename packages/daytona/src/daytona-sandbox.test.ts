import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerNotStartedError,
  InvalidArgumentError,
  type ProgressEvent,
  StartAbortedError,
  StartTimeoutError,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaytonaCreateParams } from './client-types.js';
import { createDaytonaFactory } from './daytona-factory.js';
import { FakeDaytona } from './test-support/fake-daytona.js';

/** The sandbox controls and the start options, mapped onto the Daytona SDK (a fake of it). */
function setup() {
  const fake = new FakeDaytona();
  const factory = createDaytonaFactory({
    client: fake,
    cleanupOnExit: false,
    pollIntervalMs: 1,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
  return { fake, factory };
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const createParams = (fake: FakeDaytona): DaytonaCreateParams =>
  (fake.callsOf('daytona.create')[0] as [DaytonaCreateParams])[0];

let local = '';
let dockerfile = '';
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'snapbox-daytona-sandbox-'));
  dockerfile = join(local, 'Dockerfile');
  await writeFile(dockerfile, 'FROM debian:12\nRUN echo built\n');
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

describe('network', () => {
  it("maps network 'none' to Daytona's network blocking, and 'default' to nothing", async () => {
    const { fake, factory } = setup();
    await factory.fromImage({ image: 'debian:12', network: 'none' }).start();
    expect(createParams(fake).networkBlockAll).toBe(true);
    fake.calls.length = 0;
    await factory.fromImage({ image: 'debian:12', network: 'default' }).start();
    expect(createParams(fake)).not.toHaveProperty('networkBlockAll');
    expect(createParams(fake)).not.toHaveProperty('networkAllowList');
  });

  it('takes an allow-list of CIDR blocks, and refuses a malformed one or one with network none', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'debian:12', networkAllowList: ['10.0.0.0/8', '203.0.113.7/32'] });
    await box.start();
    expect(createParams(fake).networkAllowList).toBe('10.0.0.0/8,203.0.113.7/32');
    expect(() => factory.fromImage({ image: 'x', networkAllowList: ['example.com'] })).toThrow(/networkAllowList\[0\]/);
    expect(() => factory.fromImage({ image: 'x', networkAllowList: [] })).toThrow(/networkAllowList/);
    expect(() => factory.fromImage({ image: 'x', network: 'none', networkAllowList: ['10.0.0.0/8'] })).toThrow(
      /network: 'none' blocks everything/,
    );
  });
});

describe('options Daytona cannot enforce', () => {
  it('refuses user, ExecOptions.user and resources.pids with UnsupportedCapabilityError', async () => {
    const { factory } = setup();
    for (const [options, capability] of [
      [{ user: 'agent' }, 'user'],
      [{ resources: { pids: 100 } }, 'resources.pids'],
    ] as const) {
      let error: unknown;
      try {
        factory.fromImage({ image: 'debian:12', ...options });
      } catch (caught) {
        error = caught;
      }
      expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
      expect((error as UnsupportedCapabilityError).capability).toBe(capability);
      expect((error as UnsupportedCapabilityError).backend).toBe('daytona');
    }
    const box = factory.fromImage({ image: 'debian:12' });
    await box.start();
    const error = await rejection(box.exec('id -u', { user: '0' }));
    expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
  });
});

describe('ports', () => {
  it("answers endpoint() with the port's preview link, for listed ports of a running sandbox", async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'debian:12', ports: [8080] });
    expect(ContainerNotStartedError.isInstance(await rejection(box.endpoint(8080)))).toBe(true);
    await box.start();
    const where = await box.endpoint(8080);
    expect(where).toEqual({
      host: `8080-${box.sandboxId}.proxy.daytona.test`,
      port: 443,
      url: `https://8080-${box.sandboxId}.proxy.daytona.test`,
      token: 'token-8080',
    });
    expect(fake.callsOf('sandbox.getPreviewLink')).toEqual([[box.sandboxId, 8080]]);
    const unlisted = await rejection(box.endpoint(9090));
    expect(InvalidArgumentError.isInstance(unlisted)).toBe(true);
    expect((unlisted as InvalidArgumentError).argument).toBe('port');
  });
});

describe('start: progress and cancellation', () => {
  it('passes the build log to onProgress line by line, between start events', async () => {
    const { fake, factory } = setup();
    fake.createLogs = ['Step 1/2 : FROM debian:12\nStep 2/2 : RUN ec', 'ho built\nbuilt\n', 'Successfully built'];
    const events: ProgressEvent[] = [];
    await factory.fromDockerfile({ dockerfilePath: dockerfile }).start({ onProgress: (event) => events.push(event) });
    expect(events.map((event) => `${event.phase}: ${event.message}`)).toEqual([
      expect.stringMatching(/^start: creating sandbox snapbox-/),
      'build: Step 1/2 : FROM debian:12',
      'build: Step 2/2 : RUN echo built',
      'build: built',
      expect.stringMatching(/^start: sandbox .* is running$/),
    ]);
  });

  it('an abort during the build deletes the sandbox being made and rejects with StartAbortedError', async () => {
    const { fake, factory } = setup();
    fake.createLogs = ['Step 1/2 : FROM debian:12\n'];
    fake.createGate = new Promise(() => {});
    const controller = new AbortController();
    const box = factory.fromDockerfile({ dockerfilePath: dockerfile });
    const error = await rejection(
      box.start({
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'build') controller.abort(new Error('enough'));
        },
      }),
    );
    expect(StartAbortedError.isInstance(error), String(error)).toBe(true);
    expect((error as StartAbortedError).phase).toBe('build');
    expect(fake.callsOf('sandbox.delete')).toHaveLength(1);
    expect(fake.sandboxes.size).toBe(0);
    expect(box.state).toBe('stopped');
    expect(InvalidArgumentError.isInstance(await rejection(box.start()))).toBe(true);
  });

  it('a timeout bounds the SDK wait too, deletes the sandbox and rejects with StartTimeoutError', async () => {
    const { fake, factory } = setup();
    fake.createGate = new Promise(() => {});
    const box = factory.fromImage({ image: 'debian:12' });
    const error = await rejection(box.start({ timeoutMs: 150 }));
    expect(StartTimeoutError.isInstance(error), String(error)).toBe(true);
    expect((createParams(fake) as unknown as { timeout?: number }).timeout).toBeUndefined();
    expect((fake.callsOf('daytona.create')[0] as [unknown, { timeout: number }])[1].timeout).toBe(1);
    expect(fake.sandboxes.size).toBe(0);
    expect(box.state).toBe('stopped');
  });

  it('a signal aborted before start creates nothing', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'debian:12' });
    const error = await rejection(box.start({ signal: AbortSignal.abort() }));
    expect(StartAbortedError.isInstance(error)).toBe(true);
    expect(fake.callsOf('daytona.create')).toEqual([]);
    expect(box.state).toBe('stopped');
  });

  it('a create that finishes after the abort is deleted at once', async () => {
    const { fake, factory } = setup();
    let release = () => {};
    fake.createGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    fake.createLogs = ['Step 1/2 : FROM debian:12\n'];
    const controller = new AbortController();
    const box = factory.fromDockerfile({ dockerfilePath: dockerfile });
    const starting = rejection(
      box.start({
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase !== 'build') return;
          // The service has not registered the sandbox yet: the eager deletion finds nothing.
          fake.get = async (name: string) => {
            fake.record('daytona.get', [name]);
            throw Object.assign(new Error('not found'), { statusCode: 404 });
          };
          controller.abort();
          setTimeout(release, 10);
        },
      }),
    );
    const error = await starting;
    expect(StartAbortedError.isInstance(error)).toBe(true);
    expect(fake.callsOf('sandbox.delete')).toHaveLength(1);
    expect(fake.sandboxes.size).toBe(0);
  });
});

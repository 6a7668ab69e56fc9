import { tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, imageExists } from './test-support/engine.js';
import { describeEngineSuite } from './test-support/engine-suite.js';
import { localEngine } from './test-support/other-engines.js';
import { expectSessionGone, runSessionChild, type SessionChildReport } from './test-support/session-children.js';

// Made outside the library: cleanup must never touch them, whichever way it runs.
const outsiderImage = 'snapbox-outsider:1';
let outsiderContainer = '';
beforeAll(async () => {
  await engine.getImage(tinyImage).tag({ repo: 'snapbox-outsider', tag: '1' });
  const container = await engine.createContainer({
    Image: tinyImage,
    Cmd: ['sleep', '600'],
    Labels: { 'org.example': 'x' },
  });
  await container.start();
  outsiderContainer = container.id;
});
afterAll(async () => {
  expect((await engine.getContainer(outsiderContainer).inspect()).State.Running).toBe(true);
  expect(await imageExists(outsiderImage)).toBe(true);
  await engine.getContainer(outsiderContainer).remove({ force: true });
  await engine.getImage(outsiderImage).remove();
});

// A normal exit, SIGKILL (the watchdog) and many containers at once, as on every engine. The
// children here find the engine through DOCKER_HOST; those below look for it themselves.
describeEngineSuite(localEngine(), { parts: ['cleanup'], concurrency: 32, timeoutMs: 300_000 });

describe('whatever way the owner process ends, its containers and session snapshots are removed', () => {
  it.each([
    ['exit', 3],
    ['uncaught', 1],
    ['rejection', 1],
  ] as const)('%s exit keeps exit code %d', async (ending, expectedCode) => {
    const run = runSessionChild(ending);
    const report = await run.report<SessionChildReport>();
    const result = await run.ended;
    expect(result.code).toBe(expectedCode);
    await expectSessionGone(engine, report);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s still kills the process by that signal', async (signal) => {
    const run = runSessionChild('wait');
    const report = await run.report<SessionChildReport>();
    run.child.kill(signal);
    const result = await run.ended;
    expect(result.signal).toBe(signal);
    await expectSessionGone(engine, report);
  });

  it("a program's own signal handler keeps control (and its exit code)", async () => {
    const run = runSessionChild('own-handler');
    const report = await run.report<SessionChildReport>();
    run.child.kill('SIGTERM');
    const result = await run.ended;
    expect(result.stdout).toContain('handled');
    expect(result.code).toBe(42);
    await expectSessionGone(engine, report);
  });
});

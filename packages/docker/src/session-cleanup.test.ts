import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerFactory } from './index.js';
import { engine, imageExists, sessionLeftovers } from './test-support/engine.js';

const childScript = fileURLToPath(new URL('./test-support/session-child.mjs', import.meta.url));
/** The README promises that a SIGKILLed owner's resources are gone within this time. */
const sigkillDeadlineMs = 15_000;

interface ChildReport {
  session: string;
  pid: number;
  ids: string[];
  snapshots: string[];
  kept: string;
}

function runChild(ending: string): {
  child: ChildProcess;
  report: Promise<ChildReport>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [childScript, ending, tinyImage], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as ChildReport);
    });
    child.once('exit', () => reject(new Error(`child ended before reporting: ${stderr}`)));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, report, done };
}

async function expectGone(report: ChildReport, withinMs = 0): Promise<void> {
  // The kept snapshot stays, and with it the untagged images it is built on (deleted parent
  // snapshots): they are its storage. Everything else of the session must be gone.
  const kept = new Set<string>();
  for (let id: string | undefined = report.kept; id; ) {
    const info: { Id: string; Parent: string } = await engine.getImage(id).inspect();
    kept.add(info.Id);
    id = info.Parent || undefined;
  }
  const unexpected = async () => {
    const leftovers = await sessionLeftovers(report.session);
    return { containers: leftovers.containers, images: leftovers.images.filter((id) => !kept.has(id)) };
  };
  const deadline = Date.now() + withinMs;
  let left = await unexpected();
  while (Date.now() < deadline && left.containers.length + left.images.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = await unexpected();
  }
  expect(left).toEqual({ containers: [], images: [] });
  // Removing the kept snapshot (the test's job, as it would be its owner's) frees the rest.
  await engine.getImage(report.kept).remove();
  expect(await sessionLeftovers(report.session)).toEqual({ containers: [], images: [] });
}

// Made outside the library: cleanup must never touch them.
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

describe('whatever way the owner process ends, its containers and session snapshots are removed', () => {
  it.each([
    ['normal', 0],
    ['exit', 3],
    ['uncaught', 1],
    ['rejection', 1],
  ] as const)('%s exit keeps exit code %d', async (ending, expectedCode) => {
    const run = runChild(ending);
    const report = await run.report;
    const result = await run.done;
    expect(result.code).toBe(expectedCode);
    await expectGone(report);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s still kills the process by that signal', async (signal) => {
    const run = runChild('wait');
    const report = await run.report;
    run.child.kill(signal);
    const result = await run.done;
    expect(result.signal).toBe(signal);
    await expectGone(report);
  });

  it("a program's own signal handler keeps control (and its exit code)", async () => {
    const run = runChild('own-handler');
    const report = await run.report;
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.stdout).toContain('handled');
    expect(result.code).toBe(42);
    await expectGone(report);
  });

  it(`SIGKILL: the watchdog removes everything within ${sigkillDeadlineMs / 1000} s`, async () => {
    const run = runChild('wait');
    const report = await run.report;
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    expect((await sessionLeftovers(report.session)).containers.length).toBeGreaterThan(0);
    await expectGone(report, sigkillDeadlineMs);
  });
});

it('32 containers snapshotting and restoring concurrently leave nothing behind', async () => {
  const factory = createDockerFactory();
  await Promise.all(
    Array.from({ length: 32 }, async (_, index) => {
      const box = factory.fromImage({ image: tinyImage });
      await box.start();
      try {
        await box.exec(`echo ${index} > /id`);
        const snapshotId = await box.snapshot();
        const copy = box.fromSnapshot(snapshotId);
        await copy.start();
        expect((await copy.exec('cat /id')).stdout).toBe(`${index}\n`);
        await box.deleteSnapshot(snapshotId);
        await copy.stop();
      } finally {
        await box.stop();
      }
    }),
  );
  expect(await sessionLeftovers()).toEqual({ containers: [], images: [] });
}, 300_000);

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapFactory, listContainers, listSnapshots, prune } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';
import { storeContents } from './test-support/store-contents.js';

const childScript = fileURLToPath(new URL('./test-support/session-child.mjs', import.meta.url));
/** The README promises that a SIGKILLed owner's containers and snapshots are gone within this time. */
const sigkillDeadlineMs = 5_000;

interface ChildReport {
  session: string;
  pid: number;
  ids: string[];
  snapshots: string[];
  kept: string;
}

const children: ChildProcess[] = [];

function runChild(ending: string, stateDir: string) {
  const child: ChildProcess = spawn(process.execPath, [childScript, ending, stateDir, tinyImage], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let reported = false;
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line && !reported) {
        reported = true;
        const parsed = JSON.parse(line) as ChildReport;
        sessions.push(parsed.session);
        resolve(parsed);
      }
    });
    child.once('exit', () => reject(new Error(`child ended before reporting: ${stderr}`)));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  children.push(child);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, report, done };
}

/** The sessions of the children started so far (each leaves one background sleeper to clean up). */
const sessions: string[] = [];

/**
 * The background sleepers of `among` still running anywhere on the host: session-child.mjs marks
 * its one with its session in the environment (other programs, other test runs, may run an
 * identical `sleep 1000`).
 */
function sandboxSleepers(among: readonly string[]): number[] {
  const marks = among.map((session) => `SNAPBOX_TEST_SLEEPER=${session}\u0000`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (marks.some((mark) => environ.includes(mark))) found.push(Number(name));
    } catch {
      // Gone.
    }
  }
  return found;
}

async function expectOnlyKept(stateDir: string, report: ChildReport, withinMs = 0): Promise<void> {
  const deadline = Date.now() + withinMs;
  const left = () => {
    const contents = storeContents(stateDir);
    // No cgroup of the session is left either (this machine has the v1 pids hierarchy): a
    // container's, or a pooled sandbox's that no record lists.
    const cgroups = readdirSync('/sys/fs/cgroup/pids/snapbox-bubblewrap').filter((name) =>
      name.startsWith(report.session.slice(0, 8)),
    );
    return { containers: contents.containers, snapshots: contents.snapshots, pending: contents.pending, cgroups };
  };
  while (Date.now() < deadline && JSON.stringify(left()) !== JSON.stringify(expected())) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  function expected() {
    return { containers: [], snapshots: [`${report.kept}.json`], pending: [], cgroups: [] };
  }
  expect(left()).toEqual(expected());
  expect(sandboxSleepers([report.session])).toEqual([]);
  // The kept snapshot still restores, in this other process.
  const factory = createBubblewrapFactory({ stateDir });
  const copy = factory.fromSnapshot({ snapshotId: report.kept });
  await copy.start();
  const restored = await copy.exec('cat /tmp/one /tmp/kept');
  expect(restored.stdout, `exit code ${restored.exitCode}: ${restored.output}`).toBe('one\nkept\n');
  await copy.stop();
  await copy.deleteSnapshot(report.kept);
  await factory.settled();
  expect(storeContents(stateDir)).toEqual({ containers: [], snapshots: [], layers: [], refs: [], pending: [] });
}

describe('nothing leaks when the owner process ends', { timeout: 60_000 }, () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = testStateDir('session');
    dirs.push(made);
    return made;
  };
  afterAll(() => {
    // A child left running by a failed test would keep its sandboxes: end it (its exit cleanup runs).
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const sleepers = sandboxSleepers(sessions);
    // Removed first, so that a failed check leaves no folder behind either.
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
    expect(sleepers).toEqual([]);
  });

  for (const ending of ['normal', 'exit', 'uncaught']) {
    it(`removes containers and session snapshots on ${ending} exit, and keeps the kept one`, async () => {
      const stateDir = dir();
      const run = runChild(ending, stateDir);
      const report = await run.report;
      await run.done;
      await expectOnlyKept(stateDir, report);
    });
  }

  it('removes what stop() left to the background (folders, cgroups) when the process ends right after', async () => {
    const stateDir = dir();
    const run = runChild('stopped', stateDir);
    const report = await run.report;
    await run.done;
    await expectOnlyKept(stateDir, report);
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`removes them on ${signal}, and the child still dies by the signal`, async () => {
      const stateDir = dir();
      const run = runChild('wait', stateDir);
      const report = await run.report;
      run.child.kill(signal);
      const result = await run.done;
      expect(result.signal).toBe(signal);
      await expectOnlyKept(stateDir, report);
    });
  }

  it(`SIGKILL: the sandboxes die with their owner and the watchdog removes the rest within ${sigkillDeadlineMs} ms`, async () => {
    const stateDir = dir();
    const run = runChild('wait', stateDir);
    const report = await run.report;
    expect((await listContainers({ stateDir })).map((c) => c.owner.liveness)).toEqual(Array(5).fill('alive'));
    run.child.kill('SIGKILL');
    await run.done;
    await expectOnlyKept(stateDir, report, sigkillDeadlineMs);
  });

  it('prune removes what a dead owner left when no watchdog ran, and lists it first', async () => {
    const stateDir = dir();
    const run = runChild('wait', stateDir);
    const report = await run.report;
    // Stop the watchdog first (it is the only other process of that session's making).
    const watchdogs = readdirSync('/proc').filter((name) => {
      try {
        const environ = /^\d+$/.test(name) ? readFileSync(`/proc/${name}/environ`, 'utf8') : '';
        return environ.includes('SNAPBOX_BWRAP_WATCHDOG_ORDER=') && environ.includes(report.session);
      } catch {
        return false;
      }
    });
    for (const pid of watchdogs) process.kill(Number(pid), 'SIGKILL');
    run.child.kill('SIGKILL');
    await run.done;
    const containers = await listContainers({ stateDir });
    expect(containers).toHaveLength(5);
    expect(containers.every((c) => c.owner.liveness === 'dead' && c.state === 'exited')).toBe(true);
    const snapshots = await listSnapshots({ stateDir });
    expect(snapshots.map((s) => s.id).sort()).toEqual([...report.snapshots, report.kept].sort());
    const dry = await prune({ stateDir, dryRun: true });
    expect(dry.containers).toHaveLength(5);
    expect(dry.snapshots.map((s) => s.id).sort()).toEqual([...report.snapshots].sort());
    expect(storeContents(stateDir).containers).toHaveLength(5);
    const pruned = await prune({ stateDir });
    expect(pruned.errors).toEqual([]);
    await expectOnlyKept(stateDir, report);
  });
});

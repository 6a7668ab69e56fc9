import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ExecAbortedError } from './errors/exec-aborted-error.js';
import { ExecTimeoutError } from './errors/exec-timeout-error.js';
import { SnapboxError } from './errors/snapbox-error.js';
import { runExecWithDeadline } from './exec-deadline.js';
import { ExecOutputCollector } from './exec-output.js';

/**
 * A stand-in command: writes `lines` one per `everyMs`, then exits with `exitCode`; `kill()`
 * stops it and ends its run (as a backend's kill ends the exec stream).
 */
function command(lines: string[], everyMs: number, exitCode = 0) {
  const collector = new ExecOutputCollector();
  let killed = false;
  let stopRun: (() => void) | undefined;
  const run = async (launched: () => void) => {
    launched();
    for (const line of lines) {
      if (killed) break;
      collector.push('stdout', `${line}\n`);
      await Promise.race([sleep(everyMs), new Promise<void>((resolve) => (stopRun = resolve))]);
    }
    if (killed) throw new Error('stream closed by the kill');
    return exitCode;
  };
  const kill = async () => {
    killed = true;
    stopRun?.();
  };
  return { collector, run, kill, wasKilled: () => killed };
}

describe('runExecWithDeadline', () => {
  it('returns the result of a command that ends before its deadline, without killing it', async () => {
    const cmd = command(['a', 'b'], 5, 3);
    const result = await runExecWithDeadline({ command: 'x', options: { timeoutMs: 5_000 }, ...cmd });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'a\nb\n' });
    expect(cmd.wasKilled()).toBe(false);
  });

  it('on timeout kills the command and rejects with ExecTimeoutError and the output so far', async () => {
    const cmd = command(['first', 'second', 'third'], 200);
    const error = await runExecWithDeadline({ command: ['sleep', '9'], options: { timeoutMs: 100 }, ...cmd }).catch(
      (caught: unknown) => caught,
    );
    expect(ExecTimeoutError.isInstance(error)).toBe(true);
    const timeout = error as ExecTimeoutError;
    expect(timeout.timeoutMs).toBe(100);
    expect(timeout.result).toMatchObject({ exitCode: -1, stdout: 'first\n' });
    expect(timeout.message).toContain('sleep 9');
    expect(cmd.wasKilled()).toBe(true);
  });

  it('on abort kills the command and rejects with ExecAbortedError carrying the reason', async () => {
    const cmd = command(['one', 'two'], 200);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    const error = await runExecWithDeadline({ command: 'x', options: { signal: controller.signal }, ...cmd }).catch(
      (caught: unknown) => caught,
    );
    expect(ExecAbortedError.isInstance(error)).toBe(true);
    expect(((error as ExecAbortedError).cause as Error).message).toBe('user gave up');
    expect((error as ExecAbortedError).result.stdout).toBe('one\n');
    expect(cmd.wasKilled()).toBe(true);
  });

  it('does not start a command whose signal is already aborted', async () => {
    let started = false;
    const error = await runExecWithDeadline({
      command: 'x',
      options: { signal: AbortSignal.abort() },
      collector: new ExecOutputCollector(),
      run: async () => {
        started = true;
        return 0;
      },
      kill: async () => undefined,
    }).catch((caught: unknown) => caught);
    expect(ExecAbortedError.isInstance(error)).toBe(true);
    expect(started).toBe(false);
  });

  it('waits for the command to be launched before killing it, and kills nothing never launched', async () => {
    const events: string[] = [];
    let launch: () => void = () => undefined;
    const pending = runExecWithDeadline({
      command: 'x',
      options: { timeoutMs: 20 },
      collector: new ExecOutputCollector(),
      drainMs: 0,
      run: (launched) => {
        launch = () => {
          events.push('launched');
          launched();
        };
        return new Promise<number>(() => undefined);
      },
      kill: async () => {
        events.push('killed');
      },
    });
    await sleep(100);
    expect(events).toEqual([]);
    launch();
    await expect(pending).rejects.toSatisfy(ExecTimeoutError.isInstance);
    expect(events).toEqual(['launched', 'killed']);

    let killed = false;
    const never = await runExecWithDeadline({
      command: 'x',
      options: { timeoutMs: 20 },
      collector: new ExecOutputCollector(),
      run: async () => {
        await sleep(100);
        throw new Error('the platform refused to create it');
      },
      kill: async () => {
        killed = true;
      },
    }).catch((caught: unknown) => caught);
    expect(ExecTimeoutError.isInstance(never)).toBe(true);
    expect(killed).toBe(false);
  });

  it('reports a kill that failed as EXEC_KILL_FAILED, with the reason', async () => {
    const error = await runExecWithDeadline({
      command: 'x',
      options: { timeoutMs: 20 },
      collector: new ExecOutputCollector(),
      run: (launched) => {
        launched();
        return new Promise<number>(() => undefined);
      },
      kill: async () => {
        throw new Error('no grep in the image');
      },
    }).catch((caught: unknown) => caught);
    expect(SnapboxError.isInstance(error)).toBe(true);
    expect((error as SnapboxError).code).toBe('EXEC_KILL_FAILED');
    expect((error as SnapboxError).message).toContain('no grep in the image');
  });

  it('passes on a failure of the run before the deadline, and ignores one after it', async () => {
    const early = await runExecWithDeadline({
      command: 'x',
      options: { timeoutMs: 5_000 },
      collector: new ExecOutputCollector(),
      run: async () => {
        throw new Error('engine gone');
      },
      kill: async () => undefined,
    }).catch((caught: unknown) => caught);
    expect((early as Error).message).toBe('engine gone');
    // The stand-in's run rejects once killed: the caller still sees the timeout.
    const cmd = command(['a', 'b', 'c'], 100);
    await expect(runExecWithDeadline({ command: 'x', options: { timeoutMs: 30 }, ...cmd })).rejects.toSatisfy(
      ExecTimeoutError.isInstance,
    );
  });

  it('drops output that arrives after the call settled, from the result and the callbacks', async () => {
    const seen: string[] = [];
    const collector = new ExecOutputCollector({ onStdout: (chunk) => seen.push(chunk) });
    let pushLater: () => void = () => undefined;
    const error = await runExecWithDeadline({
      command: 'x',
      options: { timeoutMs: 20 },
      collector,
      drainMs: 0,
      run: (launched) => {
        launched();
        collector.push('stdout', 'early\n');
        pushLater = () => collector.push('stdout', 'late\n');
        return new Promise<number>(() => undefined);
      },
      kill: async () => undefined,
    }).catch((caught: unknown) => caught);
    pushLater();
    expect((error as ExecTimeoutError).result.stdout).toBe('early\n');
    expect(seen).toEqual(['early\n']);
  });

  it('rethrows what a streaming callback threw', async () => {
    const collector = new ExecOutputCollector({
      onStdout: () => {
        throw new Error('callback broke');
      },
    });
    await expect(
      runExecWithDeadline({
        command: 'x',
        options: undefined,
        collector,
        run: async () => {
          collector.push('stdout', 'hi');
          return 0;
        },
        kill: async () => undefined,
      }),
    ).rejects.toThrow('callback broke');
  });
});

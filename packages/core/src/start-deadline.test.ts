import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from './container.js';
import { StartAbortedError } from './errors/start-aborted-error.js';
import { StartTimeoutError } from './errors/start-timeout-error.js';
import { runStartWithDeadline, type StartContext } from './start-deadline.js';

/** A start that reports `phases` one by one, then waits until its signal aborts or `ms` pass. */
function slowStart(made: string[], phases: string[], ms = 5000) {
  return async (context: StartContext): Promise<void> => {
    // What a backend does on abort: remove what it made, then reject.
    const stopped = () => {
      made.length = 0;
      return new Error('stopped');
    };
    for (const phase of phases) {
      made.push(phase);
      context.progress({ phase, message: `${phase} begins` });
      if (context.signal.aborted) throw stopped();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms / phases.length);
        context.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(stopped());
          },
          { once: true },
        );
      });
    }
  };
}

const failedWith = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('runStartWithDeadline', () => {
  it('runs the start and passes its progress to onProgress', async () => {
    const events: ProgressEvent[] = [];
    const made: string[] = [];
    await runStartWithDeadline({
      options: { onProgress: (event) => events.push(event), timeoutMs: 5000 },
      run: slowStart(made, ['pull', 'start'], 20),
      undo: async () => {},
    });
    expect(events.map((event) => event.phase)).toEqual(['pull', 'start']);
    expect(made).toEqual(['pull', 'start']);
  });

  it('rejects with StartAbortedError at once, without starting, when the signal is already aborted', async () => {
    let ran = false;
    const reason = new Error('no longer needed');
    const error = await failedWith(
      runStartWithDeadline({
        options: { signal: AbortSignal.abort(reason) },
        container: 'box',
        run: async () => {
          ran = true;
        },
        undo: async () => {},
      }),
    );
    expect(StartAbortedError.isInstance(error)).toBe(true);
    expect((error as StartAbortedError).cause).toBe(reason);
    expect((error as StartAbortedError).message).toMatch(/container box aborted/);
    expect(ran).toBe(false);
  });

  it('aborts a running start, waits for its cleanup, and names the phase it was in', async () => {
    const made: string[] = [];
    const controller = new AbortController();
    const error = await failedWith(
      runStartWithDeadline({
        options: {
          signal: controller.signal,
          onProgress: (event) => {
            if (event.phase === 'build') setTimeout(() => controller.abort(), 20);
          },
        },
        run: slowStart(made, ['pull', 'build', 'start'], 3000),
        undo: async () => {},
      }),
    );
    expect(StartAbortedError.isInstance(error)).toBe(true);
    expect((error as StartAbortedError).phase).toBe('build');
    expect(made).toEqual([]);
  });

  it('times out with StartTimeoutError carrying the timeout', async () => {
    const made: string[] = [];
    const began = Date.now();
    const error = await failedWith(
      runStartWithDeadline({ options: { timeoutMs: 100 }, run: slowStart(made, ['pull'], 5000), undo: async () => {} }),
    );
    expect(StartTimeoutError.isInstance(error)).toBe(true);
    expect((error as StartTimeoutError).timeoutMs).toBe(100);
    expect((error as StartTimeoutError).phase).toBe('pull');
    expect(Date.now() - began).toBeLessThan(2000);
    expect(made).toEqual([]);
  });

  it('an onProgress that throws stops the start and is the rejection', async () => {
    const made: string[] = [];
    const thrown = new Error('progress bar broke');
    const error = await failedWith(
      runStartWithDeadline({
        options: {
          onProgress: () => {
            throw thrown;
          },
        },
        run: slowStart(made, ['pull', 'start'], 3000),
        undo: async () => {},
      }),
    );
    expect(error).toBe(thrown);
    expect(made).toEqual([]);
  });

  it('undoes a start that finished although it was cancelled, then rejects', async () => {
    let undone = 0;
    const controller = new AbortController();
    const error = await failedWith(
      runStartWithDeadline({
        options: { signal: controller.signal },
        run: async () => {
          controller.abort();
          // A last step that did not look at the signal.
          await new Promise((resolve) => setTimeout(resolve, 10));
        },
        undo: async () => {
          undone += 1;
        },
      }),
    );
    expect(StartAbortedError.isInstance(error)).toBe(true);
    expect(undone).toBe(1);
  });

  it('passes on the failure of a start that was not cancelled', async () => {
    const failure = new Error('image not found');
    const error = await failedWith(
      runStartWithDeadline({
        options: { timeoutMs: 5000 },
        run: async () => {
          throw failure;
        },
        undo: async () => {},
      }),
    );
    expect(error).toBe(failure);
  });
});

import { fileURLToPath } from 'node:url';
import { spawnNode, tinyImage } from '@snapbox/test-support';
import { describe, expect, it } from 'vitest';
import { statusOf } from './docker-connection.js';
import { engine } from './test-support/engine.js';

const childScript = fileURLToPath(new URL('./test-support/debug-child.mjs', import.meta.url));

/**
 * Runs the child with `env` over this environment (debug variables cleared first). With
 * `killAfterReport`, SIGKILLs it once it has reported; the result then comes when every holder of
 * its stderr (the watchdog too) has closed it.
 */
async function runChild(
  env: Record<string, string>,
  killAfterReport = false,
): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  const base = { ...process.env };
  delete base.DEBUG;
  delete base.NODE_DEBUG;
  delete base.SNAPBOX_DEBUG;
  const run = spawnNode(childScript, [tinyImage, killAfterReport ? 'wait-for-kill' : 'exit'], {
    env: { ...base, ...env },
    onLine: () => {
      if (killAfterReport) run.child.kill('SIGKILL');
    },
  });
  const { code, stdout, stderr } = await run.ended;
  return { code, stdout, stderr, pid: run.child.pid as number };
}

describe('debug lines of a real program', () => {
  it('are silent by default', async () => {
    const run = await runChild({});
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).stdout).toBe('hello\n');
    expect(run.stderr).toBe('');
  });

  it('with DEBUG=snapbox:docker, show the engine found, the start and the command on stderr, and nothing else', async () => {
    const run = await runChild({ DEBUG: 'snapbox:docker' });
    expect(run.code).toBe(0);
    const { id, stdout } = JSON.parse(run.stdout) as { id: string; stdout: string };
    // stdout holds the program's output only.
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('hello\n');
    const lines = run.stderr.trim().split('\n');
    const prefix = `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z snapbox:docker\\[${run.pid}\\] `;
    expect(lines.every((line) => new RegExp(prefix).test(line))).toBe(true);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`${prefix}using unix://\\S+ \\(.+\\); found in \\d+ ms \\+\\d+ms$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`${prefix}exec in ${id.slice(0, 12)}: echo hello: exit 0 in \\d+ ms \\+\\d+ms$`),
      ),
    );
    // Other namespaces stay quiet.
    expect(run.stderr).not.toContain('snapbox:cleanup');
    expect(run.stderr).not.toContain('snapbox:docker:http');
  });

  it("with NODE_DEBUG=snapbox, also show every engine request and the cleanup at exit, the worker's included", async () => {
    const run = await runChild({ NODE_DEBUG: 'snapbox' });
    expect(run.code).toBe(0);
    const { id } = JSON.parse(run.stdout) as { id: string };
    expect(run.stderr).toMatch(
      new RegExp(`snapbox:docker:http\\[${run.pid}\\] unix://\\S+ POST /containers/create ok \\(\\d+ ms\\)`),
    );
    expect(run.stderr).toMatch(/snapbox:cleanup\[\d+\] exit \(code 0\): running 1 cleanup\(s\)/);
    expect(run.stderr).toMatch(
      /snapbox:cleanup\[\d+\] removing 1 container\(s\) and 0 snapshot\(s\) on unix:\/\/\S+ in a blocking child process/,
    );
    expect(run.stderr).toMatch(/snapbox:cleanup\[\d+\] removed 1 container\(s\) and 0 snapshot\(s\) in \d+ ms/);
    // The blocking worker is another process; its request lines are passed on.
    const workerLine = new RegExp(
      `snapbox:docker:http\\[(?!${run.pid}\\])\\d+\\] unix://\\S+ DELETE /containers/${id} ok`,
    );
    expect(run.stderr).toMatch(workerLine);
    const gone = await engine
      .getContainer(id)
      .inspect()
      .then(
        () => undefined,
        (error: unknown) => statusOf(error),
      );
    expect(gone).toBe(404);
  });

  it('with DEBUG=snapbox:cleanup, let the watchdog say what it swept after its owner was SIGKILLed', async () => {
    const run = await runChild({ DEBUG: 'snapbox:cleanup' }, true);
    expect(run.code).toBe(null);
    const { id } = JSON.parse(run.stdout) as { id: string };
    expect(run.stderr).toMatch(
      new RegExp(`snapbox:cleanup\\[${run.pid}\\] started watchdog \\d+ for session \\S+ on unix://`),
    );
    const watchdog = /started watchdog (\d+)/.exec(run.stderr)?.[1];
    expect(run.stderr).toMatch(
      new RegExp(
        `snapbox:cleanup\\[${watchdog}\\] watchdog: owner ${run.pid} is gone without cleaning up; removing session`,
      ),
    );
    expect(run.stderr).toMatch(
      new RegExp(`snapbox:cleanup\\[${watchdog}\\] watchdog: removed 1 container\\(s\\) and 0 snapshot\\(s\\)`),
    );
    const gone = await engine
      .getContainer(id)
      .inspect()
      .then(
        () => undefined,
        (error: unknown) => statusOf(error),
      );
    expect(gone).toBe(404);
  });
});

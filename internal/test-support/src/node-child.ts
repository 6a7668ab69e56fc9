import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';

/** How a program run by {@link spawnNode} ended, with everything it wrote. */
export interface NodeChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** The program's whole environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Its working directory. Default: this process's. */
  cwd?: string;
  /** Called with each complete line of stdout as it arrives (to kill the program at a point, say). */
  onLine?: (line: string) => void;
}

/** A program run by {@link spawnNode}. */
export interface NodeChild {
  /** The process, to send it a signal. */
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /**
   * The first line the program writes to stdout, parsed as JSON: how the child programs of the
   * tests say what they created. Rejects, with the program's stderr, when it ends without one.
   */
  report<T>(): Promise<T>;
  /** Resolves once the program has ended and its output is closed. */
  readonly ended: Promise<NodeChildEnd>;
}

/**
 * Runs `script` with this Node binary, collecting stdout and stderr; stdin is closed. The tests
 * use it for programs that must be a process of their own: one that is killed, that exits in
 * some way, or that imports the build output.
 */
export function spawnNode(script: string, args: readonly string[] = [], options: SpawnNodeOptions = {}): NodeChild {
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  let closed = false;
  const waiting = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      options.onLine?.(line);
    }
    for (const check of waiting) check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const ended = new Promise<NodeChildEnd>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      closed = true;
      for (const check of waiting) check();
      resolve({ code, signal, stdout, stderr });
    });
  });
  // A caller that only wants the report must not see an unhandled rejection from a failed spawn.
  ended.catch(() => undefined);

  function report<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const newline = stdout.indexOf('\n');
        if (newline >= 0) {
          waiting.delete(check);
          const line = stdout.slice(0, newline);
          try {
            resolve(JSON.parse(line) as T);
          } catch {
            reject(new Error(`${basename(script)} reported a line that is not JSON: ${line}\nstderr:\n${stderr}`));
          }
        } else if (closed) {
          waiting.delete(check);
          reject(new Error(`${basename(script)} ended before reporting; stderr:\n${stderr}`));
        }
      };
      waiting.add(check);
      check();
    });
  }

  return { child, report, ended };
}

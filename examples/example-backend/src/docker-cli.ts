import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BackendUnavailableError, SnapboxError } from '@snapbox/core';

/** How to run the `docker` command line: which binary, and its environment (`DOCKER_HOST`, ...). */
export interface DockerCliOptions {
  /** The `docker` binary. Default `'docker'` (looked up on `PATH`). */
  dockerPath?: string;
  /** Extra environment for every `docker` call, e.g. `{ DOCKER_HOST: 'ssh://me@build-box' }`. */
  env?: Record<string, string>;
}

/** What one finished `docker` call printed. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `docker` command line. Every engine call of this backend goes through here, so this
 * is also where the CLI's failures become snapbox errors: a missing binary or an unreachable
 * daemon is a {@link BackendUnavailableError}, anything else an `ENGINE_ERROR`.
 */
export class DockerCli {
  readonly #path: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: DockerCliOptions = {}) {
    this.#path = options.dockerPath ?? 'docker';
    this.#env = { ...process.env, ...options.env };
  }

  /** A short description of the engine this talks to, for messages. */
  get endpoint(): string {
    return this.#env.DOCKER_HOST ?? 'the default Docker socket';
  }

  /**
   * Runs `docker ...args` to the end; `stdin` is written to its standard input, `onLine` gets
   * each line it prints (either stream) as it comes, and an abort of `signal` interrupts it as
   * Ctrl-C would (the CLI then cancels its request, a build or a pull, on the engine).
   */
  run(
    args: readonly string[],
    options: { stdin?: Readable; signal?: AbortSignal; onLine?: (line: string) => void } = {},
  ): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(args, options.stdin === undefined ? 'ignore' : 'pipe');
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const lines = (target: Buffer[]) => {
        let pending = '';
        return (chunk: Buffer) => {
          target.push(chunk);
          if (options.onLine === undefined) return;
          const parts = (pending + chunk.toString('utf8')).split(/\r?\n/);
          pending = parts.pop() ?? '';
          for (const line of parts) if (line.trim() !== '') options.onLine(line);
        };
      };
      child.stdout?.on('data', lines(stdout));
      child.stderr?.on('data', lines(stderr));
      const interrupt = () => child.kill('SIGINT');
      options.signal?.addEventListener('abort', interrupt, { once: true });
      child.once('close', () => options.signal?.removeEventListener('abort', interrupt));
      if (options.stdin !== undefined && child.stdin !== null) options.stdin.pipe(child.stdin);
      child.once('error', (error) => reject(this.unavailable(error)));
      child.once('close', (code) =>
        resolve({
          exitCode: code ?? -1,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
      );
    });
  }

  /** Runs `docker ...args` and blocks until it ends: for `stopAndRemoveSync` and exit hooks. */
  runSync(args: readonly string[]): CliResult {
    const child = spawnSync(this.#path, args, { env: this.#env, encoding: 'utf8', timeout: 120_000 });
    if (child.error !== undefined) throw this.unavailable(child.error);
    return { exitCode: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
  }

  /** Starts `docker ...args` with piped stdout and stderr, for callers that stream. */
  spawn(args: readonly string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
    return spawn(this.#path, args, { env: this.#env, stdio: [stdin, 'pipe', 'pipe'] });
  }

  /**
   * The snapbox error for a `docker` call that failed while trying to `action`. The CLI prints
   * the daemon's message on stderr; "cannot connect" means the engine is down or unreachable.
   */
  failure(result: CliResult, action: string): SnapboxError {
    const message = result.stderr.trim() || `docker exited with ${result.exitCode}`;
    if (/Cannot connect to the Docker daemon|error during connect|connection refused/i.test(message)) {
      return new BackendUnavailableError({
        backend: 'docker-cli',
        endpoint: this.endpoint,
        detail: `cannot reach the Docker engine while trying to ${action} (${message}); is it running, and is DOCKER_HOST right?`,
      });
    }
    return new SnapboxError('ENGINE_ERROR', { message: `docker failed to ${action}: ${message}` });
  }

  /** A spawn failure (no `docker` binary, say) as a {@link BackendUnavailableError}. */
  unavailable(error: unknown): BackendUnavailableError {
    return new BackendUnavailableError({
      backend: 'docker-cli',
      endpoint: this.endpoint,
      detail: `cannot run ${this.#path} (${(error as Error).message}); is the Docker CLI installed?`,
      cause: error,
    });
  }
}

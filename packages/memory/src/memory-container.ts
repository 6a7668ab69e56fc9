import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  assertAbsoluteRemotePath,
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertStartOptions,
  BaseContainer,
  type ContainerOptions,
  type ContainerState,
  describeCommand,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  type FileTransfer,
  InvalidArgumentError,
  type NetworkMode,
  RemotePathNotFoundError,
  type RemoteTree,
  type Resources,
  resolveInsideLocalRoot,
  runExecWithDeadline,
  runStartWithDeadline,
  type SnapshotableContainer,
  type SnapshotableContainerFactory,
  type SnapshotOptions,
  type StartContext,
  type StartOptions,
  type SupportedOptions,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { FsError, fileContent, type MemoryFileTree } from './memory-file-tree.js';
import { MemorySession, type MemorySnapshotInfo, type MemorySource } from './memory-session.js';
import { type ResolvedUser, resolveUser } from './memory-user.js';
import { type Fd, MiniShell, rootUser, type ShellRuntime } from './mini-shell.js';
import { type ByteSink, ByteSource, decodeUtf8, KilledError, KillSwitch, utf8 } from './shell-streams.js';
import { parseScript } from './shell-syntax.js';

/**
 * What a {@link MemoryExecHandler} receives for one `exec` call: the command, where and how it
 * runs, the container's files, and the command's output streams.
 *
 * @example
 * A game for a Go-Explore test, driven by `exec('step 3')`:
 * ```ts
 * const factory = createMemoryFactory({
 *   exec: (ctx) => {
 *     if (ctx.argv?.[0] !== 'step') return undefined; // anything else: the built-in shell
 *     const position = Number(ctx.readText('/game/position') ?? '0') + Number(ctx.argv[1]);
 *     ctx.writeFile('/game/position', String(position));
 *     ctx.stdout(`position ${position}\n`);
 *     return position >= 10 ? { exitCode: 0, stdout: 'won\n' } : 0;
 *   },
 * });
 * ```
 */
export interface MemoryExecContext {
  /** The command exactly as given to `exec`: a shell string or an argv array. */
  readonly command: string | readonly string[];
  /**
   * The command as argv: the array given to `exec`, or, for a string that is one simple
   * command (`step 3`, `game --reset "a b"`), its words after quote removal and `$VAR`
   * expansion. `undefined` for a string that uses more shell syntax (`;`, `|`, `>`, `$(...)`).
   */
  readonly argv: readonly string[] | undefined;
  /** The command's environment: defaults (`PATH`, `HOME`, `HOSTNAME`), the image's, the `start()` env, the `exec` env. */
  readonly env: Readonly<Record<string, string>>;
  /** The absolute working directory of the command. */
  readonly workdir: string;
  /** Aborted when the command is killed: its timeout expired, its signal aborted, or the container stopped. */
  readonly signal: AbortSignal;
  /** The container the command runs in. */
  readonly container: MemoryContainer;
  /** A file's bytes (a copy), or `undefined` when there is no regular file at `path`. Relative paths start at `workdir`. */
  readFile(path: string): Uint8Array | undefined;
  /** A file's content decoded as UTF-8, or `undefined` when there is no regular file at `path`. */
  readText(path: string): string | undefined;
  /** Writes a file (UTF-8 for a string), creating its folders. `mode` defaults to 0o644 for a new file. */
  writeFile(path: string, content: string | Uint8Array, options?: { mode?: number }): void;
  /** True when something (file, folder, link target) exists at `path`. */
  exists(path: string): boolean;
  /** Writes to the command's stdout now: streaming callbacks see it at once. */
  stdout(chunk: string | Uint8Array): void;
  /** Writes to the command's stderr now. */
  stderr(chunk: string | Uint8Array): void;
  /** Waits `ms` milliseconds; rejects as soon as the command is killed. */
  sleep(ms: number): Promise<void>;
  /**
   * Runs a command in the built-in shell with this command's environment, workdir and streams,
   * and returns its exit status (to wrap or extend the default behaviour).
   */
  shell(command: string | readonly string[]): Promise<number>;
}

/**
 * What a {@link MemoryExecHandler} may return instead of a bare exit status. An `ExecResult`
 * fits too. `output` and `truncated` are ignored: the result is built from the streams, with
 * the call's `maxOutputBytes`.
 */
export interface MemoryExecHandlerResult {
  /** The command's exit status, an integer. Default 0. */
  exitCode?: number;
  /** Appended to stdout after anything written through {@link MemoryExecContext.stdout} (a string is UTF-8). */
  stdout?: string | Uint8Array;
  /** Appended to stderr after anything written through {@link MemoryExecContext.stderr} (a string is UTF-8). */
  stderr?: string | Uint8Array;
  /** Ignored: the interleaved output is rebuilt from `stdout` and `stderr`. */
  output?: string;
  /** Ignored: truncation follows the call's `maxOutputBytes`. */
  truncated?: boolean;
}

/**
 * A custom command handler for memory containers (see {@link createMemoryFactory}). It runs
 * first for every `exec`. Return:
 * - `undefined` to let the built-in shell run the command (output already written through
 *   `ctx.stdout` stays);
 * - a number: the exit status;
 * - a {@link MemoryExecHandlerResult} `{ exitCode?, stdout?, stderr? }` (an `ExecResult` too):
 *   output appended after anything written through the context, and the exit status
 *   (default 0). `output` and `truncated` are ignored: the result is built from the streams,
 *   with the call's `maxOutputBytes`.
 *
 * A handler that throws makes `exec` reject with that error.
 */
export type MemoryExecHandler = (
  context: MemoryExecContext,
) => number | MemoryExecHandlerResult | undefined | Promise<number | MemoryExecHandlerResult | undefined>;

/** Options of {@link createMemoryFactory}. */
export interface MemoryFactoryOptions {
  /** Answers `exec` calls before the built-in shell does; see {@link MemoryExecHandler}. */
  exec?: MemoryExecHandler;
  /**
   * What `start()` does with `resources`, which the memory backend cannot enforce. Default
   * `'reject'`: `UnsupportedCapabilityError`, as for any backend that cannot do what is asked.
   * `'record'`: start anyway and keep them in {@link MemoryContainer.resources}, for a unit test
   * that checks what its code asks for.
   */
  resources?: 'reject' | 'record';
  /**
   * Images by name. Every image starts from the base tree (`/bin`, `/etc`, `/root`, `/tmp`,
   * ...); an entry here adds files (a string is UTF-8; `{ content, mode }` sets the mode), the
   * image's working directory (default `/`) and its environment. Names not listed get the
   * base tree alone.
   */
  images?: Record<
    string,
    {
      /**
       * Files added to the base tree, by absolute path (missing folders are created). A string
       * is written as UTF-8.
       */
      files?: Record<
        string,
        | string
        | Uint8Array
        | {
            /** The file's content; a string is written as UTF-8. */
            content: string | Uint8Array;
            /** The file's permission bits, e.g. `0o755`. Default `0o644` for a new file. */
            mode?: number;
          }
      >;
      /** The image's absolute working directory, created when missing. Default `/`. */
      workdir?: string;
      /** The image's environment, seen by every command (`start()` and `exec` env override it). */
      env?: Record<string, string>;
    }
  >;
}

/**
 * A snapshotable factory of {@link MemoryContainer}s, plus the inspection a consumer's tests
 * need. All containers of one factory share its snapshot store (as containers of one Docker
 * engine do); two factories never see each other's snapshots.
 */
export interface MemoryFactory extends SnapshotableContainerFactory<MemoryContainer> {
  /** The snapshots that exist now, oldest first, with their `keep` flag. */
  listSnapshots(): MemorySnapshotInfo[];
  /** The containers started and not yet stopped. */
  liveContainers(): MemoryContainer[];
  /**
   * Simulates the end of the process: stops every running container and deletes every
   * snapshot not taken with `keep: true`, as the real backends do at exit. The factory stays
   * usable (a new "process"), and kept snapshots still restore.
   * @returns what was stopped and deleted.
   */
  endSession(): {
    /** The containers that were running and are now stopped. */
    stoppedContainers: MemoryContainer[];
    /** The ids of the deleted snapshots (those not taken with `keep: true`). */
    deletedSnapshots: string[];
  };
}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What the memory backend takes of the options a backend may lack: `user` (what `id` and
 * `whoami` print; nothing checks permissions) and `network: 'none'` (it has no network at all).
 * `ports` are refused (it has no sockets), and so is `resources.pids` (no processes to limit)
 * unless the factory records resources (`resources: 'record'`).
 */
export const memorySupportedOptions: SupportedOptions = { backend: 'memory', network: true, user: true };

/** {@link memorySupportedOptions} for a factory that records resources or refuses them. */
function supportedBy(session: MemorySession): SupportedOptions {
  return session.resources === 'record' ? { ...memorySupportedOptions, pids: true } : memorySupportedOptions;
}

/** One `exec` and the background jobs it started: what a kill (timeout, abort, stop) stops. */
class ProcessGroup {
  readonly kill = new KillSwitch();
  #pending = 0;
  readonly #onIdle: () => void;

  constructor(onIdle: () => void) {
    this.#onIdle = onIdle;
  }

  track(promise: Promise<unknown>): void {
    this.#pending += 1;
    const done = () => {
      this.#pending -= 1;
      if (this.#pending === 0) this.#onIdle();
    };
    promise.then(done, done);
  }
}

function toBytes(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === 'string' ? utf8.encode(chunk) : chunk;
}

/**
 * An in-memory container for unit tests: a real file tree (folders, files with modes,
 * symbolic links), a small bash-compatible shell with the usual commands, and snapshots that
 * deep-copy the tree. It keeps every rule of the contract (the conformance suite passes), so
 * code tested against it behaves the same on Docker.
 *
 * Create it with {@link createMemoryFactory}. What it does not do: run real programs (only
 * `sh`/`bash` scripts and the built-in commands; anything else answers 127, or is handled by
 * the factory's `exec` handler), enforce resource limits (`start()` refuses them, or records
 * them in {@link MemoryContainer.resources} with the factory's `resources: 'record'`), or persist
 * anything after the process.
 *
 * The shell understands lists (`;`, `&&`, `||`, newlines), pipes, `( ... )`, `{ ...; }`, `&`,
 * `if`/`while`/`until`/`for`, quoting, `$VAR`/`${VAR:-x}`/`${#VAR}`/`${VAR%pattern}` and friends,
 * `$(...)`, `$((...))`, globs, redirections (`>`, `>>`, `<`, `2>&1`, `&>`, here-documents),
 * `NAME=value cmd`, `export`, `set -euo pipefail`. Not supported: functions, `case`, arrays,
 * `[[ ]]`, brace expansion; they fail with a syntax error, never silently. Commands: echo,
 * printf, cat, pwd, cd, exit, true, false, sleep, seq, wc, test/[, touch, mkdir, rm, rmdir, ln -s,
 * ls, cp, mv, chmod, head, tail, tee, env, printenv, basename, dirname, mktemp, readlink,
 * realpath, which, command, type, read, wait, source, eval, exec, bash/sh (`-c`, scripts, stdin),
 * hostname, whoami, id. Options a command does not implement are refused with an error.
 *
 * Background jobs (`cmd &`) outlive the `exec` that started them, like orphaned processes:
 * their later output is discarded, and `stop()` or a timeout of that `exec` kills them.
 */
export class MemoryContainer extends BaseContainer implements SnapshotableContainer {
  /** Always `'memory'`. */
  readonly backend = 'memory';
  /** Where the filesystem comes from: an image name, a Dockerfile, or a snapshot id. */
  readonly source: MemorySource;
  /** The labels given at creation. */
  readonly labels: Readonly<Record<string, string>>;
  /** The resources asked for at creation: recorded for assertions, never enforced (see `MemoryFactoryOptions.resources`). */
  readonly resources: Readonly<Resources>;
  /** The network asked for: recorded; a memory container has no network either way. */
  readonly network: NetworkMode;
  /** The user given at creation, if any: every command runs as it (see `id`, `whoami`). */
  readonly user: string | undefined;

  readonly #session: MemorySession;
  readonly #defaultWorkdir: string | undefined;
  #state: ContainerState = 'created';
  #startCalled = false;
  #name: string | undefined;
  #hostname = 'localhost';
  #tree: MemoryFileTree | undefined;
  #imageWorkdir = '/';
  #imageEnv: Record<string, string> = {};
  #startEnv: Record<string, string> = {};
  #nextPid = 1;
  #runAs: ResolvedUser | undefined;
  readonly #groups = new Set<ProcessGroup>();

  /** @internal Use {@link createMemoryFactory}; options are validated there. */
  constructor(session: MemorySession, source: MemorySource, options: ContainerOptions) {
    super();
    this.#session = session;
    this.source = source;
    this.#name = options.name;
    this.#defaultWorkdir = options.defaultWorkdir;
    this.labels = { ...options.labels };
    this.resources = { ...options.resources };
    this.network = options.network ?? 'default';
    this.user = options.user;
  }

  /** The name given at creation; without one, `memory-<hostname>` once started. */
  get name(): string | undefined {
    return this.#name;
  }

  /** `created`, then `running` after `start()`, then `stopped` for good. */
  get state(): ContainerState {
    return this.#state;
  }

  /** The container's hostname (also in `/etc/hostname`), set by `start()`. */
  get hostname(): string {
    return this.#hostname;
  }

  /**
   * Builds the filesystem from the image, Dockerfile or snapshot, and makes the container
   * running. `defaultWorkdir` is created when missing. A Dockerfile's instructions and the
   * lines its `RUN`s print go to `onProgress` (phase `'build'`), then a `'start'` event; an
   * abort or `timeoutMs` kills a running `RUN` and leaves the container `stopped`.
   * @throws SnapshotNotFoundError when the snapshot was deleted.
   * @throws ImageBuildError when the Dockerfile cannot be read or a `RUN` fails.
   * @throws StartAbortedError / StartTimeoutError when cancelled.
   * @throws InvalidArgumentError when called twice or after `stop()`, or for a `user` the image does not know.
   * @throws UnsupportedCapabilityError for `resources`, unless the factory records them.
   */
  async start(options?: StartOptions): Promise<void> {
    if (this.#startCalled || this.#state !== 'created') {
      throw new InvalidArgumentError({
        argument: 'start()',
        message: `start() was already called on this container, or it was stopped (state: ${this.#state}); create a new container instead`,
      });
    }
    assertStartOptions(options);
    this.#startCalled = true;
    const asked = Object.entries(this.resources).filter(([, value]) => value !== undefined);
    if (asked.length > 0 && this.#session.resources !== 'record') {
      this.#startCalled = false;
      throw new UnsupportedCapabilityError({
        capability: `resources.${asked[0]?.[0]}`,
        backend: 'memory',
        detail:
          "the memory backend runs nothing real, so it cannot enforce resource limits; leave resources out, or create the factory with resources: 'record' to keep them for assertions",
      });
    }
    let watch: StartContext | undefined;
    try {
      await runStartWithDeadline({
        options,
        container: this.#name,
        run: (context) => {
          watch = context;
          return this.#start(options?.env ?? {}, context);
        },
        undo: async () => this.stopAndRemoveSync(),
      });
    } catch (error) {
      if (watch === undefined || watch.signal.aborted) {
        // A cancelled start is over for good.
        this.stopAndRemoveSync();
        this.#state = 'stopped';
      } else if (this.#state === 'created') {
        // Nothing was made: start() may be tried again.
        this.#startCalled = false;
      }
      throw error;
    }
  }

  async #start(env: Record<string, string>, context: StartContext): Promise<void> {
    const image = await this.#session.materialize(this.source, {
      signal: context.signal,
      progress: (event) => context.progress(event),
    });
    // stop() during a Dockerfile build wins: the container stays stopped.
    if (this.#state !== 'created') return;
    context.signal.throwIfAborted();
    context.progress({ phase: 'start', message: 'creating the in-memory filesystem' });
    context.signal.throwIfAborted();
    this.#hostname = randomBytes(6).toString('hex');
    this.#name ??= `memory-${this.#hostname}`;
    image.tree.writeFile('/etc/hostname', utf8.encode(`${this.#hostname}\n`));
    if (this.user !== undefined) this.#runAs = resolveUser(this.user, image.tree, 'user');
    if (this.#defaultWorkdir !== undefined) {
      try {
        image.tree.mkdir(this.#defaultWorkdir, { parents: true });
      } catch (error) {
        throw new InvalidArgumentError({
          argument: 'options.defaultWorkdir',
          message: `cannot create ${this.#defaultWorkdir}: ${error instanceof FsError ? error.reason : String(error)}`,
          cause: error,
        });
      }
    }
    this.#tree = image.tree;
    this.#imageWorkdir = image.workdir;
    this.#imageEnv = image.env;
    this.#startEnv = { ...env };
    this.#state = 'running';
    this.#session.register(this);
    context.progress({ phase: 'start', message: `container ${this.#name} is running` });
  }

  /** Stops and drops the filesystem; idempotent. See {@link MemoryContainer.stopAndRemoveSync}. */
  async stop(): Promise<void> {
    this.stopAndRemoveSync();
  }

  /** Stops at once: running commands and background jobs are killed (a pending `exec` resolves with exit code 137). */
  stopAndRemoveSync(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#tree = undefined;
    this.#session.unregister(this);
    for (const group of [...this.#groups]) group.kill.kill();
    this.#groups.clear();
  }

  /**
   * Runs a command: the factory's `exec` handler sees it first; what it declines runs in the
   * built-in shell (a string) or as argv (an array). Output streams to the callbacks as the
   * commands write it. Semantics as in `Container.exec`: a timeout or abort kills the command
   * and its background jobs and rejects with the partial result.
   * @throws ContainerNotStartedError when the container is not running.
   * @throws InvalidArgumentError for a malformed command or options.
   * @throws ExecTimeoutError / ExecAbortedError with the partial output.
   */
  async exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.assertRunning('exec');
    assertCommand(command);
    assertExecOptions(options, memorySupportedOptions);
    const opts: ExecOptions = options ?? {};
    // An unknown user is refused before anything runs, as an engine refuses the exec.
    if (opts.user !== undefined) resolveUser(opts.user, this.#tree!, 'options.user');
    const collector = new ExecOutputCollector(opts);
    const stdout: ByteSink = { write: (bytes) => collector.push('stdout', bytes) };
    const stderr: ByteSink = { write: (bytes) => collector.push('stderr', bytes) };
    const group = new ProcessGroup(() => this.#groups.delete(group));
    return runExecWithDeadline({
      command,
      options: opts,
      collector,
      // The kill is synchronous: nothing of the command runs after it.
      drainMs: 0,
      run: (launched) => {
        this.#groups.add(group);
        launched();
        const body = this.#run(command, opts, group, stdout, stderr);
        group.track(body);
        return new Promise<number>((resolvePromise, reject) => {
          // stop() kills the group: the call ends like a SIGKILLed process, with status 137.
          const offKill = group.kill.onKill(() => {
            offKill();
            resolvePromise(137);
          });
          body.then(
            (exitCode) => {
              offKill();
              resolvePromise(exitCode);
            },
            (error: unknown) => {
              offKill();
              if (error instanceof KilledError) return resolvePromise(137);
              group.kill.kill();
              reject(error);
            },
          );
        });
      },
      kill: async () => group.kill.kill(),
    });
  }

  async #run(
    command: string | readonly string[],
    options: ExecOptions,
    group: ProcessGroup,
    stdout: ByteSink,
    stderr: ByteSink,
  ): Promise<number> {
    const tree = this.#tree!;
    const user = options.user === undefined ? this.#runAs : resolveUser(options.user, tree, 'options.user');
    const runtime: ShellRuntime = {
      tree,
      kill: group.kill,
      hostname: this.#hostname,
      user: user ?? rootUser,
      nextPid: () => ++this.#nextPid,
      trackJob: (job) => group.track(job),
    };
    const shell = new MiniShell(runtime);
    const env: Record<string, string> = {
      PATH: defaultPath,
      HOME: user?.home ?? '/root',
      HOSTNAME: this.#hostname,
      ...this.#imageEnv,
      ...this.#startEnv,
      ...options.env,
    };
    const workdir = options.workdir ?? this.#defaultWorkdir ?? this.#imageWorkdir;
    if (tree.lookup(workdir)?.kind !== 'directory') {
      stderr.write(
        utf8.encode(`snapbox memory: cannot change to the working directory ${workdir}: No such file or directory\n`),
      );
      return 126;
    }
    const fds = new Map<number, Fd>([
      [0, { source: ByteSource.empty() }],
      [1, { sink: stdout }],
      [2, { sink: stderr }],
    ]);
    const newState = (arg0: string) => shell.newState({ env, cwd: workdir, fds, arg0 });
    const runDefault = (what: string | readonly string[]) =>
      typeof what === 'string' ? shell.runScript(what, newState('bash')) : shell.runArgv(what, newState('exec'));

    const handler = this.#session.execHandler;
    if (handler !== undefined) {
      const controller = new AbortController();
      group.kill.onKill(() => controller.abort(new Error(`the command was killed: ${describeCommand(command)}`)));
      const fileAt = (path: string) => {
        const node = tree.lookup(path, workdir);
        return node?.kind === 'file' ? node : undefined;
      };
      const context: MemoryExecContext = {
        command,
        argv: typeof command === 'string' ? await simpleArgv(command, shell, newState('bash')) : command,
        env,
        workdir,
        signal: controller.signal,
        container: this,
        readFile: (path) => {
          const file = fileAt(path);
          return file === undefined ? undefined : fileContent(file).slice();
        },
        readText: (path) => {
          const file = fileAt(path);
          return file === undefined ? undefined : decodeUtf8(fileContent(file));
        },
        writeFile: (path, content, writeOptions) =>
          tree.writeFile(path, toBytes(content).slice(), { cwd: workdir, parents: true, mode: writeOptions?.mode }),
        exists: (path) => tree.lookup(path, workdir) !== undefined,
        stdout: (chunk) => stdout.write(toBytes(chunk)),
        stderr: (chunk) => stderr.write(toBytes(chunk)),
        sleep: (ms) => group.kill.sleep(ms),
        shell: (what) => runDefault(what),
      };
      const reply = await handler(context);
      if (reply !== undefined) {
        const exitCode = typeof reply === 'number' ? reply : (reply.exitCode ?? 0);
        if (!Number.isInteger(exitCode)) {
          throw new InvalidArgumentError({
            argument: 'the exec handler result',
            message: `exitCode must be an integer, got ${String(exitCode)}`,
          });
        }
        if (typeof reply === 'object') {
          if (reply.stdout !== undefined) stdout.write(toBytes(reply.stdout));
          if (reply.stderr !== undefined) stderr.write(toBytes(reply.stderr));
        }
        return exitCode;
      }
    }
    return runDefault(command);
  }

  /**
   * Copies local files in, keeping their modes; missing folders are created.
   * @throws InvalidArgumentError naming `files[i].localPath` for a missing local file, or
   *   `files[i].remotePath` when the remote path cannot be written (a file on the way).
   */
  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    // Read everything first, so a missing local file leaves the container untouched.
    const loaded = await Promise.all(
      files.map(async (file, index) => {
        const argument = `files[${index}].localPath`;
        const absolute = resolve(file.localPath);
        let info: Awaited<ReturnType<typeof stat>>;
        let data: Uint8Array;
        try {
          info = await stat(absolute);
          if (!info.isFile())
            throw new InvalidArgumentError({ argument, message: `${absolute} is not a regular file` });
          data = new Uint8Array(await readFile(absolute));
        } catch (error) {
          if (InvalidArgumentError.isInstance(error)) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          throw new InvalidArgumentError({ argument, message: `cannot read ${absolute} (${code})`, cause: error });
        }
        return { data, mode: Number(info.mode) & 0o7777, remotePath: file.remotePath };
      }),
    );
    this.assertRunning('uploadFiles');
    const tree = this.#tree!;
    loaded.forEach(({ data, mode, remotePath }, index) => {
      try {
        tree.writeFile(remotePath, data, { parents: true, mode });
      } catch (error) {
        if (!(error instanceof FsError)) throw error;
        throw new InvalidArgumentError({
          argument: `files[${index}].remotePath`,
          message: `cannot write ${remotePath}: ${error.reason}`,
          cause: error,
        });
      }
    });
  }

  /**
   * Copies files out, keeping their modes, creating local folders; a local link at the target
   * is replaced, not followed.
   * @throws RemotePathNotFoundError when a remote file does not exist.
   * @throws InvalidArgumentError when a remote path is a folder (use `downloadDir`) or the local path cannot be written.
   */
  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    const tree = this.#tree!;
    // Check every remote path before writing anything locally.
    const contents = files.map((file, index) => {
      const node = tree.lookup(file.remotePath);
      if (node === undefined) throw new RemotePathNotFoundError({ remotePath: file.remotePath, container: this.name });
      if (node.kind === 'directory') {
        throw new InvalidArgumentError({
          argument: `files[${index}].remotePath`,
          message: `${file.remotePath} is a folder; use downloadDir`,
        });
      }
      return node.kind === 'file'
        ? { data: fileContent(node).slice(), mode: node.mode & 0o777 }
        : { data: new Uint8Array(0), mode: 0o644 };
    });
    for (const [index, file] of files.entries()) {
      const argument = `files[${index}].localPath`;
      const absolute = resolve(file.localPath);
      const target = await resolveInsideLocalRoot(dirname(absolute), basename(absolute), argument);
      const { data, mode } = contents[index]!;
      try {
        await writeFile(target, data, { mode });
        await chmod(target, mode);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new InvalidArgumentError({ argument, message: `cannot write ${target} (${code})`, cause: error });
      }
    }
  }

  /** Writes a file straight into the tree (no temporary local file), creating folders. */
  override async writeFile(remotePath: string, content: string | Uint8Array): Promise<void> {
    this.assertRunning('writeFile');
    assertAbsoluteRemotePath(remotePath, 'remotePath');
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new InvalidArgumentError({ argument: 'content', message: 'expected a string or a Uint8Array' });
    }
    try {
      this.#tree!.writeFile(remotePath, typeof content === 'string' ? utf8.encode(content) : content.slice(), {
        parents: true,
      });
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      throw new InvalidArgumentError({
        argument: 'remotePath',
        message: `cannot write ${remotePath}: ${error.reason}`,
        cause: error,
      });
    }
  }

  /** Reads a file straight from the tree. */
  override async readFile(remotePath: string): Promise<Uint8Array> {
    this.assertRunning('readFile');
    assertAbsoluteRemotePath(remotePath, 'remotePath');
    const node = this.#tree!.lookup(remotePath);
    if (node === undefined) throw new RemotePathNotFoundError({ remotePath, container: this.name });
    if (node.kind === 'directory')
      throw new InvalidArgumentError({ argument: 'remotePath', message: `${remotePath} is a folder` });
    return node.kind === 'file' ? fileContent(node).slice() : new Uint8Array(0);
  }

  protected override async listRemoteTree(remoteDir: string): Promise<RemoteTree> {
    const tree = this.#tree!;
    if (tree.lookup(remoteDir)?.kind !== 'directory')
      throw new RemotePathNotFoundError({ remotePath: remoteDir, container: this.name });
    return tree.list(remoteDir);
  }

  protected override async makeRemoteDirectories(remoteDirs: readonly string[]): Promise<void> {
    const tree = this.#tree!;
    for (const dir of remoteDirs) {
      try {
        tree.mkdir(dir, { parents: true });
      } catch (error) {
        if (!(error instanceof FsError)) throw error;
        throw new InvalidArgumentError({
          argument: 'remoteDir',
          message: `could not create ${dir}: ${error.reason}`,
          cause: error,
        });
      }
    }
  }

  /**
   * Stores an immutable deep copy of the filesystem (with the image's workdir and env, never
   * the `start()` env) in the factory's store. Snapshots are session-scoped unless `keep`:
   * the factory's `endSession()` deletes them.
   * @returns an id like `memory-snapshot:<uuid>`.
   */
  async snapshot(options?: SnapshotOptions): Promise<string> {
    this.assertRunning('snapshot');
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError({ argument: 'options', message: 'expected { keep? }' });
    }
    if (options?.keep !== undefined && typeof options.keep !== 'boolean') {
      throw new InvalidArgumentError({
        argument: 'options.keep',
        message: `expected a boolean, got ${typeof options.keep}`,
      });
    }
    const image = { tree: this.#tree!.clone(), workdir: this.#imageWorkdir, env: { ...this.#imageEnv } };
    return this.#session.saveSnapshot(image, options?.keep ?? false, this.name);
  }

  /**
   * A new, unstarted container of the same factory that starts from `snapshotId`.
   * @throws InvalidArgumentError for an empty id or one that is not a memory snapshot id.
   */
  fromSnapshot(snapshotId: string, options?: ContainerOptions): MemoryContainer {
    this.#session.assertSnapshotId(snapshotId);
    assertContainerOptions(options, supportedBy(this.#session));
    return new MemoryContainer(this.#session, { kind: 'snapshot', snapshotId }, options ?? {});
  }

  /**
   * Deletes a snapshot of this factory; idempotent. Containers restored from it and snapshots
   * taken from those are independent copies and keep working.
   * @throws NotASnapshotError for an id this factory did not create.
   */
  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.#session.deleteSnapshot(snapshotId);
  }

  /** Like {@link MemoryContainer.deleteSnapshot}, synchronously. */
  deleteSnapshotSync(snapshotId: string): void {
    this.#session.deleteSnapshot(snapshotId);
  }
}

/** The argv of a string that is one simple command without shell syntax, else undefined. */
async function simpleArgv(
  command: string,
  shell: MiniShell,
  state: ReturnType<MiniShell['newState']>,
): Promise<string[] | undefined> {
  let list: ReturnType<typeof parseScript>;
  try {
    list = parseScript(command);
  } catch {
    return undefined;
  }
  const item = list[0];
  if (list.length !== 1 || item === undefined || item.background || item.andOr.rest.length > 0) return undefined;
  const pipeline = item.andOr.first;
  const simple = pipeline.commands[0];
  if (pipeline.negated || pipeline.commands.length !== 1 || simple?.type !== 'simple') return undefined;
  if (simple.assignments.length > 0 || simple.redirects.length > 0) return undefined;
  const plain = (parts: readonly (typeof simple.words)[number][number][]): boolean =>
    parts.every(
      (part) =>
        part.type === 'literal' ||
        part.type === 'tilde' ||
        (part.type === 'param' && part.op === undefined) ||
        (part.type === 'double' && plain(part.parts)),
    );
  if (!simple.words.every((word) => plain(word))) return undefined;
  return shell.expandWords(simple.words, state);
}

/**
 * Creates an in-memory snapshotable backend for unit tests. Nothing is started and no I/O
 * happens here or in the factory methods, which validate their arguments synchronously.
 *
 * @example
 * ```ts
 * const factory = createMemoryFactory();
 * const container = factory.fromImage({ image: 'memory:base' });
 * await container.start();
 * await container.exec('mkdir -p /state && echo 1 > /state/value');
 * const snapshotId = await container.snapshot();
 * const copy = factory.fromSnapshot({ snapshotId });
 * ```
 * @throws InvalidArgumentError for malformed options.
 */
export function createMemoryFactory(options: MemoryFactoryOptions = {}): MemoryFactory {
  const session: MemorySession = new MemorySession(options);
  const containerOptions = (value: unknown, required: string): ContainerOptions => {
    if (typeof value !== 'object' || value === null) {
      throw new InvalidArgumentError({ argument: 'options', message: `expected an object with ${required}` });
    }
    assertContainerOptions(value, supportedBy(session));
    const { name, resources, defaultWorkdir, labels, network, user } = value as ContainerOptions;
    return { name, resources, defaultWorkdir, labels, network, user };
  };
  return {
    fromImage(options) {
      const rest = containerOptions(options, 'image');
      assertNonEmptyString(options.image, 'image');
      return new MemoryContainer(session, { kind: 'image', image: options.image }, rest);
    },
    fromDockerfile(options) {
      const rest = containerOptions(options, 'dockerfilePath');
      assertNonEmptyString(options.dockerfilePath, 'dockerfilePath');
      return new MemoryContainer(
        session,
        { kind: 'dockerfile', dockerfilePath: resolve(options.dockerfilePath) },
        rest,
      );
    },
    fromSnapshot(options) {
      const rest = containerOptions(options, 'snapshotId');
      session.assertSnapshotId(options.snapshotId);
      return new MemoryContainer(session, { kind: 'snapshot', snapshotId: options.snapshotId }, rest);
    },
    listSnapshots: (): MemorySnapshotInfo[] => session.listSnapshots(),
    liveContainers: () => session.liveContainers(),
    endSession: () => session.endSession(),
  };
}

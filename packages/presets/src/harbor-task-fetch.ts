import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TaskFetchError } from './errors/task-fetch-error.js';
import { TaskFetchTimeoutError } from './errors/task-fetch-timeout-error.js';
import type { HarborTask } from './harbor-registry-schema.js';
import { killProcessTree } from './kill-process-tree.js';
import { presetsLog as log } from './logger.js';
import { assertTimeout, startDeadline } from './timeout.js';

/** How long {@link fetchHarborTask} lets git run by default: 10 minutes. */
export const defaultTaskFetchTimeoutMs = 600_000;

/** git's output is kept up to this size; only its end is reported. */
const maxOutputBytes = 64 * 1024 * 1024;

/** Options of {@link fetchHarborTask}. */
export interface FetchHarborTaskOptions {
  /** Where fetched task folders are kept. Default: {@link defaultTaskCacheDir}. */
  cacheDir?: string;
  /**
   * Fetch again even when the cache holds the task (useful for tasks pinned to `HEAD` or a
   * branch, which are otherwise fetched once). Default: `false`.
   */
  refresh?: boolean;
  /** Aborting kills the running git command; the call rejects with `TaskFetchError`. */
  signal?: AbortSignal;
  /**
   * How long the whole fetch (every git command it runs) may take, in milliseconds; then git and
   * its transport helpers are killed and the call rejects with {@link TaskFetchTimeoutError}.
   * `Infinity` waits for ever. A task served from the cache is not timed.
   * Default: {@link defaultTaskFetchTimeoutMs} (10 minutes).
   */
  timeoutMs?: number;
  /** The git program to run. Default: `git` from `PATH`. */
  gitBinary?: string;
}

/**
 * The default task cache: `$XDG_CACHE_HOME/snapbox/tasks` when `XDG_CACHE_HOME` is set, else
 * `<os.tmpdir()>/snapbox/tasks`.
 */
export function defaultTaskCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg !== undefined && xdg !== '' ? join(xdg, 'snapbox', 'tasks') : join(tmpdir(), 'snapbox', 'tasks');
}

/**
 * The cache folder name of a task: a hash of its repository, commit and path, so tasks that
 * share a folder share a cache entry and nothing else does.
 */
export function taskCacheKey(task: Pick<HarborTask, 'gitUrl' | 'gitCommitId' | 'path'>): string {
  return createHash('sha256')
    .update(JSON.stringify([task.gitUrl, task.gitCommitId ?? 'HEAD', task.path]))
    .digest('hex')
    .slice(0, 32);
}

async function isDirectory(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

/** Sparse-checkout patterns are gitignore patterns: escape what they would read as wildcards. */
function sparsePattern(path: string): string {
  return `/${path.replace(/[\\*?[\]!# ]/g, (char) => `\\${char}`)}/\n`;
}

function lastLines(text: string, count = 20): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Fetches a task's folder the way Harbor does: a sparse checkout of `task.path` at
 * `task.gitCommitId` (HEAD when absent), without the blobs of the rest of the repository. The
 * folder is cached under `cacheDir`; later calls return it without running git.
 *
 * Steps: `git init`, sparse checkout limited to the path, `git fetch --depth 1
 * --filter=blob:none origin <commit>`; a commit that cannot be fetched by name (an abbreviated
 * id) falls back to fetching the branches and tags and resolving it locally. The folder is built
 * in a temporary directory beside the cache entry and renamed into place, so concurrent fetches
 * of one task (in one process or several) never see a half-written folder; when two race, the
 * first rename wins and the other's copy is discarded.
 * @returns the absolute path of the task's folder (it holds `environment/Dockerfile` for Harbor tasks).
 * @throws TaskFetchError when git is missing or fails (with its stderr), or when the path does
 *   not exist at that commit; the original error is the `cause`.
 * @throws TaskFetchTimeoutError (a `TaskFetchError`) when the fetch takes longer than `timeoutMs`.
 * @throws InvalidArgumentError (from `@snapbox/core`) for a `timeoutMs` that is not a positive number.
 */
export async function fetchHarborTask(task: HarborTask, options: FetchHarborTaskOptions = {}): Promise<string> {
  assertTimeout(options.timeoutMs, 'options.timeoutMs');
  const cacheDir = resolve(options.cacheDir ?? defaultTaskCacheDir());
  const key = taskCacheKey(task);
  const target = join(cacheDir, key);
  if (!options.refresh && (await isDirectory(target))) {
    log('task %s: cached at %s', task.name, target);
    return target;
  }
  const started = Date.now();
  log('task %s: fetching %s from %s at %s', task.name, task.path, task.gitUrl, task.gitCommitId ?? 'HEAD');

  const failure = (detail: string, extra: { stderr?: string; cause?: unknown } = {}) =>
    new TaskFetchError({
      task: task.name,
      gitUrl: task.gitUrl,
      commit: task.gitCommitId,
      path: task.path,
      detail,
      ...extra,
    });
  try {
    await mkdir(cacheDir, { recursive: true });
  } catch (error) {
    throw failure(`cannot create the cache folder ${cacheDir}`, { cause: error });
  }
  const work = await mkdtemp(join(cacheDir, `.tmp-${key}-`)).catch((error: unknown) => {
    throw failure(`cannot write in the cache folder ${cacheDir}`, { cause: error });
  });
  const git = options.gitBinary ?? 'git';
  const timeoutMs = options.timeoutMs ?? defaultTaskFetchTimeoutMs;
  // Started once the work folder exists: every path from here on reaches the `finally` that clears it.
  const deadline = startDeadline(timeoutMs, options.signal);
  const run = (args: string[], cwd: string): Promise<string> =>
    new Promise((resolvePromise, reject) => {
      let stdout = '';
      let stderr = '';
      const stopped = () =>
        deadline.expired()
          ? new TaskFetchTimeoutError({
              task: task.name,
              gitUrl: task.gitUrl,
              commit: task.gitCommitId,
              path: task.path,
              timeoutMs,
              stderr: lastLines(stderr),
              cause: deadline.signal.reason,
            })
          : failure('the fetch was aborted', { cause: deadline.signal.reason });
      if (deadline.signal.aborted) {
        reject(stopped());
        return;
      }
      const child = spawn(git, args, {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Never wait for a password prompt: a private or missing repository must fail, not hang.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      });
      const keep = (text: string, chunk: Buffer) => (text + chunk.toString()).slice(-maxOutputBytes);
      child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
      child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
      const onAbort = () => {
        if (child.pid !== undefined) killProcessTree(child.pid);
        // Not waiting for 'close': it comes when every holder of git's pipes has exited, and a
        // helper that escaped the kill would hold them (and this call) open.
        child.stdout.destroy();
        child.stderr.destroy();
        reject(stopped());
      };
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', (error: NodeJS.ErrnoException) => {
        deadline.signal.removeEventListener('abort', onAbort);
        reject(
          error.code === 'ENOENT'
            ? failure(`the git program (${git}) was not found; install git or pass gitBinary`, { cause: error })
            : failure(`\`git ${args[0]}\` could not be started (${error.message})`, { cause: error }),
        );
      });
      child.once('close', (code, signal) => {
        deadline.signal.removeEventListener('abort', onAbort);
        if (deadline.signal.aborted) reject(stopped());
        else if (code === 0) resolvePromise(stdout);
        else {
          const cause = Object.assign(new Error(`git ${args[0]} exited with ${code ?? signal}`), { code, signal });
          reject(failure(`\`git ${args[0]}\` failed`, { stderr: lastLines(stderr), cause }));
        }
      });
    });

  try {
    const repo = join(work, 'repo');
    await run(['init', '--quiet', repo], work);
    await run(['remote', 'add', 'origin', task.gitUrl], repo);
    await run(['config', 'core.sparseCheckout', 'true'], repo);
    // A custom init.templateDir may leave out .git/info.
    await mkdir(join(repo, '.git', 'info'), { recursive: true });
    await writeFile(join(repo, '.git', 'info', 'sparse-checkout'), sparsePattern(task.path));

    const ref = task.gitCommitId ?? 'HEAD';
    let checkout = 'FETCH_HEAD';
    try {
      await run(['fetch', '--quiet', '--depth', '1', '--filter=blob:none', 'origin', ref], repo);
    } catch (error) {
      // Servers only hand out full commit ids and ref names; an abbreviated id has to be
      // resolved against the fetched history.
      const gitExited =
        TaskFetchError.isInstance(error) && typeof (error.cause as { code?: unknown }).code === 'number';
      if (!gitExited || !/^[0-9a-f]{4,39}$/i.test(ref)) throw error;
      await run(['fetch', '--quiet', '--tags', '--filter=blob:none', 'origin'], repo);
      checkout = (
        await run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repo).catch((cause: unknown) => {
          throw failure(`commit ${ref} is not in the repository`, { cause });
        })
      ).trim();
    }
    await run(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', checkout], repo);

    const source = join(repo, ...task.path.split('/'));
    if (!(await isDirectory(source))) throw failure(`the folder ${task.path} does not exist at that commit`);
    const staged = join(work, 'task');
    await rename(source, staged);
    if (options.refresh && (await isDirectory(target))) await rename(target, join(work, 'previous'));
    try {
      await rename(staged, target);
    } catch (error) {
      // Another fetch of the same task finished first; its folder is as good as ours.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isDirectory(target))) {
        throw failure(`cannot move the task into the cache at ${target}`, { cause: error });
      }
    }
    log('task %s: fetched into %s in %d ms', task.name, target, Date.now() - started);
    return target;
  } catch (error) {
    if (TaskFetchError.isInstance(error)) throw error;
    throw failure(`a file operation in the cache folder ${cacheDir} failed`, { cause: error });
  } finally {
    deadline.clear();
    await rm(work, { recursive: true, force: true });
  }
}

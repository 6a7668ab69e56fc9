import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapboxError } from '@snapbox/core';
import { spawnHost } from './spawner.js';
import { randomId } from './store-layout.js';

/** What a finished helper process printed and how it ended. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host program to its end (no shell), collecting its output. */
export function runTool(
  argv: readonly string[],
  options: {
    cwd?: string;
    input?: string;
    /** Aborting interrupts the tool as Ctrl-C would (a `docker build` then cancels on the engine). */
    signal?: AbortSignal;
    /** Each line the tool prints (either stream), as it prints it. */
    onLine?: (line: string) => void;
  } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawnHost({
      argv,
      env: process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (target: Buffer[]) => {
      let pending = '';
      return (chunk: Buffer) => {
        target.push(chunk);
        if (options.onLine === undefined) return;
        const parts = (pending + chunk.toString('utf8')).split(/\r?\n/);
        pending = parts.pop() ?? '';
        for (const line of parts) if (line.trim() !== '') options.onLine(line);
      };
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    const interrupt = () => child.kill('SIGINT');
    options.signal?.addEventListener('abort', interrupt, { once: true });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', interrupt);
      resolve({
        code: code ?? 128 + (signal === null ? 0 : 9),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** {@link runTool}, throwing a `SnapboxError` with `code` and the tool's stderr when it fails. */
export async function mustRun(argv: readonly string[], what: string, options: { cwd?: string } = {}): Promise<string> {
  const result = await runTool(argv, options).catch((cause: unknown) => {
    throw new SnapboxError('HOST_TOOL_FAILED', { message: `Could not ${what}: ${String(cause)}`, cause });
  });
  if (result.code !== 0) {
    throw new SnapboxError('HOST_TOOL_FAILED', {
      message: `Could not ${what}: ${argv[0]} exited with ${result.code}: ${result.stderr.trim()}`,
    });
  }
  return result.stdout;
}

/**
 * File-tree operations on container filesystems. As root they run directly. As an ordinary user
 * they run inside a user namespace where that user is root: the trees hold folders without write
 * permission and files without read permission (as any root filesystem does), which only a
 * capability holder (CAP_DAC_OVERRIDE over files it owns) can copy or delete. With subordinate
 * ids, that namespace has the sandboxes' map (mapped-namespace.ts), so files of a container's
 * other users are covered too; without, `unshare --map-root-user` (the user's own files only,
 * the only ones its sandboxes can make).
 */
export class TreeTools {
  readonly #prefix: () => readonly string[];

  /** `prefix`: the argv prefix that runs a helper where it may work on container files (empty for root). */
  constructor(prefix: () => readonly string[]) {
    this.#prefix = prefix;
  }

  /** The argv prefix of helpers that read or write container files (for callers running their own). */
  prefix(): readonly string[] {
    return this.#prefix();
  }

  /**
   * Copies the contents of `source` into the existing folder `target`, keeping owners, modes,
   * times, extended attributes (overlayfs keeps opaque folders in `user.overlay.*`), links and
   * whiteouts; reflinks the data where the filesystem can (btrfs, xfs), else copies it.
   */
  async copyContents(source: string, target: string): Promise<void> {
    await mustRun(
      [...this.#prefix(), 'cp', '-a', '--reflink=auto', '--no-target-directory', `${source}/.`, target],
      `copy ${source} to ${target}`,
    );
  }

  /**
   * Renames a folder of a container's tree to another parent folder. That takes write permission
   * on the folder itself (its `..` changes), which this user lacks when the container made its
   * root read-only or gave it to another user: then the rename runs as root of the namespace
   * (`mv`, which renames within a filesystem).
   */
  renameSync(from: string, to: string): void {
    try {
      renameSync(from, to);
    } catch (error) {
      const prefix = this.#prefix();
      if (!isDenied(error) || prefix.length === 0) throw error;
      const result = spawnSync(prefix[0] as string, [...prefix.slice(1), 'mv', '-T', '--', from, to], {
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (result.status !== 0) {
        throw new SnapboxError('HOST_TOOL_FAILED', {
          message: `Could not move ${from} to ${to} (mv exited ${result.status ?? result.signal}): ${(result.stderr ?? '').trim()}`,
          cause: error,
        });
      }
    }
  }

  /** {@link TreeTools.renameSync} off the event loop. */
  async rename(from: string, to: string): Promise<void> {
    try {
      await rename(from, to);
    } catch (error) {
      const prefix = this.#prefix();
      if (!isDenied(error) || prefix.length === 0) throw error;
      await mustRun([...prefix, 'mv', '-T', '--', from, to], `move ${from} to ${to}`);
    }
  }

  /** Removes a tree; moving it to `trashDir` first makes the removal atomic for every reader. */
  async remove(path: string, trashDir: string): Promise<void> {
    const doomed = await this.#moveToTrashAsync(path, trashDir);
    if (doomed === undefined) return;
    const prefix = this.#prefix();
    if (prefix.length === 0) {
      await rm(doomed, { recursive: true, force: true });
    } else {
      await mustRun([...prefix, 'rm', '-rf', '--', doomed], `remove ${doomed}`);
    }
  }

  /** {@link TreeTools.remove}, blocking (for `*Sync` methods and exit handlers). */
  removeSync(path: string, trashDir: string): void {
    const doomed = this.#moveToTrash(path, trashDir);
    if (doomed === undefined) return;
    const prefix = this.#prefix();
    if (prefix.length === 0) {
      rmSync(doomed, { recursive: true, force: true });
    } else {
      const result = spawnSync(prefix[0] as string, [...prefix.slice(1), 'rm', '-rf', '--', doomed], {
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (result.status !== 0) {
        throw new SnapboxError('HOST_TOOL_FAILED', {
          message: `Could not remove ${doomed} (rm exited ${result.status ?? result.signal}): ${(result.stderr ?? '').trim()}`,
        });
      }
    }
  }

  /** {@link TreeTools.#moveToTrash} off the event loop. */
  async #moveToTrashAsync(path: string, trashDir: string): Promise<string | undefined> {
    const doomed = join(trashDir, `${randomId()}-${path.split('/').pop() ?? 'x'}`);
    try {
      await this.rename(path, doomed);
      return doomed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Renames `path` into `trashDir` under a fresh name; undefined when `path` does not exist. */
  #moveToTrash(path: string, trashDir: string): string | undefined {
    const doomed = join(trashDir, `${randomId()}-${path.split('/').pop() ?? 'x'}`);
    try {
      this.renameSync(path, doomed);
      return doomed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

function isDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type FileTransfer, InvalidArgumentError, RemotePathNotFoundError, SnapboxError } from '@snapbox/core';
import { agentFor, type ExecTarget, nsenterArgv } from './exec-runner.js';
import { spawnDirect, trace } from './spawner.js';
import { randomId } from './store-layout.js';

/**
 * Files move through a process inside the sandbox (`cat`), never through the container's root
 * seen from the host: a path resolved from the host would follow the container's absolute
 * symbolic links into the host's own filesystem. Inside, every path means what it means to the
 * container's own commands.
 */

// Finds the topmost missing folder of "$1" (into $top, empty when none is missing), then creates
// them all. With an owner in "$2", what was created is given to it; folders that were already
// there (`/tmp`) keep theirs.
const makeDirs =
  'top=; p="$1"; while [ ! -e "$p" ]; do top="$p"; p="$(dirname -- "$p")"; done; ' +
  'if [ -n "$top" ]; then mkdir -p -- "$1" || exit 1; if [ -n "$2" ]; then chown -R -- "$2" "$top" || exit 1; fi; fi';
// Creates the missing parents, writes stdin to the file, gives it to the owner ("$3", if any),
// then sets the mode (after chown, which clears set-id bits).
const uploadScript = `f="$1"; m="$2"; o="$3"; set -- "$(dirname -- "$f")" "$o"; ${makeDirs}; cat > "$f" || exit 1; if [ -n "$o" ]; then chown -- "$o" "$f" || exit 1; fi; chmod "$m" "$f"`;
// 44: missing, 45: a folder; else the mode on stderr's first line and the bytes on stdout.
const downloadScript =
  '[ -e "$1" ] || exit 44; [ -d "$1" ] && exit 45; stat -L -c %a "$1" >&2 || exit 1; exec cat < "$1"';

/** How transfers reach a container: as whom they run, and who gets what they create. */
export interface TransferHelper {
  target: ExecTarget;
  env: Record<string, string>;
  container: string | undefined;
  /** `[uid, gid]` that created files and folders are given to; undefined: they stay root's. */
  owner: readonly [number, number] | undefined;
}

type Helper = TransferHelper;

/** How long after a transfer's process exits the ends of its pipes may take to arrive. */
const pipeEndGraceMs = 5_000;

const ownerArg = (helper: Helper) => (helper.owner === undefined ? '' : `${helper.owner[0]}:${helper.owner[1]}`);

/** Creates `dir` and its missing parents, giving what it creates to the helper's owner. */
export function makeDirectory(helper: Helper, dir: string): Promise<{ code: number; stderr: string }> {
  return run(helper, ['/bin/sh', '-c', makeDirs, 'snapbox-mkdir', dir, ownerArg(helper)], undefined, undefined);
}

function run(
  helper: Helper,
  argv: readonly string[],
  stdin: NodeJS.ReadableStream | undefined,
  stdout: NodeJS.WritableStream | undefined,
): Promise<{ code: number; stderr: string }> {
  // From the agent, like every command: these run the container's own sh and cat, which its
  // code may have replaced, so they are confined like it. The relay holds back a fast writer or
  // a slow reader (its `A`, `P` and `U` frames): a large file never sits in memory.
  const stdio = [stdin === undefined ? 'ignore' : 'pipe', stdout === undefined ? 'ignore' : 'pipe', 'pipe'] as const;
  const agent = agentFor(helper.target, `a file transfer (${argv.slice(3, 5).join(' ')})`);
  const child =
    agent !== undefined
      ? agent.spawn({ argv, env: helper.env, stdio, cwd: '/', user: helper.target.user })
      : spawnDirect({
          argv: nsenterArgv(helper.target, '/', argv),
          env: helper.env,
          stdio,
          cgroupProcs: helper.target.cgroupProcs,
        });
  const errors: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
  const streams: Promise<unknown>[] = [];
  if (stdin !== undefined && child.stdin !== null) streams.push(pipeline(stdin, child.stdin).catch(() => undefined));
  if (stdout !== undefined && child.stdout !== null) streams.push(pipeline(child.stdout, stdout));
  const exited = new Promise<number>((resolveExit, reject) => {
    let grace: NodeJS.Timeout | undefined;
    const done = (code: number) => {
      clearTimeout(grace);
      resolveExit(code);
    };
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      // The ends of its pipes follow its exit at once (nothing else holds them). One that does not
      // arrive within the grace must not hang the transfer: the pipes are dropped (a download
      // then fails; an upload's stderr is only its message).
      grace = setTimeout(() => {
        trace(`file transfer: pipe ends missing ${pipeEndGraceMs} ms after exit (${argv.slice(3, 5).join(' ')})`);
        child.stdout?.destroy();
        child.stderr?.destroy();
        done(code ?? (signal === null ? 1 : 137));
      }, pipeEndGraceMs);
    });
    child.once('close', (code, signal) => done(code ?? (signal === null ? 1 : 137)));
  });
  return Promise.all([exited, ...streams]).then(([code]) => ({
    code: code as number,
    stderr: Buffer.concat(errors).toString('utf8'),
  }));
}

/** Copies local files into the sandbox, creating parents and keeping the mode. */
export async function uploadFiles(helper: Helper, files: readonly FileTransfer[]): Promise<void> {
  for (const [index, file] of files.entries()) {
    const info = await stat(file.localPath).catch(() => undefined);
    if (!info?.isFile()) {
      throw new InvalidArgumentError({
        argument: `files[${index}].localPath`,
        message: `${resolve(file.localPath)} is not an existing file`,
      });
    }
    const mode = (info.mode & 0o7777).toString(8);
    const result = await run(
      helper,
      ['/bin/sh', '-c', uploadScript, 'snapbox-upload', file.remotePath, mode, ownerArg(helper)],
      createReadStream(file.localPath),
      undefined,
    );
    if (result.code !== 0) {
      throw new SnapboxError('UPLOAD_FAILED', {
        message: `Could not write ${file.remotePath} in ${helper.container ?? 'the container'}: ${result.stderr.trim() || `exit ${result.code}`}`,
      });
    }
  }
}

/** Copies files out of the sandbox, following a remote link to its file, keeping the mode. */
export async function downloadFiles(helper: Helper, files: readonly FileTransfer[]): Promise<void> {
  for (const file of files) {
    const localPath = resolve(file.localPath);
    await mkdir(dirname(localPath), { recursive: true });
    const partial = `${localPath}.snapbox-${randomId()}.partial`;
    try {
      const result = await run(
        helper,
        ['/bin/sh', '-c', downloadScript, 'snapbox-download', file.remotePath],
        undefined,
        createWriteStream(partial),
      );
      if (result.code === 44)
        throw new RemotePathNotFoundError({ remotePath: file.remotePath, container: helper.container });
      if (result.code === 45) {
        throw new InvalidArgumentError({
          argument: 'remotePath',
          message: `${file.remotePath} is a folder; use downloadDir for folders`,
        });
      }
      const mode = Number.parseInt(result.stderr.trim().split('\n')[0] ?? '', 8);
      if (result.code !== 0 || !Number.isInteger(mode)) {
        throw new SnapboxError('DOWNLOAD_FAILED', {
          message: `Could not read ${file.remotePath} in ${helper.container ?? 'the container'}: ${result.stderr.trim() || `exit ${result.code}`}`,
        });
      }
      await chmod(partial, mode & 0o7777);
      await rename(partial, localPath);
    } finally {
      await rm(partial, { force: true });
    }
  }
}

import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, stat, symlink } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type FileTransfer,
  InvalidArgumentError,
  listLocalTree,
  RemotePathNotFoundError,
  resolveInsideLocalRoot,
} from '@snapbox/core';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { statusOf, wrapEngineError } from './docker-connection.js';

/**
 * File transfer through the engine's archive endpoints. Archives are streamed in both
 * directions with back-pressure, never held whole in memory, so a 1 GiB file moves with a
 * bounded footprint, and nothing assumes the engine shares this machine's filesystem.
 */

interface PackEntry {
  /** Absolute path inside the container. */
  remotePath: string;
  /** Local file to stream, or undefined for a folder entry. */
  localPath?: string;
  mode: number;
  size: number;
  mtime: Date;
  /** Give the entry to the container's user (false for a folder that may already exist, like `/tmp`). */
  owned?: boolean;
}

/** The numeric user and group that uploaded files belong to (the container's `user`). */
export interface FileOwner {
  uid: number;
  gid: number;
}

async function putEntries(
  docker: Docker,
  containerId: string,
  entries: readonly PackEntry[],
  owner: FileOwner | undefined,
): Promise<void> {
  if (entries.length === 0) return;
  const pack = tar.pack();
  const ownerOf = (entry: PackEntry) =>
    owner === undefined || entry.owned === false ? {} : { uid: owner.uid, gid: owner.gid };
  const feed = (async () => {
    for (const entry of entries) {
      const name = entry.remotePath.replace(/^\/+/, '');
      if (entry.localPath === undefined) {
        pack.entry({ name, type: 'directory', mode: entry.mode, mtime: entry.mtime, ...ownerOf(entry) });
        continue;
      }
      const sink = pack.entry({
        name,
        type: 'file',
        size: entry.size,
        mode: entry.mode,
        mtime: entry.mtime,
        ...ownerOf(entry),
      });
      await pipeline(createReadStream(entry.localPath), sink);
    }
    pack.finalize();
  })();
  feed.catch((error: unknown) => pack.destroy(error as Error));
  try {
    // The archive is extracted at "/" so parents of every entry are created by the engine.
    await Promise.all([docker.getContainer(containerId).putArchive(pack as unknown as Readable, { path: '/' }), feed]);
  } catch (error) {
    throw wrapEngineError(error, docker, 'upload files');
  }
}

export async function uploadFiles(
  docker: Docker,
  containerId: string,
  files: readonly FileTransfer[],
  owner?: FileOwner,
): Promise<void> {
  const entries: PackEntry[] = [];
  for (const [index, file] of files.entries()) {
    const info = await stat(file.localPath).catch(() => undefined);
    if (!info?.isFile()) {
      throw new InvalidArgumentError({
        argument: `files[${index}].localPath`,
        message: `${resolve(file.localPath)} is not an existing file`,
      });
    }
    entries.push({
      remotePath: file.remotePath,
      localPath: file.localPath,
      mode: info.mode & 0o7777,
      size: info.size,
      mtime: info.mtime,
    });
  }
  await putEntries(docker, containerId, entries, owner);
}

/** Creates one folder (parents as the engine makes them: root's, mode 0755), owned by `owner` when given. */
export async function makeDirectory(
  docker: Docker,
  containerId: string,
  remoteDir: string,
  owner: FileOwner | undefined,
): Promise<void> {
  await putEntries(docker, containerId, [{ remotePath: remoteDir, mode: 0o755, size: 0, mtime: new Date() }], owner);
}

export async function uploadDirectory(
  docker: Docker,
  containerId: string,
  localDir: string,
  remoteDir: string,
  owner?: FileOwner,
): Promise<void> {
  const tree = await listLocalTree(localDir);
  const root = resolve(localDir);
  const rootInfo = await stat(root);
  const entries: PackEntry[] = [
    { remotePath: remoteDir, mode: rootInfo.mode & 0o7777, size: 0, mtime: rootInfo.mtime, owned: false },
  ];
  for (const dir of tree.directories) {
    const info = await stat(join(root, dir));
    entries.push({ remotePath: posix.join(remoteDir, dir), mode: info.mode & 0o7777, size: 0, mtime: info.mtime });
  }
  for (const file of tree.files) {
    const localPath = join(root, file);
    const info = await stat(localPath);
    entries.push({
      remotePath: posix.join(remoteDir, file),
      localPath,
      mode: info.mode & 0o7777,
      size: info.size,
      mtime: info.mtime,
    });
  }
  await putEntries(docker, containerId, entries, owner);
}

async function getArchive(
  docker: Docker,
  containerId: string,
  remotePath: string,
  containerName: string | undefined,
): Promise<Readable> {
  try {
    return (await docker.getContainer(containerId).getArchive({ path: remotePath })) as unknown as Readable;
  } catch (error) {
    if (statusOf(error) === 404)
      throw new RemotePathNotFoundError({ remotePath, container: containerName, cause: error });
    throw wrapEngineError(error, docker, `download ${remotePath}`);
  }
}

/** Reads a tar stream entry by entry; `onEntry` must consume (or drain) the entry stream. */
async function eachEntry(
  archive: Readable,
  onEntry: (header: tar.Header, body: Readable) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    onEntry(header, body as unknown as Readable).then(
      () => {
        body.resume();
        next();
      },
      (error: unknown) => {
        body.resume();
        extract.destroy(error as Error);
      },
    );
  });
  await pipeline(archive, extract);
}

export async function downloadFile(
  docker: Docker,
  containerId: string,
  remotePath: string,
  localPath: string,
  containerName: string | undefined,
): Promise<void> {
  let current = remotePath;
  // A link is archived as a link: follow it (a few hops at most) to download what it points to.
  for (let hop = 0; hop < 8; hop++) {
    let linkTarget: string | undefined;
    const archive = await getArchive(docker, containerId, current, containerName);
    let sawFile = false;
    await eachEntry(archive, async (header, body) => {
      if (sawFile || linkTarget !== undefined) return;
      if (header.type === 'symlink' && header.linkname) {
        linkTarget = posix.resolve(posix.dirname(current), header.linkname);
        return;
      }
      if (header.type === 'directory') {
        throw new InvalidArgumentError({
          argument: 'remotePath',
          message: `${remotePath} is a folder; use downloadDir to copy a folder`,
        });
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') return;
      sawFile = true;
      await mkdir(dirname(resolve(localPath)), { recursive: true });
      const existing = await lstat(localPath).catch(() => undefined);
      if (existing?.isDirectory()) {
        throw new InvalidArgumentError({ argument: 'localPath', message: `${resolve(localPath)} is a folder` });
      }
      await pipeline(body, createWriteStream(localPath, { mode: (header.mode ?? 0o644) & 0o777 }));
    });
    if (sawFile) return;
    if (linkTarget === undefined) throw new RemotePathNotFoundError({ remotePath, container: containerName });
    current = linkTarget;
  }
  throw new InvalidArgumentError({
    argument: 'remotePath',
    message: `${remotePath}: too many levels of symbolic links`,
  });
}

export async function downloadDirectory(
  docker: Docker,
  containerId: string,
  remoteDir: string,
  localDir: string,
  containerName: string | undefined,
): Promise<void> {
  const archive = await getArchive(docker, containerId, remoteDir, containerName);
  const written = new Map<string, string>();
  let first = true;
  await eachEntry(archive, async (header, body) => {
    // The archive's first component is the folder's own name: strip it.
    const slash = header.name.indexOf('/');
    const relative = slash === -1 ? '' : header.name.slice(slash + 1).replace(/\/+$/, '');
    if (first) {
      first = false;
      if (header.type !== 'directory') {
        throw new InvalidArgumentError({
          argument: 'remoteDir',
          message: `${remoteDir} is not a folder; use downloadFile`,
        });
      }
      await resolveInsideLocalRoot(localDir, '', 'localDir', 'directory');
    }
    if (relative === '') return;
    switch (header.type) {
      case 'directory':
        await resolveInsideLocalRoot(localDir, relative, `remote folder ${relative}`, 'directory');
        return;
      case 'file':
      case 'contiguous-file': {
        const target = await resolveInsideLocalRoot(localDir, relative, `remote file ${relative}`);
        await pipeline(body, createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 }));
        written.set(header.name, target);
        return;
      }
      case 'symlink': {
        // Kept as a link (it is data); resolveInsideLocalRoot never writes through one later.
        const target = await resolveInsideLocalRoot(localDir, relative, `remote link ${relative}`);
        await symlink(header.linkname ?? '', target);
        return;
      }
      case 'link': {
        const source = written.get(header.linkname ?? '');
        if (source === undefined) return;
        await copyFile(source, await resolveInsideLocalRoot(localDir, relative, `remote file ${relative}`));
        return;
      }
      default:
        // Devices, fifos and sockets have no meaning on this machine.
        return;
    }
  });
}

import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type FileTransfer, InvalidArgumentError } from '@snapbox/core';
import type { DaytonaSandbox } from './client-types.js';
import { mapConcurrent } from './concurrency.js';
import type { DaytonaConnection } from './connection.js';
import { toSnapboxError } from './error-mapping.js';

/** How many per-file calls (modes, details, folders) run at once. */
const fileCallConcurrency = 8;

/**
 * Uploads files with the SDK's batch upload, then sets the modes the service does not keep
 * (it writes every file 0644).
 */
export async function uploadToSandbox(
  connection: DaytonaConnection,
  sandbox: DaytonaSandbox,
  containerName: string | undefined,
  files: readonly FileTransfer[],
): Promise<void> {
  if (files.length === 0) return;
  const entries = await Promise.all(
    files.map(async (file, index) => {
      const localPath = resolve(file.localPath);
      const info = await stat(localPath).catch(() => undefined);
      if (!info?.isFile()) {
        throw new InvalidArgumentError({
          argument: `files[${index}].localPath`,
          message: `${localPath} is not an existing file`,
        });
      }
      return { localPath, remotePath: file.remotePath, mode: info.mode & 0o7777 };
    }),
  );
  const context = { operation: 'upload files', container: containerName };
  // The service creates parent folders and writes every file with mode 0644.
  await connection.call(context, true, () =>
    sandbox.fs.uploadFiles(entries.map((entry) => ({ source: entry.localPath, destination: entry.remotePath }))),
  );
  await mapConcurrent(
    entries.filter((entry) => entry.mode !== 0o644),
    fileCallConcurrency,
    (entry) =>
      connection.call({ ...context, remotePath: entry.remotePath }, true, () =>
        sandbox.fs.setFilePermissions(entry.remotePath, { mode: entry.mode.toString(8) }),
      ),
  );
}

/**
 * Downloads files with the SDK's batch download, after asking for each file's details: they
 * say what is missing (before anything is written locally), what is a folder, and each mode.
 */
export async function downloadFromSandbox(
  connection: DaytonaConnection,
  sandbox: DaytonaSandbox,
  containerName: string | undefined,
  files: readonly FileTransfer[],
): Promise<void> {
  if (files.length === 0) return;
  const context = { operation: 'download files', container: containerName };
  // File details first: they say what is missing (before anything is written locally), what
  // is a folder, and each file's mode.
  const details = await mapConcurrent(files, fileCallConcurrency, async (file, index) => {
    const info = await connection.call({ ...context, remotePath: file.remotePath }, true, () =>
      sandbox.fs.getFileDetails(file.remotePath),
    );
    if (info.isDir) {
      throw new InvalidArgumentError({
        argument: `files[${index}].remotePath`,
        message: `${file.remotePath} is a folder; use downloadDir`,
      });
    }
    return info;
  });
  const targets = files.map((file) => ({ source: file.remotePath, destination: resolve(file.localPath) }));
  const answers = await connection.call(context, true, () => sandbox.fs.downloadFiles(targets));
  for (const [index, target] of targets.entries()) {
    const answer = answers.find((candidate) => candidate.source === target.source) ?? answers[index];
    const info = details[index];
    if (answer?.error !== undefined) {
      // Some SDK versions report an empty file as "no data received" instead of writing it.
      if (info?.size === 0 && /no data/i.test(answer.error)) {
        await mkdir(dirname(target.destination), { recursive: true });
        await writeFile(target.destination, '');
      } else {
        const statusCode = answer.errorDetails?.statusCode ?? (/not found/i.test(answer.error) ? 404 : undefined);
        throw toSnapboxError(
          { name: 'DaytonaError', message: answer.error, statusCode },
          { ...context, remotePath: target.source, endpoint: connection.endpoint },
        );
      }
    }
    const mode = Number.parseInt(info?.permissions ?? '', 8);
    if (Number.isInteger(mode)) await chmod(target.destination, mode & 0o7777);
  }
}

/** Creates folders (and their parents) in the sandbox, a few at a time. */
export async function makeSandboxFolders(
  connection: DaytonaConnection,
  sandbox: DaytonaSandbox,
  containerName: string | undefined,
  remoteDirs: readonly string[],
): Promise<void> {
  await mapConcurrent(remoteDirs, fileCallConcurrency, (dir) =>
    connection.call({ operation: `create folder ${dir}`, container: containerName }, true, () =>
      sandbox.fs.createFolder(dir, '755'),
    ),
  );
}

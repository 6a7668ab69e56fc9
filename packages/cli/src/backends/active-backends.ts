import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapboxError } from '@snapbox/core';
import type { CliIo } from '../cli-io.js';
import { type LoadedBackend, loadBackends, originName } from './load-backends.js';

/** The backends a command works on, and what it already reported about the others. */
export interface ActiveBackends {
  /** The configured backends, in the order they were found. */
  readonly active: readonly LoadedBackend[];
  /** Backends found but not configured (no credentials, say), skipped without an error. */
  readonly skipped: readonly LoadedBackend[];
  /** How many problems were printed on stderr (failed loads, a named backend not configured). */
  readonly problems: number;
}

/**
 * Loads the backends (see `loadBackends`), prints on stderr, as `<command>: ...`, each one that
 * failed to load, and splits the rest into configured and skipped. A backend named with
 * `--backend` that is not configured is a problem, not a skip.
 * @throws SnapboxError `NO_BACKEND` when no backend was found at all.
 */
export async function activeBackends(
  command: string,
  only: readonly string[] | undefined,
  io: CliIo,
): Promise<ActiveBackends> {
  const { loaded, failed } = await loadBackends({ only });
  let problems = 0;
  for (const { origin, error } of failed) {
    io.stderr.write(`${command}: backend ${originName(origin)}: ${error.message}\n`);
    problems++;
  }
  if (loaded.length === 0 && failed.length === 0) {
    throw new SnapboxError('NO_BACKEND', {
      message: `no snapbox backend was found. Install one beside your program (npm install @snapbox/docker) or beside this command, or name one with --backend or SNAPBOX_BACKENDS. Looked in the node_modules folders from ${process.cwd()} and from ${dirname(fileURLToPath(import.meta.url))} upward.`,
    });
  }
  const active: LoadedBackend[] = [];
  const skipped: LoadedBackend[] = [];
  const named = only !== undefined && only.length > 0;
  for (const backend of loaded) {
    const target = backend.admin.describeTarget();
    if (target.configured !== false) active.push(backend);
    else if (!named) skipped.push(backend);
    else {
      io.stderr.write(
        `${command}: backend ${backend.admin.backend} is not configured${target.hint === undefined ? '' : `: ${target.hint}`}\n`,
      );
      problems++;
    }
  }
  return { active, skipped, problems };
}

/** `docker (unix:///var/run/docker.sock), daytona (not configured: set DAYTONA_API_KEY)`: which backends a command used. */
export function backendsLine(backends: ActiveBackends): string {
  const describe = ({ admin }: LoadedBackend) => {
    const target = admin.describeTarget();
    return target.configured === false
      ? `${admin.backend} (not configured${target.hint === undefined ? '' : `: ${target.hint}`})`
      : `${admin.backend} (${target.description})`;
  };
  return [...backends.active, ...backends.skipped].map(describe).join(', ');
}

import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { currentSession } from '@snapbox/core';

/**
 * Where the backend keeps its state on disk. Everything lives under one root folder, on one
 * filesystem, so that publishing a layer or a record is an atomic `rename`:
 *
 * ```text
 * <root>/images/<key>/rootfs        an image, flattened from its engine layers (a read-only cache)
 * <root>/images/<key>/config.json   its env, working dir and user
 * <root>/layers/<id>/               a snapshot layer: what a container changed since its base
 * <root>/refs/<id>/<holder>         who needs layer <id>: s-<snapshot> or c-<container>
 * <root>/snapshots/<id>.json        a snapshot: its layers (top first), image and owner
 * <root>/pending/<id>.json          a snapshot being written (rolled back if its owner died)
 * <root>/containers/<id>/           a container: record.json, upper/, work/, merged/
 * <root>/tmp/, <root>/trash/        work in progress, and what is being deleted
 * ```
 *
 * Paths handed to the overlay mount are relative to the root (the mount runs with the root as
 * its working folder), which keeps the mount options short enough for deep layer stacks.
 */
export interface StoreLayout {
  readonly root: string;
  readonly images: string;
  readonly layers: string;
  readonly refs: string;
  readonly snapshots: string;
  readonly pending: string;
  readonly containers: string;
  readonly tmp: string;
  readonly trash: string;
}

export function storeLayout(root: string): StoreLayout {
  return {
    root,
    images: join(root, 'images'),
    layers: join(root, 'layers'),
    refs: join(root, 'refs'),
    snapshots: join(root, 'snapshots'),
    pending: join(root, 'pending'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
    trash: join(root, 'trash'),
  };
}

/** The environment variable that names the default state folder (for the factory and the admin alike). */
export const stateDirVariable = 'SNAPBOX_BUBBLEWRAP_STATE_DIR';

/**
 * The default state folder: `SNAPBOX_BUBBLEWRAP_STATE_DIR` when set, else
 * /var/lib/snapbox-bubblewrap for root, else under XDG_DATA_HOME. Read at each call, so that the
 * `snapbox` command line, which calls `createAdmin()` without options, looks where the program did.
 */
export function defaultStateRoot(): string {
  const named = process.env[stateDirVariable];
  if (named !== undefined && named !== '') return named;
  if (process.getuid?.() === 0) return '/var/lib/snapbox-bubblewrap';
  const data = process.env.XDG_DATA_HOME;
  return join(data !== undefined && data !== '' ? data : join(homedir(), '.local', 'share'), 'snapbox-bubblewrap');
}

/** A random lowercase hex id of `bytes` bytes (12 hex characters by default). */
export function randomId(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** The first 8 characters of this process's session id: names of its temporary folders start with it. */
export function sessionPrefix(session: string = currentSession().id): string {
  return session.slice(0, 8);
}

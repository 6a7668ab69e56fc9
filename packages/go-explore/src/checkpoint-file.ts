import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ArchiveCell } from './archive.js';
import { CheckpointRefusedError, CheckpointVersionError } from './checkpoint-errors.js';
import type { FailureCounts } from './failures.js';
import type { RandomState, Seed } from './random.js';
import type { BestScorePoint, GoExploreTiming } from './result.js';
import type { GoExploreTask } from './task.js';

/** The `format` field of every checkpoint file. */
export const checkpointFormat = 'snapbox.go-explore.checkpoint';

/** The version of the checkpoint format this package reads and writes. */
export const checkpointVersion = 1;

/** Labels every container (and, on backends that carry them, every snapshot) of a checkpointed run. */
export const runLabels = {
  /** The run's id, kept across resumes. */
  run: 'snapbox.go-explore.run',
  /** The checkpoint file's absolute path. */
  checkpoint: 'snapbox.go-explore.checkpoint',
} as const;

/** What a checkpoint file holds (JSON). Internal to this package; only its version is a promise. */
export interface CheckpointData {
  format: typeof checkpointFormat;
  version: typeof checkpointVersion;
  /** Random id of the run, the same across resumes. */
  runId: string;
  writtenAt: string;
  /** {@link taskFingerprint} of the task. */
  task: string;
  /** The backend's name (`container.backend`). */
  backend: string;
  /** Where the first container came from: `image` or `dockerfilePath`, nothing for a root container. */
  source: { image?: string; dockerfilePath?: string };
  seed: Seed;
  /** The master generator (which forks workers' streams) and each worker's stream. */
  rng: { master: RandomState; workers: RandomState[] };
  counters: {
    iterations: number;
    steps: number;
    returns: number;
    staleReturns: number;
    snapshotsTaken: number;
    snapshotsDeleted: number;
  };
  failures: FailureCounts;
  /** Wall time of the run so far, over all its processes; `maxTimeMs` counts it. */
  elapsedMs: number;
  timing: Omit<GoExploreTiming, 'totalMs'>;
  bestHistory: BestScorePoint[];
  archive: { cells: ArchiveCell<unknown, unknown>[]; best: number };
  /**
   * Snapshots an earlier checkpoint referenced and this one does not (cells improved since). The
   * writer deletes them once this file is in place; a resume deletes whatever is left of them.
   */
  obsoleteSnapshots: string[];
}

/**
 * What identifies a task in a checkpoint: its `id`, else a hash of the source text of its
 * methods.
 */
export function taskFingerprint(task: GoExploreTask<unknown, unknown>): string {
  if (task.id !== undefined) return `id:${task.id}`;
  const methods = ['reset', 'step', 'cellOf', 'sampleAction', 'saveState', 'restoreState'] as const;
  const source = methods.map((name) => `${name}=${String(task[name] ?? '')}`).join('\n');
  return `source:${createHash('sha256').update(source).digest('hex').slice(0, 16)}`;
}

/** A new run id: 12 hex characters. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** The file beside a checkpoint that lists snapshots taken since it was written. */
export function journalPath(path: string): string {
  return `${path}.snapshots`;
}

/**
 * Writes `text` to `path` atomically: a temporary file in the same folder, flushed to disk, then
 * renamed over `path`. A process killed at any point leaves either the old file or the new one.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // The rename itself survives a machine crash only once the folder is flushed; not every
  // platform lets a folder be opened for that, and a process kill does not need it.
  try {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.datasync();
    } finally {
      await folder.close();
    }
  } catch {
    // best effort
  }
}

/**
 * Reads and checks a checkpoint file.
 * @throws CheckpointRefusedError (`CHECKPOINT_UNREADABLE`) for a file that is missing, not JSON, or
 *   not a checkpoint; CheckpointVersionError for another version of the format.
 */
export async function readCheckpoint(path: string): Promise<CheckpointData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckpointRefusedError('CHECKPOINT_UNREADABLE', {
      path,
      message: `The checkpoint ${path} cannot be read: ${(error as Error).message}`,
      cause: error,
    });
  }
  let data: Partial<CheckpointData> | null;
  try {
    data = JSON.parse(text) as Partial<CheckpointData> | null;
  } catch (error) {
    throw new CheckpointRefusedError('CHECKPOINT_UNREADABLE', {
      path,
      message: `The checkpoint ${path} is not JSON (${(error as Error).message}); checkpoints are written atomically, so it was not written by goExplore.`,
      cause: error,
    });
  }
  if (typeof data !== 'object' || data === null || data.format !== checkpointFormat) {
    throw new CheckpointRefusedError('CHECKPOINT_UNREADABLE', {
      path,
      message: `The file ${path} is not a Go-Explore checkpoint (no "format": "${checkpointFormat}").`,
    });
  }
  if (data.version !== checkpointVersion) {
    throw new CheckpointVersionError({ path, found: data.version, supported: checkpointVersion });
  }
  const complete =
    typeof data.runId === 'string' &&
    typeof data.task === 'string' &&
    typeof data.backend === 'string' &&
    typeof data.source === 'object' &&
    data.rng !== undefined &&
    Array.isArray(data.rng.workers) &&
    typeof data.counters === 'object' &&
    typeof data.failures === 'object' &&
    typeof data.elapsedMs === 'number' &&
    typeof data.timing === 'object' &&
    Array.isArray(data.bestHistory) &&
    typeof data.archive === 'object' &&
    Array.isArray(data.archive?.cells) &&
    data.archive.cells.length > 0 &&
    Number.isInteger(data.archive.best) &&
    Array.isArray(data.obsoleteSnapshots);
  if (!complete) {
    throw new CheckpointRefusedError('CHECKPOINT_UNREADABLE', {
      path,
      message: `The checkpoint ${path} is incomplete: a field of format version ${checkpointVersion} is missing or malformed.`,
    });
  }
  return data as CheckpointData;
}

/** Snapshot ids listed in a journal (one per line); none when there is no journal. */
export async function readJournal(path: string): Promise<string[]> {
  try {
    const text = await readFile(journalPath(path), 'utf8');
    return text.split('\n').filter((line) => line.length > 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The files of one checkpoint: the checkpoint itself, written atomically, and its journal, the
 * snapshots taken since that the checkpoint does not name (so that a resume can delete what a
 * killed process left). Every write goes through one queue, so the journal never interleaves.
 */
export class CheckpointFiles {
  readonly path: string;
  readonly journal: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.journal = journalPath(path);
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(operation);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Records a snapshot just taken; it is in the journal before the caller uses it. */
  recordSnapshot(snapshotId: string): Promise<void> {
    return this.#enqueue(async () => {
      const handle = await open(this.journal, 'a');
      try {
        await handle.writeFile(`${snapshotId}\n`);
      } finally {
        await handle.close();
      }
    });
  }

  /** Writes the checkpoint, then the journal as `pending()` says it is once the checkpoint is in place. */
  write(text: string, pending: () => readonly string[]): Promise<void> {
    return this.#enqueue(async () => {
      await writeFileAtomic(this.path, text);
      await this.#writeJournal(pending());
    });
  }

  /** Replaces the journal with `snapshotIds`, or removes it when there are none. */
  rewriteJournal(snapshotIds: readonly string[]): Promise<void> {
    return this.#enqueue(() => this.#writeJournal(snapshotIds));
  }

  async #writeJournal(snapshotIds: readonly string[]): Promise<void> {
    if (snapshotIds.length === 0) await rm(this.journal, { force: true });
    else await writeFileAtomic(this.journal, snapshotIds.map((id) => `${id}\n`).join(''));
  }

  /** Removes the checkpoint and its journal. */
  remove(): Promise<void> {
    return this.#enqueue(async () => {
      await rm(this.path, { force: true });
      await rm(this.journal, { force: true });
    });
  }

  /** Resolves once every write asked for so far is done (whether it succeeded or not). */
  settled(): Promise<unknown> {
    return this.#queue;
  }
}

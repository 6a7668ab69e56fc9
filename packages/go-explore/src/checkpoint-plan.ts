import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@snapbox/core';
import { CheckpointMismatchError } from './checkpoint-errors.js';
import {
  type CheckpointData,
  CheckpointFiles,
  newRunId,
  readCheckpoint,
  runLabels,
  taskFingerprint,
} from './checkpoint-file.js';
import type { GoExploreOptions } from './options.js';

/** How a run checkpoints, resolved from `checkpoint` and `resumeFrom`. */
export interface CheckpointPlan {
  readonly files: CheckpointFiles;
  /** The checkpoint's absolute path. */
  readonly path: string;
  readonly everyIterations: number;
  /** The run's id: new, or the resumed run's. */
  readonly runId: string;
  readonly fingerprint: string;
  /** The checkpoint to continue, when resuming. */
  readonly resume: CheckpointData | undefined;
  /** Labels for every container of the run. */
  readonly labels: Record<string, string>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads the checkpoint to resume (refusing another version, task, image or seed) or checks that
 * a new run will not overwrite one; no container is touched.
 */
export async function planCheckpoint(options: GoExploreOptions<unknown, unknown>): Promise<CheckpointPlan | undefined> {
  const { checkpoint, resumeFrom } = options;
  if (checkpoint === undefined && resumeFrom === undefined) return undefined;
  const path = resolve(resumeFrom ?? (checkpoint?.path as string));
  if (resumeFrom !== undefined && checkpoint !== undefined && resolve(checkpoint.path) !== path) {
    throw new InvalidArgumentError({
      argument: 'checkpoint.path',
      message: `a resumed run goes on checkpointing to the file it resumes from (${path}); give that path, or leave checkpoint out`,
    });
  }
  const fingerprint = taskFingerprint(options.task);
  let resume: CheckpointData | undefined;
  if (resumeFrom !== undefined) {
    resume = await readCheckpoint(path);
    if (resume.task !== fingerprint) {
      throw new CheckpointMismatchError({
        path,
        field: 'task',
        recorded: resume.task,
        given: fingerprint,
        hint: 'Tasks are told apart by their id, or without one by the source of their methods.',
      });
    }
    if (
      options.root === undefined &&
      (resume.source.image !== undefined || resume.source.dockerfilePath !== undefined)
    ) {
      for (const field of ['image', 'dockerfilePath'] as const) {
        if (resume.source[field] !== options[field]) {
          throw new CheckpointMismatchError({ path, field, recorded: resume.source[field], given: options[field] });
        }
      }
    }
    if (options.seed !== undefined && options.seed !== resume.seed) {
      throw new CheckpointMismatchError({
        path,
        field: 'seed',
        recorded: resume.seed,
        given: options.seed,
        hint: 'Leave seed out to continue with the recorded one.',
      });
    }
  } else if (await exists(path)) {
    throw new InvalidArgumentError({
      argument: 'checkpoint.path',
      message: `${path} already holds a checkpoint: continue that run with resumeFrom, or discard it (and its snapshots) with deleteCheckpoint()`,
    });
  } else if (!(await isFolder(dirname(path)))) {
    // Found now rather than after the setup, when the first write would fail.
    throw new InvalidArgumentError({
      argument: 'checkpoint.path',
      message: `the folder ${dirname(path)} does not exist; create it first`,
    });
  }
  const runId = resume?.runId ?? newRunId();
  return {
    files: new CheckpointFiles(path),
    path,
    everyIterations: checkpoint?.everyIterations ?? 1,
    runId,
    fingerprint,
    resume,
    labels: { [runLabels.run]: runId, [runLabels.checkpoint]: path },
  };
}

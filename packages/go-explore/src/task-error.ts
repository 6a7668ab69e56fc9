import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.GoExploreTaskError');

/** Which call into the task (or the policy) threw. */
export type TaskPhase = 'reset' | 'step' | 'policy' | 'cellOf' | 'saveState' | 'restoreState';

/** Where a {@link GoExploreTaskError} happened. */
export interface TaskErrorOrigin {
  /** The call that threw. */
  phase: TaskPhase;
  /** The key of the cell the worker returned to; undefined during the setup (`reset`). */
  cell: string | undefined;
  /** The action being applied or chosen (`step`, and `cellOf`/`saveState` after it); undefined otherwise. */
  action: unknown;
  /**
   * The actions from the initial state to the state the call saw, the failing action excluded:
   * `replay` it, then apply `action`, to reproduce the error.
   */
  trajectory: readonly unknown[];
  /** The worker, from 0; `-1` during the setup. */
  worker: number;
}

function describeAction(action: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(action) ?? String(action);
  } catch {
    text = String(action);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * The task's own code (or the policy) threw: `step`, `reset`, `cellOf`, `saveState`,
 * `restoreState` or the policy, for a reason that is not the backend's (errors caused by the
 * backend are retried instead). It says where: the cell, the action, and the trajectory that led
 * there; the original error is `cause`. `onTaskError` decides whether the run goes on.
 */
export class GoExploreTaskError extends SnapboxError implements TaskErrorOrigin {
  readonly phase: TaskPhase;
  readonly cell: string | undefined;
  readonly action: unknown;
  readonly trajectory: readonly unknown[];
  readonly worker: number;

  constructor(origin: TaskErrorOrigin, cause: unknown) {
    const where =
      origin.cell === undefined
        ? 'during the setup'
        : `on worker ${origin.worker}, exploring from cell ${JSON.stringify(origin.cell)} ${origin.trajectory.length} actions from the start`;
    const action = origin.action === undefined ? '' : `, action ${describeAction(origin.action)}`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const call = origin.phase === 'policy' ? 'the policy' : `task.${origin.phase}`;
    super('GO_EXPLORE_TASK_ERROR', { message: `${call} threw ${where}${action}: ${reason}`, cause });
    this.phase = origin.phase;
    this.cell = origin.cell;
    this.action = origin.action;
    this.trajectory = origin.trajectory;
    this.worker = origin.worker;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is GoExploreTaskError {
    return hasErrorMarker(value, marker);
  }
}

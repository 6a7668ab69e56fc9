import type { Container } from '@snapbox/core';
import type { Random } from './random.js';

/** What one action did, as {@link GoExploreTask.step} reports it. */
export interface StepResult<Observation> {
  /** What the task sees after the action; {@link GoExploreTask.cellOf} maps it to a cell. */
  observation: Observation;
  /** The reward of this action; a trajectory's score is the sum of its rewards. A finite number. */
  reward: number;
  /**
   * True when the episode is over: exploration from this state stops, and a cell reached this
   * way is archived but never chosen to return to.
   */
  done: boolean;
}

/** Passed to every call into the task. */
export interface TaskContext {
  /**
   * Aborted when the run is aborted or failed elsewhere; pass it to `exec` (`{ signal }`) so a
   * long command stops at once. An error thrown after it aborted does not count as a failure.
   */
  readonly signal: AbortSignal;
  /** The worker making the call, from 0; `-1` for the initial reset and for a replay. */
  readonly worker: number;
}

/**
 * The environment to explore, as user code: how to prepare it, act in it, and recognise states.
 *
 * What the task needs to remember should live in the container's filesystem (files written by
 * `reset` and `step`): that is what a snapshot captures and a return restores. State the task
 * keeps outside the container (an agent's conversation, say) is not restored by a return unless
 * the task saves it with each cell ({@link GoExploreTask.saveState}) and takes it back on return
 * ({@link GoExploreTask.restoreState}).
 *
 * @typeParam Action what the policy chooses and a trajectory records.
 * @typeParam Observation what a step reports and a cell is computed from.
 * @typeParam AgentState what {@link GoExploreTask.saveState} keeps with a cell (a JSON value).
 */
export interface GoExploreTask<Action, Observation, AgentState = unknown> {
  /**
   * Names the task and its configuration in checkpoints: a checkpoint written with another `id`
   * is refused by `resumeFrom` (`CheckpointMismatchError`). Default: a hash of the source text of
   * the task's methods, which does not see values they capture, so give an `id` when the same
   * code runs with different settings (`'lock:2031-80%'`).
   */
  readonly id?: string;
  /**
   * Prepares the initial state in a freshly started container (install tools, write the start
   * files) and returns the first observation. Called once per run, before the first snapshot,
   * and once per {@link replay}.
   */
  reset(container: Container, context: TaskContext): Promise<Observation> | Observation;
  /** Applies one action in a running container. Must not stop the container or snapshot it. */
  step(
    container: Container,
    action: Action,
    context: TaskContext,
  ): Promise<StepResult<Observation>> | StepResult<Observation>;
  /**
   * The archive key of an observation: states with the same key are one cell, and only the best
   * trajectory to each cell is kept. Coarser keys mean fewer cells and faster progress along
   * what the key distinguishes. Must return a string.
   */
  cellOf(observation: Observation): string;
  /** A random action, drawn only from `rng` so that seeded runs repeat. The default policy. */
  sampleAction(rng: Random): Action;
  /**
   * Optional: the state kept outside the container that belongs with the state being archived
   * (an agent's conversation, its memory, a tool's session). Called right after a new or better
   * cell is snapshotted (and after `reset`, for the first cell), in the same worker (`context.worker`)
   * whose container that is. The value is stored with the cell as a copy (`Cell.agentState`) and
   * written to checkpoints, so it must be a JSON value: what survives `JSON.stringify` and
   * `JSON.parse` is what {@link GoExploreTask.restoreState} gets back, in this run and after a
   * resume alike.
   */
  saveState?(container: Container, context: TaskContext): AgentState | Promise<AgentState>;
  /**
   * Optional: takes back the state {@link GoExploreTask.saveState} saved with the cell this worker
   * returns to (`undefined` when none was saved). Called after the container restored from the
   * cell's snapshot has started and before the first exploration step; set the state of
   * `context.worker`, since workers run in parallel.
   */
  restoreState?(container: Container, state: AgentState | undefined, context: TaskContext): void | Promise<void>;
}

import { randomInt } from 'node:crypto';
import { InvalidArgumentError, type SnapshotableContainer, SnapshotNotFoundError } from '@snapbox/core';
import { Archive, type ArchiveCell, type CellEntry } from './archive.js';
import type { Cell } from './cell.js';
import {
  CheckpointMismatchError,
  CheckpointRefusedError,
  CheckpointSnapshotsGoneError,
  type MissingSnapshot,
} from './checkpoint-errors.js';
import { type CheckpointData, checkpointFormat, checkpointVersion, readJournal } from './checkpoint-file.js';
import { type CheckpointPlan, planCheckpoint } from './checkpoint-plan.js';
import { type Environment, resolveEnvironment } from './environment.js';
import { FailureBudgetExceededError } from './failure-budget-error.js';
import {
  backendFailureTotal,
  backoffMs,
  type FailureKind,
  isBackendFailure,
  isRetryableBackendError,
  noFailures,
} from './failures.js';
import type { GoExploreOptions, GoExplorePolicy, GoExploreProgress } from './options.js';
import { createRandom, type Random, randomState, restoreRandom, type Seed } from './random.js';
import type { BestScorePoint, GoExploreResult, ResumeSummary, StopReason } from './result.js';
import { type CellWeight, defaultCellWeight, selectCell } from './selection.js';
import type { GoExploreTask, StepResult, TaskContext } from './task.js';
import { GoExploreTaskError, type TaskPhase } from './task-error.js';
import { validateOptions } from './validate-options.js';

/**
 * Runs Go-Explore ("first return, then explore", Ecoffet et al.) on any snapshotable backend.
 *
 * The run starts one container, calls `task.reset` and snapshots the initial state: that is the
 * first cell of the archive. Then each of `workers` workers repeats an iteration until a budget
 * runs out: choose a cell (weights from `cellWeight`), **return** to it by starting a container
 * from its snapshot, **explore** up to `explorationSteps` steps with the policy, and snapshot
 * every state that reaches a new cell, or an archived cell with a higher score, or with the same
 * score in fewer steps. The snapshot an entry replaces is deleted at once (a worker that was
 * restoring from it just chooses again). At the end every container and snapshot the run
 * created is gone, unless `keepArchive` keeps the archive's snapshots.
 *
 * ```ts
 * const result = await goExplore({ factory, image: 'debian:12', task, workers: 2, maxSteps: 5_000, targetScore: 10 });
 * console.log(result.best.score, result.bestTrajectory);
 * ```
 *
 * Long runs: `checkpoint` saves the run as it goes and `resumeFrom` continues it in another
 * process; a return, step, snapshot or cleanup that fails because of the backend is retried with
 * a fresh container from the same cell, up to `maxFailures`.
 *
 * Guarantees: never more live containers than `workers` (unless stopping one fails); with
 * `workers: 1` and a seed, a deterministic task on a deterministic backend repeats exactly (same
 * archive, same best trajectory), also across a kill and a resume. With more workers each worker
 * draws from its own seeded stream, but the interleaving of workers depends on timing, so
 * archives can differ from run to run.
 *
 * @throws UnsupportedCapabilityError when the factory or container cannot snapshot.
 * @throws InvalidArgumentError for bad options, or when the task returns a malformed step result,
 *   a non-string cell key, or the weight function a negative or non-finite weight.
 * @throws CheckpointRefusedError (or a subclass) when `resumeFrom` cannot be resumed.
 * @throws GoExploreTaskError when the task's own code throws (unless `onTaskError` continues).
 * @throws FailureBudgetExceededError when the backend failed more than `maxFailures` times.
 * @throws whatever `onProgress` or the policy's weight function throws, and errors of the backend
 *   that no retry can fix (a snapshot deleted by someone else, a wrong argument): the run stops,
 *   cleans up, then rethrows the first such error. With a checkpoint, its last checkpoint is kept.
 */
export async function goExplore<Action, Observation>(
  options: GoExploreOptions<Action, Observation>,
): Promise<GoExploreResult<Action, Observation>> {
  validateOptions(options as GoExploreOptions<unknown, unknown>);
  const plan = await planCheckpoint(options as GoExploreOptions<unknown, unknown>);
  const environment = resolveEnvironment(
    plan === undefined
      ? options
      : {
          ...options,
          containerOptions: {
            ...options.containerOptions,
            labels: { ...options.containerOptions?.labels, ...plan.labels },
          },
        },
  );
  options.signal?.throwIfAborted();
  return new Run(options, environment, plan).execute();
}

/** Why a worker or the whole run must stop taking new steps. */
type Halt = { kind: 'stop'; reason: StopReason } | { kind: 'failure'; error: unknown };

/** What a return restores: the cell's entry as it was when the worker chose it. */
interface Origin<Action, Observation> {
  cell: ArchiveCell<Action, Observation>;
  view: Cell<Action, Observation>;
}

/** How an iteration (or one attempt at it) ended. */
type IterationEnd = 'complete' | 'cut' | 'stale';

/** A failure of the backend, thrown inside an attempt and caught by its iteration, which retries. */
class RetryableFailure extends Error {
  readonly kind: FailureKind;
  readonly error: unknown;

  constructor(kind: FailureKind, error: unknown) {
    super(`${kind} failed`);
    this.kind = kind;
    this.error = error;
  }
}

const now = (): number => performance.now();

/** A copy through JSON, which is what a checkpoint would give back: the same value in every run. */
function jsonCopy(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

class Run<Action, Observation> {
  readonly #options: GoExploreOptions<Action, Observation>;
  readonly #environment: Environment;
  readonly #plan: CheckpointPlan | undefined;
  readonly #task: GoExploreTask<Action, Observation>;
  readonly #policy: GoExplorePolicy<Action, Observation>;
  readonly #weight: CellWeight<Action, Observation>;
  readonly #workers: number;
  readonly #explorationSteps: number;
  readonly #maxFailures: number;
  readonly #seed: Seed;
  #archive = new Archive<Action, Observation>();
  readonly #internal = new AbortController();
  readonly #startedAt = now();
  /** Wall time of the run's earlier processes (a resumed run). */
  #priorElapsedMs = 0;
  #master: Random | undefined;
  #streams: Random[] = [];

  #halt: Halt | undefined;
  #budgetReason: StopReason | undefined;
  #deleter: SnapshotableContainer | undefined;
  /** Snapshots this run created (or took over from its checkpoint) and has not deleted. */
  readonly #ownSnapshots = new Set<string>();
  /** Snapshots this run deleted: a failed restore of one of these is a lost race, not an error. */
  readonly #deletedSnapshots = new Set<string>();
  readonly #liveContainers = new Set<SnapshotableContainer>();
  #deletions: Promise<unknown> = Promise.resolve();
  #bestHistory: BestScorePoint[] = [];
  #busyWorkers = 0;
  #cellsChanged = deferred();
  readonly #failures = noFailures();
  #resumed: ResumeSummary | undefined;

  // Checkpoint bookkeeping (see #writeCheckpoint).
  /** Checkpoints captured so far. */
  #captures = 0;
  /** Snapshots some captured checkpoint names: replacing one defers its deletion. */
  readonly #everCaptured = new Set<string>();
  /** Replaced snapshots a checkpoint may still name, with the capture count when they were replaced. */
  readonly #obsolete = new Map<string, number>();
  /** The archive's snapshots in the checkpoint on disk; undefined until one is there. */
  #onDisk: Set<string> | undefined;

  #iterationsStarted = 0;
  #iterations = 0;
  #stepsReserved = 0;
  #steps = 0;
  #returns = 0;
  #staleReturns = 0;
  #snapshotsTaken = 0;
  #snapshotsDeleted = 0;
  #setupMs = 0;
  #returnMs = 0;
  #exploreMs = 0;
  #snapshotMs = 0;
  #cleanupMs = 0;

  constructor(
    options: GoExploreOptions<Action, Observation>,
    environment: Environment,
    plan: CheckpointPlan | undefined,
  ) {
    this.#options = options;
    this.#environment = environment;
    this.#plan = plan;
    this.#task = options.task;
    this.#policy = options.policy ?? ((context) => context.sampleAction());
    this.#weight = options.cellWeight ?? defaultCellWeight;
    this.#workers = options.workers ?? 1;
    this.#explorationSteps = options.explorationSteps ?? 50;
    this.#maxFailures = options.maxFailures ?? 100;
    this.#seed = plan?.resume?.seed ?? options.seed ?? randomInt(0, 2 ** 31);
  }

  async execute(): Promise<GoExploreResult<Action, Observation>> {
    const signal = this.#options.signal;
    const onAbort = (): void => this.#stop('aborted', signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#guard(() => (this.#plan?.resume === undefined ? this.#setup() : this.#resume(this.#plan.resume)));
      if (this.#archive.size > 0) await this.#guard(async () => this.#report());
      if (this.#archive.size > 0 && this.#halt === undefined) {
        await Promise.all(this.#streams.map((_, index) => this.#guard(() => this.#work(index))));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const { keep, checkpointPath, cleanupError } = await this.#finish();
    if (this.#halt?.kind === 'failure') throw this.#halt.error;
    if (cleanupError !== undefined) throw cleanupError;
    const best = this.#archive.best;
    if (best === undefined) {
      // Only an abort during the setup leaves the archive empty.
      throw signal?.reason ?? new DOMException('The run was aborted before its first cell', 'AbortError');
    }
    return this.#result(keep, best, checkpointPath);
  }

  // ---- stopping -------------------------------------------------------------------------

  #halted(): boolean {
    if (this.#halt !== undefined) return true;
    const { maxTimeMs } = this.#options;
    if (maxTimeMs !== undefined && this.#elapsed() >= maxTimeMs) this.#stop('time');
    return this.#halt !== undefined;
  }

  /** Stops every worker before its next step; an abort also aborts in-flight task calls. */
  #stop(reason: StopReason, abortReason?: unknown): void {
    if (this.#halt !== undefined) return;
    this.#halt = { kind: 'stop', reason };
    if (reason === 'aborted') this.#internal.abort(abortReason);
    this.#notifyCellsChanged();
  }

  #fail(error: unknown): void {
    // After an abort or a first failure, in-flight calls fail because of it: not news.
    if (this.#internal.signal.aborted) return;
    this.#halt = { kind: 'failure', error };
    this.#internal.abort(error);
    this.#notifyCellsChanged();
  }

  async #guard(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      this.#fail(error);
    }
  }

  #reserveIteration(): boolean {
    const { maxIterations } = this.#options;
    if (maxIterations !== undefined && this.#iterationsStarted >= maxIterations) {
      this.#budgetReason ??= 'iterations';
      return false;
    }
    this.#iterationsStarted++;
    return true;
  }

  /** False once `maxSteps` steps are taken or reserved: no iteration is worth starting then. */
  #stepsLeft(): boolean {
    const { maxSteps } = this.#options;
    if (maxSteps !== undefined && this.#stepsReserved >= maxSteps) {
      this.#budgetReason ??= 'steps';
      return false;
    }
    return true;
  }

  #reserveStep(): boolean {
    if (!this.#stepsLeft()) return false;
    this.#stepsReserved++;
    return true;
  }

  #notifyCellsChanged(): void {
    this.#cellsChanged.resolve();
    this.#cellsChanged = deferred();
  }

  /** Waits `ms`, or less when the run halts meanwhile. */
  #pause(ms: number): Promise<void> {
    const signal = this.#internal.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---- failures -------------------------------------------------------------------------

  /**
   * Counts a failure and reports it. A failure of the backend beyond `maxFailures` fails the run
   * (when `enforce`); returns whether the run may go on.
   */
  #recordFailure(kind: FailureKind, error: unknown, cell: string | undefined, worker: number, enforce = true): boolean {
    this.#failures[kind]++;
    try {
      this.#options.onFailure?.({ kind, error, cell, worker, failures: { ...this.#failures } });
    } catch (callbackError) {
      this.#fail(callbackError);
      return false;
    }
    if (enforce && kind !== 'task' && backendFailureTotal(this.#failures) > this.#maxFailures) {
      this.#fail(
        new FailureBudgetExceededError({
          maxFailures: this.#maxFailures,
          failures: { ...this.#failures },
          cause: error,
          ...(this.#onDisk === undefined || this.#plan === undefined ? {} : { checkpointPath: this.#plan.path }),
        }),
      );
      return false;
    }
    return true;
  }

  /** Wraps an error of the task's code, or marks it as the backend's when it was caused by one. */
  #classify(
    error: unknown,
    failureKind: FailureKind,
    phase: TaskPhase,
    origin: { cell: string | undefined; trajectory: readonly unknown[]; action?: unknown; worker: number },
  ): unknown {
    if (this.#internal.signal.aborted) return error;
    if (isBackendFailure(error)) return new RetryableFailure(failureKind, error);
    return new GoExploreTaskError(
      { phase, cell: origin.cell, action: origin.action, trajectory: [...origin.trajectory], worker: origin.worker },
      error,
    );
  }

  // ---- setup ----------------------------------------------------------------------------

  async #setup(): Promise<void> {
    const started = now();
    const root = this.#environment.createRoot();
    this.#deleter = root;
    try {
      await this.#discardStaleJournal();
      this.#liveContainers.add(root);
      // Only an abort stops the setup: without a first cell there is nothing to return.
      await root.start(this.#startOptions());
      if (this.#internal.signal.aborted) return;
      const context = this.#context(-1);
      const setupOrigin = { cell: undefined, trajectory: [], worker: -1 };
      const unwrap = (error: unknown, phase: TaskPhase): unknown => {
        const classified = this.#classify(error, 'step', phase, setupOrigin);
        // The setup is not retried: a failure of the backend there ends the run as it is.
        return classified instanceof RetryableFailure ? classified.error : classified;
      };
      let observation: Observation;
      try {
        observation = await this.#task.reset(root, context);
      } catch (error) {
        throw unwrap(error, 'reset');
      }
      const key = this.#cellOf(observation, setupOrigin);
      if (this.#internal.signal.aborted) return;
      const snapshotId = await this.#snapshot(root);
      let agentState: unknown;
      try {
        agentState = await this.#saveState(root, context);
      } catch (error) {
        throw unwrap(error, 'saveState');
      }
      this.#archive.offer({ key, snapshotId, score: 0, trajectory: [], observation, done: false, step: 0, agentState });
      this.#bestHistory.push({ steps: 0, score: 0, trajectoryLength: 0, iteration: 0, elapsedMs: this.#elapsed() });
      this.#master = createRandom(this.#seed);
      const master = this.#master;
      this.#streams = Array.from({ length: this.#workers }, () => master.fork());
      if (this.#plan !== undefined) await this.#writeCheckpoint();
      this.#checkTarget();
    } finally {
      this.#setupMs += now() - started;
      await this.#stopContainer(root);
    }
  }

  /**
   * A process killed between its first snapshot and its first checkpoint leaves a journal and no
   * checkpoint; its snapshots belong to nobody now.
   */
  async #discardStaleJournal(): Promise<void> {
    if (this.#plan === undefined) return;
    const stale = await readJournal(this.#plan.path);
    for (const snapshotId of stale) await this.#deleteQuietly(snapshotId, undefined, -1, false, false);
    await this.#plan.files.rewriteJournal([]);
  }

  // ---- resume ---------------------------------------------------------------------------

  async #resume(data: CheckpointData): Promise<void> {
    const started = now();
    const plan = this.#plan as CheckpointPlan;
    try {
      const deleter = this.#environment.createRoot();
      this.#deleter = deleter;
      if (deleter.backend !== data.backend) {
        throw new CheckpointMismatchError({
          path: plan.path,
          field: 'backend',
          recorded: data.backend,
          given: deleter.backend,
          hint: 'Snapshots live in the backend that made them.',
        });
      }
      const cells = data.archive.cells as unknown as ArchiveCell<Action, Observation>[];
      const malformed = cells.find(
        (cell) =>
          typeof cell?.key !== 'string' || typeof cell.snapshotId !== 'string' || !Array.isArray(cell.trajectory),
      );
      let generators: { master: Random; workers: Random[] } | undefined;
      try {
        generators = { master: restoreRandom(data.rng.master), workers: data.rng.workers.map(restoreRandom) };
      } catch {
        generators = undefined;
      }
      if (malformed !== undefined || cells[data.archive.best] === undefined || generators === undefined) {
        throw new CheckpointRefusedError('CHECKPOINT_UNREADABLE', {
          path: plan.path,
          message: `The checkpoint ${plan.path} is damaged: its ${generators === undefined ? 'random generators' : 'archive'} cannot be read back.`,
        });
      }
      await this.#verifySnapshots(cells);
      if (this.#internal.signal.aborted) return;

      this.#archive = Archive.restore(cells, data.archive.best);
      const archived = new Set(cells.map((cell) => cell.snapshotId));
      for (const snapshotId of archived) {
        this.#ownSnapshots.add(snapshotId);
        this.#everCaptured.add(snapshotId);
      }
      this.#onDisk = archived;
      const { counters } = data;
      this.#iterations = counters.iterations;
      this.#iterationsStarted = counters.iterations;
      this.#steps = counters.steps;
      this.#stepsReserved = counters.steps;
      this.#returns = counters.returns;
      this.#staleReturns = counters.staleReturns;
      this.#snapshotsTaken = counters.snapshotsTaken;
      this.#snapshotsDeleted = counters.snapshotsDeleted;
      for (const kind of Object.keys(this.#failures) as FailureKind[]) {
        this.#failures[kind] += Number(data.failures[kind] ?? 0);
      }
      this.#priorElapsedMs = data.elapsedMs;
      this.#setupMs = data.timing.setupMs;
      this.#returnMs = data.timing.returnMs;
      this.#exploreMs = data.timing.exploreMs;
      this.#snapshotMs = data.timing.snapshotMs;
      this.#cleanupMs = data.timing.cleanupMs;
      this.#bestHistory = [...data.bestHistory];
      const { master, workers } = generators;
      this.#master = master;
      // The saved streams, in order; a resume with more workers forks the extra ones.
      this.#streams = Array.from({ length: this.#workers }, (_, index) => workers[index] ?? master.fork());

      // What the interrupted process took after its checkpoint, and what improved cells replaced.
      const orphans = new Set([...(await readJournal(plan.path)), ...data.obsoleteSnapshots]);
      let orphansDeleted = 0;
      for (const snapshotId of orphans) {
        if (archived.has(snapshotId)) continue;
        if (await this.#deleteQuietly(snapshotId, undefined, -1, true, false)) orphansDeleted++;
      }
      await plan.files.rewriteJournal([...this.#ownSnapshots].filter((id) => !archived.has(id)));
      const best = this.#archive.best as ArchiveCell<Action, Observation>;
      this.#resumed = {
        path: plan.path,
        writtenAt: data.writtenAt,
        iterations: counters.iterations,
        steps: counters.steps,
        cells: cells.length,
        bestScore: best.score,
        orphansDeleted,
      };
      this.#checkTarget();
    } finally {
      this.#setupMs += now() - started;
    }
  }

  /** Starts a container from every archived snapshot, `workers` at a time, and refuses if any is gone. */
  async #verifySnapshots(cells: readonly ArchiveCell<Action, Observation>[]): Promise<void> {
    const missing: MissingSnapshot[] = [];
    let next = 0;
    const check = async (): Promise<void> => {
      while (next < cells.length && !this.#internal.signal.aborted) {
        const cell = cells[next++] as ArchiveCell<Action, Observation>;
        for (let attempt = 1; ; attempt++) {
          const container = this.#environment.restore(cell.snapshotId);
          this.#liveContainers.add(container);
          try {
            await container.start(this.#startOptions());
            break;
          } catch (error) {
            if (this.#internal.signal.aborted) return;
            if (SnapshotNotFoundError.isInstance(error)) {
              missing.push({ cell: cell.key, snapshotId: cell.snapshotId });
              break;
            }
            if (!isRetryableBackendError(error)) throw error;
            if (!this.#recordFailure('return', error, cell.key, -1)) return;
            await this.#pause(backoffMs(attempt));
          } finally {
            await this.#stopQuietly(container, cell.key, -1);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#workers, cells.length) }, check));
    if (missing.length > 0) {
      throw new CheckpointSnapshotsGoneError({
        path: (this.#plan as CheckpointPlan).path,
        missing,
        cells: cells.length,
      });
    }
  }

  // ---- workers --------------------------------------------------------------------------

  async #work(worker: number): Promise<void> {
    const rng = this.#streams[worker] as Random;
    while (!this.#halted()) {
      if (!this.#stepsLeft() || !this.#reserveIteration()) return;
      const cell = selectCell(this.#archive.cells, this.#weight, rng);
      if (cell === undefined) {
        this.#iterationsStarted--;
        if (this.#busyWorkers === 0) {
          this.#budgetReason ??= 'exhausted';
          return;
        }
        await this.#cellsChanged.promise;
        continue;
      }
      // Replacement mutates the cell in place: keep the entry being restored as it is now.
      const origin: Origin<Action, Observation> = { cell, view: { ...cell } };
      cell.timesChosen++;
      this.#busyWorkers++;
      let end: IterationEnd;
      try {
        end = await this.#iterate(origin, rng, worker);
        if (end === 'stale') {
          cell.timesChosen--;
          this.#iterationsStarted--;
          continue;
        }
        this.#iterations++;
        // Only at a true boundary: an iteration cut short by a halt would not repeat after a resume.
        const every = this.#plan?.everyIterations;
        if (end === 'complete' && every !== undefined && this.#iterations % every === 0 && !this.#halted()) {
          await this.#writeCheckpoint();
        }
      } finally {
        this.#busyWorkers--;
        this.#notifyCellsChanged();
      }
      this.#report();
    }
  }

  /** One iteration from `origin`: attempts until one completes, retrying failures of the backend. */
  async #iterate(origin: Origin<Action, Observation>, rng: Random, worker: number): Promise<IterationEnd> {
    const progress = { made: false };
    for (let consecutive = 1; ; consecutive++) {
      let end: IterationEnd;
      try {
        end = await this.#attempt(origin, rng, worker, progress);
      } catch (error) {
        if (error instanceof RetryableFailure) {
          if (!this.#recordFailure(error.kind, error.error, origin.view.key, worker)) return 'cut';
          await this.#pause(backoffMs(consecutive));
          if (this.#halted()) return 'cut';
          continue;
        }
        if (GoExploreTaskError.isInstance(error) && !this.#internal.signal.aborted) {
          const decision = this.#options.onTaskError?.(error) ?? 'fail';
          if (decision !== 'continue') throw error;
          this.#recordFailure('task', error, origin.view.key, worker);
          end = 'complete';
        } else {
          throw error;
        }
      }
      if (end !== 'stale') {
        origin.cell.timesChosenSinceProgress = progress.made ? 0 : origin.cell.timesChosenSinceProgress + 1;
      }
      return end;
    }
  }

  /** Returns to the cell and explores from it, in one fresh container, which is stopped after. */
  async #attempt(
    origin: Origin<Action, Observation>,
    rng: Random,
    worker: number,
    progress: { made: boolean },
  ): Promise<IterationEnd> {
    let container: SnapshotableContainer | undefined;
    try {
      container = await this.#return(origin.view.snapshotId);
      if (container === undefined) return 'stale';
      await this.#restoreState(container, origin, worker);
      return await this.#explore(container, origin, rng, worker, progress);
    } finally {
      if (container !== undefined) await this.#stopQuietly(container, origin.view.key, worker);
    }
  }

  /** Starts a container from the snapshot; `undefined` when the run deleted it meanwhile. */
  async #return(snapshotId: string): Promise<SnapshotableContainer | undefined> {
    const started = now();
    let container: SnapshotableContainer | undefined;
    try {
      container = this.#environment.restore(snapshotId);
      this.#liveContainers.add(container);
      await container.start(this.#startOptions());
      this.#returns++;
      return container;
    } catch (error) {
      if (container !== undefined) await this.#stopQuietly(container, undefined, -1);
      // The cell was improved and its old snapshot deleted after this worker chose it: whatever
      // the backend reports (SnapshotNotFoundError, or a lower-level error mid-restore), choose again.
      if (this.#deletedSnapshots.has(snapshotId)) {
        this.#staleReturns++;
        return undefined;
      }
      if (!this.#internal.signal.aborted && isRetryableBackendError(error)) throw new RetryableFailure('return', error);
      throw error;
    } finally {
      this.#returnMs += now() - started;
    }
  }

  async #restoreState(
    container: SnapshotableContainer,
    origin: Origin<Action, Observation>,
    worker: number,
  ): Promise<void> {
    if (this.#task.restoreState === undefined) return;
    try {
      // A fresh copy each time: the task may change what it gets, the archive's stays as saved.
      await this.#task.restoreState(container, jsonCopy(origin.view.agentState), this.#context(worker));
    } catch (error) {
      throw this.#classify(error, 'return', 'restoreState', {
        cell: origin.view.key,
        trajectory: origin.view.trajectory,
        worker,
      });
    }
  }

  async #explore(
    container: SnapshotableContainer,
    origin: Origin<Action, Observation>,
    rng: Random,
    worker: number,
    progress: { made: boolean },
  ): Promise<IterationEnd> {
    const context = this.#context(worker);
    const actions = [...origin.view.trajectory];
    let score = origin.view.score;
    let observation = origin.view.observation;
    let previousAction: Action | undefined;
    for (let index = 0; index < this.#explorationSteps; index++) {
      if (this.#halted() || !this.#reserveStep()) return 'cut';
      const started = now();
      const where = { cell: origin.view.key, trajectory: actions, worker };
      let action: Action;
      let raw: unknown;
      try {
        try {
          action = await this.#policy({
            rng,
            observation,
            cell: origin.view,
            step: index,
            previousAction,
            sampleAction: () => this.#task.sampleAction(rng),
          });
        } catch (error) {
          throw this.#classify(error, 'step', 'policy', where);
        }
        try {
          raw = await this.#task.step(container, action, context);
        } catch (error) {
          throw this.#classify(error, 'step', 'step', { ...where, action });
        }
      } finally {
        this.#exploreMs += now() - started;
      }
      const result = checkStepResult<Observation>(raw);
      this.#steps++;
      const after = { ...where, trajectory: [...actions], action };
      previousAction = action;
      actions.push(action);
      score += result.reward;
      observation = result.observation;
      const key = this.#cellOf(observation, after);
      if (this.#archive.wouldAccept(key, score, actions.length)) {
        const snapshotId = await this.#snapshot(container, true);
        let agentState: unknown;
        try {
          agentState = await this.#saveState(container, context);
        } catch (error) {
          await this.#deleteQuietly(snapshotId, key, worker);
          throw this.#classify(error, 'snapshot', 'saveState', after);
        }
        const entry: CellEntry<Action, Observation> = {
          key,
          snapshotId,
          score,
          trajectory: [...actions],
          observation,
          done: result.done,
          step: this.#steps,
          agentState,
        };
        // Another worker may have improved the cell while this snapshot was being taken.
        const outcome = this.#archive.offer(entry);
        if (outcome.outcome === 'rejected') {
          await this.#deleteQuietly(entry.snapshotId, key, worker);
        } else {
          progress.made = true;
          this.#recordBest(entry);
          if (outcome.outcome === 'replaced') await this.#retire(outcome.previousSnapshotId, key, worker);
          this.#checkTarget();
        }
      } else {
        this.#archive.visit(key);
      }
      if (result.done) break;
    }
    return 'complete';
  }

  async #saveState(container: SnapshotableContainer, context: TaskContext): Promise<unknown> {
    if (this.#task.saveState === undefined) return undefined;
    return jsonCopy(await this.#task.saveState(container, context));
  }

  // ---- archive bookkeeping --------------------------------------------------------------

  #cellOf(
    observation: Observation,
    where: { cell: string | undefined; trajectory: readonly unknown[]; action?: unknown; worker: number },
  ): string {
    let key: unknown;
    try {
      key = this.#task.cellOf(observation);
    } catch (error) {
      throw new GoExploreTaskError(
        {
          phase: 'cellOf',
          cell: where.cell,
          action: where.action,
          trajectory: [...where.trajectory],
          worker: where.worker,
        },
        error,
      );
    }
    if (typeof key !== 'string') {
      throw new InvalidArgumentError({
        argument: 'task.cellOf',
        message: `must return a string, returned ${typeof key}`,
      });
    }
    return key;
  }

  #recordBest(entry: CellEntry<Action, Observation>): void {
    const last = this.#bestHistory.at(-1);
    if (last !== undefined && entry.score <= last.score) return;
    this.#bestHistory.push({
      steps: entry.step,
      score: entry.score,
      trajectoryLength: entry.trajectory.length,
      iteration: this.#iterations + 1,
      elapsedMs: this.#elapsed(),
    });
  }

  #checkTarget(): void {
    const { targetScore } = this.#options;
    const best = this.#archive.best;
    if (targetScore !== undefined && best !== undefined && best.score >= targetScore) this.#stop('target');
  }

  #report(): void {
    const { onProgress } = this.#options;
    if (onProgress === undefined) return;
    const best = this.#archive.best;
    const elapsedMs = this.#elapsed();
    const progress: GoExploreProgress = {
      iteration: this.#iterations,
      cells: this.#archive.size,
      bestScore: best?.score ?? 0,
      bestTrajectoryLength: best?.trajectoryLength ?? 0,
      steps: this.#steps,
      returns: this.#returns,
      returnsPerSecond: elapsedMs > 0 ? (this.#returns * 1000) / elapsedMs : 0,
      elapsedMs,
      failures: Object.values(this.#failures).reduce((sum, count) => sum + count, 0),
      resumed: this.#resumed,
    };
    onProgress(progress);
  }

  // ---- checkpoints ----------------------------------------------------------------------

  /**
   * Writes the run's state as it is now. A snapshot that a written checkpoint names is never
   * deleted before a later checkpoint stops naming it: a cell improved meanwhile keeps its old
   * snapshot in `#obsolete`, listed in the next checkpoint, and deleted once that one is written
   * (a resume deletes whatever was left). Snapshots taken since the last write are in the
   * journal, so that a resume can delete what a killed process left.
   */
  async #writeCheckpoint(): Promise<void> {
    const plan = this.#plan as CheckpointPlan;
    const capture = ++this.#captures;
    const data = this.#checkpointData();
    let text: string;
    try {
      text = JSON.stringify(data);
    } catch (error) {
      throw new InvalidArgumentError({
        argument: 'checkpoint',
        message: `the run cannot be saved as JSON (${(error as Error).message}): actions, observations and agent state must be JSON values`,
      });
    }
    const named = new Set(data.archive.cells.map((cell) => cell.snapshotId));
    for (const snapshotId of named) this.#everCaptured.add(snapshotId);
    const listed = new Set(data.obsoleteSnapshots);
    await plan.files.write(text, () =>
      [...this.#ownSnapshots].filter((snapshotId) => !named.has(snapshotId) && !listed.has(snapshotId)),
    );
    this.#onDisk = named;
    for (const [snapshotId, replacedAt] of [...this.#obsolete]) {
      if (replacedAt >= capture) continue;
      this.#obsolete.delete(snapshotId);
      this.#everCaptured.delete(snapshotId);
      await this.#deleteQuietly(snapshotId, undefined, -1);
    }
  }

  #checkpointData(): CheckpointData {
    const plan = this.#plan as CheckpointPlan;
    const { image, dockerfilePath, root } = this.#options;
    return {
      format: checkpointFormat,
      version: checkpointVersion,
      runId: plan.runId,
      writtenAt: new Date().toISOString(),
      task: plan.fingerprint,
      backend: (this.#deleter as SnapshotableContainer).backend,
      source: root !== undefined ? {} : image !== undefined ? { image } : { dockerfilePath: dockerfilePath as string },
      seed: this.#seed,
      rng: { master: randomState(this.#master as Random), workers: this.#streams.map(randomState) },
      counters: {
        iterations: this.#iterations,
        steps: this.#steps,
        returns: this.#returns,
        staleReturns: this.#staleReturns,
        // The obsolete snapshots are deleted right after this write: count them as deleted.
        snapshotsTaken: this.#snapshotsTaken,
        snapshotsDeleted: this.#snapshotsDeleted + this.#obsolete.size,
      },
      failures: { ...this.#failures },
      elapsedMs: this.#elapsed(),
      timing: {
        setupMs: this.#setupMs,
        returnMs: this.#returnMs,
        exploreMs: this.#exploreMs,
        snapshotMs: this.#snapshotMs,
        cleanupMs: this.#cleanupMs,
      },
      bestHistory: [...this.#bestHistory],
      archive: {
        cells: this.#archive.cells as unknown as ArchiveCell<unknown, unknown>[],
        best: this.#archive.bestIndex,
      },
      obsoleteSnapshots: [...this.#obsolete.keys()],
    };
  }

  /** A snapshot that left the archive: deleted now, or once no written checkpoint names it. */
  async #retire(snapshotId: string, cell: string, worker: number): Promise<void> {
    if (this.#plan !== undefined && this.#everCaptured.has(snapshotId)) {
      this.#obsolete.set(snapshotId, this.#captures);
      return;
    }
    await this.#deleteQuietly(snapshotId, cell, worker);
  }

  // ---- containers and snapshots ---------------------------------------------------------

  #context(worker: number): TaskContext {
    return { signal: this.#internal.signal, worker };
  }

  #startOptions(): { env: Record<string, string> } | undefined {
    const env = this.#environment.env;
    return env === undefined ? undefined : { env };
  }

  /**
   * Takes a snapshot (kept past the process when checkpointing) and records it in the journal.
   * With `retryable`, a failure of the backend is thrown for the iteration to retry.
   */
  async #snapshot(container: SnapshotableContainer, retryable = false): Promise<string> {
    const started = now();
    let snapshotId: string;
    try {
      // A checkpoint's snapshots must outlive this process: a resume returns to them.
      snapshotId = await container.snapshot(this.#plan === undefined ? undefined : { keep: true });
    } catch (error) {
      if (retryable && !this.#internal.signal.aborted && isRetryableBackendError(error)) {
        throw new RetryableFailure('snapshot', error);
      }
      throw error;
    } finally {
      this.#snapshotMs += now() - started;
    }
    this.#ownSnapshots.add(snapshotId);
    this.#snapshotsTaken++;
    await this.#plan?.files.recordSnapshot(snapshotId);
    return snapshotId;
  }

  /**
   * Deletes a snapshot now. Deletions run one at a time: snapshots of one lineage share storage,
   * and an engine removing two related images at once can trip over its own bookkeeping.
   */
  async #deleteSnapshot(snapshotId: string, count = true): Promise<void> {
    const started = now();
    // Marked first: a worker whose restore of it fails from now on lost a race, nothing worse.
    this.#deletedSnapshots.add(snapshotId);
    this.#ownSnapshots.delete(snapshotId);
    const deletion = this.#deletions.then(() => (this.#deleter as SnapshotableContainer).deleteSnapshot(snapshotId));
    this.#deletions = deletion.catch(() => undefined);
    try {
      await deletion;
      if (count) this.#snapshotsDeleted++;
    } catch (error) {
      // Still ours: the final cleanup tries again.
      this.#ownSnapshots.add(snapshotId);
      throw error;
    } finally {
      this.#cleanupMs += now() - started;
    }
  }

  /** Deletes a snapshot; a failure is counted (`cleanup`), and the final cleanup tries again. */
  async #deleteQuietly(
    snapshotId: string,
    cell: string | undefined,
    worker: number,
    enforce = true,
    count = true,
  ): Promise<boolean> {
    try {
      await this.#deleteSnapshot(snapshotId, count);
      return true;
    } catch (error) {
      this.#recordFailure('cleanup', error, cell, worker, enforce);
      return false;
    }
  }

  async #stopContainer(container: SnapshotableContainer): Promise<void> {
    const started = now();
    try {
      await container.stop();
      this.#liveContainers.delete(container);
    } finally {
      this.#cleanupMs += now() - started;
    }
  }

  /** Stops a container; a failure is counted (`cleanup`), and the final cleanup tries again. */
  async #stopQuietly(container: SnapshotableContainer, cell: string | undefined, worker: number): Promise<void> {
    try {
      await this.#stopContainer(container);
    } catch (error) {
      this.#recordFailure('cleanup', error, cell, worker);
    }
  }

  /**
   * Ends the run's resources: decides what is kept (the archive with `keepArchive`; with a
   * checkpoint, the last checkpoint after an abort or a failure), stops what still runs, deletes
   * every other snapshot, and brings the checkpoint files in line.
   */
  async #finish(): Promise<{ keep: boolean; checkpointPath: string | undefined; cleanupError: unknown }> {
    const plan = this.#plan;
    const failed = this.#halt?.kind === 'failure';
    const aborted = this.#halt?.kind === 'stop' && this.#halt.reason === 'aborted';
    const archiveSnapshots = (): Set<string> => new Set(this.#archive.cells.map((cell) => cell.snapshotId));
    let kept = new Set<string>();
    let keep = false;
    let checkpointPath: string | undefined;
    let cleanupError: unknown;
    if (plan === undefined) {
      keep = this.#options.keepArchive === true && !failed && this.#archive.size > 0;
      if (keep) kept = archiveSnapshots();
    } else {
      await plan.files.settled();
      if (failed || aborted) {
        // The last checkpoint stays as it was written: a resume starts from that boundary.
        if (this.#onDisk !== undefined) {
          kept = this.#onDisk;
          checkpointPath = plan.path;
          keep = aborted && setsEqual(kept, archiveSnapshots());
        }
      } else if (this.#options.keepArchive === true && this.#archive.size > 0) {
        try {
          await this.#writeCheckpoint();
          kept = archiveSnapshots();
          keep = true;
          checkpointPath = plan.path;
        } catch (error) {
          cleanupError = error;
        }
      }
    }
    cleanupError = (await this.#cleanup(kept)) ?? cleanupError;
    if (plan !== undefined) {
      const resumeRefused = this.#onDisk === undefined && plan.resume !== undefined;
      try {
        if (checkpointPath !== undefined) {
          await plan.files.rewriteJournal([...this.#ownSnapshots].filter((snapshotId) => !kept.has(snapshotId)));
        } else if (!resumeRefused) {
          await plan.files.remove();
        }
      } catch (error) {
        cleanupError ??= error;
      }
    }
    return { keep, checkpointPath, cleanupError };
  }

  /**
   * Stops what is still running and deletes every snapshot not in `kept`, each tried up to three
   * times (failures are counted as `cleanup`); returns the first error that remained.
   */
  async #cleanup(kept: ReadonlySet<string>): Promise<unknown> {
    const attempts = 3;
    let firstError: unknown;
    const retry = async (operation: () => Promise<void>): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await operation();
          return;
        } catch (error) {
          this.#recordFailure('cleanup', error, undefined, -1, false);
          if (attempt >= attempts || !isRetryableBackendError(error)) {
            firstError ??= error;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
        }
      }
    };
    for (const container of [...this.#liveContainers]) await retry(() => this.#stopContainer(container));
    // Newest first: on engines that layer snapshots, children go before the parents they hold.
    for (const snapshotId of [...this.#ownSnapshots].reverse()) {
      if (kept.has(snapshotId)) continue;
      await retry(() => this.#deleteSnapshot(snapshotId));
    }
    return firstError;
  }

  // ---- result ---------------------------------------------------------------------------

  #elapsed(): number {
    return this.#priorElapsedMs + now() - this.#startedAt;
  }

  #result(
    keep: boolean,
    best: ArchiveCell<Action, Observation>,
    checkpointPath: string | undefined,
  ): GoExploreResult<Action, Observation> {
    const freeze = (cell: ArchiveCell<Action, Observation>): Cell<Action, Observation> =>
      Object.freeze({ ...cell, trajectory: Object.freeze([...cell.trajectory]) });
    const cells = this.#archive.cells.map(freeze);
    const bestView = cells[this.#archive.cells.indexOf(best)] as Cell<Action, Observation>;
    const stopReason: StopReason =
      this.#halt?.kind === 'stop' ? this.#halt.reason : (this.#budgetReason ?? 'exhausted');
    return {
      stopReason,
      seed: this.#seed,
      cells,
      best: bestView,
      bestTrajectory: bestView.trajectory,
      bestHistory: [...this.#bestHistory],
      archiveKept: keep,
      iterations: this.#iterations,
      steps: this.#steps,
      returns: this.#returns,
      staleReturns: this.#staleReturns,
      snapshotsTaken: this.#snapshotsTaken,
      snapshotsDeleted: this.#snapshotsDeleted,
      timing: {
        totalMs: this.#elapsed(),
        setupMs: this.#setupMs,
        returnMs: this.#returnMs,
        exploreMs: this.#exploreMs,
        snapshotMs: this.#snapshotMs,
        cleanupMs: this.#cleanupMs,
      },
      failures: { ...this.#failures },
      checkpointPath,
      resumed: this.#resumed,
    };
  }
}

function setsEqual(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((value) => b.has(value));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function checkStepResult<Observation>(value: unknown): StepResult<Observation> {
  const result = value as Partial<StepResult<Observation>> | null;
  if (typeof result !== 'object' || result === null || !('observation' in result)) {
    throw new InvalidArgumentError({
      argument: 'task.step',
      message: 'must return { observation, reward, done }',
    });
  }
  if (typeof result.reward !== 'number' || !Number.isFinite(result.reward)) {
    throw new InvalidArgumentError({
      argument: 'task.step',
      message: `returned reward ${String(result.reward)}; expected a finite number`,
    });
  }
  if (typeof result.done !== 'boolean') {
    throw new InvalidArgumentError({
      argument: 'task.step',
      message: `returned done ${String(result.done)}; expected a boolean`,
    });
  }
  return result as StepResult<Observation>;
}

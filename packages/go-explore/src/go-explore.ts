import { randomInt } from 'node:crypto';
import { InvalidArgumentError, type SnapshotableContainer } from '@snapbox/core';
import { Archive, type ArchiveCell, type CellEntry } from './archive.js';
import type { Cell } from './cell.js';
import { type Environment, resolveEnvironment } from './environment.js';
import type { GoExploreOptions, GoExplorePolicy, GoExploreProgress } from './options.js';
import { createRandom, type Random, type Seed } from './random.js';
import type { BestScorePoint, GoExploreResult, StopReason } from './result.js';
import { type CellWeight, defaultCellWeight, selectCell } from './selection.js';
import type { GoExploreTask, StepResult, TaskContext } from './task.js';
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
 * Guarantees: never more live containers than `workers`; with `workers: 1` and a seed, a
 * deterministic task on a deterministic backend repeats exactly (same archive, same best
 * trajectory). With more workers each worker draws from its own seeded stream, but the
 * interleaving of workers depends on timing, so archives can differ from run to run.
 *
 * @throws UnsupportedCapabilityError when the factory or container cannot snapshot.
 * @throws InvalidArgumentError for bad options, or when the task returns a malformed step result,
 *   a non-string cell key, or the weight function a negative or non-finite weight.
 * @throws whatever the task, the policy, `onProgress` or the backend throws: the run stops, cleans
 *   up everything it created (the archive too), then rethrows the first such error.
 */
export async function goExplore<Action, Observation>(
  options: GoExploreOptions<Action, Observation>,
): Promise<GoExploreResult<Action, Observation>> {
  validateOptions(options as GoExploreOptions<unknown, unknown>);
  const environment = resolveEnvironment(options);
  options.signal?.throwIfAborted();
  return new Run(options, environment).execute();
}

/** Why a worker or the whole run must stop taking new steps. */
type Halt = { kind: 'stop'; reason: StopReason } | { kind: 'failure'; error: unknown };

/** What a return restores: the cell's entry as it was when the worker chose it. */
interface Origin<Action, Observation> {
  cell: ArchiveCell<Action, Observation>;
  view: Cell<Action, Observation>;
}

const now = (): number => performance.now();

class Run<Action, Observation> {
  readonly #options: GoExploreOptions<Action, Observation>;
  readonly #environment: Environment;
  readonly #task: GoExploreTask<Action, Observation>;
  readonly #policy: GoExplorePolicy<Action, Observation>;
  readonly #weight: CellWeight<Action, Observation>;
  readonly #workers: number;
  readonly #explorationSteps: number;
  readonly #seed: Seed;
  readonly #archive = new Archive<Action, Observation>();
  readonly #internal = new AbortController();
  readonly #startedAt = now();

  #halt: Halt | undefined;
  #budgetReason: StopReason | undefined;
  #deleter: SnapshotableContainer | undefined;
  /** Snapshots this run created and has not deleted. */
  readonly #ownSnapshots = new Set<string>();
  /** Snapshots this run deleted: a failed restore of one of these is a lost race, not an error. */
  readonly #deletedSnapshots = new Set<string>();
  readonly #liveContainers = new Set<SnapshotableContainer>();
  #deletions: Promise<unknown> = Promise.resolve();
  readonly #bestHistory: BestScorePoint[] = [];
  #busyWorkers = 0;
  #cellsChanged = deferred();

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

  constructor(options: GoExploreOptions<Action, Observation>, environment: Environment) {
    this.#options = options;
    this.#environment = environment;
    this.#task = options.task;
    this.#policy = options.policy ?? ((context) => context.sampleAction());
    this.#weight = options.cellWeight ?? defaultCellWeight;
    this.#workers = options.workers ?? 1;
    this.#explorationSteps = options.explorationSteps ?? 50;
    this.#seed = options.seed ?? randomInt(0, 2 ** 31);
  }

  async execute(): Promise<GoExploreResult<Action, Observation>> {
    const signal = this.#options.signal;
    const onAbort = (): void => this.#stop('aborted', signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#guard(() => this.#setup());
      if (this.#archive.size > 0) await this.#guard(async () => this.#report());
      if (this.#archive.size > 0 && this.#halt === undefined) {
        const master = createRandom(this.#seed);
        const streams = Array.from({ length: this.#workers }, () => master.fork());
        await Promise.all(streams.map((rng, index) => this.#guard(() => this.#work(index, rng))));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const keep = this.#options.keepArchive === true && this.#halt?.kind !== 'failure' && this.#archive.size > 0;
    const cleanupError = await this.#cleanup(keep);
    if (this.#halt?.kind === 'failure') throw this.#halt.error;
    if (cleanupError !== undefined) throw cleanupError;
    const best = this.#archive.best;
    if (best === undefined) {
      // Only an abort during the setup leaves the archive empty.
      throw signal?.reason ?? new DOMException('The run was aborted before its first cell', 'AbortError');
    }
    return this.#result(keep, best);
  }

  // ---- stopping -------------------------------------------------------------------------

  #halted(): boolean {
    if (this.#halt !== undefined) return true;
    const { maxTimeMs } = this.#options;
    if (maxTimeMs !== undefined && now() - this.#startedAt >= maxTimeMs) this.#stop('time');
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

  // ---- setup ----------------------------------------------------------------------------

  async #setup(): Promise<void> {
    const started = now();
    const root = this.#environment.createRoot();
    this.#deleter = root;
    try {
      this.#liveContainers.add(root);
      // Only an abort stops the setup: without a first cell there is nothing to return.
      await root.start(this.#startOptions());
      if (this.#internal.signal.aborted) return;
      const observation = await this.#task.reset(root, this.#context(-1));
      const key = this.#cellOf(observation);
      if (this.#internal.signal.aborted) return;
      const snapshotId = await this.#snapshot(root);
      this.#archive.offer({ key, snapshotId, score: 0, trajectory: [], observation, done: false, step: 0 });
      this.#bestHistory.push({ steps: 0, score: 0, trajectoryLength: 0, iteration: 0, elapsedMs: this.#elapsed() });
      this.#checkTarget();
    } finally {
      this.#setupMs += now() - started;
      await this.#stopContainer(root);
    }
  }

  // ---- workers --------------------------------------------------------------------------

  async #work(worker: number, rng: Random): Promise<void> {
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
      try {
        const container = await this.#return(origin.view.snapshotId);
        if (container === undefined) {
          cell.timesChosen--;
          this.#iterationsStarted--;
          continue;
        }
        try {
          await this.#explore(container, origin, rng, worker);
        } finally {
          await this.#stopContainer(container);
        }
        this.#iterations++;
      } finally {
        this.#busyWorkers--;
        this.#notifyCellsChanged();
      }
      this.#report();
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
      if (container !== undefined) await this.#stopContainer(container).catch(() => undefined);
      // The cell was improved and its old snapshot deleted after this worker chose it: whatever
      // the backend reports (SnapshotNotFoundError, or a lower-level error mid-restore), choose again.
      if (this.#deletedSnapshots.has(snapshotId)) {
        this.#staleReturns++;
        return undefined;
      }
      throw error;
    } finally {
      this.#returnMs += now() - started;
    }
  }

  async #explore(
    container: SnapshotableContainer,
    origin: Origin<Action, Observation>,
    rng: Random,
    worker: number,
  ): Promise<void> {
    const context = this.#context(worker);
    const actions = [...origin.view.trajectory];
    let score = origin.view.score;
    let observation = origin.view.observation;
    let previousAction: Action | undefined;
    let progressed = false;
    for (let index = 0; index < this.#explorationSteps; index++) {
      if (this.#halted() || !this.#reserveStep()) break;
      const started = now();
      let action: Action;
      let result: StepResult<Observation>;
      try {
        action = await this.#policy({
          rng,
          observation,
          cell: origin.view,
          step: index,
          previousAction,
          sampleAction: () => this.#task.sampleAction(rng),
        });
        result = checkStepResult(await this.#task.step(container, action, context));
      } finally {
        this.#exploreMs += now() - started;
      }
      this.#steps++;
      previousAction = action;
      actions.push(action);
      score += result.reward;
      observation = result.observation;
      const key = this.#cellOf(observation);
      if (this.#archive.wouldAccept(key, score, actions.length)) {
        const entry: CellEntry<Action, Observation> = {
          key,
          snapshotId: await this.#snapshot(container),
          score,
          trajectory: [...actions],
          observation,
          done: result.done,
          step: this.#steps,
        };
        // Another worker may have improved the cell while this snapshot was being taken.
        const outcome = this.#archive.offer(entry);
        if (outcome.outcome === 'rejected') {
          await this.#deleteSnapshot(entry.snapshotId);
        } else {
          progressed = true;
          this.#recordBest(entry);
          if (outcome.outcome === 'replaced') await this.#deleteSnapshot(outcome.previousSnapshotId);
          this.#checkTarget();
        }
      } else {
        this.#archive.visit(key);
      }
      if (result.done) break;
    }
    origin.cell.timesChosenSinceProgress = progressed ? 0 : origin.cell.timesChosenSinceProgress + 1;
  }

  // ---- archive bookkeeping --------------------------------------------------------------

  #cellOf(observation: Observation): string {
    const key: unknown = this.#task.cellOf(observation);
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
    };
    onProgress(progress);
  }

  // ---- containers and snapshots ---------------------------------------------------------

  #context(worker: number): TaskContext {
    return { signal: this.#internal.signal, worker };
  }

  #startOptions(): { env: Record<string, string> } | undefined {
    const env = this.#environment.env;
    return env === undefined ? undefined : { env };
  }

  async #snapshot(container: SnapshotableContainer): Promise<string> {
    const started = now();
    try {
      const snapshotId = await container.snapshot();
      this.#ownSnapshots.add(snapshotId);
      this.#snapshotsTaken++;
      return snapshotId;
    } finally {
      this.#snapshotMs += now() - started;
    }
  }

  /**
   * Deletes a snapshot now. Deletions run one at a time: snapshots of one lineage share storage,
   * and an engine removing two related images at once can trip over its own bookkeeping.
   */
  async #deleteSnapshot(snapshotId: string): Promise<void> {
    const started = now();
    // Marked first: a worker whose restore of it fails from now on lost a race, nothing worse.
    this.#deletedSnapshots.add(snapshotId);
    this.#ownSnapshots.delete(snapshotId);
    const deletion = this.#deletions.then(() => (this.#deleter as SnapshotableContainer).deleteSnapshot(snapshotId));
    this.#deletions = deletion.catch(() => undefined);
    try {
      await deletion;
      this.#snapshotsDeleted++;
    } catch (error) {
      // Still ours: the final cleanup tries again.
      this.#ownSnapshots.add(snapshotId);
      throw error;
    } finally {
      this.#cleanupMs += now() - started;
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

  /** Stops what is still running and deletes every snapshot not kept; returns the first error. */
  async #cleanup(keep: boolean): Promise<unknown> {
    let firstError: unknown;
    const kept = new Set(keep ? this.#archive.cells.map((cell) => cell.snapshotId) : []);
    for (const container of [...this.#liveContainers]) {
      try {
        await this.#stopContainer(container);
      } catch (error) {
        firstError ??= error;
      }
    }
    // Newest first: on engines that layer snapshots, children go before the parents they hold.
    for (const snapshotId of [...this.#ownSnapshots].reverse()) {
      if (kept.has(snapshotId)) continue;
      try {
        await this.#deleteSnapshot(snapshotId);
      } catch (error) {
        firstError ??= error;
      }
    }
    return firstError;
  }

  // ---- result ---------------------------------------------------------------------------

  #elapsed(): number {
    return now() - this.#startedAt;
  }

  #result(keep: boolean, best: ArchiveCell<Action, Observation>): GoExploreResult<Action, Observation> {
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
    };
  }
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

/**
 * Removals left to the background: what `stop()` and `deleteSnapshot()` free once their caller
 * no longer needs to wait (a stopped container's folder, cgroup and pins; a deleted snapshot's
 * pins and layers). Removing a folder tree costs milliseconds per folder on some disks (with
 * online discard, each freed block is trimmed), which a Go-Explore cycle would otherwise wait
 * for. At most a couple run at once, off the event loop. Whatever is still tracked at exit is
 * removed by the session's exit cleanup (or its watchdog), as before.
 */
export class BackgroundRemovals {
  readonly #waiting: (() => Promise<void>)[] = [];
  #running = 0;
  readonly #limit: number;
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;
  /** The first failure since the last {@link BackgroundRemovals.settled} (later ones are alike). */
  #failure: { error: unknown } | undefined;

  readonly #hold: () => () => void;

  /** `hold` keeps the session's exit cleanup armed until the function it returns is called. */
  constructor(hold: () => () => void, limit = 2) {
    this.#hold = hold;
    this.#limit = limit;
  }

  /** Queues `task`; its failure is kept for {@link BackgroundRemovals.settled}. */
  add(task: () => Promise<void>): void {
    const release = this.#hold();
    this.#waiting.push(() => task().finally(release));
    this.#pump();
  }

  /**
   * Resolves once nothing is queued or running; rejects with the first failure since the last
   * call, if any.
   */
  async settled(): Promise<void> {
    if (this.#running > 0 || this.#waiting.length > 0) {
      if (this.#idle === undefined) {
        let resolve: () => void = () => undefined;
        const promise = new Promise<void>((done) => {
          resolve = done;
        });
        this.#idle = { promise, resolve };
      }
      await this.#idle.promise;
    }
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined) throw failure.error;
  }

  #pump(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      const task = this.#waiting.shift() as () => Promise<void>;
      this.#running++;
      task()
        .catch((error: unknown) => {
          this.#failure ??= { error };
        })
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#waiting.length === 0 && this.#idle !== undefined) {
            const idle = this.#idle;
            this.#idle = undefined;
            idle.resolve();
          }
        });
    }
  }
}

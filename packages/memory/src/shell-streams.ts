/**
 * The plumbing of the memory backend's shell: a kill switch that stops a command and all it
 * started, byte sinks and sources for file descriptors, and pipes between commands.
 */

/** Thrown through the interpreter when its command was killed; never reaches callers. */
export class KilledError extends Error {
  constructor() {
    super('killed');
    this.name = 'KilledError';
  }
}

/**
 * Thrown by a write into a pipe whose reader has gone (`... | head -n 1`): the writer ends with
 * status 141, as SIGPIPE ends it in a real shell, instead of producing output nobody reads.
 */
export class BrokenPipeError extends Error {
  constructor() {
    super('broken pipe');
    this.name = 'BrokenPipeError';
  }
}

/**
 * What "killing the processes" means in memory: once `kill()` runs, every pending `sleep` and
 * pipe read rejects with {@link KilledError} and no further command starts, so nothing the
 * command (or a background job of it) would have done later ever happens.
 */
export class KillSwitch {
  #killed = false;
  readonly #listeners = new Set<() => void>();

  get killed(): boolean {
    return this.#killed;
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Calls `listener` on kill (at once if already killed); returns an unsubscribe function. */
  onKill(listener: () => void): () => void {
    if (this.#killed) {
      listener();
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  throwIfKilled(): void {
    if (this.#killed) throw new KilledError();
  }

  /** Waits `ms` milliseconds, or rejects with {@link KilledError} as soon as the switch is thrown. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#killed) {
        reject(new KilledError());
        return;
      }
      const timer = Number.isFinite(ms) ? setTimeout(() => done(resolve), Math.min(ms, 2_147_483_647)) : undefined;
      const off = this.onKill(() => done(() => reject(new KilledError())));
      const done = (settle: () => void): void => {
        if (timer !== undefined) clearTimeout(timer);
        off();
        settle();
      };
    });
  }

  /** Waits for `promise`, but rejects with {@link KilledError} as soon as the switch is thrown. */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const off = this.onKill(() => reject(new KilledError()));
      promise.then(
        (value) => {
          off();
          resolve(value);
        },
        (error: unknown) => {
          off();
          reject(error);
        },
      );
    });
  }
}

let lastBreath = performance.now();

/**
 * Lets timers run during long CPU-bound stretches (`while true; do :; done`, a big `seq`):
 * awaiting resolved promises never yields to the timer queue, so a timeout could not fire.
 */
export async function breathe(): Promise<void> {
  const now = performance.now();
  if (now - lastBreath < 8) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastBreath = performance.now();
}

/** Where a file descriptor's writes go. Writes are synchronous: output exists as soon as it is written. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
}

/** A sink that drops everything (`/dev/null`, a closed descriptor). */
export const nullSink: ByteSink = { write() {} };

/**
 * A readable descriptor with a push-back buffer, shared by every command that reads it (so in
 * `while read line; do ...; done < file` each `read` takes one line and leaves the rest).
 */
export class ByteSource {
  readonly #pull: () => Promise<Uint8Array | null>;
  readonly #onClose: (() => void) | undefined;
  #buffer: Uint8Array | undefined;
  #ended = false;

  constructor(pull: () => Promise<Uint8Array | null>, onClose?: () => void) {
    this.#pull = pull;
    this.#onClose = onClose;
  }

  /** A source that yields `bytes` once, then end of file. */
  static of(bytes: Uint8Array): ByteSource {
    let given = false;
    return new ByteSource(async () => {
      if (given) return null;
      given = true;
      return bytes;
    });
  }

  /** A source at end of file (what `exec` gives as stdin: none is attached). */
  static empty(): ByteSource {
    return new ByteSource(async () => null);
  }

  /** The next chunk, or `null` at end of file. */
  async read(): Promise<Uint8Array | null> {
    if (this.#buffer !== undefined) {
      const chunk = this.#buffer;
      this.#buffer = undefined;
      return chunk;
    }
    if (this.#ended) return null;
    for (;;) {
      const chunk = await this.#pull();
      if (chunk === null) {
        this.#ended = true;
        return null;
      }
      if (chunk.length > 0) return chunk;
    }
  }

  /** Everything up to end of file. */
  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) chunks.push(chunk);
    return concatBytes(chunks);
  }

  /** One line without its newline; `newline` tells whether it ended with one. `null` at end of file. */
  async readLine(): Promise<{ line: Uint8Array; newline: boolean } | null> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return parts.length === 0 ? null : { line: concatBytes(parts), newline: false };
      const index = chunk.indexOf(10);
      if (index >= 0) {
        parts.push(chunk.subarray(0, index));
        if (index + 1 < chunk.length) this.#buffer = chunk.subarray(index + 1);
        return { line: concatBytes(parts), newline: true };
      }
      parts.push(chunk);
    }
  }

  /** Puts bytes back in front (a reader that took more than it needed). */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#buffer = this.#buffer === undefined ? bytes : concatBytes([bytes, this.#buffer]);
  }

  /** Tells the writer nobody will read any more (its further writes are dropped, like SIGPIPE). */
  close(): void {
    this.#onClose?.();
  }
}

/** A pipe between two commands of a pipeline. Writes after the reader closed throw {@link BrokenPipeError}. */
export class Pipe {
  readonly #chunks: Uint8Array[] = [];
  readonly #kill: KillSwitch;
  #writeClosed = false;
  #readClosed = false;
  #wake: (() => void) | undefined;

  constructor(kill: KillSwitch) {
    this.#kill = kill;
  }

  readonly sink: ByteSink = {
    write: (bytes) => {
      if (this.#readClosed) throw new BrokenPipeError();
      if (this.#writeClosed || bytes.length === 0) return;
      this.#chunks.push(bytes.slice());
      this.#notify();
    },
  };

  readonly source: ByteSource = new ByteSource(
    () => this.#next(),
    () => {
      this.#readClosed = true;
      this.#chunks.length = 0;
    },
  );

  closeWrite(): void {
    this.#writeClosed = true;
    this.#notify();
  }

  closeRead(): void {
    this.source.close();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #next(): Promise<Uint8Array | null> {
    while (this.#chunks.length === 0 && !this.#writeClosed) {
      await this.#kill.race(new Promise<void>((resolve) => (this.#wake = resolve)));
    }
    this.#kill.throwIfKilled();
    return this.#chunks.shift() ?? null;
  }
}

/** Concatenates byte arrays. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes UTF-8, replacing invalid bytes. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

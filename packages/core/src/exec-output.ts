import type { ExecOptions, ExecResult } from './container.js';

/** The two output streams of a command, as {@link ExecOutputCollector.push} names them. */
export type ExecStreamName = 'stdout' | 'stderr';

/**
 * Turns the raw bytes of a command's two streams into an {@link ExecResult}: decodes UTF-8
 * incrementally (a character split across chunks survives, invalid bytes become U+FFFD instead
 * of throwing), keeps arrival order for `output`, applies `maxOutputBytes` per stream so memory
 * stays bounded, and forwards every decoded piece to the streaming callbacks.
 *
 * Backends feed it with {@link ExecOutputCollector.push} and call `result()` at the end, or
 * `partialResult()` when the command was killed.
 */
export class ExecOutputCollector {
  readonly #limit: number;
  readonly #callbacks: Pick<ExecOptions, 'onStdout' | 'onStderr'>;
  readonly #decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
  readonly #kept = { stdout: 0, stderr: 0 };
  readonly #text = { stdout: [] as string[], stderr: [] as string[] };
  readonly #output: string[] = [];
  // Callbacks see everything, so they get their own decoders (the kept text may stop mid-stream).
  readonly #callbackDecoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
  #truncated = false;
  #closed = false;
  #callbackError: { error: unknown } | undefined;

  constructor(options: Pick<ExecOptions, 'maxOutputBytes' | 'onStdout' | 'onStderr'> = {}) {
    this.#limit = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
    this.#callbacks = { onStdout: options.onStdout, onStderr: options.onStderr };
  }

  /**
   * Adds bytes (or already decoded text) that arrived on `stream`. Ignored once a result was
   * taken: output a killed command writes after its call settled reaches neither the result nor
   * the callbacks.
   */
  push(stream: ExecStreamName, chunk: Uint8Array | string): void {
    if (this.#closed) return;
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    if (bytes.length === 0) return;
    // Without a callback to hear it, decoding the whole chunk a second time is wasted work.
    if (this.#wantsCallback(stream)) {
      this.#notify(stream, this.#callbackDecoders[stream].decode(bytes, { stream: true }));
    }
    const room = this.#limit - this.#kept[stream];
    const keep = room >= bytes.length ? bytes : bytes.subarray(0, Math.max(0, room));
    if (keep.length < bytes.length) this.#truncated = true;
    if (keep.length === 0) return;
    this.#kept[stream] += keep.length;
    this.#append(stream, this.#decoders[stream].decode(keep, { stream: true }));
  }

  /**
   * The first exception a streaming callback threw, if any. Once a callback has thrown, no
   * callback is called again; the output is still collected.
   */
  get callbackError():
    | {
        /** The value the callback threw (wrapped, so that a thrown `undefined` is still reported). */
        error: unknown;
      }
    | undefined {
    return this.#callbackError;
  }

  /** The result of a command that exited with `exitCode`. Later {@link ExecOutputCollector.push} calls are ignored. */
  result(exitCode: number): ExecResult {
    this.#closed = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      this.#append(stream, this.#decoders[stream].decode());
      if (this.#wantsCallback(stream)) this.#notify(stream, this.#callbackDecoders[stream].decode());
    }
    const stdout = this.#text.stdout.join('');
    const stderr = this.#text.stderr.join('');
    // With one stream silent, `output` is the other stream's text: no need to join it twice.
    const output = stderr === '' ? stdout : stdout === '' ? stderr : this.#output.join('');
    return { exitCode, output, stdout, stderr, truncated: this.#truncated };
  }

  /** The result of a command that was killed before it exited (`exitCode` -1). */
  partialResult(): ExecResult {
    return this.result(-1);
  }

  #append(stream: ExecStreamName, text: string): void {
    if (text === '') return;
    this.#text[stream].push(text);
    this.#output.push(text);
  }

  #wantsCallback(stream: ExecStreamName): boolean {
    const callback = stream === 'stdout' ? this.#callbacks.onStdout : this.#callbacks.onStderr;
    return callback !== undefined && this.#callbackError === undefined;
  }

  #notify(stream: ExecStreamName, text: string): void {
    if (text === '') return;
    const callback = stream === 'stdout' ? this.#callbacks.onStdout : this.#callbacks.onStderr;
    if (callback === undefined || this.#callbackError !== undefined) return;
    try {
      callback(text);
    } catch (error) {
      this.#callbackError = { error };
    }
  }
}

/** Something text can be written to: `process.stdout`, or a buffer in tests. */
export interface TextSink {
  /** Writes `text` as is (no newline added). */
  write(text: string): unknown;
}

/** Where a command writes: its results on `stdout`, reports, usage and errors on `stderr`. */
export interface CliIo {
  /** Results, meant to be piped (`--json` output goes here alone). */
  readonly stdout: TextSink;
  /** Reports, usage and error messages. */
  readonly stderr: TextSink;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Something text can be written to: `process.stdout`, or a buffer in tests. */
export interface TextSink {
  /** Writes `text` as is (no newline added). */
  write(text: string): unknown;
}

/** Where answers to a question come from: `process.stdin`, or a stream in tests. */
export type AnswerSource = NodeJS.ReadableStream & {
  /** True when it is a terminal: only then is a person there to answer. */
  readonly isTTY?: boolean;
};

/** Where a command writes, and where it reads answers from. */
export interface CliIo {
  /** Results, meant to be piped (`--json` output goes here alone). */
  readonly stdout: TextSink;
  /** Reports, usage, questions and error messages. */
  readonly stderr: TextSink;
  /**
   * Where answers to a confirmation are read, when it is a terminal (`isTTY`); without it, or when
   * it is not a terminal, a command that needs a confirmation does not get one.
   */
  readonly stdin?: AnswerSource;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: touching process.stdin opens it, which only a command that asks should do.
    get stdin() {
      return process.stdin;
    },
  };
}

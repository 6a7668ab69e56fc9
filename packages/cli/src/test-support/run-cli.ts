import type { AnswerSource, CliIo } from '../cli-io.js';
import { main } from '../main.js';

/** What {@link runCli} captured. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with `argv`, capturing what it writes and its exit code; no stdin. */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliWith({}, ...argv);
}

/**
 * {@link runCli} with a stdin (a stream with `isTTY: true` stands for a terminal), and a callback
 * that sees stderr as it is written (to answer a question when it is asked).
 */
export async function runCliWith(
  options: { stdin?: AnswerSource; onStderr?: (stderrSoFar: string) => void },
  ...argv: string[]
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: {
      write: (text: string) => {
        stderr += text;
        options.onStderr?.(stderr);
      },
    },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

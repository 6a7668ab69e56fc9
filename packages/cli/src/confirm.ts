import { createInterface } from 'node:readline';
import type { CliIo } from './cli-io.js';

/**
 * Asks `question` on stderr and reads one line from `io.stdin`; true for `y` or `yes` (any case).
 * End of input counts as no, and so does a stdin that is not a terminal (nobody is there to
 * answer; the question is not even asked).
 */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const input = io.stdin;
  if (input?.isTTY !== true) return false;
  io.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input, terminal: false });
  try {
    for await (const line of lines) return /^\s*y(es)?\s*$/i.test(line);
    // End of input (Ctrl-D): the cursor is still after the question.
    io.stderr.write('\n');
    return false;
  } finally {
    lines.close();
  }
}

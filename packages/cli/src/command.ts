import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from './cli-io.js';

/**
 * One `snapbox` command. Each lives in its own file under `commands/` and is listed in
 * `commands/index.ts`; `main` finds it by its words (`['presets', 'list']`).
 */
export interface Command {
  /** The words that name it after `snapbox`, e.g. `['presets', 'list']`. */
  readonly path: readonly string[];
  /** One line for `snapbox --help`. */
  readonly summary: string;
  /** The full text of `snapbox <path> --help`, ending with a newline. */
  readonly usage: string;
  /**
   * Runs the command with the arguments after its words and returns the exit code.
   * Throws {@link UsageError} for bad arguments (exit 2); any `SnapboxError` it throws is printed
   * and exits 1.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad command-line arguments: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  /** Always `'UsageError'`. */
  override readonly name = 'UsageError';
}

/** The options of a command, as `node:util` `parseArgs` takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns for `options`: typed `values`, no positionals. */
export type ParsedCommandArgs<O extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>;

/**
 * `node:util` `parseArgs` in strict mode with no positionals, turning its errors into
 * {@link UsageError}s.
 */
export function parseCommandArgs<const O extends CommandOptions>(
  args: readonly string[],
  options: O,
): ParsedCommandArgs<O> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

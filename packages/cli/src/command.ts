import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from './cli-io.js';
import { didYouMean, suggest } from './suggest.js';

/** What a command's implementation module exports: {@link Command.load} imports it. */
export interface CommandModule {
  /**
   * Runs the command with the arguments after its words and returns the exit code. `--help` never
   * reaches it (`main` answers that from {@link Command.usage}). Throws {@link UsageError} for bad
   * arguments (exit 2); any `SnapboxError` it throws is printed and exits 1.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * One `snapbox` command, as `main` sees it before running it: its words, help and options, all
 * plain data, and {@link Command.load}, which imports the code that runs it. Each command's
 * description lives in `commands/<name>.ts` and its implementation in `commands/<name>-run.ts`;
 * `commands/index.ts` lists them. So `snapbox --help`, `snapbox <command> --help` and a mistyped
 * option never load the Docker client.
 */
export interface Command {
  /** The words that name it after `snapbox`, e.g. `['presets', 'list']`. */
  readonly path: readonly string[];
  /** One line for `snapbox --help`. */
  readonly summary: string;
  /** The full text of `snapbox <path> --help`, ending with a newline. */
  readonly usage: string;
  /**
   * Its options, as `node:util` `parseArgs` takes them, without `--help` (every command has it).
   * `main` checks the arguments against them before loading the command.
   */
  readonly options: CommandOptions;
  /** Imports the implementation; called only to run the command. */
  load(): Promise<CommandModule>;
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
 * {@link UsageError}s; an unknown long option gets the closest known ones as a suggestion.
 */
export function parseCommandArgs<const O extends CommandOptions>(
  args: readonly string[],
  options: O,
): ParsedCommandArgs<O> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(message)?.[1] : undefined;
    if (unknown === undefined) throw new UsageError(message);
    // Node's message goes on about positional arguments, which no command takes.
    const name = unknown.split('=')[0] as string;
    const hint = name.startsWith('--')
      ? didYouMean(
          suggest(
            name,
            Object.keys(options).map((option) => `--${option}`),
          ),
        )
      : '';
    throw new UsageError(`unknown option ${name}.${hint}`);
  }
}

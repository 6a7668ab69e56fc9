import { readFileSync } from 'node:fs';
import { InvalidArgumentError, SnapboxError } from '@snapbox/core';
import { type CliIo, processIo } from './cli-io.js';
import { type Command, parseCommandArgs, UsageError } from './command.js';
import { commands } from './commands/index.js';
import { didYouMean, suggest } from './suggest.js';

export type { AnswerSource, CliIo, TextSink } from './cli-io.js';
export {
  type Command,
  type CommandModule,
  type CommandOptions,
  type ParsedCommandArgs,
  parseCommandArgs,
  UsageError,
} from './command.js';
export { commands } from './commands/index.js';

const helpFlags = new Set(['-h', '--help']);
const versionFlags = new Set(['-v', '-V', '--version']);
const topLevelOptions = ['--help', '--version'];

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function listing(members: readonly Command[]): string {
  const width = Math.max(...members.map((command) => command.path.join(' ').length));
  return members.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`).join('\n');
}

function generalUsage(): string {
  return `Usage: snapbox <command> [options]

Commands:
${listing(commands)}

Run "snapbox <command> --help" (or "snapbox help <command>") for a command's options.
Other options: -h, --help (this help), -v, -V, --version.
`;
}

/** The commands whose first word is `word` and that have more words: a group such as `presets`. */
function groupMembers(word: string): Command[] {
  return commands.filter((command) => command.path.length > 1 && command.path[0] === word);
}

function groupUsage(word: string): string | undefined {
  const members = groupMembers(word);
  if (members.length === 0) return undefined;
  return `Usage: snapbox ${word} <command> [options]

Commands:
${listing(members)}

Run "snapbox ${word} <command> --help" for a command's options.
`;
}

/** The command whose words start `argv`, preferring the longest, and the arguments after them. */
function findCommand(argv: readonly string[]): { command: Command; args: readonly string[] } | undefined {
  let found: Command | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, index) => argv[index] === word);
    if (matches && (found === undefined || command.path.length > found.path.length)) found = command;
  }
  return found === undefined ? undefined : { command: found, args: argv.slice(found.path.length) };
}

/** What the user may have meant by `argv`, a command that does not exist: whole command lines. */
function commandSuggestions(argv: readonly string[]): string[] {
  const [first, second] = argv;
  if (first === undefined) return [];
  if (groupMembers(first).length > 0) {
    // The group is right; the word after it is not.
    return second === undefined
      ? []
      : suggest(
          second,
          groupMembers(first).map((command) => command.path[1] as string),
        ).map((word) => `${first} ${word}`);
  }
  if (first.startsWith('-')) return suggest(first, topLevelOptions);
  const words = [...commands.map((command) => command.path[0] as string), 'help'];
  return suggest(first, words).map((word) => {
    // `prsets list`: suggest the whole line when the rest of it is right.
    const members = groupMembers(word);
    return second !== undefined && members.some((command) => command.path[1] === second) ? `${word} ${second}` : word;
  });
}

function unknown(argv: readonly string[], io: CliIo): number {
  const [first, second] = argv;
  const hint = didYouMean(commandSuggestions(argv));
  const group = first === undefined ? undefined : groupUsage(first);
  if (group !== undefined) {
    const problem =
      second === undefined
        ? `"${first}" needs a command`
        : second.startsWith('-')
          ? `unknown option ${second} for "${first}"`
          : `unknown command "${first} ${second}"`;
    io.stderr.write(`snapbox: ${problem}.${hint}\n\n${group}`);
  } else {
    const what = first?.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`;
    io.stderr.write(`snapbox: ${what}.${hint}\n\n${generalUsage()}`);
  }
  return 2;
}

/** Prints a failure the way every command reports it, and returns its exit code. */
function report(error: unknown, name: string, io: CliIo): number {
  if (error instanceof UsageError || InvalidArgumentError.isInstance(error)) {
    io.stderr.write(`${name}: ${error.message}\nRun "${name} --help" for usage.\n`);
    return 2;
  }
  if (SnapboxError.isInstance(error)) {
    io.stderr.write(`${name}: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(
    `${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

/**
 * Runs the `snapbox` command line in-process and returns its exit code (the `bin` calls it with
 * `process.argv.slice(2)`): 0 on success, 1 when a command fails (its `SnapboxError` message is
 * printed on stderr), 2 for a usage error (unknown command, bad option; usage goes to stderr,
 * with the closest command or option when one looks like a typo); a command may document others
 * (`prune`: 3 when `--all-sessions` was not confirmed).
 *
 * Help, version and usage errors are answered from the commands' descriptions alone: a
 * command's code (and the Docker client, for `ls` and `prune`) is imported only to run it.
 * @param argv the arguments after `snapbox`, e.g. `['presets', 'list', '--json']`.
 * @param io where to write, and where answers to a confirmation come from; default: the
 *   process's stdout, stderr and stdin.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(generalUsage());
    return 2;
  }
  if (helpFlags.has(first)) {
    io.stdout.write(generalUsage());
    return 0;
  }
  if (versionFlags.has(first)) {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      io.stdout.write(generalUsage());
      return 0;
    }
    const match = findCommand(rest);
    if (match !== undefined && match.args.length === 0) {
      io.stdout.write(match.command.usage);
      return 0;
    }
    const group = rest.length === 1 ? groupUsage(rest[0]!) : undefined;
    if (group !== undefined) {
      io.stdout.write(group);
      return 0;
    }
    return unknown(rest, io);
  }

  const match = findCommand(argv);
  if (match === undefined) {
    // `snapbox presets --help`: a group answers for itself.
    const group = groupUsage(first);
    if (group !== undefined && rest.length === 1 && helpFlags.has(rest[0]!)) {
      io.stdout.write(group);
      return 0;
    }
    return unknown(argv, io);
  }
  const { command, args } = match;
  const name = `snapbox ${command.path.join(' ')}`;
  try {
    const { values } = parseCommandArgs(args, { ...command.options, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(command.usage);
      return 0;
    }
    const implementation = await command.load();
    return await implementation.run(args, io);
  } catch (error) {
    return report(error, name, io);
  }
}

import { readFileSync } from 'node:fs';
import { InvalidArgumentError, SnapboxError } from '@snapbox/core';
import { type CliIo, processIo } from './cli-io.js';
import { type Command, UsageError } from './command.js';
import { commands } from './commands/index.js';

export type { CliIo, TextSink } from './cli-io.js';
export { type Command, type CommandOptions, type ParsedCommandArgs, parseCommandArgs, UsageError } from './command.js';
export { commands } from './commands/index.js';

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function generalUsage(): string {
  const width = Math.max(...commands.map((command) => command.path.join(' ').length));
  const lines = commands.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`);
  return `Usage: snapbox <command> [options]

Commands:
${lines.join('\n')}

Run "snapbox <command> --help" (or "snapbox help <command>") for a command's options.
Other options: -h, --help (this help), -V, --version.
`;
}

function groupUsage(word: string): string | undefined {
  const members = commands.filter((command) => command.path.length > 1 && command.path[0] === word);
  if (members.length === 0) return undefined;
  const width = Math.max(...members.map((command) => command.path.join(' ').length));
  return `Usage: snapbox ${word} <command> [options]

Commands:
${members.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`).join('\n')}
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

function unknown(argv: readonly string[], io: CliIo): number {
  const group = argv[0] === undefined ? undefined : groupUsage(argv[0]);
  if (group !== undefined) {
    const sub = argv[1];
    io.stderr.write(
      `snapbox: ${sub === undefined ? `"${argv[0]}" needs a command` : `unknown command "${argv[0]} ${sub}"`}\n\n${group}`,
    );
  } else {
    io.stderr.write(`snapbox: unknown command ${JSON.stringify(argv[0])}\n\n${generalUsage()}`);
  }
  return 2;
}

/**
 * Runs the `snapbox` command line in-process and returns its exit code (the `bin` calls it with
 * `process.argv.slice(2)`): 0 on success, 1 when a command fails (its `SnapboxError` message is
 * printed on stderr), 2 for a usage error (unknown command, bad option; usage goes to stderr).
 * @param argv the arguments after `snapbox`, e.g. `['presets', 'list', '--json']`.
 * @param io where to write; default: the process's stdout and stderr.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(generalUsage());
    return 2;
  }
  if (first === '-h' || first === '--help') {
    io.stdout.write(generalUsage());
    return 0;
  }
  if (first === '-V' || first === '--version') {
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
  if (match === undefined) return unknown(argv, io);
  const name = `snapbox ${match.command.path.join(' ')}`;
  try {
    return await match.command.run(match.args, io);
  } catch (error) {
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
}

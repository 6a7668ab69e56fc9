import { readFileSync } from 'node:fs';
import { harborDefaultRegistryUrl } from '@snapbox/presets';
import { describe, expect, it } from 'vitest';
import { defaultRegistryForHelp } from './commands/presets-list.js';
import { notConfirmedExitCode } from './commands/prune.js';
import { commands } from './main.js';
import { runCli } from './test-support/run-cli.js';

const groups = [...new Set(commands.filter((c) => c.path.length > 1).map((c) => c.path[0] as string))];

describe('main', () => {
  it('lists every command for --help, -h and help, on stdout with exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await runCli(...argv);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^Usage: snapbox <command> \[options\]/);
      // Each command on its own line: its words, padding, its summary.
      const lines = result.stdout.split('\n').map((line) => line.trim().replace(/\s{2,}/, '  '));
      for (const command of commands) expect(lines).toContain(`${command.path.join(' ')}  ${command.summary}`);
    }
    expect((await runCli('--help')).stdout).toContain('presets list  List the presets of a Harbor registry');
  });

  it('prints every command’s usage for "<command> --help", "<command> -h" and "help <command>", exit 0', async () => {
    for (const command of commands) {
      const viaHelp = await runCli('help', ...command.path);
      expect(viaHelp).toEqual({ code: 0, stdout: command.usage, stderr: '' });
      expect(command.usage).toMatch(new RegExp(`^Usage: snapbox ${command.path.join(' ')}`));
      expect(await runCli(...command.path, '--help')).toEqual(viaHelp);
      expect(await runCli(...command.path, '-h')).toEqual(viaHelp);
      // --help wins over the other options, which are not acted on.
      const options = Object.entries(command.options).map(([name, { type }]) =>
        type === 'string' ? `--${name}=x` : `--${name}`,
      );
      expect(await runCli(...command.path, ...options, '--help')).toEqual(viaHelp);
    }
    expect((await runCli('presets', 'list', '--help')).stdout).toMatch(
      /^Usage: snapbox presets list \[--registry FILE\|URL\] \[--agents a,b\] \[--timeout DURATION\] \[--json\]/,
    );
  });

  it('prints a group’s commands for "<group> --help", "<group> -h" and "help <group>", exit 0', async () => {
    expect(groups).toContain('presets');
    for (const group of groups) {
      const viaHelp = await runCli('help', group);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stderr).toBe('');
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: snapbox ${group} <command> \\[options\\]`));
      for (const command of commands.filter((c) => c.path[0] === group)) {
        expect(viaHelp.stdout).toContain(command.summary);
      }
      expect(await runCli(group, '--help')).toEqual(viaHelp);
      expect(await runCli(group, '-h')).toEqual(viaHelp);
    }
  });

  it('prints usage on stderr and exits 2 without a command, or for an unknown one', async () => {
    const none = await runCli();
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^Usage: snapbox <command>/);

    const unknown = await runCli('frobnicate', '--now');
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^snapbox: unknown command "frobnicate"\.\n\nUsage: snapbox <command>/);

    const unknownSub = await runCli('presets', 'delete');
    expect(unknownSub).toMatchObject({ code: 2, stdout: '' });
    expect(unknownSub.stderr).toMatch(
      /^snapbox: unknown command "presets delete"\.\n\nUsage: snapbox presets <command>/,
    );

    const groupOnly = await runCli('presets');
    expect(groupOnly.code).toBe(2);
    expect(groupOnly.stderr).toContain('"presets" needs a command');

    const groupOption = await runCli('presets', '--json');
    expect(groupOption.code).toBe(2);
    expect(groupOption.stderr).toContain('unknown option --json for "presets"');

    const unknownHelp = await runCli('help', 'frobnicate');
    expect(unknownHelp.code).toBe(2);
    expect(unknownHelp.stderr).toContain('unknown command "frobnicate"');
  });

  it('suggests the closest command or option for a typo', async () => {
    const cases: [string[], string][] = [
      [['lss'], 'snapbox: unknown command "lss". Did you mean "ls"?\n'],
      [['prun'], 'snapbox: unknown command "prun". Did you mean "prune"?\n'],
      [['prsets', 'list'], 'snapbox: unknown command "prsets". Did you mean "presets list"?\n'],
      [['presets', 'lst'], 'snapbox: unknown command "presets lst". Did you mean "presets list"?\n'],
      [['hlep', 'ls'], 'snapbox: unknown command "hlep". Did you mean "help"?\n'],
      [['help', 'prsets'], 'snapbox: unknown command "prsets". Did you mean "presets"?\n'],
      [['--verison'], 'snapbox: unknown option --verison. Did you mean "--version"?\n'],
      [['presets', 'list', '--jsn'], 'snapbox presets list: unknown option --jsn. Did you mean "--json"?\n'],
      [
        ['presets', 'list', '--registy=x'],
        'snapbox presets list: unknown option --registy. Did you mean "--registry"?\n',
      ],
      [['prune', '--all-session'], 'snapbox prune: unknown option --all-session. Did you mean "--all-sessions"?\n'],
      [['ls', '--hepl'], 'snapbox ls: unknown option --hepl. Did you mean "--help"?\n'],
    ];
    for (const [argv, firstLine] of cases) {
      const result = await runCli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.slice(0, firstLine.length)).toBe(firstLine);
    }
    // No suggestion when nothing is close.
    expect((await runCli('ls', '--frobnicate')).stderr).toBe(
      'snapbox ls: unknown option --frobnicate.\nRun "snapbox ls --help" for usage.\n',
    );
  });

  it('exits 2 with a pointer to --help for a bad option', async () => {
    const result = await runCli('presets', 'list', '--registry');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^snapbox presets list: Option '--registry <value>' argument missing\nRun "snapbox presets list --help" for usage\.\n$/,
    );
    const positional = await runCli('presets', 'list', 'extra');
    expect(positional.code).toBe(2);
    expect(positional.stderr).toContain('Unexpected argument');
    const timeout = await runCli('presets', 'list', '--timeout', 'soon');
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout takes a duration such as 30s or 2m, got "soon"');
  });

  it('prints the package version for --version, -v and -V', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v', '-V']) {
      expect(await runCli(flag)).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
    }
  });

  it('keeps the help’s copy of the default registry URL equal to the presets package’s', () => {
    expect(defaultRegistryForHelp).toBe(harborDefaultRegistryUrl);
  });

  it('documents the exit status of an unconfirmed prune --all-sessions', () => {
    expect(notConfirmedExitCode).toBe(3);
    const prune = commands.find((command) => command.path[0] === 'prune');
    expect(prune?.usage).toMatch(/ 3 when\s+--all-sessions\s+was not confirmed/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from './main.js';
import { runCli } from './test-support/run-cli.js';

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

  it('prints a command’s usage for "help <command>" and "<command> --help"', async () => {
    const viaHelp = await runCli('help', 'presets', 'list');
    const viaFlag = await runCli('presets', 'list', '--help');
    expect(viaHelp.code).toBe(0);
    expect(viaFlag.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^Usage: snapbox presets list \[--registry FILE\|URL\] \[--agents a,b\] \[--json\]/);
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    const group = await runCli('help', 'presets');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('Usage: snapbox presets <command>');
  });

  it('prints usage on stderr and exits 2 without a command, or for an unknown one', async () => {
    const none = await runCli();
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^Usage: snapbox <command>/);

    const unknown = await runCli('frobnicate', '--now');
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^snapbox: unknown command "frobnicate"\n\nUsage: snapbox <command>/);

    const unknownSub = await runCli('presets', 'delete');
    expect(unknownSub).toMatchObject({ code: 2, stdout: '' });
    expect(unknownSub.stderr).toMatch(/^snapbox: unknown command "presets delete"\n\nUsage: snapbox presets <command>/);

    const groupOnly = await runCli('presets');
    expect(groupOnly.code).toBe(2);
    expect(groupOnly.stderr).toContain('"presets" needs a command');

    const unknownHelp = await runCli('help', 'frobnicate');
    expect(unknownHelp.code).toBe(2);
    expect(unknownHelp.stderr).toContain('unknown command "frobnicate"');
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
  });

  it('prints the package version for --version', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await runCli('--version')).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
    expect((await runCli('-V')).stdout).toBe(`${manifest.version}\n`);
  });
});

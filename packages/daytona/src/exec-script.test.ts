import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExecScript, buildKillScript } from './exec-script.js';

// The scripts are what a Daytona session shell runs; here a local `sh` runs them, so their
// quoting, env, workdir and kill behaviour are checked for real. With an empty HOME: the login
// shell they start (`bash -lc`) must not read this machine's user files (a ~/.bashrc running
// pyenv once waited a minute here on a stale lock), which are no part of what is tested.
const emptyHome = mkdtempSync(join(tmpdir(), 'snapbox-daytona-home-'));
afterAll(() => rmSync(emptyHome, { recursive: true, force: true }));
const localEnv = { ...process.env, HOME: emptyHome };

function runLocally(script: string): { stdout: string; status: number } {
  try {
    return {
      stdout: execFileSync('sh', ['-c', script], {
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        env: localEnv,
      }),
      status: 0,
    };
  } catch (error) {
    const failed = error as { stdout: string; status: number };
    return { stdout: failed.stdout, status: failed.status };
  }
}

describe('buildExecScript', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapbox-daytona-script-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a string under bash -lc with the env, the marker and the workdir', () => {
    const script = buildExecScript({
      command: 'echo "$GREETING|$SNAPBOX_EXEC_ID|$(pwd)"; echo \'single\'',
      workdir: dir,
      env: { GREETING: "it's $HOME `x`" },
      marker: 'marker-1',
    });
    expect(script.startsWith(`cd -- ${dir} && env -- SNAPBOX_EXEC_ID=marker-1 `)).toBe(true);
    expect(script).toContain(' bash -lc ');
    expect(script.endsWith(' < /dev/null')).toBe(true);
    expect(runLocally(script)).toEqual({ stdout: `it's $HOME \`x\`|marker-1|${dir}\nsingle\n`, status: 0 });
  });

  it('runs an array as argv with no shell in between', () => {
    const script = buildExecScript({
      command: ['printf', '%s|', '$HOME', 'two  spaces', "it's"],
      workdir: undefined,
      env: {},
      marker: 'm',
    });
    expect(script).not.toContain('bash -lc');
    expect(runLocally(script).stdout).toBe("$HOME|two  spaces|it's|");
  });

  it('passes env names a shell could not assign', () => {
    const script = buildExecScript({ command: ['env'], workdir: undefined, env: { 'odd-name': 'v' }, marker: 'm' });
    expect(runLocally(script).stdout.split('\n')).toContain('odd-name=v');
  });

  it('gives the command an empty stdin, so that a reader does not wait for the session shell', () => {
    expect(
      runLocally(buildExecScript({ command: 'cat; echo end', workdir: undefined, env: {}, marker: 'm' })).stdout,
    ).toBe('end\n');
  });

  it('fails with a non-zero status when the workdir does not exist', () => {
    const result = runLocally(
      buildExecScript({ command: 'echo ran', workdir: join(dir, 'missing'), env: {}, marker: 'm' }),
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});

describe('buildKillScript', () => {
  it('kills every process carrying the marker, background and setsid ones included, and nothing else', async () => {
    const marker = `kill-test-${process.pid}`;
    // A command that leaves a background child and a child in its own session, then waits.
    const script = buildExecScript({
      command: 'sleep 60 & setsid sleep 60 & echo "$!"; sleep 60',
      workdir: undefined,
      env: {},
      marker,
    });
    const tree = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'], env: localEnv });
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    const setsidPid = await new Promise<number>((resolve) =>
      tree.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    const marked = execFileSync(
      'sh',
      ['-c', `grep -l -z -x SNAPBOX_EXEC_ID=${marker} /proc/[0-9]*/environ 2>/dev/null || true`],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean)
      .map((path) => Number(path.split('/')[2]));
    expect(marked.length).toBeGreaterThanOrEqual(3);
    expect(marked).toContain(setsidPid);

    expect(runLocally(buildKillScript(marker)).status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pid of marked) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(isAlive(bystander.pid as number)).toBe(true);
    bystander.kill('SIGKILL');
    tree.kill('SIGKILL');
  });
});

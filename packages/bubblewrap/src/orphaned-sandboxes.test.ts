import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childrenOf, commandLine, killOrphanedSandboxes, signalQuietly } from './process-scan.js';

/**
 * The sweep that ends a sandbox's init left waiting by a bwrap parent that died while it set the
 * sandbox up (the owner SIGKILLed during a pool refill). The real case is in the rootless SIGKILL
 * tests, where it happens by timing; here a stand-in makes it certain: `bash` under bwrap's name,
 * with the store among its arguments, as pid 1 of a new pid namespace whose parent is `unshare`
 * (not the same bwrap). A real bwrap sandbox binding the store (a monitor and its init) must be
 * left alone, as must a stand-in of another store.
 */
const store = mkdtempSync(join(tmpdir(), 'snapbox-bwrap-orphans-'));
const other = mkdtempSync(join(tmpdir(), 'snapbox-bwrap-orphans-other-'));
const started: ChildProcess[] = [];

afterAll(() => {
  // The stand-ins first: killing `unshare` would leave its child running.
  signalQuietly(
    started.flatMap((child) => (child.pid === undefined ? [] : childrenOf(child.pid))),
    'SIGKILL',
  );
  for (const child of started) child.kill('SIGKILL');
  rmSync(store, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

/** What became of each process started here, for a failure's message. */
const fates: string[] = [];

function run(argv: string[]): ChildProcess {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.once('exit', (code, signal) =>
    fates.push(`${argv[0]} (pid ${child.pid}) ended: ${signal ?? `exit ${code}`} ${stderr.trim()}`),
  );
  return child;
}

/**
 * A stand-in init: pid 1 of its own pid namespace, named bwrap, binding `root`.
 *
 * Both shells run with `--norc`. Node gives a child a socket for its stdin, and `bash -c` with a
 * socket for stdin and no SHLVL (turbo passes none) takes itself for a remote shell and reads
 * `~/.bashrc`. A `~/.bashrc` that runs `pyenv init` takes pyenv's rehash lock; the sweep killing
 * the stand-in in the middle of it left the lock behind, and every later such shell on the
 * machine, this test's next run among them, waited a minute for it.
 */
function orphanedInit(root: string): ChildProcess {
  return run([
    'unshare',
    '--pid',
    '--fork',
    '--',
    'bash',
    '--norc',
    '-c',
    'exec -a /usr/bin/bwrap bash --norc -c "read -r line" bash --bind "$0" /.snapbox-store',
    root,
  ]);
}

/** Pids whose command line is bwrap's and names `root`. */
function bwrapsOf(root: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      const argv = commandLine(Number(name));
      return argv !== undefined && (argv[0] ?? '').endsWith('bwrap') && argv.includes(root);
    })
    .map(Number)
    .sort();
}

/** The command lines of the children of every bwrap process of `root`. */
function commandsIn(root: string): string[] {
  return bwrapsOf(root)
    .flatMap(childrenOf)
    .flatMap((child) => commandLine(child)?.join(' ') ?? []);
}

/** Waits for `check`, at most 30 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
}

describe('orphaned sandboxes', () => {
  it("kills a store's sandbox init whose parent is not its bwrap, and nothing else", { timeout: 120_000 }, async () => {
    // A live sandbox: bwrap's monitor and, in a new pid namespace, its init (which runs sleep).
    const live = run([
      'bwrap',
      '--unshare-pid',
      '--die-with-parent',
      '--ro-bind',
      '/',
      '/',
      '--tmpfs',
      '/tmp',
      '--bind',
      store,
      '/tmp/store',
      '--',
      'sleep',
      '100',
    ]);
    // Settled once its command runs: until then bwrap's init has a third bwrap process, its
    // child on the way to exec `sleep`.
    const runsSleep = () => commandsIn(store).includes('sleep 100');
    await until(() => runsSleep() && bwrapsOf(store).length === 2);
    const liveOnes = bwrapsOf(store);
    expect(liveOnes, 'the live sandbox has a monitor and an init').toHaveLength(2);
    expect(liveOnes).toContain(live.pid);

    orphanedInit(store);
    orphanedInit(other);
    await until(() => bwrapsOf(store).length === 3 && bwrapsOf(other).length === 1);
    const orphan = bwrapsOf(store).filter((pid) => !liveOnes.includes(pid));
    expect(orphan, `the stand-in in the store; so far: ${fates.join('; ') || 'nothing ended'}`).toHaveLength(1);
    const elsewhere = bwrapsOf(other);
    expect(elsewhere).toHaveLength(1);

    expect(killOrphanedSandboxes(store)).toEqual(orphan);
    await until(() => bwrapsOf(store).length === 2);
    expect(bwrapsOf(store)).toEqual(liveOnes);
    expect(bwrapsOf(other)).toEqual(elsewhere);
    expect(killOrphanedSandboxes(store)).toEqual([]);
  });
});

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapboxError } from '@snapbox/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBubblewrapFactory } from './index.js';
import { prebuiltSupported } from './prebuilt-sandbox.js';
import { spawnRelayScript } from './spawn-relay-script.js';
import { type HostChild, spawnerKind, spawnHost, startAgent } from './spawner.js';
import { syscallNumbers } from './syscall-numbers.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

const traceChild = fileURLToPath(new URL('./test-support/trace-child.mjs', import.meta.url));

/**
 * The spawn relay (spawn-relay-script.ts) makes raw syscalls by number: a wrong number would
 * call some other syscall. The running architecture's numbers are checked by making each call
 * for real, as the relay's `place` does; every architecture's against the kernel's own tables,
 * as installed with the C library headers (linux-libc-dev).
 */
const names = ['setns', 'mount', 'umount2', 'pivot_root', 'sethostname', 'prctl', 'capset'] as const;

/** The kernel's number for each call in a `unistd` header. */
function fromHeader(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path} is missing (install linux-libc-dev): ${String(error)}`);
  }
  return names
    .map((name) => {
      const number = new RegExp(`#define __NR_${name}\\s+(\\d+)`).exec(text)?.[1];
      if (number === undefined) throw new Error(`no __NR_${name} in ${path}`);
      return number;
    })
    .join(',');
}

// arm64, riscv64 and loong64 have no table of their own: they take the generic one.
const headers: Record<string, string> = {
  x64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  arm64: '/usr/include/asm-generic/unistd.h',
  riscv64: '/usr/include/asm-generic/unistd.h',
  loong64: '/usr/include/asm-generic/unistd.h',
};

/**
 * The relay's calls, made by Perl in a fresh mount and uts namespace (nothing reaches the host):
 * a tmpfs mounted, a uts namespace joined, the hostname set, a subreaper made, the tmpfs made the
 * root by pivot_root and the old root detached. Prints the hostname, whether the process is a
 * subreaper, and what the new root holds.
 */
const syscallScript = String.raw`
use strict;
use POSIX ();
my ($setns, $mount, $umount2, $pivot_root, $sethostname, $prctl) = split /,/, $ARGV[0];
my $dir = $ARGV[1];
# Perl passes a string argument by pointer, and only a variable's (a literal is read-only).
my ($none, $slash, $tmpfs, $size, $name, $dot) = ('none', '/', 'tmpfs', 'size=1m', 'snapbox-syscalls', '.');
syscall($mount, $none, $slash, 0, 16384 | 262144, 0) == 0 or die "mount (private): $!
";
syscall($mount, $tmpfs, $dir, $tmpfs, 0, $size) == 0 or die "mount (tmpfs): $!
";
open(my $marker, '>', "$dir/marker") or die "marker: $!
";
close($marker);
open(my $uts, '<', '/proc/self/ns/uts') or die "uts: $!
";
syscall($setns, fileno($uts), 0) == 0 or die "setns: $!
";
syscall($sethostname, $name, length($name)) == 0 or die "sethostname: $!
";
syscall($prctl, 36, 1, 0, 0, 0) == 0 or die "prctl (set subreaper): $!
";
my $subreaper = pack('i', 0);
syscall($prctl, 37, $subreaper, 0, 0, 0) == 0 or die "prctl (get subreaper): $!
";
chdir($dir) or die "chdir: $!
";
syscall($pivot_root, $dot, $dot) == 0 or die "pivot_root: $!
";
syscall($umount2, $dot, 2) == 0 or die "umount2: $!
";
chdir('/');
opendir(my $root, '/') or die "root: $!
";
my @entries = sort grep { !/^\.\.?$/ } readdir($root);
print join(' ', (POSIX::uname())[1], unpack('i', $subreaper), @entries), "
";
`;

describe('the spawn relay', () => {
  it('is used here, and pre-built sandboxes with it', () => {
    // The rest of this package's tests run this path; fallback.test.ts runs the other.
    expect(spawnerKind()).toBe('relay');
    expect(prebuiltSupported()).toBe(true);
  });

  it("needs no Perl module beyond Debian's perl-base (the essential package), tracing included", () => {
    // The relay runs with @INC cut down to perl-base's folder, its stdin empty: it starts, sees
    // its owner gone and exits 0. A module it loaded from elsewhere would fail it at compile time
    // (`use`) or when tracing (`require`).
    const dir = mkdtempSync(join(tmpdir(), 'snapbox-perl-base-'));
    try {
      const onlyPerlBase =
        'BEGIN { @INC = grep { m{/perl-base$} } @INC; die "no perl-base folder in \\@INC\\n" unless @INC }';
      const traceFile = join(dir, 'trace.log');
      // One request (run `true`), then the end of stdin.
      const payload = ['R', '1', 'iii', '', '', '0', '0', 'true'].join('\0');
      execFileSync('perl', ['-e', onlyPerlBase, '-e', spawnRelayScript], {
        input: `${Buffer.byteLength(payload)}\n${payload}`,
        env: { PATH: process.env.PATH, SNAPBOX_BWRAP_RELAY_TRACE: traceFile },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      expect(readFileSync(traceFile, 'utf8')).toMatch(/^\d+(\.\d+)? \d+r got R 1\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the kernel numbers of its syscalls for every architecture it claims', () => {
    const claimed = Object.keys(syscallNumbers).sort();
    expect(claimed).toEqual(Object.keys(headers).sort());
    for (const arch of claimed) {
      expect(syscallNumbers[arch as NodeJS.Architecture], arch).toBe(fromHeader(headers[arch] as string));
    }
  });

  it("makes each syscall right on this machine's architecture", () => {
    const numbers = syscallNumbers[process.arch];
    expect(numbers, `no syscall numbers for ${process.arch}`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'snapbox-syscalls-'));
    try {
      const output = execFileSync(
        'unshare',
        ['--mount', '--uts', '--', 'perl', '-e', syscallScript, numbers as string, dir],
        { encoding: 'utf8' },
      );
      expect(output).toBe('snapbox-syscalls 1 marker\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the relay under a slow reader', () => {
  it('stops reading a process whose output is not consumed, and loses none of it', async () => {
    const size = 64 * 1024 * 1024;
    const child = spawnHost({
      argv: ['head', '-c', String(size), '/dev/zero'],
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = child.stdout as NodeJS.ReadableStream & { readableLength: number };
    // Nothing reads for a while: the stream fills to its mark, the relay is told to pause, and
    // the process blocks on its full pipe instead of its output piling up here.
    stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(stdout.readableLength).toBeLessThan(8 * 1024 * 1024);
    expect(child.exitCode).toBe(null);
    let received = 0;
    stdout.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    stdout.resume();
    await new Promise((resolve) => child.once('close', resolve));
    expect(received).toBe(size);
  });
});

/** Resolves with 'closed' once the process and its pipes have ended, or 'stuck' after `ms`. */
function settled(child: HostChild, ms: number): Promise<'closed' | 'stuck'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('stuck'), ms);
    const done = () => {
      clearTimeout(timer);
      resolve('closed');
    };
    child.once('close', done);
    child.once('error', done);
  });
}

/** Everything `stream` gives from now on, read when called (as latin1: byte for byte). */
function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  stream?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('latin1');
}

describe('agents under load', () => {
  // Agents are forked from the relay while other agents run. A fork once carried the relay's
  // handles of those agents' pipes into the new agent, where PerlIO still counted them: a command
  // of the new agent whose pipe got such an fd number never reached the end of its output (its
  // pipe's write end stayed open in the agent). Seen as a file transfer that waited forever, and
  // as commands that took their exit's drain grace. The agents here join no namespace (their
  // "sandbox" is this process), so only the relay and the agents are tested.
  it('4 agents × 40 commands, 6 at a time each (uploads, downloads, small execs): every output arrives whole and ends', {
    timeout: 240_000,
  }, async () => {
    const problems: string[] = [];
    const env = { PATH: '/usr/bin:/bin' };
    await Promise.all(
      Array.from({ length: 4 }, async (_, agentIndex) => {
        const agent = startAgent({
          initPid: process.pid,
          syscallNumbers: syscallNumbers[process.arch] as string,
          cgroupProcs: [],
          confinement: undefined,
        });
        if (agent === undefined) throw new Error('no spawn relay');
        await agent.joined(process.pid, () => undefined);
        let next = 0;
        const one = async (n: number): Promise<void> => {
          const what = `agent ${agentIndex} command ${n}`;
          // Mostly small; every fifth a few MiB (through the relay's flow control).
          const size = n % 5 === 0 ? 2_000_000 + n * 1000 : 1000 + n * 300;
          if (n % 3 === 0) {
            const data = randomBytes(size);
            const child = agent.spawn({ argv: ['sh', '-c', 'sha1sum >&2'], env, stdio: ['pipe', 'ignore', 'pipe'] });
            const stderr = collect(child.stderr);
            child.stdin?.end(data);
            const how = await settled(child, 20_000);
            const sum = createHash('sha1').update(data).digest('hex');
            if (how !== 'closed' || !stderr().startsWith(sum)) problems.push(`${what} (upload): ${how}, ${stderr()}`);
          } else if (n % 3 === 1) {
            const child = agent.spawn({
              argv: ['sh', '-c', `head -c ${size} /dev/zero; echo end >&2`],
              env,
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            const [stdout, stderr] = [collect(child.stdout), collect(child.stderr)];
            const how = await settled(child, 20_000);
            const received = stdout().length;
            if (how !== 'closed' || received !== size || stderr() !== 'end\n') {
              problems.push(`${what} (download): ${how}, ${received} of ${size} bytes, ${stderr()}`);
            }
          } else {
            const child = agent.spawn({
              argv: ['sh', '-c', 'echo out; echo err >&2'],
              env,
              stdio: ['pipe', 'pipe', 'pipe'],
            });
            const [stdout, stderr] = [collect(child.stdout), collect(child.stderr)];
            child.stdin?.end();
            const how = await settled(child, 20_000);
            if (how !== 'closed' || stdout() !== 'out\n' || stderr() !== 'err\n') {
              problems.push(`${what} (exec): ${how}, ${stdout()}, ${stderr()}`);
            }
          }
        };
        await Promise.all(
          Array.from({ length: 6 }, async () => {
            while (next < 40) await one(next++);
          }),
        );
        agent.kill();
      }),
    );
    expect(problems).toEqual([]);
  });
});

describe('the relay trace (SNAPBOX_BWRAP_RELAY_TRACE)', () => {
  it('records the frames of this process, the relay and the agent for a command and an upload', async () => {
    const stateDir = testStateDir('relay-trace');
    const traceFile = join(stateDir, 'trace.log');
    mkdirSync(stateDir, { recursive: true });
    try {
      execFileSync(process.execPath, [traceChild, stateDir, tinyImage], {
        env: { ...process.env, SNAPBOX_BWRAP_RELAY_TRACE: traceFile },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 60_000,
      });
      const lines = readFileSync(traceFile, 'utf8').trim().split('\n');
      // `<time> <pid><n|r|a> <event>`: the three kinds of writer, each with its own events.
      const events = (kind: string) =>
        lines.filter((line) => line.split(' ')[1]?.endsWith(kind)).map((line) => line.split(' ').slice(2).join(' '));
      const upload = events('n').find((line) => /^> R \d+ pip \/bin\/sh -c .* snapbox-upload$/.test(line));
      expect(upload, 'the upload was sent').toBeDefined();
      const id = (upload as string).split(' ')[2];
      // Its stdin went as data and was closed; the agent ran it, closed its stderr, and reported it.
      expect(events('n')).toContain(`> C ${id} `);
      expect(events('a')).toEqual(expect.arrayContaining([`got R ${id}`, 'close_out 2 open', `emit X ${id} 0 0`]));
      expect(events('n')).toEqual(expect.arrayContaining([`< X ${id} 0 0`, `< O ${id} 2 0`]));
      // The relay started the sandbox and the agent.
      expect(events('r').some((line) => /^emit S \d+ \d+ 0$/.test(line))).toBe(true);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('when the spawn relay dies', () => {
  const factory = createBubblewrapFactory({ stateDir: testStateDir('relay-crash') });
  afterAll(async () => {
    await factory.settled().catch(() => undefined);
  });

  /** This process's relay: its child running perl. */
  function relayPid(): number {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
        if (parent === process.pid && argv[0]?.endsWith('perl') && argv[1] === '-e') return Number(name);
      } catch {
        // Gone.
      }
    }
    throw new Error('no spawn relay among this process’s children');
  }

  it('a running command and later ones fail with a typed error, and new containers work', async () => {
    const container = factory.fromImage({ image: tinyImage });
    await container.start();
    expect((await container.exec('echo before')).stdout).toBe('before\n');
    const running = container.exec('echo started; sleep 30').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const began = Date.now();
    process.kill(relayPid(), 'SIGKILL');
    const error = await running;
    // Promptly: the command is not left to hang until its own end.
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(SnapboxError.isInstance(error), String(error)).toBe(true);
    expect((error as SnapboxError).code).toBe('SPAWN_RELAY_LOST');
    expect((error as Error).message).toMatch(/spawn relay exited.*start a new container.*SNAPBOX_BWRAP_SPAWNER=node/s);
    const later = await container.exec('echo after').catch((caught: unknown) => caught);
    expect((later as SnapboxError).code, String(later)).toBe('SPAWN_RELAY_LOST');
    await container.stop();

    // The relay restarts with the next spawn.
    const fresh = factory.fromImage({ image: tinyImage });
    await fresh.start();
    expect((await fresh.exec('echo fresh')).stdout).toBe('fresh\n');
    await fresh.stop();
  });
});

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cloneNamespaceFlags,
  defaultCapabilityMask,
  deniedSyscalls,
  type SyscallTable,
  seccompProgram,
  syscallTables,
} from './confinement.js';
import { createBubblewrapFactory } from './index.js';
import { debianImage, startsContainers, testStateDir } from './test-support/fixtures.js';

const stateDir = testStateDir('confinement');
const confined = createBubblewrapFactory({ stateDir });
const unconfined = createBubblewrapFactory({ stateDir, security: 'unconfined' });
const started = startsContainers(confined, unconfined);

/** The capability and seccomp lines of a process's status, as `name: value`. */
const statusLines = 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|Seccomp):" /proc/self/status | tr -d "\\t" | sort';

// The kernel's own tables, as the C library headers install them (linux-libc-dev).
const headers: Record<string, string> = {
  x64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  arm64: '/usr/include/asm-generic/unistd.h',
  riscv64: '/usr/include/asm-generic/unistd.h',
  loong64: '/usr/include/asm-generic/unistd.h',
};

function numbersFromHeader(path: string): Map<string, number> {
  const text = readFileSync(path, 'utf8');
  const numbers = new Map<string, number>();
  for (const match of text.matchAll(/#define __NR(?:3264)?_(\w+)\s+(\d+)/g)) {
    numbers.set(match[1] as string, Number(match[2]));
  }
  return numbers;
}

describe('the seccomp program', () => {
  it('has the kernel numbers of every call it names, on every architecture it claims', () => {
    expect(Object.keys(syscallTables).sort()).toEqual(Object.keys(headers).sort());
    for (const [arch, table] of Object.entries(syscallTables) as [string, SyscallTable][]) {
      const kernel = numbersFromHeader(headers[arch] as string);
      expect(table.clone, `${arch} clone`).toBe(kernel.get('clone'));
      expect(table.clone3, `${arch} clone3`).toBe(kernel.get('clone3'));
      // Every denied call the architecture has is in its table, with the kernel's number.
      const expected = Object.fromEntries(
        deniedSyscalls.filter((name) => kernel.has(name)).map((name) => [name, kernel.get(name)]),
      );
      expect(table.denied, arch).toEqual(expected);
    }
  });

  it('is one allowing return behind every refused number, and fits its jumps', () => {
    const table = syscallTables.x64 as SyscallTable;
    const program = seccompProgram(table);
    expect(program.length % 8).toBe(0);
    // Each denied number is compared once; the clone flags are tested against every namespace flag.
    const constants = new Set<number>();
    for (let at = 0; at < program.length; at += 8) constants.add(program.readUInt32LE(at + 4));
    for (const number of Object.values(table.denied)) expect(constants.has(number)).toBe(true);
    expect(constants.has(cloneNamespaceFlags >>> 0)).toBe(true);
    expect(constants.has(0x7fff0000)).toBe(true);
  });
});

describe("confinement (security 'default')", () => {
  it('leaves root inside exactly the capabilities and the seccomp mode of a Docker container', async () => {
    const box = await started(confined.fromImage({ image: debianImage }));
    const inside = (await box.exec(statusLines)).stdout;
    const mask = defaultCapabilityMask.toString(16).padStart(16, '0');
    expect(inside).toBe(`CapBnd:${mask}\nCapEff:${mask}\nCapInh:0000000000000000\nCapPrm:${mask}\nSeccomp:2\n`);
    // The same image under the Docker engine's defaults.
    const docker = execFileSync('docker', ['run', '--rm', '--network', 'none', debianImage, 'sh', '-c', statusLines], {
      encoding: 'utf8',
    });
    expect(inside).toBe(docker);
  });

  it('refuses mounts, namespaces and the calls Docker refuses; clone3 says ENOSYS', async () => {
    const box = await started(confined.fromImage({ image: debianImage }));
    const mount = await box.exec('mkdir -p /mnt/t && mount -t tmpfs none /mnt/t');
    expect(mount.exitCode, mount.stdout).not.toBe(0);
    // A fresh user namespace would give back every capability inside it.
    const unshare = await box.exec('unshare --user --map-root-user true');
    expect(unshare.exitCode).not.toBe(0);
    expect(unshare.stderr).toMatch(/Operation not permitted/);
    // Raw calls by this architecture's numbers: keyctl, bpf, clone3, and clone with CLONE_NEWUSER.
    const table = syscallTables[process.arch] as SyscallTable;
    const [keyctl, bpf] = [table.denied.keyctl, table.denied.bpf];
    const raw = await box.exec([
      'perl',
      '-e',
      `for (${keyctl}, ${bpf}, ${table.clone3}) { syscall($_, 0, 0, 0, 0, 0); print "$_ ", $! + 0, "\\n"; } ` +
        `my $pid = syscall(${table.clone}, 0x10000000 | 17, 0, 0, 0, 0); exit 0 if $pid == 0; ` +
        'print "clone ", $pid < 0 ? $! + 0 : "made", "\\n";',
    ]);
    expect(raw.stdout).toBe(`${keyctl} 1\n${bpf} 1\n${table.clone3} 38\nclone 1\n`);
    // What a command needs still works: forking, files, owners, signals, setuid to another user.
    const ordinary = await box.exec(
      'echo data > /tmp/f && chown 1000:1000 /tmp/f && chmod 600 /tmp/f && (sleep 30 & kill $!) && setpriv --reuid 1000 --regid 1000 --clear-groups cat /tmp/f',
    );
    expect(ordinary.stdout).toBe('data\n');
    expect(ordinary.exitCode).toBe(0);
  });

  it('leaves another user no capability at all', async () => {
    const box = await started(confined.fromImage({ image: debianImage, user: '1000:1000' }));
    const mask = defaultCapabilityMask.toString(16).padStart(16, '0');
    expect((await box.exec(statusLines)).stdout).toBe(
      `CapBnd:${mask}\nCapEff:0000000000000000\nCapInh:0000000000000000\nCapPrm:0000000000000000\nSeccomp:2\n`,
    );
    expect((await box.exec('id -u')).stdout).toBe('1000\n');
  });

  it("confines file transfers too, which run the container's own programs", async () => {
    const box = await started(confined.fromImage({ image: debianImage }));
    // Code in the container replaces a program the upload runs, to catch it unconfined.
    await box.exec(
      'mv /usr/bin/dirname /usr/bin/dirname.real && printf \'#!/bin/sh\\ngrep -E "^(CapEff|Seccomp):" /proc/self/status >> /tmp/seen\\nexec /usr/bin/dirname.real "$@"\\n\' > /usr/bin/dirname && chmod 755 /usr/bin/dirname',
    );
    const local = mkdtempSync(join(tmpdir(), 'snapbox-confined-upload-'));
    try {
      writeFileSync(join(local, 'in.txt'), 'payload\n');
      await box.uploadFiles([{ localPath: join(local, 'in.txt'), remotePath: '/srv/new/in.txt' }]);
      expect((await box.exec('cat /srv/new/in.txt')).stdout).toBe('payload\n');
      const seen = (await box.exec('sort -u /tmp/seen | tr -d "\\t"')).stdout;
      expect(seen).toBe(`CapEff:${defaultCapabilityMask.toString(16).padStart(16, '0')}\nSeccomp:2\n`);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });

  it('a slow reader inside holds an upload back; a large file moves intact both ways', async () => {
    const box = await started(confined.fromImage({ image: debianImage }));
    const local = mkdtempSync(join(tmpdir(), 'snapbox-confined-large-'));
    try {
      const size = 96 * 1024 * 1024;
      const content = randomBytes(size);
      const digest = createHash('sha256').update(content).digest('hex');
      writeFileSync(join(local, 'big'), content);
      // Into a pipe whose reader starts late: what the upload has sent meanwhile waits in this
      // process's file, not in the relay or the agent (the writer waits for their acknowledgements).
      // First, before any other transfer has raised their peaks.
      await box.exec(
        'mkfifo /tmp/slow && (sleep 3; sha256sum < /tmp/slow | cut -d" " -f1 > /tmp/slow.sum) >/dev/null 2>&1 &',
      );
      const before = perlPeaks();
      await box.uploadFiles([{ localPath: join(local, 'big'), remotePath: '/tmp/slow' }]);
      expect((await box.exec('sleep 0.5; cat /tmp/slow.sum')).stdout).toBe(`${digest}\n`);
      for (const [pid, peak] of perlPeaks()) {
        expect(peak - (before.get(pid) ?? 0), `peak memory growth of relay process ${pid}`).toBeLessThan(
          8 * 1024 * 1024,
        );
      }
      await box.uploadFiles([{ localPath: join(local, 'big'), remotePath: '/tmp/big' }]);
      expect((await box.exec('sha256sum /tmp/big | cut -d" " -f1')).stdout).toBe(`${digest}\n`);
      await box.downloadFiles([{ remotePath: '/tmp/big', localPath: join(local, 'back') }]);
      expect(
        createHash('sha256')
          .update(readFileSync(join(local, 'back')))
          .digest('hex'),
      ).toBe(digest);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });
});

describe("security 'unconfined'", () => {
  it('gives root inside every capability of its user namespace and no filter', async () => {
    const box = await started(unconfined.fromImage({ image: debianImage }));
    expect((await box.exec('grep -E "^Seccomp:" /proc/self/status | tr -d "\\t"')).stdout).toBe('Seccomp:0\n');
    const nested = await box.exec(
      'mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && echo mounted && unshare --user --map-root-user id -u',
    );
    expect(nested.stdout).toBe('mounted\n0\n');
  });

  it('is checked', () => {
    expect(() => createBubblewrapFactory({ stateDir, security: 'none' as 'unconfined' })).toThrow(/security/);
  });
});

/** Peak memory (VmHWM, bytes) of the spawn relay and the sandboxes' agents, by pid. */
function perlPeaks(): Map<number, number> {
  return new Map(
    perlDescendants().map((pid) => [
      pid,
      1024 * Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]),
    ]),
  );
}

/** The Perl processes descending from this one: the spawn relay and the sandboxes' agents. */
function perlDescendants(): number[] {
  const parents = new Map<number, number>();
  const perl = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[0]?.endsWith('perl')) perl.add(Number(name));
    } catch {
      // Gone.
    }
  }
  const descends = (pid: number): boolean => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at))
      if (at === process.pid) return true;
    return false;
  };
  const found = [...perl].filter(descends);
  if (found.length === 0) throw new Error('no spawn relay under this process');
  return found;
}

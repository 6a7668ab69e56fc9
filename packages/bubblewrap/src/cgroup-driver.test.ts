import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupV2Driver, detectCgroups } from './cgroup-driver.js';

/**
 * cgroup v2 cannot be mounted on this (v1) machine, so the v2 driver is checked against a fake
 * cgroupfs folder: what it writes where. The v1 driver runs for real in resource-limits.test.ts.
 */
const fakes: string[] = [];
afterAll(() => {
  for (const root of fakes) rmSync(root, { recursive: true, force: true });
});

function fakeUnified(): string {
  const root = mkdtempSync(join(tmpdir(), 'snapbox-fake-cgroup2-'));
  fakes.push(root);
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  mkdirSync(join(root, 'snapbox-bubblewrap'));
  writeFileSync(join(root, 'snapbox-bubblewrap', 'cgroup.controllers'), 'cpu memory pids\n');
  return root;
}

describe('cgroup v2 driver (on a fake cgroupfs)', () => {
  it('detects the unified hierarchy and writes the limits in v2 syntax', () => {
    const root = fakeUnified();
    const detection = detectCgroups({ mountPoint: root, rootless: false });
    expect(detection.driver?.version).toBe(2);
    const handle = (detection.driver as CgroupV2Driver).create('c1', { cpu: 1.5, memoryMiB: 256, pids: 100 });
    const dir = join(root, 'snapbox-bubblewrap', 'c1');
    expect(handle).toEqual({ dirs: [dir], procsFiles: [join(dir, 'cgroup.procs')] });
    expect(readFileSync(join(root, 'snapbox-bubblewrap', 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory +pids');
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('150000 100000');
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(256 * 1024 * 1024));
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('100');
  });

  it('freezes through cgroup.freeze and waits for cgroup.events to say frozen', async () => {
    const root = fakeUnified();
    const driver = new CgroupV2Driver(root, 'snapbox-bubblewrap');
    const handle = driver.create('c2', {});
    const dir = handle.dirs[0] as string;
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    let frozen = false;
    const freezing = driver.freeze(handle).then(() => {
      frozen = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(readFileSync(join(dir, 'cgroup.freeze'), 'utf8')).toBe('1');
    expect(frozen).toBe(false);
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    await freezing;
    driver.thaw(handle);
    expect(readFileSync(join(dir, 'cgroup.freeze'), 'utf8')).toBe('0');
  });

  it('as an ordinary user without a delegated systemd service, says why there is no driver', () => {
    const detection = detectCgroups({ mountPoint: fakeUnified(), rootless: true });
    // This test process runs as root outside any user@.service, so there is nothing delegated.
    expect(detection.driver).toBeUndefined();
    expect(detection.reason).toMatch(/delegated/);
  });
});

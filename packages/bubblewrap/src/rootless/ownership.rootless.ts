import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBubblewrapAdmin } from '../bubblewrap-admin.js';
import { createBubblewrapFactory } from '../index.js';
import { detectIdMapping } from '../subordinate-ids.js';
import { testStateDir } from '../test-support/fixtures.js';
import { storeContents } from '../test-support/store-contents.js';

// Run by ../rootless.test.ts as an ordinary user with a subordinate id range: files of a
// container's user then belong, on the host, to ids this user cannot act as. Everything the
// backend does to them on the host (copy them into a snapshot, remove a container, a snapshot, a
// dead session's leftovers) must still work.
const image = process.env.SNAPBOX_ROOTLESS_IMAGE ?? '';
const childScript = fileURLToPath(new URL('../test-support/rootless-owner-child.mjs', import.meta.url));

/** Everything in the state folder but the image cache, the trash and tmp included: nothing once cleaned up. */
function leftovers(stateDir: string): Record<string, string[]> {
  const list = (name: string) => {
    try {
      return readdirSync(join(stateDir, name)).filter((entry) => !entry.startsWith('.'));
    } catch {
      return [];
    }
  };
  return { ...storeContents(stateDir), tmp: list('tmp'), trash: list('trash') };
}

/**
 * Live processes whose command line names the state folder (every sandbox binds its store): none
 * once a SIGKILLed owner's sandboxes are gone, those of its pool that were still being mapped
 * included.
 */
function processesOf(stateDir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || name === String(process.pid)) continue;
    try {
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (command.includes(stateDir)) found.push(`${name}: ${command.replace(/\0/g, ' ')}`);
    } catch {
      // Gone, or not ours.
    }
  }
  return found;
}

// Made here, not in the tests: each is removed after the file's other hooks (see testStateDir).
const ownershipStateDir = testStateDir('rootless-ownership');
const sigkillStateDirs = {
  relay: testStateDir('rootless-ownership-sigkill'),
  node: testStateDir('rootless-ownership-sigkill-node'),
};
const pruneStateDir = testStateDir('rootless-ownership-prune');

const nothing = { containers: [], snapshots: [], layers: [], refs: [], pending: [], tmp: [], trash: [] };

/** Starts the child as this user; resolves with its report once it has made everything. */
function startChild(stateDir: string, mode: 'watchdog' | 'no-watchdog', spawner: 'relay' | 'node' = 'relay') {
  const child = spawn(process.execPath, [childScript, stateDir, image, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: spawner === 'node' ? { ...process.env, SNAPBOX_BWRAP_SPAWNER: 'node' } : process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const report = new Promise<{ session: string; containers: string[]; snapshot: string; seen: string }>(
    (resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0] as string));
      });
      child.once('exit', (code) => reject(new Error(`the child ended (${code}) before reporting: ${stderr}`)));
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, report, exited };
}

async function waitFor(check: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('rootless with subordinate ids: files of container users', () => {
  it('this user has a subordinate range and newuidmap (else these tests prove nothing)', () => {
    const mapping = detectIdMapping();
    expect(mapping.kind, mapping.kind === 'single' ? mapping.missing : '').toBe('range');
  });

  it("a container user's 0600 file in its 0700 folder survives snapshot and restore, and nothing is left", async () => {
    const stateDir = ownershipStateDir;
    const factory = createBubblewrapFactory({ stateDir });
    const box = factory.fromImage({ image, user: '1234:2345' });
    await box.start();
    const wrote = await box.exec('mkdir -m 700 /tmp/private && (umask 077 && echo secret > /tmp/private/file)');
    expect(wrote.exitCode, wrote.output).toBe(0);
    await box.writeFile('/tmp/private/uploaded', 'uploaded\n');

    // On the host the folder belongs to a subordinate id: this user can neither read the file nor
    // list the folder, which is what every host-side step below has to get past.
    const upper = join(stateDir, 'containers', box.id as string, 'upper');
    const mapping = detectIdMapping();
    if (mapping.kind !== 'range') throw new Error('no subordinate ids');
    const hostUid = mapping.ids.uids.start + 1234 - 1;
    expect(statSync(join(upper, 'tmp/private')).uid).toBe(hostUid);
    expect(() => readdirSync(join(upper, 'tmp/private'))).toThrow(/EACCES/);

    // The root folder given to the container's user and closed to others: on the host the layer's
    // own folder then belongs to a subordinate id, which moving it (into the store, into the
    // trash) has to get past.
    const closed = await box.exec('chown 1234:2345 / && chmod 750 /', { user: '0' });
    expect(closed.exitCode, closed.output).toBe(0);
    expect(statSync(upper).uid).toBe(hostUid);

    const snapshot = await box.snapshot();
    const copy = box.fromSnapshot(snapshot);
    await copy.start();
    const seen = await copy.exec(
      'stat -c "%n %u:%g %a" / /tmp/private /tmp/private/file /tmp/private/uploaded && cat /tmp/private/file /tmp/private/uploaded',
      { user: '0' },
    );
    expect(seen.stdout).toBe(
      [
        '/ 1234:2345 750',
        '/tmp/private 1234:2345 700',
        '/tmp/private/file 1234:2345 600',
        '/tmp/private/uploaded 1234:2345 644',
        'secret',
        'uploaded',
        '',
      ].join('\n'),
    );
    // The restored container's user still owns what it made: it can write there.
    expect((await copy.exec('echo more >> /tmp/private/file && cat /tmp/private/file')).stdout).toBe('secret\nmore\n');

    await copy.stop();
    await box.stop();
    await box.deleteSnapshot(snapshot);
    await factory.settled();
    expect(leftovers(stateDir)).toEqual(nothing);
  });

  it.each([
    ['relay', sigkillStateDirs.relay],
    ['node', sigkillStateDirs.node],
  ] as const)(
    'with the spawner %s, restores its owners, and a SIGKILLed owner leaves nothing: its watchdog removes its containers and snapshots',
    async (spawner, stateDir) => {
      const { child, report, exited } = startChild(stateDir, 'watchdog', spawner);
      const made = await report;
      expect(made.seen).toBe('1234:2345 700\n1234:2345 600\nsecret\n');
      expect(made.containers).toHaveLength(2);
      expect(leftovers(stateDir).layers).toHaveLength(1);
      child.kill('SIGKILL');
      await exited;
      await waitFor(() => JSON.stringify(leftovers(stateDir)) === JSON.stringify(nothing), 10_000);
      expect(leftovers(stateDir)).toEqual(nothing);
      await waitFor(() => processesOf(stateDir).length === 0, 5_000);
      expect(processesOf(stateDir)).toEqual([]);
    },
  );

  it('prune removes what a dead session without a watchdog left', async () => {
    const stateDir = pruneStateDir;
    const { child, report, exited } = startChild(stateDir, 'no-watchdog');
    const made = await report;
    child.kill('SIGKILL');
    await exited;
    // Without a watchdog it all stays, files of the container's user included.
    const left = leftovers(stateDir);
    expect(left.containers?.sort()).toEqual([...made.containers].sort());
    expect(left.snapshots).toEqual([`${made.snapshot}.json`]);
    await waitFor(() => processesOf(stateDir).length === 0, 5_000);
    expect(processesOf(stateDir)).toEqual([]);
    // What `snapbox prune` runs: the admin module's prune.
    const pruned = await createBubblewrapAdmin({ stateDir }).prune();
    expect(pruned.errors).toEqual([]);
    expect(pruned.containers.map((resource) => resource.id).sort()).toEqual([...made.containers].sort());
    expect(pruned.snapshots.map((resource) => resource.id)).toEqual([made.snapshot]);
    expect(leftovers(stateDir)).toEqual(nothing);
  });
});

// A child process for the rootless ownership tests (run as the test user): in the state folder
// argv[2], from the image argv[3], makes a container whose user writes a 0600 file in a 0700
// folder, snapshots it and restores the snapshot, prints what it made (and what the restored
// container shows of the folder) as one JSON line, then waits to be SIGKILLed. argv[4] is 'watchdog' or 'no-watchdog' (everything stays for `prune`).
import { createBubblewrapFactory } from '@snapbox/bubblewrap';
import { currentSession } from '@snapbox/core';

const [stateDir, image, mode] = process.argv.slice(2);
// Without the spawn relay (SNAPBOX_BWRAP_SPAWNER=node) commands cannot be confined.
const security = process.env.SNAPBOX_BWRAP_SPAWNER === 'node' ? 'unconfined' : 'default';
const factory = createBubblewrapFactory({ stateDir, watchdog: mode === 'watchdog', security });
const box = factory.fromImage({ image, user: '1234:2345' });
await box.start();
const wrote = await box.exec('mkdir -m 700 /tmp/private && (umask 077 && echo secret > /tmp/private/file)');
if (wrote.exitCode !== 0) throw new Error(`could not write as the container's user: ${wrote.output}`);
const snapshot = await box.snapshot();
const restored = box.fromSnapshot(snapshot);
await restored.start();
const seen = await restored.exec('stat -c "%u:%g %a" /tmp/private /tmp/private/file && cat /tmp/private/file', {
  user: '0',
});
process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, containers: [box.id, restored.id], snapshot, seen: seen.stdout })}\n`,
);
setInterval(() => undefined, 1000);

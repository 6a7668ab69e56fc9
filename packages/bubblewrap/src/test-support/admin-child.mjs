// Leaves resources behind as a crashed program would, for the admin tests: in the state folder
// named by SNAPBOX_BUBBLEWRAP_STATE_DIR, makes two containers and three snapshots labelled with
// the run argv[3], prints what it made as one JSON line, then waits to be SIGKILLed.
// Usage: node admin-child.mjs <image> <run> <no-watchdog | admin-first>
//   no-watchdog: the factory has no watchdog, so everything stays for `prune`;
//   admin-first: an admin of the same folder is made before the factory, which keeps its
//   watchdog all the same (the watchdog removes everything but the kept snapshot).
import { createBubblewrapFactory } from '@snapbox/bubblewrap';
import { createAdmin } from '@snapbox/bubblewrap/admin';
import { currentSession } from '@snapbox/core';

const [image, run, mode] = process.argv.slice(2);
if (mode === 'admin-first') await createAdmin().list();
const factory = createBubblewrapFactory(mode === 'no-watchdog' ? { watchdog: false } : {});
const labels = { 'snapbox.test.run': run };
const box = factory.fromImage({ image, labels });
await box.start();
await box.exec('echo parent > /tmp/parent');
const parent = await box.snapshot();
const restored = box.fromSnapshot(parent, { labels });
await restored.start();
await restored.exec('echo child > /tmp/child');
const child = await restored.snapshot();
const kept = await restored.snapshot({ keep: true });
process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, stateDir: factory.stateDir, containers: [box.id, restored.id], parent, child, kept })}\n`,
);
setInterval(() => undefined, 1000);

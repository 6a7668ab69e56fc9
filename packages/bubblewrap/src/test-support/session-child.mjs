// A child process for the cleanup tests: creates containers and snapshots in the state folder
// argv[3], reports them on stdout as one JSON line, then ends the way argv[2] says.

import { createBubblewrapFactory } from '@snapbox/bubblewrap';
import { currentSession } from '@snapbox/core';

const ending = process.argv[2];
const stateDir = process.argv[3];
const image = process.argv[4];
const factory = createBubblewrapFactory({ stateDir });

/** A command that must succeed: the parent's checks rely on what it wrote. */
async function run(container, command) {
  const result = await container.exec(command);
  if (result.exitCode !== 0) throw new Error(`${command} exited ${result.exitCode}: ${result.output}`);
}

const containers = [];
for (let index = 0; index < 3; index++) {
  const container = factory.fromImage({ image });
  await container.start();
  containers.push(container);
}
await run(containers[0], 'echo one > /tmp/one');
const snapshots = [await containers[0].snapshot(), await containers[1].snapshot()];
const restored = containers[0].fromSnapshot(snapshots[0]);
await restored.start();
await run(restored, 'echo kept > /tmp/kept');
const kept = await restored.snapshot({ keep: true });
const deletedWhileInUse = await restored.snapshot();
const fromDeleted = restored.fromSnapshot(deletedWhileInUse);
await fromDeleted.start();
await restored.deleteSnapshot(deletedWhileInUse);
// A background process that would outlive a careless cleanup, marked for the test to find.
await run(containers[2], `SNAPBOX_TEST_SLEEPER=${currentSession().id} setsid sleep 1000 >/dev/null 2>&1 &`);

process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, pid: process.pid, ids: containers.map((c) => c.id), snapshots, kept })}\n`,
);

switch (ending) {
  case 'normal':
    break;
  case 'stopped':
    // Every container stopped just before the end: their removals (folders, cgroups) are still
    // in the background when the process ends, after their records are gone.
    // Ended at once, as a test runner ends its workers: the removals keep no event loop alive.
    await Promise.all([...containers, restored, fromDeleted].map((container) => container.stop()));
    process.exit(0);
    break;
  case 'exit':
    process.exit(3);
    break;
  case 'uncaught':
    setTimeout(() => {
      throw new Error('boom');
    }, 10);
    break;
  default:
    // Wait for the test to send a signal.
    setInterval(() => undefined, 1000);
}

// A child process for the cleanup tests: creates containers and snapshots, reports them on
// stdout as one JSON line, then ends the way argv[2] says.

import { currentSession } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';

const ending = process.argv[2];
const image = process.argv[3];
const factory = createDockerFactory();

const containers = [];
for (let index = 0; index < 3; index++) {
  const container = factory.fromImage({ image });
  await container.start();
  containers.push(container);
}
const snapshots = [await containers[0].snapshot(), await containers[1].snapshot()];
const restored = containers[0].fromSnapshot(snapshots[0]);
await restored.start();
const kept = await restored.snapshot({ keep: true });
const deletedWhileInUse = await restored.snapshot();
const fromDeleted = restored.fromSnapshot(deletedWhileInUse);
await fromDeleted.start();
await restored.deleteSnapshot(deletedWhileInUse);

if (ending === 'own-handler') {
  process.on('SIGTERM', () => {
    process.stdout.write('handled\n');
    setTimeout(() => process.exit(42), 50);
  });
}

process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, pid: process.pid, ids: containers.map((c) => c.id), snapshots, kept })}\n`,
);

switch (ending) {
  case 'normal':
    break;
  case 'exit':
    process.exit(3);
    break;
  case 'uncaught':
    setTimeout(() => {
      throw new Error('boom');
    }, 10);
    break;
  case 'rejection':
    Promise.reject(new Error('unhandled'));
    break;
  default:
    // Wait for the test to send a signal.
    setInterval(() => undefined, 1000);
}

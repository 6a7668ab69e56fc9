// A child program for the exit-cleanup test: creates containers and snapshots (one of them
// deleted while in use), prints what it made as one JSON line, then ends as argv[2] says.
import { currentSession } from '@snapbox/core';
import { createCliDockerFactory } from '../../dist/index.js';

const factory = createCliDockerFactory();
const box = factory.fromImage({ image: process.argv[3] });
await box.start();
const snapshot = await box.snapshot();
const restored = box.fromSnapshot(snapshot);
await restored.start();
await box.deleteSnapshot(snapshot); // in use by `restored`: only untagged for now
const second = await restored.snapshot();
process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, containers: [box.id, restored.id], snapshots: [snapshot, second] })}\n`,
);

if (process.argv[2] === 'exit') process.exit(0);
setInterval(() => undefined, 1000); // wait for the test's signal

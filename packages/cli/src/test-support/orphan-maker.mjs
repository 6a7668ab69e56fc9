// Leaves resources behind as a crashed program would: creates them with the watchdog off, prints
// what it made, then waits to be SIGKILLed.
import { currentSession } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';

const factory = createDockerFactory({ watchdog: false });
const box = factory.fromImage({ image: process.argv[2] });
await box.start();
const parent = await box.snapshot();
const restored = box.fromSnapshot(parent);
await restored.start();
const child = await restored.snapshot();
const kept = await restored.snapshot({ keep: true });
process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, containers: [box.id, restored.id], parent, child, kept })}\n`,
);
setInterval(() => undefined, 1000);

// Leaves resources behind as a crashed program would: creates them with the watchdog off, prints
// what it made, then waits to be SIGKILLed.
// Usage: node orphan-maker.mjs <image> [docker | bubblewrap]; bubblewrap's state folder is the
// default one (SNAPBOX_BUBBLEWRAP_STATE_DIR, which the tests set).
import { currentSession } from '@snapbox/core';

const [image, backend = 'docker'] = process.argv.slice(2);
const factory =
  backend === 'bubblewrap'
    ? (await import('@snapbox/bubblewrap')).createBubblewrapFactory({ watchdog: false })
    : (await import('@snapbox/docker')).createDockerFactory({ watchdog: false });
const box = factory.fromImage({ image });
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

// A process that leaves what a crash would (watchdog off): a container, a restore, two session
// snapshots, a kept one, all labelled with argv[3]'s run; it prints them and waits for SIGKILL.
import { currentSession } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';

const [image, run] = process.argv.slice(2);
const factory = createDockerFactory({ watchdog: false });
const box = factory.fromImage({ image, labels: { 'snapbox.test.run': run } });
await box.start();
const parent = await box.snapshot();
const restored = box.fromSnapshot(parent, { labels: { 'snapbox.test.run': run } });
await restored.start();
const child = await restored.snapshot();
const kept = await restored.snapshot({ keep: true });
process.stdout.write(
  `${JSON.stringify({ session: currentSession().id, containers: [box.id, restored.id], parent, child, kept })}\n`,
);
setInterval(() => undefined, 1000);

// A child process for the debug-log tests: starts a container, runs one command, prints its
// output on stdout as one JSON line, then either ends (the exit cleanup removes the container)
// or, with argv[3] = 'wait-for-kill', waits to be killed (the watchdog removes it).

import { createDockerFactory } from '@snapbox/docker';

const waitForKill = process.argv[3] === 'wait-for-kill';
const box = createDockerFactory({ watchdog: waitForKill }).fromImage({ image: process.argv[2] });
await box.start();
const result = await box.exec(['echo', 'hello']);
process.stdout.write(`${JSON.stringify({ id: box.id, stdout: result.stdout })}\n`);
if (waitForKill) setInterval(() => undefined, 60_000);

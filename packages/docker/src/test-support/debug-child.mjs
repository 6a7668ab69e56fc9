// A child process for the debug-log tests: starts a container, runs one command, prints its
// output on stdout, and leaves the container for the exit cleanup to remove.

import { createDockerFactory } from '@snapbox/docker';

const box = createDockerFactory({ watchdog: false }).fromImage({ image: process.argv[2] });
await box.start();
const result = await box.exec(['echo', 'hello']);
process.stdout.write(`${JSON.stringify({ id: box.id, stdout: result.stdout })}\n`);

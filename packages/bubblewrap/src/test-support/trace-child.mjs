// A child process for the relay trace test: runs a command and a file upload in a container of
// the state folder argv[2], with SNAPBOX_BWRAP_RELAY_TRACE set by the parent, then stops it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBubblewrapFactory } from '@snapbox/bubblewrap';

const [stateDir, image] = process.argv.slice(2);
const container = createBubblewrapFactory({ stateDir }).fromImage({ image });
await container.start();
const result = await container.exec('echo traced');
if (result.stdout !== 'traced\n') throw new Error(`unexpected output: ${result.output}`);
const local = join(stateDir, 'upload.txt');
writeFileSync(local, 'uploaded\n');
await container.uploadFile(local, '/tmp/upload.txt');
await container.stop();

// A child process for the port relay tests: starts a container on network 'none' with a port,
// asks for its endpoint (which starts the relay), prints it as one JSON line, then either stops
// the container and says so (argv[2] 'stop': the process must not end before that line), or
// waits to be killed (argv[2] 'hold').

import { createBubblewrapFactory } from '@snapbox/bubblewrap';

const [mode, stateDir, image] = process.argv.slice(2);
const box = createBubblewrapFactory({ stateDir }).fromImage({ image, ports: [7001] });
await box.start();
const { port } = await box.endpoint(7001);
console.log(JSON.stringify({ port }));
if (mode === 'stop') {
  await box.stop();
  console.log(JSON.stringify({ stopped: true }));
} else {
  setInterval(() => undefined, 1000);
}

// A program that uses the built backend with the fake client and then ends in the way named by
// its argument, so that a test can check what the exit cleanup removed. It prints the ids it
// created as one JSON line first.
import { fileURLToPath } from 'node:url';
import { createDaytonaFactory } from '../../dist/index.js';
import { createClient } from './fake-client-module.mjs';

const mode = process.argv[2];
const factory = createDaytonaFactory({
  client: createClient({}),
  apiKey: 'exit-scenario-key',
  syncClientModule: fileURLToPath(new URL('./fake-client-module.mjs', import.meta.url)),
  pollIntervalMs: 1,
  retry: { baseDelayMs: 1 },
  // In 'handler' mode only the program's own exit handler removes anything.
  cleanupOnExit: mode !== 'handler',
});
const box = factory.fromImage({ image: 'debian:12' });
await box.start();
const stopped = factory.fromImage({ image: 'debian:12' });
await stopped.start();
await stopped.stop();
const session = await box.snapshot();
const kept = await box.snapshot({ keep: true });
const deleted = await box.snapshot();
await box.deleteSnapshot(deleted);
process.stdout.write(`${JSON.stringify({ sandbox: box.sandboxId, session, kept })}\n`);

if (mode === 'handler') {
  // The program's own exit handler removes everything synchronously, the kept snapshot too.
  process.on('exit', () => {
    box.stopAndRemoveSync();
    box.deleteSnapshotSync(session);
    box.deleteSnapshotSync(kept);
    process.stdout.write(`${JSON.stringify({ handlerDone: true })}\n`);
  });
  process.exit(0);
}
if (mode === 'exit') process.exit(3);
if (mode === 'throw') throw new Error('uncaught on purpose');
if (mode === 'signal') {
  setTimeout(() => {}, 10_000);
  process.kill(process.pid, 'SIGTERM');
}
// mode 'end': the event loop empties and the process ends normally.

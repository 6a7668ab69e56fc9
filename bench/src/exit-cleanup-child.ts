/**
 * Starts `count` snapbox containers and exits, timing the cleanup that runs at exit
 * (`node dist/exit-cleanup-child.js <json>`). In mode `stopAndRemoveSync` the program's own
 * `process.on('exit')` handler, registered before any container exists (so it runs before the
 * library's), calls `stopAndRemoveSync()` on each; in mode `session-cleanup` the program does
 * nothing and the library's exit cleanup removes them. Prints JSON lines: `{ exitAt }` just
 * before `process.exit()`, then `{ handlerMs }` from inside the exit handlers.
 */
import { writeSync } from 'node:fs';
import { createDockerFactory, type DockerContainer } from '@snapbox/docker';

interface ExitOrder {
  mode: 'stopAndRemoveSync' | 'session-cleanup';
  count: number;
  image: string;
  labels: Record<string, string>;
}

const order = JSON.parse(process.argv[2] ?? '{}') as ExitOrder;
const containers: DockerContainer[] = [];
let handlerStart = 0;

process.on('exit', () => {
  handlerStart = performance.now();
  if (order.mode === 'stopAndRemoveSync') {
    for (const container of containers) container.stopAndRemoveSync();
    writeSync(1, `${JSON.stringify({ handlerMs: performance.now() - handlerStart })}\n`);
  }
});

async function main(): Promise<void> {
  const factory = createDockerFactory();
  for (let index = 0; index < order.count; index++) {
    containers.push(factory.fromImage({ image: order.image, labels: order.labels }));
  }
  // Ten at a time: the point is the cleanup, not how fast 50 start.
  for (let index = 0; index < containers.length; index += 10) {
    await Promise.all(containers.slice(index, index + 10).map((container) => container.start()));
  }
  if (order.mode === 'session-cleanup') {
    // Registered after the library's handler (armed by the first container), so it runs after it.
    process.on('exit', () => writeSync(1, `${JSON.stringify({ handlerMs: performance.now() - handlerStart })}\n`));
  }
  writeSync(1, `${JSON.stringify({ exitAt: Date.now() })}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  writeSync(2, `exit-cleanup child failed: ${String(error)}\n`);
  process.exit(1);
});

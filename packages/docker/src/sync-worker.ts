/**
 * Child process behind the synchronous API (`stopAndRemoveSync`, `deleteSnapshotSync`, exit
 * cleanup): reads a {@link CleanupOrder} on stdin, carries it out, prints a
 * {@link CleanupReport} as JSON. Single removals that fail are listed in the report.
 */
import { removeAll } from './cleanup-actions.js';
import { resolveDocker } from './docker-connection.js';
import type { CleanupOrder } from './session-tracker.js';

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const order = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CleanupOrder;
  const docker = resolveDocker(order.connection);
  const report = await removeAll(docker, order.repository, order.session, order);
  process.stdout.write(JSON.stringify(report));
}

main().catch((error: unknown) => {
  process.stderr.write(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});

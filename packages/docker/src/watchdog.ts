/**
 * Outlives its owner: started detached by the first resource a process creates, it checks
 * every second that the owner still runs, and when the owner is gone without having cleaned
 * up (SIGKILL, a crash of the runtime) it removes every container and every session-scoped
 * snapshot labelled with the owner's session. A clean exit of the owner stops it with SIGTERM.
 */
import { findSessionResources, removeAll } from './cleanup-actions.js';
import { cleanupLog as log } from './debug-logs.js';
import { resolveDocker, type SerializedConnection } from './docker-connection.js';
import { watchdogOrderVariable } from './session-tracker.js';

interface WatchdogOrder {
  connection: SerializedConnection;
  repository: string;
  session: string;
  ownerPid: number;
}

const order = JSON.parse(process.env[watchdogOrderVariable] ?? '{}') as WatchdogOrder;
delete process.env[watchdogOrderVariable];
const pollMs = 1000;

function ownerAlive(): boolean {
  try {
    process.kill(order.ownerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A request the owner sent just before it died (a container create, a commit) is still carried
 * out by the engine, seconds later on a loaded one: sweep for a while, and until the engine has
 * been quiet for two rounds.
 */
const sweepForMs = 10_000;
const sweepAtMostMs = 60_000;

async function sweep(): Promise<void> {
  const docker = resolveDocker(order.connection);
  const started = Date.now();
  let quietRounds = 0;
  while (Date.now() - started < sweepAtMostMs && (Date.now() - started < sweepForMs || quietRounds < 2)) {
    const resources = await findSessionResources(docker, order.session);
    const found = resources.containers.length + resources.snapshots.length;
    quietRounds = found === 0 ? quietRounds + 1 : 0;
    if (found > 0) {
      const report = await removeAll(docker, order.repository, order.session, resources);
      log(
        'watchdog: removed %d container(s) and %d snapshot(s) of session %s%s',
        report.removedContainers,
        report.deletedSnapshots,
        order.session,
        report.errors.length > 0 ? `; failed: ${report.errors.join('; ')}` : '',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

const timer = setInterval(() => {
  if (ownerAlive()) return;
  clearInterval(timer);
  log('watchdog: owner %d is gone without cleaning up; removing session %s', order.ownerPid, order.session);
  sweep().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}, pollMs);

/**
 * Outlives its owner: started detached by the first resource a process creates in a state
 * folder, it checks twice a second that the owner still runs, and when the owner is gone without
 * having cleaned up (SIGKILL, a crash of the runtime) it removes every container and every
 * session-scoped snapshot recorded with the owner's session. A clean exit of the owner stops it
 * with SIGTERM.
 */
import { existsSync } from 'node:fs';
import { sweepSession } from './resource-admin.js';
import { type WatchdogOrder, watchdogOrderVariable } from './session-tracker.js';

const order = JSON.parse(process.env[watchdogOrderVariable] ?? '{}') as WatchdogOrder;
delete process.env[watchdogOrderVariable];
const pollMs = 500;

function ownerAlive(): boolean {
  try {
    process.kill(order.ownerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

const timer = setInterval(() => {
  if (ownerAlive()) return;
  clearInterval(timer);
  try {
    if (existsSync(order.stateRoot)) {
      sweepSession({ stateDir: order.stateRoot }, order.session);
    }
    process.exit(0);
  } catch {
    process.exit(1);
  }
}, pollMs);

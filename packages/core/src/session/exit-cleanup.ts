/**
 * Runs registered cleanups when the process ends: normal exit, `process.exit()`, an uncaught
 * exception or unhandled rejection (Node emits 'exit' for all of these), and SIGINT, SIGTERM and
 * SIGHUP (which kill the process without 'exit' unless someone handles them).
 *
 * Cleanups must be synchronous: inside 'exit' no promise ever settles.
 *
 * Signals: when the program has its own handler for a signal, it decides what the signal
 * means, so nothing is done then (if the program exits, 'exit' runs the cleanups). Otherwise
 * the cleanups run and the signal is raised again with the default action, so the process
 * still dies by that signal and its exit status is unchanged.
 */

import { createDebugLog } from '../debug-log.js';

type Cleanup = () => void;

const log = createDebugLog('snapbox:cleanup');

const cleanups = new Map<symbol, { name: string; run: Cleanup }>();
const handledSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;
let running = false;

function runAll(reason: string): void {
  if (running) return;
  running = true;
  if (cleanups.size > 0) log('%s: running %d cleanup(s)', reason, cleanups.size);
  try {
    for (const [key, cleanup] of [...cleanups]) {
      cleanups.delete(key);
      const started = Date.now();
      try {
        cleanup.run();
        log('cleanup "%s" done in %d ms', cleanup.name, Date.now() - started);
      } catch (error) {
        // One failing cleanup must not stop the others; stderr is all that is left at exit.
        process.stderr.write(`snapbox: cleanup "${cleanup.name}" failed at exit: ${String(error)}\n`);
      }
    }
  } finally {
    running = false;
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) {
    log('%s: the program handles it, so cleanups wait for its exit', signal);
    return;
  }
  runAll(signal);
  uninstall();
  process.kill(process.pid, signal);
}

const signalListeners = new Map<string, () => void>(handledSignals.map((signal) => [signal, () => onSignal(signal)]));

const onExit = (code: number): void => runAll(`exit (code ${code})`);

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const [signal, listener] of signalListeners) process.on(signal, listener);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
}

/** A registration returned by {@link onProcessExit}. */
export interface ExitCleanupRegistration {
  /** Removes the cleanup (call it once the resource is gone). */
  unregister(): void;
}

/**
 * Registers a synchronous cleanup to run when the process ends (see the module comment for
 * which endings). Handlers are installed on first use and removed when nothing is registered,
 * so a program that never creates a resource keeps Node's default signal behaviour.
 */
export function onProcessExit(name: string, cleanup: Cleanup): ExitCleanupRegistration {
  const key = Symbol(name);
  cleanups.set(key, { name, run: cleanup });
  log('registered "%s" (%d pending)', name, cleanups.size);
  install();
  return {
    unregister() {
      if (cleanups.delete(key)) log('unregistered "%s" (%d pending)', name, cleanups.size);
      if (cleanups.size === 0 && !running) uninstall();
    },
  };
}

/** Runs every registered cleanup now (as at exit) and clears them. Mostly for tests and shutdown hooks. */
export function runExitCleanupsNow(): void {
  runAll('runExitCleanupsNow()');
}

import {
  ExecAbortedError,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  ExecTimeoutError,
  execMarkerVariable,
  newExecMarker,
  SnapboxError,
} from '@snapbox/core';
import { hostBinary } from './host-binaries.js';
import { killMarkedProcesses } from './process-scan.js';
import { type HostChild, type SandboxAgent, spawnHost } from './spawner.js';

/** After the command exits, how long output may still arrive from background jobs holding the pipes. */
const drainGraceMs = 250;

/** Where and as whom a command runs. */
export interface ExecTarget {
  /** Host pid of the sandbox's init: the command joins its namespaces and root. */
  initPid: number;
  pidNamespace: string;
  /** `cgroup.procs` files to join first (none without cgroups). */
  cgroupProcs: readonly string[];
  /** `[uid, gid]` inside the sandbox; undefined for root. */
  user: readonly [number, number] | undefined;
  /** The sandbox's agent, when it has one: commands start from it instead of through nsenter. */
  agent?: SandboxAgent | undefined;
  /**
   * The sandbox shares this process's network namespace (network `'default'`): nsenter leaves it
   * alone, as an ordinary user may not re-enter the host's from the sandbox's user namespace.
   */
  hostNetwork?: boolean;
}

export interface RunExecRequest {
  target: ExecTarget;
  argv: readonly string[];
  env: Record<string, string>;
  workdir: string;
  options: ExecOptions;
  /** For messages: the command as the caller wrote it. */
  display: string;
  /** Told about each helper process while it runs (the container resumes them after a freeze). */
  track: (child: HostChild, running: boolean) => void;
}

/** The argv that runs `argv` inside the sandbox, through nsenter (the caller joins the cgroups). */
export function nsenterArgv(target: ExecTarget, workdir: string, argv: readonly string[]): string[] {
  // As root inside, keep this process's own ids: they map to root there, and nsenter would
  // otherwise call setgroups, which an ordinary user's namespace denies.
  const user =
    target.user === undefined
      ? ['--preserve-credentials']
      : ['--setuid', String(target.user[0]), '--setgid', String(target.user[1])];
  return [
    hostBinary('nsenter'),
    '--target',
    String(target.initPid),
    '--user',
    '--mount',
    '--pid',
    '--ipc',
    '--uts',
    ...(target.hostNetwork === true ? [] : ['--net']),
    '--root',
    `--wdns=${workdir}`,
    ...user,
    '--',
    ...argv,
  ];
}

/**
 * Runs one command in the sandbox, streaming its two pipes into an {@link ExecOutputCollector}.
 * Every process of the command carries a fresh marker in its environment; on timeout or abort
 * they are found from the host in the sandbox's pid namespace and SIGKILLed, and the nsenter
 * helper with them (it stops itself when its child is stopped, see process-scan.ts).
 */
export async function runExec(request: RunExecRequest): Promise<ExecResult> {
  const { options, target } = request;
  const collector = new ExecOutputCollector(options);
  if (options.signal?.aborted) {
    throw new ExecAbortedError({
      command: request.display,
      result: collector.partialResult(),
      cause: options.signal.reason,
    });
  }
  const agent = agentFor(target, request.display);
  const marker = newExecMarker();
  const env = { ...request.env, [execMarkerVariable]: marker };
  const child =
    agent !== undefined
      ? agent.spawn({
          argv: request.argv,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: request.workdir,
          user: target.user,
        })
      : spawnHost({
          argv: nsenterArgv(target, request.workdir, request.argv),
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          cgroupProcs: target.cgroupProcs,
        });
  request.track(child, true);

  return new Promise<ExecResult>((resolve, reject) => {
    let finished = false;
    let exitCode: number | undefined;
    let stopReason: { kind: 'timeout' } | { kind: 'abort'; reason: unknown } | undefined;
    let killFailed = false;
    const timers: NodeJS.Timeout[] = [];
    let openPipes = 2;

    const settle = () => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      request.track(child, false);
      if (stopReason !== undefined) {
        if (killFailed) {
          reject(
            new SnapboxError('EXEC_KILL_FAILED', {
              message: `Could not kill every process of ${request.display} after its ${stopReason.kind}; some may still run in the sandbox.`,
            }),
          );
          return;
        }
        const result = collector.partialResult();
        reject(
          stopReason.kind === 'timeout'
            ? new ExecTimeoutError({ command: request.display, timeoutMs: options.timeoutMs ?? 0, result })
            : new ExecAbortedError({ command: request.display, result, cause: stopReason.reason }),
        );
        return;
      }
      const callbackError = collector.callbackError;
      if (callbackError !== undefined) reject(callbackError.error);
      else resolve(collector.result(exitCode ?? -1));
    };

    const stop = (reason: NonNullable<typeof stopReason>) => {
      if (finished || stopReason !== undefined) return;
      stopReason = reason;
      void killMarkedProcesses(target.pidNamespace, marker).then((ok) => {
        killFailed = !ok;
        // The helper may be stopped (its child was); it has nothing left to wait for.
        child.kill('SIGKILL');
        timers.push(setTimeout(settle, 50));
      });
    };
    const onAbort = () => stop({ kind: 'abort', reason: options.signal?.reason });

    child.stdout?.on('data', (chunk: Buffer) => collector.push('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => collector.push('stderr', chunk));
    const pipeClosed = () => {
      openPipes--;
      if (openPipes === 0 && exitCode !== undefined && stopReason === undefined) settle();
    };
    child.stdout?.once('close', pipeClosed);
    child.stderr?.once('close', pipeClosed);
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      request.track(child, false);
      reject(
        new SnapboxError('EXEC_START_FAILED', {
          message: `Could not start ${request.display} in the sandbox (${error.code ?? error.message})${target.agent === undefined ? '; is util-linux (nsenter) installed?' : ''}`,
          cause: error,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      if (stopReason !== undefined) return;
      if (child.lostReason !== undefined) {
        // Not the command's own end: an exit status would read as if it had been killed by it.
        finished = true;
        for (const timer of timers) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        request.track(child, false);
        reject(relayLost(request.display, child.lostReason, collector.partialResult()));
        return;
      }
      exitCode = code ?? 128 + signalNumber(signal);
      if (openPipes === 0) settle();
      // A background job that kept the pipes open: settle after a short drain. The timer alone
      // is not enough: on a busy event loop it can fire before the poll phase has read what the
      // command wrote before exiting, so settle only after two more turns of the loop.
      else timers.push(setTimeout(() => setImmediate(() => setImmediate(settle)), drainGraceMs));
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop({ kind: 'timeout' }), options.timeoutMs));
  });
}

const signalNumbers: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (signalNumbers[signal] ?? 9);
}

/**
 * The sandbox's agent, which starts its commands; undefined when they go through nsenter (a
 * sandbox without an agent, or an unconfined one whose agent ended).
 * @throws SnapboxError `SPAWN_RELAY_LOST` when the agent ended with the spawn relay (the sandbox
 * died with them: nsenter would find nothing to join), `SANDBOX_AGENT_LOST` when a confined
 * sandbox's agent ended (nsenter cannot confine a command).
 */
export function agentFor(target: ExecTarget, display: string): SandboxAgent | undefined {
  const agent = target.agent;
  if (agent === undefined || agent.alive) return agent;
  if (agent.lostReason?.startsWith('the spawn relay')) throw relayLost(display, agent.lostReason);
  if (agent.confined) {
    throw new SnapboxError('SANDBOX_AGENT_LOST', {
      message:
        `Cannot run ${display}: ${agent.lostReason ?? "the sandbox's agent ended"}. Commands are confined ` +
        "(capabilities and seccomp, the backend's security 'default') only by starting them from the agent; " +
        'stop this container and start a new one.',
    });
  }
  return undefined;
}

/**
 * The error for a command whose spawn relay (spawner.ts) or sandbox agent ended under it: the
 * relay's children, the sandboxes among them, end with it, so the container is gone.
 */
function relayLost(display: string, why: string, partial?: ExecResult): SnapboxError {
  return new SnapboxError('SPAWN_RELAY_LOST', {
    message:
      `${display} was lost: ${why}. The container's sandbox ended with it; start a new container ` +
      "(the relay restarts on the next spawn). Set SNAPBOX_BWRAP_SPAWNER=node to run without the relay (with security: 'unconfined')." +
      (partial !== undefined && partial.output !== '' ? ` Output so far: ${partial.output.slice(-500)}` : ''),
  });
}

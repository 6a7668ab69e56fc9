import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { appendFileSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { SnapboxError } from '@snapbox/core';
import { hostBinary } from './host-binaries.js';
import { spawnRelayScript } from './spawn-relay-script.js';

/** What to start: a host program, its environment, which of its fds are pipes. */
export interface HostSpawnRequest {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** One entry per child fd from 0: a pipe to this process, or /dev/null. At least three. */
  stdio: readonly ('pipe' | 'ignore')[];
  /** `cgroup.procs` files the process joins before it execs (so everything it runs is accounted). */
  cgroupProcs?: readonly string[];
  cwd?: string;
  /** `[uid, gid]` to run as (through an agent only; the nsenter path carries it in its argv). */
  user?: readonly [number, number];
}

/** The part of Node's `ChildProcess` the backend uses; a relayed process offers the same. */
export interface HostChild extends EventEmitter {
  /** Undefined until the process has started (a relayed one reports its pid once it exec'd). */
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Every fd's stream, by child fd (`stdio[3]` for a fourth pipe). */
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  ref(): void;
  unref(): void;
  /**
   * Set when the process was lost with the spawn relay (or its sandbox's agent) rather than
   * ending on its own: why, for the error that replaces its exit status.
   */
  readonly lostReason?: string | undefined;
}

/** Joins the cgroups (one file per hierarchy) before exec, so everything after is accounted. */
const joinCgroupsThenExec = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** Prefixes an argv with a shell that joins the cgroups, when there are cgroups to join. */
export function inCgroups(procsFiles: readonly string[], argv: readonly string[]): string[] {
  if (procsFiles.length === 0) return [...argv];
  return ['/bin/sh', '-c', joinCgroupsThenExec, 'snapbox-cgroup', ...procsFiles, '--', ...argv];
}

/**
 * Starts a host process: through the relay (spawn-relay-script.ts) when Perl is there, else with
 * Node's `spawn` (set `SNAPBOX_BWRAP_SPAWNER=node` to force that).
 */
export function spawnHost(request: HostSpawnRequest): HostChild {
  const relay = sharedRelay();
  if (relay !== undefined) return relay.spawn(request);
  return spawnDirect(request);
}

/** {@link spawnHost} without the relay. */
export function spawnDirect(request: HostSpawnRequest): HostChild {
  const argv = inCgroups(request.cgroupProcs ?? [], request.argv);
  return spawn(argv[0] as string, argv.slice(1), {
    env: request.env,
    cwd: request.cwd,
    stdio: [...request.stdio],
  }) as ChildProcess as unknown as HostChild;
}

/** What an agent is started with (see the relay script's `agent` built-in). */
export interface AgentRequest {
  /** The host pid of the sandbox's init, whose namespaces the agent joins. */
  initPid: number;
  /** setns, mount, umount2, pivot_root, sethostname, prctl, capset (prebuilt-sandbox.ts). */
  syscallNumbers: string;
  /** `cgroup.procs` files the agent joins first. */
  cgroupProcs: readonly string[];
  /** How it confines its commands (confinement.ts); undefined: not at all. */
  confinement: string | undefined;
}

/** Starts an agent in a sandbox (see {@link SandboxAgent}); undefined without the relay. */
export function startAgent(request: AgentRequest): SandboxAgent | undefined {
  return sharedRelay()?.agent(request);
}

/** Which way {@link spawnHost} starts processes in this process. */
export function spawnerKind(): 'relay' | 'node' {
  return sharedRelay() === undefined ? 'node' : 'relay';
}

let relay: SpawnRelay | undefined | null = null;

function sharedRelay(): SpawnRelay | undefined {
  if (relay === null) {
    const perl = hostBinary('perl');
    relay = process.env.SNAPBOX_BWRAP_SPAWNER === 'node' || !perl.startsWith('/') ? undefined : new SpawnRelay(perl);
  }
  return relay;
}

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value as number, name]),
);
const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, value]) => [value as number, name as NodeJS.Signals]),
);

/** One Perl process that forks and execs for this process and relays the pipes (see the script). */
class SpawnRelay {
  readonly #perl: string;
  #process: ChildProcess | undefined;
  readonly #children = new Map<number, RelayedChild>();
  #nextId = 1;
  #refs = 0;
  #pending: Buffer = Buffer.alloc(0);

  constructor(perl: string) {
    this.#perl = perl;
  }

  /**
   * Starts a process: by the relay, or by `route` (an agent's stdin) with the relay still
   * carrying its frames back.
   */
  spawn(
    request: HostSpawnRequest,
    route: (frame: Buffer) => void = (frame) => this.write(frame),
    stdioCodes?: string,
  ): RelayedChild {
    const id = this.#nextId++;
    const child = new RelayedChild(this, id, request.stdio, route);
    this.#children.set(id, child);
    this.#adjustRefs(1);
    const env = Object.entries(request.env).filter((entry): entry is [string, string] => entry[1] !== undefined);
    const stdio = stdioCodes ?? request.stdio.map((kind) => (kind === 'pipe' ? 'p' : 'i')).join('');
    const cgroups = request.cgroupProcs ?? [];
    if (relayTrace !== undefined) trace(`> R ${id} ${stdio} ${request.argv.slice(0, 4).join(' ')}`);
    route(
      frame([
        'R',
        String(id),
        stdio.padEnd(3, 'i'),
        request.cwd ?? '',
        request.user === undefined ? '' : `${request.user[0]}:${request.user[1]}`,
        String(env.length),
        ...env.flat(),
        String(cgroups.length),
        ...cgroups,
        ...request.argv,
      ]),
    );
    return child;
  }

  /** Starts an agent in the sandbox whose init is `initPid` (see the relay script). */
  agent(request: AgentRequest): SandboxAgent {
    return new SandboxAgent(this, request);
  }

  /** Writes one frame to the relay; starts the relay first when needed. */
  write(bytes: Buffer): void {
    this.#start().stdin?.write(bytes);
  }

  /** A child that holds the event loop (a ref'd one not yet closed) came or went. */
  adjustRefs(delta: number): void {
    this.#adjustRefs(delta);
  }

  forget(id: number, wasRefd: boolean): void {
    this.#children.delete(id);
    if (wasRefd) this.#adjustRefs(-1);
  }

  #adjustRefs(delta: number): void {
    const before = this.#refs;
    this.#refs += delta;
    const relayProcess = this.#process;
    if (relayProcess === undefined) return;
    if (before === 0 && this.#refs > 0) setRef(relayProcess, true);
    else if (before > 0 && this.#refs === 0) setRef(relayProcess, false);
  }

  #start(): ChildProcess {
    if (this.#process !== undefined) return this.#process;
    // Only PATH: the relay's environment is not its children's (each request carries theirs).
    const relayProcess = spawn(this.#perl, ['-e', spawnRelayScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        ...(relayTrace === undefined ? {} : { SNAPBOX_BWRAP_RELAY_TRACE: relayTrace }),
      },
    });
    this.#process = relayProcess;
    this.#pending = Buffer.alloc(0);
    let stderr = '';
    relayProcess.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    relayProcess.stdout?.on('data', (chunk: Buffer) => this.#receive(chunk));
    const lost = (why: string) => {
      if (this.#process !== relayProcess) return;
      this.#process = undefined;
      this.#pending = Buffer.alloc(0);
      const children = [...this.#children.values()];
      for (const child of children) child.lost(`the spawn relay ${why}${stderr ? `: ${stderr.trim()}` : ''}`);
    };
    relayProcess.once('error', (error) => lost(`could not start (${error.message})`));
    relayProcess.once('exit', (code, signal) => lost(`exited (${signal ?? code})`));
    relayProcess.stdin?.on('error', () => undefined);
    setRef(relayProcess, this.#refs > 0);
    return relayProcess;
  }

  #receive(chunk: Buffer): void {
    let buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      const newline = buffer.indexOf(10);
      if (newline < 0) break;
      const header = buffer.toString('latin1', 0, newline).split(' ');
      const length = Number(header[3]);
      if (buffer.length < newline + 1 + length) break;
      const data = buffer.subarray(newline + 1, newline + 1 + length);
      buffer = buffer.subarray(newline + 1 + length);
      const child = this.#children.get(Number(header[1]));
      if (relayTrace !== undefined) trace(`< ${header.join(' ')}${child === undefined ? ' (unknown id)' : ''}`);
      if (child === undefined) continue;
      const a = header[2] as string;
      switch (header[0]) {
        case 'S':
          child.started(Number(a));
          break;
        case 'F':
          child.failed(Number(data.toString('latin1')) || Number(a));
          break;
        case 'O':
          child.output(Number(a), length === 0 ? null : Buffer.from(data));
          break;
        case 'X':
          child.exited(Number(a));
          break;
        case 'A':
          child.acknowledged(Number(a));
          break;
      }
    }
    this.#pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
  }
}

const nul = Buffer.from([0]);

/**
 * `SNAPBOX_BWRAP_RELAY_TRACE=<file>`: this process, the relay and the agents append every frame
 * and pipe event to the file (for debugging the relay; slow).
 */
const relayTrace = process.env.SNAPBOX_BWRAP_RELAY_TRACE || undefined;

/** Appends a line to the relay trace, when there is one. */
export function trace(line: string): void {
  if (relayTrace === undefined) return;
  appendFileSync(relayTrace, `${(performance.timeOrigin + performance.now()) / 1000} ${process.pid}n ${line}\n`);
}

/** How many bytes of a process's stdin may wait in the relay (see `A` frames). */
const stdinWindow = 1024 * 1024;

/** One protocol frame: `<length>\n` and the fields separated by NUL. */
function frame(fields: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((field, index) => {
    if (index > 0) parts.push(nul);
    parts.push(typeof field === 'string' ? Buffer.from(field) : field);
  });
  const payload = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(`${payload.length}\n`), payload]);
}

/**
 * A sandbox's agent: a copy of the relay inside the sandbox's namespaces (and, once the sandbox
 * has a container, its root and cgroups), which starts the container's commands with one fork.
 * Its requests go through the relay to its stdin; its children's frames come back on the
 * relay's socket, written by the agent itself.
 */
export class SandboxAgent {
  readonly #relay: SpawnRelay;
  /** The agent process (a child of the relay). */
  readonly process: RelayedChild;
  readonly #children = new Set<RelayedChild>();
  #gone = false;
  #stderr = '';

  /** Whether it confines the commands it starts (confinement.ts). */
  readonly confined: boolean;

  constructor(relay: SpawnRelay, { initPid, syscallNumbers, cgroupProcs, confinement }: AgentRequest) {
    this.#relay = relay;
    this.confined = confinement !== undefined;
    this.process = relay.spawn(
      {
        argv: ['', 'agent', String(initPid), syscallNumbers, confinement ?? ''],
        env: {},
        stdio: ['pipe', 'ignore', 'pipe'],
        cgroupProcs,
      },
      undefined,
      'pop',
    );
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-2000);
    });
    this.process.stdin?.on('error', () => undefined);
    const gone = () => {
      if (this.#gone) return;
      this.#gone = true;
      const why =
        this.process.lostReason ?? `the sandbox's agent ended${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`;
      this.#lostReason = why;
      for (const child of this.#children) child.lost(why);
      this.#children.clear();
    };
    this.process.once('exit', gone);
    this.process.once('error', gone);
  }

  /** Whether it still serves requests. */
  get alive(): boolean {
    return !this.#gone;
  }

  /** Why it ended, once it has. */
  get lostReason(): string | undefined {
    return this.#lostReason;
  }
  #lostReason: string | undefined;

  /** The agent's pid, once started. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts a command in the sandbox (no cgroups to join: the agent is in them). */
  spawn(request: HostSpawnRequest): HostChild {
    const child = this.#relay.spawn(request, (bytes) => {
      if (!this.#gone) this.process.stdin?.write(bytes);
    });
    if (this.#gone) {
      queueMicrotask(() => child.lost("the sandbox's agent ended"));
      return child;
    }
    this.#children.add(child);
    child.once('close', () => this.#children.delete(child));
    child.once('error', () => this.#children.delete(child));
    return child;
  }

  /** Lets the agent not keep this process alive. */
  unref(): void {
    this.process.unref();
  }

  /**
   * Resolves once the agent has joined the namespaces of the sandbox whose init is `initPid`.
   * The relay reports a built-in as started when it forked, before the agent's `setns` calls;
   * nothing may change the sandbox's mounts before the agent is in its mount namespace (see
   * prebuilt-sandbox.ts), nor may a command be sent before it is in its pid namespace. That one
   * is joined last: its link in `pid_for_children` changes after the mount namespace's.
   * `failure`: the sandbox's own failure, if it had one meanwhile.
   */
  async joined(initPid: number, failure: () => Error | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      if (this.pid !== undefined) return resolve();
      this.process.once('spawn', () => resolve());
      this.process.once('exit', () =>
        reject(
          failure() ?? new SnapboxError('SANDBOX_START_FAILED', { message: "The sandbox's agent ended at start." }),
        ),
      );
      this.process.once('error', reject);
    });
    const target = readlinkQuietly(`/proc/${initPid}/ns/pid`);
    for (let waited = 0; ; waited++) {
      const failed = failure();
      if (failed !== undefined) throw failed;
      const pid = this.pid;
      const joined = pid === undefined ? undefined : readlinkQuietly(`/proc/${pid}/ns/pid_for_children`);
      if (target !== undefined && joined === target) return;
      if (!this.alive || target === undefined || waited > 10_000) {
        // The agent's own message (it says which step failed) when it ended.
        await new Promise((resolve) => setImmediate(resolve));
        throw new SnapboxError('SANDBOX_START_FAILED', {
          message: !this.alive
            ? `The sandbox's agent ended before it joined the sandbox: ${this.lostReason ?? 'no message'}`
            : target === undefined
              ? `The sandbox's init (pid ${initPid}) ended before its agent joined it.`
              : "The sandbox's agent did not join the sandbox's namespaces in 10 s.",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Ends the agent (it SIGKILLs what it started); sync-safe. */
  kill(): void {
    this.process.kill('SIGKILL');
  }
}

function setRef(child: ChildProcess, on: boolean): void {
  type Handle = { ref?(): void; unref?(): void };
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as (Handle | null)[]) {
    if (on) handle?.ref?.();
    else handle?.unref?.();
  }
}

/** A process started by the relay, shaped like a `ChildProcess`. */
export class RelayedChild extends EventEmitter implements HostChild {
  readonly #relay: SpawnRelay;
  readonly #id: number;
  #pid: number | undefined;
  #exitCode: number | null = null;
  #signalCode: NodeJS.Signals | null = null;
  /** It exited (or never started, or the relay died). */
  #exited = false;
  /** The relay has forgotten it: nothing more is sent either way. */
  #gone = false;
  #closed = false;
  #refd = true;
  readonly stdio: (Readable | Writable | null)[];
  /** Streams not yet ended (for 'close'). */
  readonly #open = new Set<Readable>();
  /** Fds whose end the relay has not reported yet (nor were they destroyed here). */
  readonly #relayed = new Set<number>();

  readonly #route: (frame: Buffer) => void;
  /** Bytes written to stdin that the relay has not yet passed on to the process. */
  #unacknowledged = 0;
  /** The stdin write waiting for acknowledgements before it reports done (backpressure). */
  #blockedWrite: (() => void) | undefined;
  /** Output fds whose reading the relay was told to pause (their stream is full). */
  readonly #paused = new Set<number>();

  constructor(relay: SpawnRelay, id: number, kinds: readonly ('pipe' | 'ignore')[], route: (frame: Buffer) => void) {
    super();
    this.#relay = relay;
    this.#id = id;
    this.#route = route;
    this.stdio = kinds.map((kind, fd) => {
      if (kind !== 'pipe') return null;
      if (fd === 0) {
        return new Writable({
          write: (chunk: Buffer, _encoding, callback) => {
            this.#send('W', chunk);
            this.#unacknowledged += chunk.length;
            // The relay queues what it cannot write yet: past a window, wait for it to catch up.
            if (this.#unacknowledged <= stdinWindow || this.#exited) callback();
            else this.#blockedWrite = () => callback();
          },
          final: (callback) => {
            this.#send('C');
            callback();
          },
          destroy: (error, callback) => {
            this.#send('C');
            callback(error);
          },
        });
      }
      const stream: Readable = new Readable({
        read: () => {
          if (this.#paused.delete(fd)) this.#send('U', String(fd));
        },
        destroy: (error, callback) => {
          if (this.#relayed.delete(fd)) this.#send('D', String(fd));
          if (this.#open.delete(stream)) this.#maybeClose();
          callback(error);
        },
      });
      stream.once('end', () => {
        this.#open.delete(stream);
        this.#maybeClose();
      });
      this.#open.add(stream);
      this.#relayed.add(fd);
      return stream;
    });
    while (this.stdio.length < 3) this.stdio.push(null);
  }

  get pid(): number | undefined {
    return this.#pid;
  }
  get stdin(): Writable | null {
    return this.stdio[0] as Writable | null;
  }
  get stdout(): Readable | null {
    return this.stdio[1] as Readable | null;
  }
  get stderr(): Readable | null {
    return this.stdio[2] as Readable | null;
  }
  get exitCode(): number | null {
    return this.#exitCode;
  }
  get signalCode(): NodeJS.Signals | null {
    return this.#signalCode;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#exited) return false;
    // Directly when the pid is known, so that a blocking caller (an exit handler) need not wait for
    // the relay to read its order. The relay has not reaped the process yet: the pid is still its.
    if (this.#pid !== undefined) {
      try {
        process.kill(this.#pid, signal);
        return true;
      } catch {
        return false;
      }
    }
    this.#send('K', String(constants.signals[signal]));
    return true;
  }

  ref(): void {
    if (this.#refd || this.#gone) return;
    this.#refd = true;
    this.#relay.adjustRefs(1);
  }

  unref(): void {
    if (!this.#refd || this.#gone) return;
    this.#refd = false;
    this.#relay.adjustRefs(-1);
  }

  /** @internal */
  started(pid: number): void {
    this.#pid = pid;
    this.emit('spawn');
  }

  /** @internal */
  failed(errno: number): void {
    const code = errnoNames.get(errno) ?? `errno ${errno}`;
    this.#exited = true;
    this.#forget();
    for (const stream of this.#open) stream.push(null);
    this.emit('error', Object.assign(new Error(`spawn failed: ${code}`), { code, errno: -errno, syscall: 'spawn' }));
  }

  /** @internal */
  output(fd: number, data: Buffer | null): void {
    const stream = this.stdio[fd] as Readable | null | undefined;
    if (data === null) this.#relayed.delete(fd);
    if (stream !== null && stream !== undefined && !stream.destroyed) {
      // A full stream (its reader is slower than the process): the relay stops reading the pipe
      // until the stream asks for more, and the process waits on it.
      if (!stream.push(data) && data !== null && !this.#paused.has(fd)) {
        this.#paused.add(fd);
        this.#send('P', String(fd));
      }
      // As Node does for a child's pipe: an empty stream that nobody reads still ends.
      if (data === null) stream.read(0);
    }
    this.#maybeForget();
  }

  /** @internal The relay passed on (or dropped) `bytes` of stdin. */
  acknowledged(bytes: number): void {
    this.#unacknowledged -= bytes;
    this.#releaseWrite();
  }

  #releaseWrite(): void {
    if (this.#blockedWrite === undefined || (this.#unacknowledged > stdinWindow && !this.#exited)) return;
    const release = this.#blockedWrite;
    this.#blockedWrite = undefined;
    release();
  }

  /** @internal */
  exited(status: number): void {
    const signal = status & 0x7f;
    if (signal === 0) this.#exitCode = (status >> 8) & 0xff;
    else this.#signalCode = signalNames.get(signal) ?? 'SIGKILL';
    this.#exited = true;
    // Nothing more of its stdin is read: a write waiting for room is done.
    this.#releaseWrite();
    this.emit('exit', this.#exitCode, this.#signalCode);
    this.#maybeForget();
    this.#maybeClose();
  }

  /** Why it was lost, when {@link RelayedChild.lost} ended it. */
  get lostReason(): string | undefined {
    return this.#lostReason;
  }
  #lostReason: string | undefined;

  /** @internal The relay died: the process died with it (it SIGKILLs its children when it ends). */
  lost(why: string): void {
    if (this.#gone) return;
    const wasRunning = !this.#exited;
    if (wasRunning) this.#lostReason = why;
    this.#exited = true;
    this.#forget();
    for (const stream of this.#open) stream.push(null);
    if (!wasRunning) return;
    if (this.#pid === undefined) {
      this.emit('error', Object.assign(new Error(why), { code: 'ERELAY' }));
    } else {
      this.#signalCode = 'SIGKILL';
      this.emit('exit', null, 'SIGKILL');
    }
  }

  #send(type: string, ...rest: (string | Buffer)[]): void {
    if (relayTrace !== undefined)
      trace(
        `> ${type} ${this.#id} ${rest.map((part) => (typeof part === 'string' ? part : `<${part.length} bytes>`)).join(' ')}${this.#gone ? ' (dropped)' : ''}`,
      );
    if (!this.#gone) this.#route(frame([type, String(this.#id), ...rest]));
  }

  #forget(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#relay.forget(this.#id, this.#refd);
    // No acknowledgement comes any more; what was written is lost with the process.
    this.#releaseWrite();
  }

  /** Once it exited and the relay reported every pipe's end, nothing more comes: release the relay. */
  #maybeForget(): void {
    if (this.#exited && this.#relayed.size === 0) this.#forget();
  }

  #maybeClose(): void {
    if (!this.#exited || this.#open.size > 0 || this.#closed) return;
    this.#closed = true;
    this.#forget();
    this.emit('close', this.#exitCode, this.#signalCode);
  }
}

function readlinkQuietly(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

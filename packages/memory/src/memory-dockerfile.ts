import { readFile } from 'node:fs/promises';
import { ImageBuildError, type ProgressEvent } from '@snapbox/core';
import { FsError, normalizePath } from './memory-file-tree.js';
import type { MemoryImage } from './memory-session.js';
import { MiniShell, rootUser } from './mini-shell.js';
import { ByteSource, decodeUtf8, KillSwitch } from './shell-streams.js';

/**
 * `fromDockerfile` for the memory backend: `FROM` picks the image by name, `WORKDIR` and `ENV`
 * set the image's settings, `RUN` runs in the memory shell. `COPY` and `ADD` are refused (the
 * memory backend has no build context), and metadata instructions (`LABEL`, `CMD`, ...) are
 * accepted without effect.
 */

const ignored = new Set([
  'ARG',
  'LABEL',
  'CMD',
  'ENTRYPOINT',
  'EXPOSE',
  'USER',
  'SHELL',
  'VOLUME',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'ONBUILD',
  'MAINTAINER',
]);

interface Instruction {
  keyword: string;
  args: string;
}

function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split(/\r?\n/)) {
    if (pending === '' && /^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      pending += `${line.replace(/\\\s*$/, '')}\n`;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') continue;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  if (pending.trim() !== '') {
    const match = /^(\S+)\s*([\s\S]*)$/.exec(pending.trim())!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return instructions;
}

function parseEnv(args: string): Array<[string, string]> {
  const unquote = (value: string) => value.replace(/^"([\s\S]*)"$/, '$1').replace(/^'([\s\S]*)'$/, '$1');
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const match = /^(\S+)\s+([\s\S]*)$/.exec(args);
    return match === null ? [] : [[match[1]!, unquote(match[2]!)]];
  }
  const pairs: Array<[string, string]> = [];
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    pairs.push([match[1]!, unquote(match[2]!)]);
  }
  return pairs;
}

/** What a build reports to and is stopped by (a `start()`'s progress and signal). */
export interface BuildWatch {
  signal: AbortSignal;
  progress(event: ProgressEvent): void;
}

/**
 * Builds the image described by the Dockerfile at `dockerfilePath`. Each instruction and each
 * line a `RUN` prints goes to `watch.progress` (phase `'build'`, with the steps); an abort of
 * `watch.signal` kills the running `RUN` and rejects with the abort reason.
 */
export async function buildFromDockerfile(
  dockerfilePath: string,
  resolveImage: (image: string) => MemoryImage,
  watch?: BuildWatch,
): Promise<MemoryImage> {
  let text: string;
  try {
    text = await readFile(dockerfilePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ImageBuildError({
      dockerfilePath,
      detail: `cannot read the Dockerfile (${code})`,
      logTail: '',
      cause: error,
    });
  }
  const log: string[] = [];
  const fail = (detail: string, cause?: unknown): never => {
    throw new ImageBuildError({
      dockerfilePath,
      detail,
      logTail: log.join('').split('\n').slice(-20).join('\n'),
      cause,
    });
  };
  let image: MemoryImage | undefined;
  const instructions = parseInstructions(text);
  const emit = (message: string, done: number) =>
    watch?.progress({ phase: 'build', message, done, total: instructions.length });
  for (const [index, { keyword, args }] of instructions.entries()) {
    watch?.signal.throwIfAborted();
    emit(`Step ${index + 1}/${instructions.length} : ${keyword} ${args}`, index);
    if (keyword === 'FROM') {
      const name = args.split(/\s+/).find((word) => !word.startsWith('--'));
      if (name === undefined) fail('FROM needs an image name');
      image = resolveImage(name!);
      continue;
    }
    if (ignored.has(keyword)) continue;
    if (image === undefined) return fail(`${keyword} before any FROM instruction`);
    switch (keyword) {
      case 'WORKDIR':
        image.workdir = normalizePath(args, image.workdir);
        try {
          image.tree.mkdir(image.workdir, { parents: true });
        } catch (error) {
          fail(`WORKDIR ${args}: ${error instanceof FsError ? error.reason : String(error)}`, error);
        }
        break;
      case 'ENV':
        for (const [name, value] of parseEnv(args)) image.env[name] = value;
        break;
      case 'RUN': {
        log.push(`RUN ${args}\n`);
        const status = await run(image, args, log, (line) => emit(line, index), watch?.signal);
        watch?.signal.throwIfAborted();
        if (status !== 0) fail(`RUN ${args} exited with status ${status}`);
        break;
      }
      case 'COPY':
      case 'ADD':
        fail(
          `${keyword} is not supported by the memory backend (it has no build context); describe files with createMemoryFactory({ images }) or write them after start()`,
        );
        break;
      default:
        fail(`unknown instruction ${keyword}`);
    }
  }
  if (image === undefined) return fail('the Dockerfile has no FROM instruction');
  emit(`built in memory (${instructions.length} instructions)`, instructions.length);
  return image;
}

async function run(
  image: MemoryImage,
  command: string,
  log: string[],
  onLine: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  let pid = 1;
  const kill = new KillSwitch();
  const onAbort = () => kill.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await runIn(image, command, log, onLine, kill, () => ++pid);
  } catch (error) {
    // A RUN killed by the abort: the caller reports the abort, not the kill.
    if (signal?.aborted) return 137;
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function runIn(
  image: MemoryImage,
  command: string,
  log: string[],
  onLine: (line: string) => void,
  kill: KillSwitch,
  nextPid: () => number,
): Promise<number> {
  const shell = new MiniShell({
    tree: image.tree,
    kill,
    hostname: 'buildkitsandbox',
    user: rootUser,
    nextPid,
    trackJob: () => {},
  });
  // Lines go to the progress as they are printed; a partial line waits for its end.
  let pending = '';
  const sink = {
    write: (bytes: Uint8Array) => {
      const text = decodeUtf8(bytes);
      log.push(text);
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') onLine(line);
    },
  };
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...image.env };
  const fds = new Map([
    [0, { source: ByteSource.empty() }],
    [1, { sink }],
    [2, { sink }],
  ]);
  const state = shell.newState({ env, cwd: image.workdir, fds, arg0: '/bin/sh' });
  try {
    if (command.startsWith('[')) {
      try {
        const argv: unknown = JSON.parse(command);
        if (Array.isArray(argv) && argv.length > 0 && argv.every((part) => typeof part === 'string'))
          return await shell.runArgv(argv, state);
      } catch (error) {
        // Not JSON: bash would run it as a shell command too.
        if (!(error instanceof SyntaxError)) throw error;
      }
    }
    return await shell.runScript(command, state);
  } finally {
    if (pending.trim() !== '') onLine(pending);
  }
}

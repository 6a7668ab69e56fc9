import { readFile } from 'node:fs/promises';
import { ImageBuildError } from '@snapbox/core';
import { FsError, normalizePath } from './memory-file-tree.js';
import type { MemoryImage } from './memory-session.js';
import { MiniShell } from './mini-shell.js';
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

/** Builds the image described by the Dockerfile at `dockerfilePath`. */
export async function buildFromDockerfile(
  dockerfilePath: string,
  resolveImage: (image: string) => MemoryImage,
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
  for (const { keyword, args } of parseInstructions(text)) {
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
        const status = await run(image, args, log);
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
  return image;
}

async function run(image: MemoryImage, command: string, log: string[]): Promise<number> {
  let pid = 1;
  const shell = new MiniShell({
    tree: image.tree,
    kill: new KillSwitch(),
    hostname: 'buildkitsandbox',
    nextPid: () => ++pid,
    trackJob: () => {},
  });
  const sink = { write: (bytes: Uint8Array) => log.push(decodeUtf8(bytes)) };
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...image.env };
  const fds = new Map([
    [0, { source: ByteSource.empty() }],
    [1, { sink }],
    [2, { sink }],
  ]);
  const state = shell.newState({ env, cwd: image.workdir, fds, arg0: '/bin/sh' });
  if (command.startsWith('[')) {
    try {
      const argv: unknown = JSON.parse(command);
      if (Array.isArray(argv) && argv.length > 0 && argv.every((part) => typeof part === 'string'))
        return shell.runArgv(argv, state);
    } catch {
      // Not JSON: bash would run it as a shell command too.
    }
  }
  return shell.runScript(command, state);
}

import {
  appendFileContent,
  basenameOf,
  type FileNode,
  FsError,
  type MemoryFileTree,
  readBuiltinMarker,
} from './memory-file-tree.js';
import { ArithmeticError, evaluateArithmetic } from './shell-arithmetic.js';
import { builtinCommands, specialBuiltins } from './shell-commands.js';
import { ExitSignal, LoopControl } from './shell-control.js';
import {
  BrokenPipeError,
  type ByteSink,
  ByteSource,
  breathe,
  concatBytes,
  decodeUtf8,
  KilledError,
  type KillSwitch,
  nullSink,
  Pipe,
  utf8,
} from './shell-streams.js';
import {
  type AndOr,
  type Command,
  type List,
  type Pipeline,
  parseScript,
  type Redirect,
  ShellSyntaxError,
  type SimpleCommand,
  type Word,
  type WordPart,
} from './shell-syntax.js';

/**
 * The interpreter of the memory backend: runs the bash subset of `shell-syntax.ts` against a
 * {@link MemoryFileTree}. Output is written as bytes the moment a command produces it, and every
 * wait (`sleep`, a pipe read, `wait`) yields to the {@link KillSwitch}, so a killed command stops
 * where it is, background jobs included.
 */

/** One open file descriptor: where writes go and/or where reads come from. */
export interface Fd {
  sink?: ByteSink;
  source?: ByteSource;
}

export interface ShellOptions {
  errexit: boolean;
  nounset: boolean;
  xtrace: boolean;
  pipefail: boolean;
}

interface Job {
  pid: number;
  promise: Promise<number>;
}

/** The state of one shell process. A subshell gets a copy; `{ ...; }` shares it. */
export interface ShellState {
  vars: Map<string, string>;
  exported: Set<string>;
  cwd: string;
  arg0: string;
  positional: string[];
  status: number;
  options: ShellOptions;
  fds: Map<number, Fd>;
  jobs: Job[];
  pid: number;
  lastJobPid: number | undefined;
  /** > 0 while running a condition (`if`, `while`, left of `&&`): `set -e` does not apply there. */
  conditionDepth: number;
  loopDepth: number;
  substitutionStatus: number | undefined;
}

/** Who a command runs as: what `id` and `whoami` print (nothing checks permissions). */
export interface ShellUser {
  readonly uid: number;
  readonly gid: number;
  /** The user's name, when the image's /etc/passwd has one. */
  readonly name: string | undefined;
  /** The group's name, when known. */
  readonly group: string | undefined;
}

export const rootUser: ShellUser = { uid: 0, gid: 0, name: 'root', group: 'root' };

/** What every shell of one `exec` shares. */
export interface ShellRuntime {
  readonly tree: MemoryFileTree;
  readonly kill: KillSwitch;
  readonly hostname: string;
  readonly user: ShellUser;
  nextPid(): number;
  /** Keeps a background job known to the container, which kills it on `stop()`. */
  trackJob(job: Promise<unknown>): void;
}

/** What a built-in command receives. */
export interface CommandContext {
  readonly argv: readonly string[];
  /** The environment of the command: exported variables plus `NAME=value` prefixes. */
  readonly env: Record<string, string>;
  readonly state: ShellState;
  readonly shell: MiniShell;
  readonly tree: MemoryFileTree;
  readonly kill: KillSwitch;
  readonly stdin: ByteSource;
  out(data: string | Uint8Array): void;
  err(data: string | Uint8Array): void;
}

export type CommandHandler = (ctx: CommandContext) => Promise<number> | number;

const defaultOptions: ShellOptions = { errexit: false, nounset: false, xtrace: false, pipefail: false };

interface Field {
  value: string;
  pattern: string;
  glob: boolean;
  hasContent: boolean;
}

/** Builds the fields of one word: quoted text sticks together, unquoted expansions split on blanks. */
class FieldBuilder {
  readonly fields: Field[] = [];
  #current: Field = { value: '', pattern: '', glob: false, hasContent: false };

  quoted(text: string): void {
    this.#current.value += text;
    this.#current.pattern += text.replace(/[\\*?[\]]/g, '\\$&');
    this.#current.hasContent = true;
  }

  literal(text: string): void {
    if (text === '') return;
    this.#current.value += text;
    this.#current.pattern += text;
    if (/[*?[]/.test(text)) this.#current.glob = true;
    this.#current.hasContent = true;
  }

  expansion(text: string, quoted: boolean, split: boolean): void {
    if (quoted || !split) {
      if (quoted) this.quoted(text);
      else this.literal(text);
      return;
    }
    const parts = text.split(/[ \t\n]+/);
    parts.forEach((part, index) => {
      if (index > 0) this.endField();
      this.literal(part);
    });
  }

  endField(): void {
    if (this.#current.hasContent) this.fields.push(this.#current);
    this.#current = { value: '', pattern: '', glob: false, hasContent: false };
  }

  finish(): Field[] {
    this.endField();
    return this.fields;
  }

  get current(): Field {
    return this.#current;
  }
}

/** Turns a glob pattern (`\`-escaped literals) into an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      i += 1;
      source += escapeRegExp(pattern[i]!);
    } else if (c === '*') {
      source += '[\\s\\S]*';
    } else if (c === '?') {
      source += '[\\s\\S]';
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!' || pattern[j] === '^') j += 1;
      if (pattern[j] === ']') j += 1;
      while (j < pattern.length && pattern[j] !== ']') j += 1;
      if (j >= pattern.length) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/]/g, '\\]').replace(/\[/g, '\\[')}]`;
      i = j;
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function hasGlobChars(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\') i += 1;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}

export class MiniShell {
  readonly runtime: ShellRuntime;

  constructor(runtime: ShellRuntime) {
    this.runtime = runtime;
  }

  /** The state of a new shell process whose environment is `env`. */
  newState(options: {
    env: Record<string, string>;
    cwd: string;
    fds: Map<number, Fd>;
    arg0?: string;
    positional?: string[];
    options?: Partial<ShellOptions>;
  }): ShellState {
    const vars = new Map(Object.entries(options.env));
    vars.set('PWD', options.cwd);
    return {
      vars,
      exported: new Set([...vars.keys()]),
      cwd: options.cwd,
      arg0: options.arg0 ?? 'bash',
      positional: options.positional ?? [],
      status: 0,
      options: { ...defaultOptions, ...options.options },
      fds: new Map(options.fds),
      jobs: [],
      pid: this.runtime.nextPid(),
      lastJobPid: undefined,
      conditionDepth: 0,
      loopDepth: 0,
      substitutionStatus: undefined,
    };
  }

  /** A copy of `state` for a subshell (`( ... )`, a pipeline member, a background job). */
  fork(state: ShellState): ShellState {
    return {
      ...state,
      vars: new Map(state.vars),
      exported: new Set(state.exported),
      positional: [...state.positional],
      options: { ...state.options },
      fds: new Map(state.fds),
      jobs: [],
      conditionDepth: 0,
      loopDepth: 0,
    };
  }

  /** Parses and runs `source` as a whole shell process. Syntax errors give status 2. */
  async runScript(source: string, state: ShellState): Promise<number> {
    let list: List;
    try {
      list = parseScript(source);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      this.writeFd(state, 2, `${state.arg0}: ${error.message}\n`);
      return 2;
    }
    return this.runProcess(() => this.runList(list, state));
  }

  /** Runs already parsed code in `state` (for `eval` and `source`): `exit` is not caught here. */
  async runSource(source: string, state: ShellState): Promise<number> {
    let list: List;
    try {
      list = parseScript(source);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      this.writeFd(state, 2, `${state.arg0}: ${error.message}\n`);
      return 2;
    }
    return this.runList(list, state);
  }

  /** Runs an argv (no shell syntax) as a process. */
  runArgv(argv: readonly string[], state: ShellState): Promise<number> {
    return this.runProcess(() => this.invoke(argv, {}, state));
  }

  async runProcess(body: () => Promise<number>): Promise<number> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof ExitSignal) return error.status;
      if (error instanceof LoopControl) return 0;
      throw error;
    }
  }

  writeFd(state: ShellState, fd: number, data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    if (bytes.length > 0) state.fds.get(fd)?.sink?.write(bytes);
  }

  /** The exported variables of `state`, as a command's environment. */
  environment(state: ShellState): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of state.exported) {
      const value = state.vars.get(name);
      if (value !== undefined) env[name] = value;
    }
    return env;
  }

  async runList(list: List, state: ShellState): Promise<number> {
    for (const item of list) {
      if (item.background) {
        this.#startJob(item.andOr, state);
        state.status = 0;
      } else {
        await this.#runAndOr(item.andOr, state);
      }
    }
    return state.status;
  }

  /** Runs `list` as a condition, where `set -e` does not apply. */
  async runCondition(list: List, state: ShellState): Promise<number> {
    state.conditionDepth += 1;
    try {
      return await this.runList(list, state);
    } finally {
      state.conditionDepth -= 1;
    }
  }

  async #runAndOr(andOr: AndOr, state: ShellState): Promise<number> {
    const pipelines = [andOr.first, ...andOr.rest.map((entry) => entry.pipeline)];
    let status = await this.#runPipelineChecked(andOr.first, state, pipelines.length > 1);
    let lastRun = 0;
    for (let i = 0; i < andOr.rest.length; i += 1) {
      const { op, pipeline } = andOr.rest[i]!;
      if ((op === '&&') !== (status === 0)) continue;
      const isFinal = i === andOr.rest.length - 1;
      status = await this.#runPipelineChecked(pipeline, state, !isFinal);
      lastRun = i + 1;
    }
    // `set -e` only fires for the last command of an && / || list, never for a negated one.
    const last = pipelines[lastRun]!;
    if (
      status !== 0 &&
      state.options.errexit &&
      state.conditionDepth === 0 &&
      lastRun === pipelines.length - 1 &&
      !last.negated
    ) {
      throw new ExitSignal(status);
    }
    return status;
  }

  async #runPipelineChecked(pipeline: Pipeline, state: ShellState, asCondition: boolean): Promise<number> {
    if (!asCondition && !pipeline.negated) return this.#runPipeline(pipeline, state);
    state.conditionDepth += 1;
    try {
      return await this.#runPipeline(pipeline, state);
    } finally {
      state.conditionDepth -= 1;
    }
  }

  async #runPipeline(pipeline: Pipeline, state: ShellState): Promise<number> {
    let status: number;
    if (pipeline.commands.length === 1) {
      status = await this.runCommand(pipeline.commands[0]!, state);
    } else {
      status = await this.#runPipe(pipeline, state);
    }
    if (pipeline.negated) status = status === 0 ? 1 : 0;
    state.status = status;
    return status;
  }

  async #runPipe(pipeline: Pipeline, state: ShellState): Promise<number> {
    const count = pipeline.commands.length;
    const pipes = Array.from({ length: count - 1 }, () => new Pipe(this.runtime.kill));
    const runs = pipeline.commands.map(async (command, index) => {
      const sub = this.fork(state);
      if (index > 0) sub.fds.set(0, { source: pipes[index - 1]!.source });
      if (index < count - 1) {
        sub.fds.set(1, { sink: pipes[index]!.sink });
        if (pipeline.stderrToo[index]) sub.fds.set(2, { sink: pipes[index]!.sink });
      }
      try {
        return await this.runProcess(() => this.runCommand(command, sub));
      } finally {
        if (index < count - 1) pipes[index]!.closeWrite();
        if (index > 0) pipes[index - 1]!.closeRead();
      }
    });
    const settled = await Promise.allSettled(runs);
    const statuses: number[] = [];
    for (const result of settled) {
      if (result.status === 'fulfilled') statuses.push(result.value);
      else if (result.reason instanceof BrokenPipeError) statuses.push(141);
      else throw result.reason;
    }
    if (state.options.pipefail) return [...statuses].reverse().find((status) => status !== 0) ?? 0;
    return statuses[count - 1]!;
  }

  #startJob(andOr: AndOr, state: ShellState): void {
    const sub = this.fork(state);
    // A non-interactive shell gives background jobs /dev/null as stdin.
    sub.fds.set(0, { source: ByteSource.empty() });
    const pid = this.runtime.nextPid();
    sub.pid = state.pid;
    const promise = this.runProcess(() => this.#runAndOr(andOr, sub)).catch((error: unknown) => {
      if (error instanceof KilledError) return 137;
      if (error instanceof BrokenPipeError) return 141;
      this.writeFd(sub, 2, `${state.arg0}: internal error in a background job: ${String(error)}\n`);
      return 1;
    });
    state.jobs.push({ pid, promise });
    state.lastJobPid = pid;
    this.runtime.trackJob(promise);
  }

  /** Waits for background jobs of `state` (all, or those with the given pids). */
  async waitForJobs(state: ShellState, pids?: readonly number[]): Promise<number> {
    const jobs = pids === undefined ? state.jobs : state.jobs.filter((job) => pids.includes(job.pid));
    let status = 0;
    for (const job of jobs) status = await this.runtime.kill.race(job.promise);
    state.jobs = state.jobs.filter((job) => !jobs.includes(job));
    if (pids !== undefined && pids.length > 0 && jobs.length === 0) return 127;
    return status;
  }

  async runCommand(command: Command, state: ShellState): Promise<number> {
    this.runtime.kill.throwIfKilled();
    await breathe();
    this.runtime.kill.throwIfKilled();
    switch (command.type) {
      case 'simple':
        return this.#runSimple(command, state);
      case 'subshell':
        return this.#withRedirects(command.redirects, state, () => {
          const sub = this.fork(state);
          return this.runProcess(() => this.runList(command.body, sub));
        });
      case 'group':
        return this.#withRedirects(command.redirects, state, () => this.runList(command.body, state));
      case 'if':
        return this.#withRedirects(command.redirects, state, async () => {
          for (const clause of command.clauses) {
            if ((await this.runCondition(clause.condition, state)) === 0) return this.runList(clause.body, state);
          }
          if (command.elseBody !== undefined) return this.runList(command.elseBody, state);
          state.status = 0;
          return 0;
        });
      case 'while':
        return this.#withRedirects(command.redirects, state, async () => {
          let status = 0;
          for (;;) {
            const condition = await this.runCondition(command.condition, state);
            if ((condition === 0) === command.until) break;
            const outcome = await this.#loopBody(command.body, state);
            status = state.status;
            if (outcome === 'break') break;
          }
          state.status = status;
          return status;
        });
      case 'for':
        return this.#withRedirects(command.redirects, state, async () => {
          const items =
            command.items === undefined ? [...state.positional] : await this.expandWords(command.items, state);
          let status = 0;
          for (const item of items) {
            state.vars.set(command.name, item);
            const outcome = await this.#loopBody(command.body, state);
            status = state.status;
            if (outcome === 'break') break;
          }
          state.status = status;
          return status;
        });
    }
  }

  async #loopBody(body: List, state: ShellState): Promise<'break' | 'continue' | undefined> {
    state.loopDepth += 1;
    try {
      await this.runList(body, state);
      return undefined;
    } catch (error) {
      if (!(error instanceof LoopControl)) throw error;
      if (error.levels > 1) {
        error.levels -= 1;
        throw error;
      }
      return error.kind;
    } finally {
      state.loopDepth -= 1;
    }
  }

  async #withRedirects(
    redirects: readonly Redirect[],
    state: ShellState,
    body: () => Promise<number>,
  ): Promise<number> {
    if (redirects.length === 0) return body();
    const fds = await this.#openRedirects(redirects, state);
    if (fds === undefined) {
      state.status = 1;
      return 1;
    }
    const saved = state.fds;
    state.fds = fds;
    try {
      return await body();
    } finally {
      state.fds = saved;
    }
  }

  async #runSimple(command: SimpleCommand, state: ShellState): Promise<number> {
    state.substitutionStatus = undefined;
    const argv = await this.expandWords(command.words, state);
    if (argv.length === 0) {
      for (const assignment of command.assignments) {
        const value = await this.expandToString(assignment.value, state);
        this.setVar(
          state,
          assignment.name,
          assignment.append ? (state.vars.get(assignment.name) ?? '') + value : value,
        );
      }
      const status =
        command.redirects.length > 0 && (await this.#openRedirects(command.redirects, state)) === undefined
          ? 1
          : (state.substitutionStatus ?? 0);
      state.status = status;
      return status;
    }
    const prefix: Record<string, string> = {};
    for (const assignment of command.assignments) {
      const value = await this.expandToString(assignment.value, state);
      prefix[assignment.name] = assignment.append ? (state.vars.get(assignment.name) ?? '') + value : value;
    }
    if (state.options.xtrace) this.writeFd(state, 2, `+ ${argv.join(' ')}\n`);
    if (argv[0] === 'exec') return this.#exec(argv.slice(1), prefix, command.redirects, state);
    const status = await this.#withRedirects(command.redirects, state, () => this.invoke(argv, prefix, state));
    state.status = status;
    return status;
  }

  /**
   * `exec`: with a command, the shell becomes it (runs it, then ends with its status); with
   * redirections only, they stay in force for the rest of the shell (`exec 2>&1`).
   */
  async #exec(
    argv: readonly string[],
    prefix: Record<string, string>,
    redirects: readonly Redirect[],
    state: ShellState,
  ): Promise<number> {
    const fds = redirects.length === 0 ? state.fds : await this.#openRedirects(redirects, state);
    if (fds === undefined) {
      state.status = 1;
      return 1;
    }
    state.fds = fds;
    if (argv.length === 0) {
      state.status = 0;
      return 0;
    }
    throw new ExitSignal(await this.invoke(argv, prefix, state));
  }

  setVar(state: ShellState, name: string, value: string): void {
    state.vars.set(name, value);
  }

  /** Runs a command by name: special built-ins, built-in utilities, then scripts on `PATH` or by path. */
  async invoke(argv: readonly string[], prefix: Record<string, string>, state: ShellState): Promise<number> {
    const name = argv[0]!;
    const special = specialBuiltins[name];
    if (special !== undefined) return this.#callBuiltin(special, argv, prefix, state);
    if (!name.includes('/')) {
      const builtin = builtinCommands[name];
      if (builtin !== undefined) return this.#callBuiltin(builtin, argv, prefix, state);
      const found = this.findInPath(name, state);
      if (found !== undefined) return this.#runPath(found, argv, prefix, state);
      this.writeFd(state, 2, `${state.arg0}: ${name}: command not found\n`);
      return 127;
    }
    return this.#runPath(name, argv, prefix, state);
  }

  /** The path `name` resolves to on `PATH` (an executable file), if any. */
  findInPath(name: string, state: ShellState): string | undefined {
    for (const dir of (state.vars.get('PATH') ?? '').split(':')) {
      if (dir === '') continue;
      const candidate = dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
      const node = this.runtime.tree.lookup(candidate, state.cwd);
      if (node?.kind === 'file' && (node.mode & 0o111) !== 0) return candidate;
    }
    return undefined;
  }

  #context(argv: readonly string[], prefix: Record<string, string>, state: ShellState): CommandContext {
    return {
      argv,
      env: { ...this.environment(state), ...prefix },
      state,
      shell: this,
      tree: this.runtime.tree,
      kill: this.runtime.kill,
      stdin: state.fds.get(0)?.source ?? ByteSource.empty(),
      out: (data) => this.writeFd(state, 1, data),
      err: (data) => this.writeFd(state, 2, data),
    };
  }

  async #callBuiltin(
    handler: CommandHandler,
    argv: readonly string[],
    prefix: Record<string, string>,
    state: ShellState,
  ): Promise<number> {
    try {
      return await handler(this.#context(argv, prefix, state));
    } catch (error) {
      if (error instanceof FsError) {
        this.writeFd(state, 2, `${basenameOf(argv[0]!)}: ${error.path}: ${error.reason}\n`);
        return 1;
      }
      throw error;
    }
  }

  async #runPath(
    path: string,
    argv: readonly string[],
    prefix: Record<string, string>,
    state: ShellState,
  ): Promise<number> {
    const tree = this.runtime.tree;
    let node: ReturnType<MemoryFileTree['lookup']>;
    try {
      node = tree.locate(path, state.cwd, true).node;
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      this.writeFd(state, 2, `${state.arg0}: ${path}: ${error.reason}\n`);
      return error.code === 'ENOENT' ? 127 : 126;
    }
    if (node === undefined) {
      this.writeFd(state, 2, `${state.arg0}: ${path}: No such file or directory\n`);
      return 127;
    }
    if (node.kind === 'directory') {
      this.writeFd(state, 2, `${state.arg0}: ${path}: Is a directory\n`);
      return 126;
    }
    if (node.kind !== 'file' || (node.mode & 0o111) === 0) {
      this.writeFd(state, 2, `${state.arg0}: ${path}: Permission denied\n`);
      return 126;
    }
    const data = tree.readFile(path, state.cwd);
    const builtin = readBuiltinMarker(data);
    if (builtin !== undefined) {
      const handler = builtinCommands[builtin] ?? specialBuiltins[builtin];
      if (handler !== undefined) return this.#callBuiltin(handler, [builtin, ...argv.slice(1)], prefix, state);
    }
    return this.runScriptFile(path, data, argv.slice(1), { ...this.environment(state), ...prefix }, state);
  }

  /** Runs the file `path` (content `data`) as a script in a new shell process. */
  async runScriptFile(
    path: string,
    data: Uint8Array,
    args: readonly string[],
    env: Record<string, string>,
    parent: ShellState,
    options?: Partial<ShellOptions>,
  ): Promise<number> {
    const text = decodeUtf8(data);
    if (text.startsWith('#!')) {
      const line = text.slice(2, text.includes('\n') ? text.indexOf('\n') : undefined).trim();
      const words = line.split(/\s+/);
      let interpreter = basenameOf(words[0] ?? '');
      if (interpreter === 'env') interpreter = words.find((word, index) => index > 0 && !word.startsWith('-')) ?? '';
      if (!['sh', 'bash', 'dash', 'ash'].includes(basenameOf(interpreter))) {
        this.writeFd(
          parent,
          2,
          `${parent.arg0}: ${path}: ${line}: bad interpreter: the snapbox memory backend runs only sh and bash scripts\n`,
        );
        return 126;
      }
    } else if (data.includes(0)) {
      this.writeFd(parent, 2, `${parent.arg0}: ${path}: cannot execute binary file\n`);
      return 126;
    }
    const child = this.newState({ env, cwd: parent.cwd, fds: parent.fds, arg0: path, positional: [...args], options });
    return this.runScript(text, child);
  }

  // ---- expansion ----

  /** Expands words into fields: parameter, command and arithmetic expansion, splitting, globbing. */
  async expandWords(words: readonly Word[], state: ShellState): Promise<string[]> {
    const out: string[] = [];
    const declaration =
      words[0]?.length === 1 &&
      words[0][0]?.type === 'literal' &&
      ['export', 'local', 'readonly', 'declare'].includes(words[0][0].text);
    for (const [index, word] of words.entries()) {
      // Assignments given to `export` are not split, as in bash.
      const split = !(
        declaration &&
        index > 0 &&
        word[0]?.type === 'literal' &&
        /^[A-Za-z_][A-Za-z0-9_]*=/.test(word[0].text)
      );
      const builder = new FieldBuilder();
      for (const part of word) await this.#expandPart(part, builder, state, false, split);
      for (const field of builder.finish()) {
        if (field.glob && split) {
          const matches = this.#glob(field.pattern, state);
          if (matches.length > 0) {
            out.push(...matches);
            continue;
          }
        }
        out.push(field.value);
      }
    }
    return out;
  }

  /** Expands a word into one string (assignments, redirection targets, here-documents). */
  async expandToString(word: Word, state: ShellState): Promise<string> {
    const builder = new FieldBuilder();
    for (const part of word) await this.#expandPart(part, builder, state, false, false);
    return [...builder.fields.map((field) => field.value), builder.current.value].join(' ');
  }

  async #expandToPattern(word: Word, state: ShellState): Promise<string> {
    const builder = new FieldBuilder();
    for (const part of word) await this.#expandPart(part, builder, state, false, false);
    return builder.current.pattern;
  }

  async #expandPart(
    part: WordPart,
    builder: FieldBuilder,
    state: ShellState,
    quoted: boolean,
    split: boolean,
  ): Promise<void> {
    switch (part.type) {
      case 'literal':
        if (quoted || part.quoted) builder.quoted(part.text);
        else builder.literal(part.text);
        return;
      case 'double':
        if (part.parts.length === 0) builder.quoted('');
        for (const inner of part.parts) await this.#expandPart(inner, builder, state, true, split);
        return;
      case 'tilde':
        builder.quoted(state.vars.get('HOME') ?? '~');
        return;
      case 'command':
        builder.expansion(await this.#commandSubstitution(part.list, state), quoted, split);
        return;
      case 'arith': {
        const text = await this.expandToString(part.expr, state);
        let value: number;
        try {
          value = evaluateArithmetic(text, (name) => state.vars.get(name));
        } catch (error) {
          if (!(error instanceof ArithmeticError)) throw error;
          this.writeFd(state, 2, `${state.arg0}: ${text.trim()}: ${error.message}\n`);
          throw new ExitSignal(1);
        }
        builder.expansion(String(value), quoted, split);
        return;
      }
      case 'param':
        return this.#expandParam(part, builder, state, quoted, split);
    }
  }

  async #expandParam(
    part: Extract<WordPart, { type: 'param' }>,
    builder: FieldBuilder,
    state: ShellState,
    quoted: boolean,
    split: boolean,
  ): Promise<void> {
    const { name, op } = part;
    if ((name === '@' || name === '*') && op === undefined && !part.length) {
      const values = state.positional;
      if (quoted && name === '*') {
        builder.quoted(values.join(' '));
        return;
      }
      values.forEach((value, index) => {
        if (index > 0 && (quoted || split)) builder.endField();
        else if (index > 0) builder.literal(' ');
        builder.expansion(value, quoted, split);
      });
      return;
    }
    const value = this.#param(name, state);
    if (part.length) {
      const length = name === '@' || name === '*' ? state.positional.length : [...(value ?? '')].length;
      builder.expansion(String(length), quoted, split);
      return;
    }
    const isSet = value !== undefined;
    const isNull = value === undefined || value === '';
    const arg = part.arg ?? [];
    let result: string;
    switch (op) {
      case undefined:
        if (!isSet && state.options.nounset && !/^[0-9@*#?$!-]$/.test(name)) {
          this.writeFd(state, 2, `${state.arg0}: ${name}: unbound variable\n`);
          throw new ExitSignal(1);
        }
        result = value ?? '';
        break;
      case ':-':
      case '-':
        result = (op === ':-' ? isNull : !isSet) ? await this.expandToString(arg, state) : (value ?? '');
        break;
      case ':=':
      case '=':
        if (op === ':=' ? isNull : !isSet) {
          result = await this.expandToString(arg, state);
          this.setVar(state, name, result);
        } else {
          result = value ?? '';
        }
        break;
      case ':+':
      case '+':
        result = (op === ':+' ? isNull : !isSet) ? '' : await this.expandToString(arg, state);
        break;
      case ':?':
      case '?':
        if (op === ':?' ? isNull : !isSet) {
          const message = await this.expandToString(arg, state);
          this.writeFd(
            state,
            2,
            `${state.arg0}: ${name}: ${message || (isSet ? 'parameter null' : 'parameter null or not set')}\n`,
          );
          throw new ExitSignal(1);
        }
        result = value ?? '';
        break;
      default: {
        const regex = globToRegExp(await this.#expandToPattern(arg, state));
        result = removeAffix(value ?? '', regex, op);
      }
    }
    builder.expansion(result, quoted, split);
  }

  #param(name: string, state: ShellState): string | undefined {
    switch (name) {
      case '?':
        return String(state.status);
      case '#':
        return String(state.positional.length);
      case '$':
        return String(state.pid);
      case '!':
        return state.lastJobPid === undefined ? undefined : String(state.lastJobPid);
      case '0':
        return state.arg0;
      case '-':
        return `${state.options.errexit ? 'e' : ''}${state.options.nounset ? 'u' : ''}${state.options.xtrace ? 'x' : ''}hB`;
      case '@':
      case '*':
        return state.positional.join(' ');
    }
    if (/^[0-9]+$/.test(name)) return state.positional[Number(name) - 1];
    return state.vars.get(name);
  }

  async #commandSubstitution(list: List, state: ShellState): Promise<string> {
    const chunks: Uint8Array[] = [];
    const sub = this.fork(state);
    sub.fds.set(1, { sink: { write: (bytes) => chunks.push(bytes.slice()) } });
    const status = await this.runProcess(() => this.runList(list, sub));
    state.substitutionStatus = status;
    state.status = status;
    return decodeUtf8(concatBytes(chunks)).replace(/\0/g, '').replace(/\n+$/, '');
  }

  #glob(pattern: string, state: ShellState): string[] {
    const tree = this.runtime.tree;
    const directoriesOnly = pattern.endsWith('/');
    const segments = pattern.split('/').filter((segment) => segment !== '');
    let candidates = [pattern.startsWith('/') ? '/' : ''];
    const join = (base: string, name: string) => (base === '' ? name : base === '/' ? `/${name}` : `${base}/${name}`);
    for (const segment of segments) {
      if (!hasGlobChars(segment)) {
        candidates = candidates.map((base) => join(base, unescapeGlob(segment)));
        continue;
      }
      const regex = globToRegExp(segment);
      const next: string[] = [];
      for (const base of candidates) {
        let names: string[];
        try {
          names = tree.readdir(base === '' ? '.' : base, state.cwd);
        } catch {
          continue;
        }
        for (const name of names) {
          if (name.startsWith('.') && !segment.startsWith('.') && !segment.startsWith('\\.')) continue;
          if (regex.test(name)) next.push(join(base, name));
        }
      }
      candidates = next;
    }
    return candidates
      .filter((path) => {
        const node = tree.lookup(path, state.cwd);
        return node !== undefined && (!directoriesOnly || node.kind === 'directory');
      })
      .map((path) => (directoriesOnly ? `${path}/` : path))
      .sort();
  }

  // ---- redirections ----

  async #openRedirects(redirects: readonly Redirect[], state: ShellState): Promise<Map<number, Fd> | undefined> {
    const fds = new Map(state.fds);
    const fail = (message: string): undefined => {
      this.writeFd(state, 2, `${state.arg0}: ${message}\n`);
      return undefined;
    };
    for (const redirect of redirects) {
      const { op } = redirect;
      if (op === '<<' || op === '<<-') {
        const body = await this.expandToString(redirect.heredoc ?? [], state);
        fds.set(redirect.fd ?? 0, { source: ByteSource.of(utf8.encode(body)) });
        continue;
      }
      const target = await this.expandToString(redirect.target, state);
      if (op === '<<<') {
        fds.set(redirect.fd ?? 0, { source: ByteSource.of(utf8.encode(`${target}\n`)) });
        continue;
      }
      if (op === '>&' || op === '<&') {
        const fd = redirect.fd ?? (op === '>&' ? 1 : 0);
        if (target === '-') {
          fds.delete(fd);
          continue;
        }
        if (/^\d+$/.test(target)) {
          const from = fds.get(Number(target));
          if (from === undefined) return fail(`${target}: Bad file descriptor`);
          fds.set(fd, from);
          continue;
        }
        if (op === '<&' || redirect.fd !== undefined) return fail(`${target}: ambiguous redirect`);
      }
      if (target === '') return fail(': No such file or directory');
      if (op === '<' || op === '<>') {
        const source = this.#openSource(target, state, op === '<>');
        if (typeof source === 'string') return fail(source);
        fds.set(redirect.fd ?? 0, { source });
        continue;
      }
      const sink = this.#openSink(target, op === '>>' || op === '&>>', fds, state);
      if (typeof sink === 'string') return fail(sink);
      if (op === '&>' || op === '&>>' || (op === '>&' && redirect.fd === undefined)) {
        fds.set(1, { sink });
        fds.set(2, { sink });
      } else {
        fds.set(redirect.fd ?? 1, { sink });
      }
    }
    return fds;
  }

  #openSource(path: string, state: ShellState, create: boolean): ByteSource | string {
    if (path === '/dev/stdin') return state.fds.get(0)?.source ?? ByteSource.empty();
    try {
      if (create && this.runtime.tree.lookup(path, state.cwd) === undefined)
        this.runtime.tree.openForWrite(path, { cwd: state.cwd, append: true });
      return ByteSource.of(this.runtime.tree.readFile(path, state.cwd));
    } catch (error) {
      if (error instanceof FsError) return `${path}: ${error.reason}`;
      throw error;
    }
  }

  #openSink(path: string, append: boolean, fds: Map<number, Fd>, state: ShellState): ByteSink | string {
    const device = /^\/dev\/(?:(stdout)|(stderr)|fd\/(\d+))$/.exec(path);
    if (device !== null) {
      const fd = device[1] ? 1 : device[2] ? 2 : Number(device[3]);
      return fds.get(fd)?.sink ?? nullSink;
    }
    let file: FileNode | undefined;
    try {
      file = this.runtime.tree.openForWrite(path, { cwd: state.cwd, append });
    } catch (error) {
      if (error instanceof FsError) return `${path}: ${error.reason}`;
      throw error;
    }
    if (file === undefined) return nullSink;
    const node = file;
    return { write: (bytes) => appendFileContent(node, bytes) };
  }
}

function removeAffix(value: string, regex: RegExp, op: string): string {
  const length = value.length;
  switch (op) {
    case '#':
      for (let i = 0; i <= length; i += 1) if (regex.test(value.slice(0, i))) return value.slice(i);
      return value;
    case '##':
      for (let i = length; i >= 0; i -= 1) if (regex.test(value.slice(0, i))) return value.slice(i);
      return value;
    case '%':
      for (let i = length; i >= 0; i -= 1) if (regex.test(value.slice(i))) return value.slice(0, i);
      return value;
    default:
      for (let i = 0; i <= length; i += 1) if (regex.test(value.slice(i))) return value.slice(0, i);
      return value;
  }
}

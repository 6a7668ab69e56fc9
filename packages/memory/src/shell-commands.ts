import {
  basenameOf,
  cloneNode,
  dirnameOf,
  FsError,
  type FsNode,
  fileContent,
  type MemoryFileTree,
  normalizePath,
  readBuiltinMarker,
} from './memory-file-tree.js';
import type { CommandContext, CommandHandler, ShellOptions } from './mini-shell.js';
import { ExitSignal, LoopControl } from './shell-control.js';
import { echoEscapes, formatPrintf } from './shell-format.js';
import { breathe, concatBytes, decodeUtf8 } from './shell-streams.js';
import { evaluateTest } from './shell-test.js';

/**
 * The commands of the memory backend's shell. Each behaves like its bash builtin or GNU
 * coreutils namesake for the options it accepts, and refuses any other option loudly (a test
 * must never pass because an option was silently ignored).
 */

interface ParsedArgs {
  flags: Set<string>;
  values: Map<string, string>;
  operands: string[];
}

/**
 * Parses short options the GNU way: bundles (`-rf`), options after operands, `--` to stop,
 * and `valued` letters that take an argument (`-n 5` or `-n5`). Returns an error message for
 * an unknown option.
 */
function parseArgs(args: readonly string[], allowed: string, valued = ''): ParsedArgs | string {
  const parsed: ParsedArgs = { flags: new Set(), values: new Map(), operands: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      parsed.operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      parsed.operands.push(arg);
      continue;
    }
    if (arg.startsWith('--'))
      return `unrecognized option '${arg}' (the snapbox memory shell accepts short options only)`;
    for (let j = 1; j < arg.length; j += 1) {
      const letter = arg[j]!;
      if (valued.includes(letter)) {
        const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
        if (value === undefined) return `option requires an argument -- '${letter}'`;
        parsed.values.set(letter, value);
        break;
      }
      if (!allowed.includes(letter)) return `invalid option -- '${letter}'`;
      parsed.flags.add(letter);
    }
  }
  return parsed;
}

function usage(ctx: CommandContext, message: string, status = 1): number {
  ctx.err(`${basenameOf(ctx.argv[0]!)}: ${message}\n`);
  return status;
}

function reason(error: unknown): string {
  if (error instanceof FsError) return error.reason;
  throw error;
}

async function readInput(ctx: CommandContext, operand: string): Promise<Uint8Array> {
  return operand === '-' ? ctx.stdin.readAll() : ctx.tree.readFile(operand, ctx.state.cwd);
}

function isValidName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

function quoteValue(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

// ---- special built-ins: they act on the shell itself ----

const cd: CommandHandler = (ctx) => {
  const { state, tree } = ctx;
  const args = ctx.argv.slice(1).filter((arg) => arg !== '-L' && arg !== '-P');
  if (args.length > 1) return usage(ctx, 'too many arguments');
  let target = args[0] ?? state.vars.get('HOME') ?? '/';
  const dash = target === '-';
  if (dash) target = state.vars.get('OLDPWD') ?? state.cwd;
  const next = normalizePath(target, state.cwd);
  try {
    tree.directory(next);
  } catch (error) {
    return usage(ctx, `${target}: ${reason(error)}`);
  }
  state.vars.set('OLDPWD', state.cwd);
  state.vars.set('PWD', next);
  state.cwd = next;
  if (dash) ctx.out(`${next}\n`);
  return 0;
};

const exportBuiltin: CommandHandler = (ctx) => {
  const { state } = ctx;
  let args = ctx.argv.slice(1);
  let unexport = false;
  while (args[0]?.startsWith('-') && args[0] !== '-') {
    if (args[0] === '-n') unexport = true;
    else if (args[0] !== '-p' && args[0] !== '--') return usage(ctx, `${args[0]}: invalid option`, 2);
    args = args.slice(1);
  }
  if (args.length === 0) {
    for (const name of [...state.exported].sort()) {
      const value = state.vars.get(name);
      ctx.out(value === undefined ? `declare -x ${name}\n` : `declare -x ${name}=${quoteValue(value)}\n`);
    }
    return 0;
  }
  let status = 0;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!isValidName(name)) {
      status = usage(ctx, `\`${arg}': not a valid identifier`);
      continue;
    }
    if (eq >= 0) state.vars.set(name, arg.slice(eq + 1));
    if (unexport) state.exported.delete(name);
    else state.exported.add(name);
  }
  return status;
};

const unset: CommandHandler = (ctx) => {
  for (const name of ctx.argv.slice(1)) {
    if (name === '-v') continue;
    if (name.startsWith('-')) return usage(ctx, `${name}: invalid option`, 2);
    ctx.state.vars.delete(name);
    ctx.state.exported.delete(name);
  }
  return 0;
};

const optionLetters: Record<string, keyof ShellOptions> = { e: 'errexit', u: 'nounset', x: 'xtrace' };
const optionNames: Record<string, keyof ShellOptions> = {
  errexit: 'errexit',
  nounset: 'nounset',
  xtrace: 'xtrace',
  pipefail: 'pipefail',
};

const set: CommandHandler = (ctx) => {
  const { state } = ctx;
  const args = ctx.argv.slice(1);
  if (args.length === 0) {
    for (const name of [...state.vars.keys()].sort()) ctx.out(`${name}=${quoteValue(state.vars.get(name)!)}\n`);
    return 0;
  }
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-') {
      state.positional = args.slice(i + 1);
      return 0;
    }
    if (!/^[-+]/.test(arg)) {
      state.positional = args.slice(i);
      return 0;
    }
    const on = arg[0] === '-';
    for (const letter of arg.slice(1)) {
      if (letter === 'o') {
        const name = args[++i];
        const option = name === undefined ? undefined : optionNames[name];
        if (option === undefined)
          return usage(
            ctx,
            `${name ?? ''}: invalid option name (the snapbox memory shell knows errexit, nounset, xtrace, pipefail)`,
            2,
          );
        state.options[option] = on;
        continue;
      }
      const option = optionLetters[letter];
      if (option === undefined) return usage(ctx, `${on ? '-' : '+'}${letter}: invalid option`, 2);
      state.options[option] = on;
    }
  }
  return 0;
};

const shift: CommandHandler = (ctx) => {
  const count = ctx.argv[1] === undefined ? 1 : Number(ctx.argv[1]);
  if (!Number.isInteger(count) || count < 0) return usage(ctx, `${ctx.argv[1]}: numeric argument required`);
  if (count > ctx.state.positional.length) return 1;
  ctx.state.positional = ctx.state.positional.slice(count);
  return 0;
};

const exit: CommandHandler = (ctx) => {
  const arg = ctx.argv[1];
  if (arg === undefined) throw new ExitSignal(ctx.state.status);
  if (!/^[+-]?\d+$/.test(arg.trim())) {
    usage(ctx, `${arg}: numeric argument required`);
    throw new ExitSignal(2);
  }
  if (ctx.argv.length > 2) return usage(ctx, 'too many arguments');
  throw new ExitSignal(((Number(arg) % 256) + 256) % 256);
};

const loopControl =
  (kind: 'break' | 'continue'): CommandHandler =>
  (ctx) => {
    const levels = ctx.argv[1] === undefined ? 1 : Number(ctx.argv[1]);
    if (!Number.isInteger(levels) || levels < 1) return usage(ctx, `${ctx.argv[1]}: loop count out of range`);
    if (ctx.state.loopDepth === 0) return 0;
    throw new LoopControl(kind, Math.min(levels, ctx.state.loopDepth));
  };

const read: CommandHandler = async (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'rs', 'p');
  if (typeof parsed === 'string') return usage(ctx, parsed, 2);
  const raw = parsed.flags.has('r');
  const prompt = parsed.values.get('p');
  if (prompt !== undefined) ctx.err(prompt);
  const names = parsed.operands.length > 0 ? parsed.operands : ['REPLY'];
  let text = '';
  let complete = false;
  for (;;) {
    const got = await ctx.kill.race(ctx.stdin.readLine());
    if (got === null) break;
    const line = decodeUtf8(got.line);
    if (!raw && line.endsWith('\\') && got.newline) {
      text += line.slice(0, -1);
      continue;
    }
    text += line;
    complete = got.newline;
    if (!got.newline && text === '') return 1;
    break;
  }
  if (!complete && text === '') {
    for (const name of names) ctx.state.vars.set(name, '');
    return 1;
  }
  const removeBackslashes = (value: string) => (raw ? value : value.replace(/\\(.)/g, '$1'));
  if (parsed.operands.length === 0) {
    ctx.state.vars.set('REPLY', removeBackslashes(text));
    return complete ? 0 : 1;
  }
  let rest = text.replace(/^[ \t\n]+/, '');
  names.forEach((name, index) => {
    if (index === names.length - 1) {
      ctx.state.vars.set(name, removeBackslashes(rest.replace(/[ \t\n]+$/, '')));
      return;
    }
    const match = /^(\S*)[ \t\n]*/.exec(rest)!;
    ctx.state.vars.set(name, removeBackslashes(match[1]!));
    rest = rest.slice(match[0].length);
  });
  return complete ? 0 : 1;
};

const wait: CommandHandler = (ctx) => {
  const pids = ctx.argv.slice(1).map(Number);
  return ctx.shell.waitForJobs(ctx.state, pids.length > 0 ? pids : undefined);
};

const source: CommandHandler = async (ctx) => {
  const file = ctx.argv[1];
  if (file === undefined) return usage(ctx, 'filename argument required', 2);
  const path = file.includes('/') ? file : (ctx.shell.findInPath(file, ctx.state) ?? file);
  let data: Uint8Array;
  try {
    data = ctx.tree.readFile(path, ctx.state.cwd);
  } catch (error) {
    return usage(ctx, `${file}: ${reason(error)}`);
  }
  const saved = ctx.state.positional;
  if (ctx.argv.length > 2) ctx.state.positional = ctx.argv.slice(2);
  try {
    return await ctx.shell.runSource(decodeUtf8(data), ctx.state);
  } finally {
    if (ctx.argv.length > 2) ctx.state.positional = saved;
  }
};

const evalBuiltin: CommandHandler = (ctx) => ctx.shell.runSource(ctx.argv.slice(1).join(' '), ctx.state);

/** Where a command name leads: a special built-in, a `/bin` built-in, a script on PATH, or nothing. */
function resolveCommand(
  ctx: CommandContext,
  name: string,
): { kind: 'builtin' } | { kind: 'file'; path: string } | undefined {
  if (specialBuiltins[name] !== undefined) return { kind: 'builtin' };
  if (name.includes('/')) {
    const node = ctx.tree.lookup(name, ctx.state.cwd);
    return node?.kind === 'file' && (node.mode & 0o111) !== 0 ? { kind: 'file', path: name } : undefined;
  }
  const found = ctx.shell.findInPath(name, ctx.state);
  if (builtinCommands[name] !== undefined) {
    return found !== undefined && readBuiltinMarker(ctx.tree.readFile(found)) === name
      ? { kind: 'file', path: found }
      : { kind: 'builtin' };
  }
  return found === undefined ? undefined : { kind: 'file', path: found };
}

const command: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  if (args[0] === '-v' || args[0] === '-V') {
    let status = 0;
    for (const name of args.slice(1)) {
      const found = resolveCommand(ctx, name);
      if (found === undefined) status = 1;
      else if (args[0] === '-v') ctx.out(`${found.kind === 'file' ? found.path : name}\n`);
      else ctx.out(found.kind === 'file' ? `${name} is ${found.path}\n` : `${name} is a shell builtin\n`);
    }
    return status;
  }
  if (args.length === 0) return 0;
  return ctx.shell.invoke(args, {}, ctx.state);
};

const type: CommandHandler = (ctx) => {
  let status = 0;
  for (const name of ctx.argv.slice(1)) {
    const found = resolveCommand(ctx, name);
    if (found === undefined) status = usage(ctx, `${name}: not found`);
    else ctx.out(found.kind === 'file' ? `${name} is ${found.path}\n` : `${name} is a shell builtin\n`);
  }
  return status;
};

/** Built-ins that act on the shell process itself; they have no `/bin` entry. */
export const specialBuiltins: Record<string, CommandHandler> = {
  cd,
  export: exportBuiltin,
  unset,
  set,
  shift,
  exit,
  break: loopControl('break'),
  continue: loopControl('continue'),
  read,
  wait,
  source,
  '.': source,
  eval: evalBuiltin,
  command,
  type,
  ':': () => 0,
};

// ---- utilities ----

const echo: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  let newline = true;
  let escapes = false;
  while (args[0] !== undefined && /^-[neE]+$/.test(args[0])) {
    for (const letter of args[0].slice(1)) {
      if (letter === 'n') newline = false;
      else escapes = letter === 'e';
    }
    args = args.slice(1);
  }
  const text = args.join(' ');
  if (!escapes) {
    ctx.out(newline ? `${text}\n` : text);
    return 0;
  }
  const { bytes, stop } = echoEscapes(text);
  ctx.out(bytes);
  if (newline && !stop) ctx.out('\n');
  return 0;
};

const printf: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  let variable: string | undefined;
  if (args[0] === '-v') {
    variable = args[1];
    args = args.slice(2);
  }
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) return usage(ctx, 'usage: printf [-v var] format [arguments]', 2);
  const { bytes, errors, status } = formatPrintf(args[0]!, args.slice(1));
  for (const error of errors) ctx.err(`${error}\n`);
  if (variable !== undefined) ctx.state.vars.set(variable, decodeUtf8(bytes));
  else ctx.out(bytes);
  return status;
};

const cat: CommandHandler = async (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'u');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const operands = parsed.operands.length > 0 ? parsed.operands : ['-'];
  let status = 0;
  for (const operand of operands) {
    if (operand === '-') {
      for (let chunk = await ctx.stdin.read(); chunk !== null; chunk = await ctx.stdin.read()) ctx.out(chunk);
      continue;
    }
    try {
      ctx.out(ctx.tree.readFile(operand, ctx.state.cwd));
    } catch (error) {
      status = usage(ctx, `${operand}: ${reason(error)}`);
    }
  }
  return status;
};

const pwd: CommandHandler = (ctx) => {
  const physical = ctx.argv.includes('-P');
  ctx.out(`${physical ? ctx.tree.realpath(ctx.state.cwd) : ctx.state.cwd}\n`);
  return 0;
};

const sleep: CommandHandler = async (ctx) => {
  const args = ctx.argv.slice(1);
  if (args.length === 0) return usage(ctx, 'missing operand');
  const factors: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
  let seconds = 0;
  for (const arg of args) {
    if (arg === 'infinity' || arg === 'inf') {
      seconds = Number.POSITIVE_INFINITY;
      continue;
    }
    const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (match === null) return usage(ctx, `invalid time interval '${arg}'`);
    seconds += Number(match[1]) * factors[match[2]!]!;
  }
  await ctx.kill.sleep(seconds * 1000);
  return 0;
};

const seq: CommandHandler = async (ctx) => {
  const args = [...ctx.argv.slice(1)];
  let separator = '\n';
  let equalWidth = false;
  while (args[0] !== undefined && /^-[sw]/.test(args[0])) {
    const option = args.shift()!;
    if (option === '-w') equalWidth = true;
    else if (option === '-s') separator = args.shift() ?? '\n';
    else separator = option.slice(2);
  }
  if (args.length === 0 || args.length > 3)
    return usage(ctx, args.length === 0 ? 'missing operand' : `extra operand '${args[3]}'`);
  const numbers: number[] = [];
  for (const arg of args) {
    const value = Number(arg);
    if (arg.trim() === '' || Number.isNaN(value)) return usage(ctx, `invalid floating point argument: '${arg}'`);
    numbers.push(value);
  }
  const [first, step, last] =
    numbers.length === 1
      ? [1, 1, numbers[0]!]
      : numbers.length === 2
        ? [numbers[0]!, 1, numbers[1]!]
        : (numbers as [number, number, number]);
  if (step === 0) return usage(ctx, `invalid Zero increment value: '${args[1]}'`);
  const decimals = Math.max(
    ...args.map((arg) => (arg.includes('.') && !/e/i.test(arg) ? arg.length - arg.indexOf('.') - 1 : 0)),
  );
  const format = (value: number) => (decimals > 0 ? value.toFixed(decimals) : String(Math.round(value)));
  const width = equalWidth ? Math.max(format(first).length, format(last).length) : 0;
  let chunk = '';
  let count = 0;
  for (let value = first; step > 0 ? value <= last + 1e-10 : value >= last - 1e-10; value = first + step * ++count) {
    const text = format(value);
    chunk += (count > 0 ? separator : '') + (width > 0 ? text.padStart(width, '0') : text);
    // Output leaves in pieces, so a huge sequence streams and a timeout can interrupt it.
    if (chunk.length >= 8192) {
      ctx.out(chunk);
      chunk = '';
      await breathe();
      ctx.kill.throwIfKilled();
    }
  }
  if (count > 0) chunk += '\n';
  ctx.out(chunk);
  return 0;
};

const wc: CommandHandler = async (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'clwm');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const chosen = parsed.flags.size === 0 ? new Set(['l', 'w', 'c']) : parsed.flags;
  const order = ['l', 'w', 'm', 'c'].filter((flag) => chosen.has(flag));
  const fromStdin = parsed.operands.length === 0;
  const inputs = fromStdin ? ['-'] : parsed.operands;
  const rows: Array<{ counts: number[]; name: string }> = [];
  const totals = order.map(() => 0);
  let status = 0;
  for (const input of inputs) {
    let data: Uint8Array;
    try {
      data = await readInput(ctx, input);
    } catch (error) {
      status = usage(ctx, `${input}: ${reason(error)}`);
      continue;
    }
    const text = chosen.has('w') || chosen.has('m') ? decodeUtf8(data) : '';
    const counts = order.map((flag) => {
      if (flag === 'c') return data.length;
      if (flag === 'l') return data.reduce((sum, byte) => sum + (byte === 10 ? 1 : 0), 0);
      if (flag === 'm') return [...text].length;
      return text.split(/\s+/).filter((word) => word !== '').length;
    });
    counts.forEach((count, index) => {
      totals[index]! += count;
    });
    rows.push({ counts, name: fromStdin ? '' : input });
  }
  if (rows.length > 1) rows.push({ counts: totals, name: 'total' });
  const single = rows.length === 1 && order.length === 1;
  const width = single
    ? 0
    : fromStdin
      ? 7
      : Math.max(...rows.flatMap((row) => row.counts.map((count) => String(count).length)));
  for (const row of rows) {
    const numbers = row.counts.map((count) => String(count).padStart(width, ' ')).join(' ');
    ctx.out(row.name === '' ? `${numbers}\n` : `${numbers} ${row.name}\n`);
  }
  return status;
};

const test: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  if (basenameOf(ctx.argv[0]!) === '[') {
    if (args[args.length - 1] !== ']') return usage(ctx, "missing `]'", 2);
    args = args.slice(0, -1);
  }
  const { status, error } = evaluateTest(args, ctx.tree, ctx.state.cwd);
  if (error !== undefined) ctx.err(`${basenameOf(ctx.argv[0]!)}: ${error}\n`);
  return status;
};

const touch: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'c');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  if (parsed.operands.length === 0) return usage(ctx, 'missing file operand');
  let status = 0;
  for (const path of parsed.operands) {
    try {
      if (ctx.tree.lookup(path, ctx.state.cwd) === undefined && !parsed.flags.has('c')) {
        ctx.tree.openForWrite(path, { cwd: ctx.state.cwd, append: true });
      }
    } catch (error) {
      status = usage(ctx, `cannot touch '${path}': ${reason(error)}`);
    }
  }
  return status;
};

function parseOctalMode(text: string): number | undefined {
  return /^[0-7]{1,4}$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

const mkdir: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'pv', 'm');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  if (parsed.operands.length === 0) return usage(ctx, 'missing operand');
  const modeText = parsed.values.get('m');
  const mode = modeText === undefined ? undefined : parseOctalMode(modeText);
  if (modeText !== undefined && mode === undefined) return usage(ctx, `invalid mode '${modeText}'`);
  let status = 0;
  for (const path of parsed.operands) {
    try {
      ctx.tree.mkdir(path, { cwd: ctx.state.cwd, parents: parsed.flags.has('p'), mode });
      if (parsed.flags.has('v')) ctx.out(`mkdir: created directory '${path}'\n`);
    } catch (error) {
      status = usage(ctx, `cannot create directory '${path}': ${reason(error)}`);
    }
  }
  return status;
};

const rm: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'rRfdv');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const recursive = parsed.flags.has('r') || parsed.flags.has('R');
  const force = parsed.flags.has('f');
  if (parsed.operands.length === 0 && !force) return usage(ctx, 'missing operand');
  let status = 0;
  for (const path of parsed.operands) {
    const base = basenameOf(path);
    if (base === '.' || base === '..') {
      status = usage(ctx, `refusing to remove '.' or '..' directory: skipping '${path}'`);
      continue;
    }
    if (normalizePath(path, ctx.state.cwd) === '/') {
      status = usage(ctx, "it is dangerous to operate recursively on '/'");
      continue;
    }
    try {
      ctx.tree.remove(path, { cwd: ctx.state.cwd, recursive, directory: parsed.flags.has('d') });
      if (parsed.flags.has('v')) ctx.out(`removed '${path}'\n`);
    } catch (error) {
      if (force && error instanceof FsError && error.code === 'ENOENT') continue;
      status = usage(ctx, `cannot remove '${path}': ${reason(error)}`);
    }
  }
  return status;
};

const rmdir: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'p');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  let status = 0;
  for (const path of parsed.operands) {
    try {
      if (ctx.tree.lookup(path, ctx.state.cwd, false)?.kind !== 'directory') throw new FsError('ENOTDIR', path);
      ctx.tree.remove(path, { cwd: ctx.state.cwd, directory: true });
    } catch (error) {
      status = usage(ctx, `failed to remove '${path}': ${reason(error)}`);
    }
  }
  return status;
};

const ln: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'sfnTv');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  if (!parsed.flags.has('s'))
    return usage(ctx, 'hard links are not supported by the snapbox memory backend; use ln -s');
  const operands = parsed.operands;
  if (operands.length === 0) return usage(ctx, 'missing file operand');
  const cwd = ctx.state.cwd;
  const noDeref = parsed.flags.has('n') || parsed.flags.has('T');
  const destination = operands.length === 1 ? '.' : operands[operands.length - 1]!;
  const targets = operands.length === 1 ? operands : operands.slice(0, -1);
  const destinationNode = ctx.tree.lookup(destination, cwd, !noDeref);
  const intoDirectory = destinationNode?.kind === 'directory' && !parsed.flags.has('T');
  if (targets.length > 1 && !intoDirectory) return usage(ctx, `target '${destination}' is not a directory`);
  let status = 0;
  for (const target of targets) {
    const link = intoDirectory ? `${destination.replace(/\/+$/, '')}/${basenameOf(target)}` : destination;
    try {
      if (ctx.tree.lookup(link, cwd, false) !== undefined) {
        if (!parsed.flags.has('f')) throw new FsError('EEXIST', link);
        ctx.tree.remove(link, { cwd });
      }
      ctx.tree.symlink(target, link, cwd);
    } catch (error) {
      status = usage(ctx, `failed to create symbolic link '${link}': ${reason(error)}`);
    }
  }
  return status;
};

const ls: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'aA1dpF');
  if (typeof parsed === 'string')
    return usage(ctx, `${parsed} (the snapbox memory shell's ls supports -a -A -1 -d -p -F)`, 2);
  const { flags } = parsed;
  const operands = parsed.operands.length > 0 ? parsed.operands : ['.'];
  const decorate = (name: string, node: FsNode | undefined) => {
    if (flags.has('F') && node?.kind === 'symlink') return `${name}@`;
    if ((flags.has('p') || flags.has('F')) && node?.kind === 'directory') return `${name}/`;
    if (flags.has('F') && node?.kind === 'file' && (node.mode & 0o111) !== 0) return `${name}*`;
    return name;
  };
  let status = 0;
  const files: string[] = [];
  const dirs: string[] = [];
  for (const operand of [...operands].sort()) {
    const node = ctx.tree.lookup(operand, ctx.state.cwd);
    if (node === undefined && ctx.tree.lookup(operand, ctx.state.cwd, false) === undefined) {
      status = usage(ctx, `cannot access '${operand}': No such file or directory`, 2);
      continue;
    }
    if (node?.kind === 'directory' && !flags.has('d')) dirs.push(operand);
    else files.push(decorate(operand, node));
  }
  const blocks: string[] = [];
  if (files.length > 0) blocks.push(files.map((name) => `${name}\n`).join(''));
  for (const dir of dirs) {
    const directory = ctx.tree.directory(dir, ctx.state.cwd);
    let names = [...directory.entries.keys()].sort();
    if (!flags.has('a') && !flags.has('A')) names = names.filter((name) => !name.startsWith('.'));
    if (flags.has('a')) names = ['.', '..', ...names];
    const listing = names.map((name) => `${decorate(name, directory.entries.get(name) ?? directory)}\n`).join('');
    blocks.push(operands.length > 1 ? `${dir}:\n${listing}` : listing);
  }
  ctx.out(blocks.join('\n'));
  return status;
};

function printEnvironment(ctx: CommandContext, env: Record<string, string>): void {
  for (const name of Object.keys(env).sort()) ctx.out(`${name}=${env[name]}\n`);
}

const env: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  let environment: Record<string, string> = { ...ctx.env };
  let index = 0;
  for (; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '-i' || arg === '-') environment = {};
    else if (arg === '-u') delete environment[args[++index] ?? ''];
    else if (arg === '--') {
      index += 1;
      break;
    } else if (arg.startsWith('-')) return usage(ctx, `invalid option -- '${arg.slice(1)}'`, 125);
    else break;
  }
  for (; index < args.length && /^[^=]+=/.test(args[index]!); index += 1) {
    const arg = args[index]!;
    environment[arg.slice(0, arg.indexOf('='))] = arg.slice(arg.indexOf('=') + 1);
  }
  if (index >= args.length) {
    printEnvironment(ctx, environment);
    return 0;
  }
  const child = ctx.shell.newState({ env: environment, cwd: ctx.state.cwd, fds: ctx.state.fds });
  child.vars.delete('PWD');
  child.exported.delete('PWD');
  return ctx.shell.runArgv(args.slice(index), child);
};

const printenv: CommandHandler = (ctx) => {
  const names = ctx.argv.slice(1);
  if (names.length === 0) {
    printEnvironment(ctx, ctx.env);
    return 0;
  }
  let status = 0;
  for (const name of names) {
    const value = ctx.env[name];
    if (value === undefined) status = 1;
    else ctx.out(`${value}\n`);
  }
  return status;
};

/** Parses `-n N`, `-N` and `-c N` of head/tail; `+N` (from line N) only for tail. */
function parseCount(
  ctx: CommandContext,
  allowPlus: boolean,
): { lines: boolean; count: number; fromStart: boolean; operands: string[] } | string {
  const args = ctx.argv.slice(1).map((arg) => (/^-\d+$/.test(arg) ? `-n${arg.slice(1)}` : arg));
  const parsed = parseArgs(args, 'qv', 'nc');
  if (typeof parsed === 'string') return parsed;
  const byBytes = parsed.values.has('c');
  const raw = parsed.values.get(byBytes ? 'c' : 'n') ?? '10';
  const match = /^([+-]?)(\d+)$/.exec(raw);
  if (match === null || (match[1] === '+' && !allowPlus))
    return `invalid number of ${byBytes ? 'bytes' : 'lines'}: '${raw}'`;
  return {
    lines: !byBytes,
    count: Number(match[2]),
    fromStart: match[1] === '+',
    operands: parsed.operands.length > 0 ? parsed.operands : ['-'],
  };
}

const head: CommandHandler = async (ctx) => {
  const parsed = parseCount(ctx, false);
  if (typeof parsed === 'string') return usage(ctx, parsed);
  let status = 0;
  for (const [index, operand] of parsed.operands.entries()) {
    if (parsed.operands.length > 1)
      ctx.out(`${index > 0 ? '\n' : ''}==> ${operand === '-' ? 'standard input' : operand} <==\n`);
    if (operand === '-') {
      // Read only what is needed from stdin, then let the writer go (as SIGPIPE would).
      let remaining = parsed.count;
      while (remaining > 0) {
        const chunk = await ctx.stdin.read();
        if (chunk === null) break;
        let end = chunk.length;
        if (parsed.lines) {
          for (let i = 0; i < chunk.length; i += 1) {
            if (chunk[i] === 10 && --remaining === 0) {
              end = i + 1;
              break;
            }
          }
        } else {
          end = Math.min(chunk.length, remaining);
          remaining -= end;
        }
        ctx.out(chunk.subarray(0, end));
        if (end < chunk.length) ctx.stdin.unread(chunk.subarray(end));
      }
      ctx.stdin.close();
      continue;
    }
    try {
      const data = ctx.tree.readFile(operand, ctx.state.cwd);
      ctx.out(parsed.lines ? data.subarray(0, lineOffset(data, parsed.count)) : data.subarray(0, parsed.count));
    } catch (error) {
      status = usage(ctx, `cannot open '${operand}' for reading: ${reason(error)}`);
    }
  }
  return status;
};

/** The byte offset just after the `count`-th newline (or the end). */
function lineOffset(data: Uint8Array, count: number): number {
  let seen = 0;
  if (count === 0) return 0;
  for (let i = 0; i < data.length; i += 1) {
    if (data[i] === 10 && ++seen === count) return i + 1;
  }
  return data.length;
}

const tail: CommandHandler = async (ctx) => {
  const parsed = parseCount(ctx, true);
  if (typeof parsed === 'string') return usage(ctx, parsed);
  let status = 0;
  for (const [index, operand] of parsed.operands.entries()) {
    if (parsed.operands.length > 1)
      ctx.out(`${index > 0 ? '\n' : ''}==> ${operand === '-' ? 'standard input' : operand} <==\n`);
    let data: Uint8Array;
    try {
      data = await readInput(ctx, operand);
    } catch (error) {
      status = usage(ctx, `cannot open '${operand}' for reading: ${reason(error)}`);
      continue;
    }
    if (!parsed.lines) {
      ctx.out(
        parsed.fromStart
          ? data.subarray(Math.max(0, parsed.count - 1))
          : data.subarray(Math.max(0, data.length - parsed.count)),
      );
      continue;
    }
    if (parsed.fromStart) {
      ctx.out(data.subarray(lineOffset(data, Math.max(0, parsed.count - 1))));
      continue;
    }
    let lines = 0;
    let start = data.length;
    for (let i = data.length - 1; i >= 0; i -= 1) {
      if (data[i] === 10 && i !== data.length - 1) {
        lines += 1;
        if (lines === parsed.count) break;
      }
      start = i;
    }
    ctx.out(parsed.count === 0 ? new Uint8Array(0) : data.subarray(start));
  }
  return status;
};

/** Copies `node` to `path`, merging into an existing folder like `cp -r` does. */
function copyInto(tree: MemoryFileTree, node: FsNode, path: string, cwd: string): void {
  const existing = tree.lookup(path, cwd);
  if (node.kind === 'directory' && existing?.kind === 'directory') {
    existing.mode = node.mode;
    for (const [name, child] of node.entries) copyInto(tree, child, `${path}/${name}`, cwd);
    return;
  }
  if (node.kind === 'directory' && existing !== undefined) throw new FsError('ENOTDIR', path);
  if (node.kind !== 'directory' && existing?.kind === 'directory') throw new FsError('EISDIR', path);
  if (node.kind === 'file' && existing?.kind === 'file') {
    // Like cp, write through an existing file (a link to it keeps pointing at the new content).
    const copy = cloneNode(node) as typeof node;
    existing.bytes = copy.bytes;
    existing.size = copy.size;
    existing.owned = false;
    return;
  }
  tree.place(path, node, cwd);
}

const cp: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'rRapfvTL');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const recursive = parsed.flags.has('r') || parsed.flags.has('R') || parsed.flags.has('a');
  const { operands } = parsed;
  if (operands.length < 2)
    return usage(
      ctx,
      operands.length === 0 ? 'missing file operand' : `missing destination file operand after '${operands[0]}'`,
    );
  const cwd = ctx.state.cwd;
  const destination = operands[operands.length - 1]!;
  const intoDirectory = ctx.tree.lookup(destination, cwd)?.kind === 'directory' && !parsed.flags.has('T');
  const sources = operands.slice(0, -1);
  if (sources.length > 1 && !intoDirectory) return usage(ctx, `target '${destination}' is not a directory`);
  let status = 0;
  for (const source of sources) {
    const target = intoDirectory ? `${destination.replace(/\/+$/, '')}/${basenameOf(source)}` : destination;
    try {
      const node = ctx.tree.locate(source, cwd, !recursive || parsed.flags.has('L')).node;
      if (node === undefined) throw new FsError('ENOENT', source);
      if (node.kind === 'directory' && !recursive) {
        status = usage(ctx, `-r not specified; omitting directory '${source}'`);
        continue;
      }
      if (node.kind === 'directory') {
        const from = ctx.tree.realpath(source, cwd);
        const toParent = ctx.tree.realpath(dirnameOf(normalizePath(target, cwd)));
        const to = `${toParent === '/' ? '' : toParent}/${basenameOf(target)}`;
        if (from === '/' || `${to}/`.startsWith(`${from}/`)) {
          status = usage(ctx, `cannot copy a directory, '${source}', into itself, '${target}'`);
          continue;
        }
      }
      copyInto(ctx.tree, cloneNode(node), target, cwd);
    } catch (error) {
      status = usage(ctx, `cannot copy '${source}' to '${target}': ${reason(error)}`);
    }
  }
  return status;
};

const mv: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'fvT');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const { operands } = parsed;
  if (operands.length < 2)
    return usage(
      ctx,
      operands.length === 0 ? 'missing file operand' : `missing destination file operand after '${operands[0]}'`,
    );
  const cwd = ctx.state.cwd;
  const destination = operands[operands.length - 1]!;
  const intoDirectory = ctx.tree.lookup(destination, cwd)?.kind === 'directory' && !parsed.flags.has('T');
  const sources = operands.slice(0, -1);
  if (sources.length > 1 && !intoDirectory) return usage(ctx, `target '${destination}' is not a directory`);
  let status = 0;
  for (const source of sources) {
    const target = intoDirectory ? `${destination.replace(/\/+$/, '')}/${basenameOf(source)}` : destination;
    try {
      ctx.tree.rename(source, target, cwd);
    } catch (error) {
      status = usage(ctx, `cannot move '${source}' to '${target}': ${reason(error)}`);
    }
  }
  return status;
};

/** Applies a chmod mode (octal or symbolic like `u+x,go-w`) to `mode`; undefined when invalid. */
function applyMode(spec: string, mode: number, isDirectory: boolean): number | undefined {
  const octal = parseOctalMode(spec);
  if (octal !== undefined) return octal;
  let result = mode;
  for (const clause of spec.split(',')) {
    const match = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (match === null) return undefined;
    const who = match[1] === '' || match[1]!.includes('a') ? 'ugo' : match[1]!;
    let bits = 0;
    for (const perm of match[3]!) {
      const shiftFor = (target: string) => (target === 'u' ? 6 : target === 'g' ? 3 : 0);
      for (const target of who) {
        if (perm === 'r') bits |= 4 << shiftFor(target);
        if (perm === 'w') bits |= 2 << shiftFor(target);
        if (perm === 'x' || (perm === 'X' && (isDirectory || (mode & 0o111) !== 0))) bits |= 1 << shiftFor(target);
        if (perm === 's' && target === 'u') bits |= 0o4000;
        if (perm === 's' && target === 'g') bits |= 0o2000;
        if (perm === 't') bits |= 0o1000;
      }
    }
    if (match[2] === '+') result |= bits;
    else if (match[2] === '-') result &= ~bits;
    else {
      let mask = 0;
      for (const target of who) mask |= 7 << (target === 'u' ? 6 : target === 'g' ? 3 : 0);
      result = (result & ~mask) | bits;
    }
  }
  return result;
}

const chmod: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1);
  const recursive = args[0] === '-R';
  const rest = recursive ? args.slice(1) : args;
  const [spec, ...paths] = rest;
  if (spec === undefined || paths.length === 0)
    return usage(ctx, spec === undefined ? 'missing operand' : `missing operand after '${spec}'`);
  if (applyMode(spec, 0o644, false) === undefined) return usage(ctx, `invalid mode: '${spec}'`);
  const apply = (node: FsNode) => {
    if (node.kind === 'symlink') return;
    node.mode = applyMode(spec, node.mode, node.kind === 'directory')!;
    if (recursive && node.kind === 'directory') for (const child of node.entries.values()) apply(child);
  };
  let status = 0;
  for (const path of paths) {
    const node = ctx.tree.lookup(path, ctx.state.cwd);
    if (node === undefined) status = usage(ctx, `cannot access '${path}': No such file or directory`);
    else apply(node);
  }
  return status;
};

const basename: CommandHandler = (ctx) => {
  const [path, suffix] = ctx.argv.slice(1);
  if (path === undefined) return usage(ctx, 'missing operand');
  let base = basenameOf(path);
  if (suffix !== undefined && base !== suffix && base.endsWith(suffix)) base = base.slice(0, -suffix.length);
  ctx.out(`${base}\n`);
  return 0;
};

const dirname: CommandHandler = (ctx) => {
  const paths = ctx.argv.slice(1);
  if (paths.length === 0) return usage(ctx, 'missing operand');
  for (const path of paths) ctx.out(`${dirnameOf(path)}\n`);
  return 0;
};

const mktemp: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'dqu', 'p');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  const template = parsed.operands[0] ?? 'tmp.XXXXXXXXXX';
  const xs = /X{3,}$/.exec(template)?.[0].length;
  if (xs === undefined) return usage(ctx, `too few X's in template '${template}'`);
  const dir = parsed.values.get('p') ?? (template.includes('/') ? '' : (ctx.env.TMPDIR ?? '/tmp'));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const random = Array.from({ length: xs }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const name = template.slice(0, -xs) + random;
    const path = dir === '' ? name : `${dir.replace(/\/+$/, '')}/${name}`;
    if (ctx.tree.lookup(path, ctx.state.cwd, false) !== undefined) continue;
    try {
      if (parsed.flags.has('d')) ctx.tree.mkdir(path, { cwd: ctx.state.cwd, mode: 0o700 });
      else ctx.tree.openForWrite(path, { cwd: ctx.state.cwd, mode: 0o600 });
    } catch (error) {
      return usage(
        ctx,
        `failed to create ${parsed.flags.has('d') ? 'directory' : 'file'} via template '${template}': ${reason(error)}`,
      );
    }
    ctx.out(`${path}\n`);
    return 0;
  }
  return usage(ctx, `failed to create file via template '${template}'`);
};

const tee: CommandHandler = async (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'ai');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  let status = 0;
  const files = parsed.operands.flatMap((path) => {
    try {
      const file = ctx.tree.openForWrite(path, { cwd: ctx.state.cwd, append: parsed.flags.has('a') });
      return file === undefined ? [] : [file];
    } catch (error) {
      status = usage(ctx, `${path}: ${reason(error)}`);
      return [];
    }
  });
  for (let chunk = await ctx.stdin.read(); chunk !== null; chunk = await ctx.stdin.read()) {
    for (const file of files) {
      const merged = concatBytes([fileContent(file), chunk]);
      file.bytes = merged;
      file.size = merged.length;
      file.owned = true;
    }
    ctx.out(chunk);
  }
  return status;
};

const readlink: CommandHandler = (ctx) => {
  const parsed = parseArgs(ctx.argv.slice(1), 'fenm');
  if (typeof parsed === 'string') return usage(ctx, parsed);
  let status = 0;
  for (const path of parsed.operands) {
    try {
      if (parsed.flags.has('f') || parsed.flags.has('e') || parsed.flags.has('m')) {
        const location = ctx.tree.locate(path, ctx.state.cwd, true);
        if (location.node === undefined && parsed.flags.has('e')) throw new FsError('ENOENT', path);
        ctx.out(`${location.path}\n`);
        continue;
      }
      const node = ctx.tree.lookup(path, ctx.state.cwd, false);
      if (node?.kind !== 'symlink') status = 1;
      else ctx.out(`${node.target}\n`);
    } catch {
      status = 1;
    }
  }
  return status;
};

const realpath: CommandHandler = (ctx) => {
  let status = 0;
  for (const path of ctx.argv.slice(1)) {
    try {
      ctx.out(`${ctx.tree.realpath(path, ctx.state.cwd)}\n`);
    } catch (error) {
      status = usage(ctx, `${path}: ${reason(error)}`);
    }
  }
  return status;
};

const which: CommandHandler = (ctx) => {
  let status = 0;
  for (const name of ctx.argv.slice(1)) {
    const found = resolveCommand(ctx, name);
    if (found?.kind === 'file') ctx.out(`${found.path}\n`);
    else status = 1;
  }
  return status;
};

const shell: CommandHandler = async (ctx) => {
  const args = ctx.argv.slice(1);
  const options: Partial<ShellOptions> = {};
  let commandMode = false;
  let index = 0;
  for (; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--') {
      index += 1;
      break;
    }
    if (arg === '--login' || arg === '--norc' || arg === '--noprofile' || arg === '--posix') continue;
    if (!/^[-+][A-Za-z]+$/.test(arg)) break;
    const on = arg[0] === '-';
    for (const letter of arg.slice(1)) {
      if (letter === 'c') commandMode = true;
      else if (letter === 'o') {
        const option = optionNames[args[++index] ?? ''];
        if (option === undefined) return usage(ctx, `${args[index] ?? ''}: invalid option name`, 2);
        options[option] = on;
      } else if (optionLetters[letter] !== undefined) options[optionLetters[letter]] = on;
      else if (!'lisr'.includes(letter)) return usage(ctx, `-${letter}: invalid option`, 2);
    }
  }
  const rest = args.slice(index);
  const name = basenameOf(ctx.argv[0]!);
  if (commandMode) {
    const script = rest[0];
    if (script === undefined) return usage(ctx, '-c: option requires an argument', 2);
    const child = ctx.shell.newState({
      env: ctx.env,
      cwd: ctx.state.cwd,
      fds: ctx.state.fds,
      arg0: rest[1] ?? name,
      positional: rest.slice(2),
      options,
    });
    return ctx.shell.runScript(script, child);
  }
  if (rest[0] !== undefined) {
    let data: Uint8Array;
    try {
      data = ctx.tree.readFile(rest[0], ctx.state.cwd);
    } catch (error) {
      ctx.err(`${name}: ${rest[0]}: ${reason(error)}\n`);
      return 127;
    }
    const child = ctx.shell.newState({
      env: ctx.env,
      cwd: ctx.state.cwd,
      fds: ctx.state.fds,
      arg0: rest[0],
      positional: rest.slice(1),
      options,
    });
    return ctx.shell.runScript(decodeUtf8(data), child);
  }
  const script = decodeUtf8(await ctx.stdin.readAll());
  const child = ctx.shell.newState({ env: ctx.env, cwd: ctx.state.cwd, fds: ctx.state.fds, arg0: name, options });
  return ctx.shell.runScript(script, child);
};

const id: CommandHandler = (ctx) => {
  const flag = ctx.argv[1];
  const { uid, gid, name, group } = ctx.shell.runtime.user;
  const named = (value: number, label: string | undefined) => (label === undefined ? `${value}` : `${value}(${label})`);
  if (flag === '-u') ctx.out(`${uid}\n`);
  else if (flag === '-g') ctx.out(`${gid}\n`);
  else if (flag === '-un' || flag === '-nu' || flag === '-gn' || flag === '-ng') {
    const user = flag.includes('u');
    const label = user ? name : group;
    if (label === undefined) {
      ctx.err(`id: cannot find name for ${user ? 'user' : 'group'} ID ${user ? uid : gid}\n`);
      return 1;
    }
    ctx.out(`${label}\n`);
  } else if (flag === undefined)
    ctx.out(`uid=${named(uid, name)} gid=${named(gid, group)} groups=${named(gid, group)}\n`);
  else return usage(ctx, `invalid option '${flag}'`);
  return 0;
};

/** Utilities: they exist as `/bin/<name>` in every memory image and run without a shell too. */
export const builtinCommands: Record<string, CommandHandler> = {
  echo,
  printf,
  cat,
  pwd,
  true: () => 0,
  false: () => 1,
  sleep,
  seq,
  wc,
  test,
  '[': test,
  touch,
  mkdir,
  rm,
  rmdir,
  ln,
  ls,
  env,
  printenv,
  head,
  tail,
  cp,
  mv,
  chmod,
  basename,
  dirname,
  mktemp,
  tee,
  readlink,
  realpath,
  which,
  bash: shell,
  sh: shell,
  id,
  whoami: (ctx) => {
    const { uid, name } = ctx.shell.runtime.user;
    if (name === undefined) {
      ctx.err(`whoami: cannot find name for user ID ${uid}\n`);
      return 1;
    }
    ctx.out(`${name}\n`);
    return 0;
  },
  hostname: (ctx) => {
    ctx.out(`${ctx.shell.runtime.hostname}\n`);
    return 0;
  },
};

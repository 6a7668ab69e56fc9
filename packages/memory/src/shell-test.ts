import type { MemoryFileTree } from './memory-file-tree.js';

/**
 * `test` / `[` of the memory backend's shell, with POSIX's rules for 0 to 4 arguments and
 * `!`, `-a`, `-o` and parentheses beyond. Exit status 0 (true), 1 (false) or 2 (error).
 */
export function evaluateTest(
  args: readonly string[],
  tree: MemoryFileTree,
  cwd: string,
): { status: number; error?: string } {
  try {
    return { status: new TestEvaluator(args, tree, cwd).run() ? 0 : 1 };
  } catch (error) {
    if (error instanceof TestSyntaxError) return { status: 2, error: error.message };
    throw error;
  }
}

class TestSyntaxError extends Error {}

const unaryOps = new Set([
  '-e',
  '-f',
  '-d',
  '-x',
  '-r',
  '-w',
  '-s',
  '-L',
  '-h',
  '-z',
  '-n',
  '-c',
  '-b',
  '-p',
  '-S',
  '-t',
  '-g',
  '-u',
  '-k',
  '-O',
  '-G',
]);
const binaryOps = new Set(['=', '==', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

class TestEvaluator {
  readonly #args: readonly string[];
  readonly #tree: MemoryFileTree;
  readonly #cwd: string;
  #index = 0;

  constructor(args: readonly string[], tree: MemoryFileTree, cwd: string) {
    this.#args = args;
    this.#tree = tree;
    this.#cwd = cwd;
  }

  run(): boolean {
    const args = this.#args;
    switch (args.length) {
      case 0:
        return false;
      case 1:
        return args[0] !== '';
      case 2:
        if (args[0] === '!') return args[1] === '';
        if (unaryOps.has(args[0]!)) return this.#unary(args[0]!, args[1]!);
        throw new TestSyntaxError(`${args[0]}: unary operator expected`);
      case 3:
        if (binaryOps.has(args[1]!)) return this.#binary(args[0]!, args[1]!, args[2]!);
        if (args[1] === '-a' || args[1] === '-o') break;
        if (args[0] === '!') return !new TestEvaluator(args.slice(1), this.#tree, this.#cwd).run();
        if (args[0] === '(' && args[2] === ')') return args[1] !== '';
        throw new TestSyntaxError(`${args[1]}: binary operator expected`);
      case 4:
        if (args[0] === '!') return !new TestEvaluator(args.slice(1), this.#tree, this.#cwd).run();
        if (args[0] === '(' && args[3] === ')') return new TestEvaluator(args.slice(1, 3), this.#tree, this.#cwd).run();
        break;
    }
    const value = this.#or();
    if (this.#index < args.length) throw new TestSyntaxError(`${args[this.#index]}: unexpected argument`);
    return value;
  }

  #or(): boolean {
    let value = this.#and();
    while (this.#args[this.#index] === '-o') {
      this.#index += 1;
      value = this.#and() || value;
    }
    return value;
  }

  #and(): boolean {
    let value = this.#primary();
    while (this.#args[this.#index] === '-a') {
      this.#index += 1;
      value = this.#primary() && value;
    }
    return value;
  }

  #primary(): boolean {
    const args = this.#args;
    const arg = args[this.#index];
    if (arg === undefined) throw new TestSyntaxError('argument expected');
    if (arg === '!') {
      this.#index += 1;
      return !this.#primary();
    }
    if (arg === '(') {
      this.#index += 1;
      const value = this.#or();
      if (args[this.#index] !== ')') throw new TestSyntaxError("`)' expected");
      this.#index += 1;
      return value;
    }
    const op = args[this.#index + 1];
    if (op !== undefined && binaryOps.has(op) && args[this.#index + 2] !== undefined) {
      this.#index += 3;
      return this.#binary(arg, op, args[this.#index - 1]!);
    }
    if (unaryOps.has(arg) && args[this.#index + 1] !== undefined) {
      this.#index += 2;
      return this.#unary(arg, args[this.#index - 1]!);
    }
    this.#index += 1;
    return arg !== '';
  }

  #unary(op: string, operand: string): boolean {
    if (op === '-z') return operand === '';
    if (op === '-n') return operand !== '';
    if (op === '-t') return false;
    if (op === '-L' || op === '-h') return this.#tree.lookup(operand, this.#cwd, false)?.kind === 'symlink';
    const node = operand === '' ? undefined : this.#tree.lookup(operand, this.#cwd, true);
    if (node === undefined) return false;
    switch (op) {
      case '-e':
      case '-r':
      case '-w':
        return true;
      case '-f':
        return node.kind === 'file';
      case '-d':
        return node.kind === 'directory';
      case '-c':
        return node.kind === 'device';
      case '-x':
        // Commands run as root: folders are searchable, files need any execute bit.
        return (
          node.kind === 'directory' || ((node.kind === 'file' || node.kind === 'device') && (node.mode & 0o111) !== 0)
        );
      case '-s':
        return node.kind === 'file' ? node.size > 0 : node.kind === 'directory';
      case '-k':
        return node.kind === 'directory' && (node.mode & 0o1000) !== 0;
      case '-u':
      case '-g':
        return node.kind === 'file' && (node.mode & (op === '-u' ? 0o4000 : 0o2000)) !== 0;
      case '-O':
      case '-G':
        return true;
      default:
        return false;
    }
  }

  #binary(left: string, op: string, right: string): boolean {
    switch (op) {
      case '=':
      case '==':
        return left === right;
      case '!=':
        return left !== right;
      case '<':
        return left < right;
      case '>':
        return left > right;
    }
    const a = toInteger(left);
    const b = toInteger(right);
    switch (op) {
      case '-eq':
        return a === b;
      case '-ne':
        return a !== b;
      case '-lt':
        return a < b;
      case '-le':
        return a <= b;
      case '-gt':
        return a > b;
      default:
        return a >= b;
    }
  }
}

function toInteger(value: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new TestSyntaxError(`${value}: integer expression expected`);
  return Number(value.trim());
}

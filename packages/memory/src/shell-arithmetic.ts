/**
 * `$(( ... ))` of the memory backend's shell: integer arithmetic with bash's operators and
 * precedence (no assignment operators). Names read shell variables; unset or empty ones are 0.
 */

/** A malformed expression or a division by zero; the shell prints it and the command fails. */
export class ArithmeticError extends Error {}

type Token = { kind: 'number'; value: number } | { kind: 'name'; name: string } | { kind: 'op'; op: string };

const operators = [
  '**',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '&',
  '|',
  '^',
  '!',
  '~',
  '(',
  ')',
  '?',
  ':',
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const rest = text.slice(pos);
    const space = /^\s+/.exec(rest);
    if (space) {
      pos += space[0].length;
      continue;
    }
    const number = /^(?:0[xX][0-9a-fA-F]+|[0-9]+)/.exec(rest);
    if (number) {
      const raw = number[0];
      const value = /^0[xX]/.test(raw)
        ? Number.parseInt(raw.slice(2), 16)
        : raw.length > 1 && raw.startsWith('0')
          ? Number.parseInt(raw, 8)
          : Number(raw);
      if (Number.isNaN(value)) throw new ArithmeticError(`${raw}: value too great for base`);
      tokens.push({ kind: 'number', value });
      pos += raw.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', name: name[0] });
      pos += name[0].length;
      continue;
    }
    const op = operators.find((candidate) => rest.startsWith(candidate));
    if (op === undefined)
      throw new ArithmeticError(`syntax error: invalid arithmetic operator (error token is "${rest}")`);
    if (/^(?:\+\+|--|[-+*/%&|^]?=)/.test(rest) && !rest.startsWith('==')) {
      throw new ArithmeticError(
        `${rest}: assignment and increment operators are not supported by the snapbox memory shell`,
      );
    }
    tokens.push({ kind: 'op', op });
    pos += op.length;
  }
  return tokens;
}

const binaryPrecedence: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
  '**': 11,
};

/** Evaluates `text` (already expanded) with `lookup` for variable names. */
export function evaluateArithmetic(text: string, lookup: (name: string) => string | undefined, depth = 0): number {
  const tokens = tokenize(text);
  if (tokens.length === 0) return 0;
  let index = 0;
  const peekOp = (): string | undefined => {
    const token = tokens[index];
    return token?.kind === 'op' ? token.op : undefined;
  };
  const variable = (name: string): number => {
    const value = lookup(name)?.trim() ?? '';
    if (value === '') return 0;
    if (/^-?\d+$/.test(value)) return Number(value);
    // Like bash, a variable holding an expression is evaluated, within a recursion limit.
    if (depth > 10) throw new ArithmeticError(`${name}: expression recursion level exceeded`);
    return evaluateArithmetic(value, lookup, depth + 1);
  };
  const primary = (): number => {
    const token = tokens[index];
    if (token === undefined) throw new ArithmeticError('syntax error: operand expected');
    index += 1;
    if (token.kind === 'number') return token.value;
    if (token.kind === 'name') return variable(token.name);
    switch (token.op) {
      case '(': {
        const value = ternary();
        if (peekOp() !== ')') throw new ArithmeticError("missing `)'");
        index += 1;
        return value;
      }
      case '-':
        return -primary();
      case '+':
        return primary();
      case '!':
        return primary() === 0 ? 1 : 0;
      case '~':
        return ~primary();
      default:
        throw new ArithmeticError(`syntax error: operand expected (error token is "${token.op}")`);
    }
  };
  const binary = (minPrecedence: number): number => {
    let left = primary();
    for (;;) {
      const op = peekOp();
      const precedence = op === undefined ? undefined : binaryPrecedence[op];
      if (op === undefined || precedence === undefined || precedence < minPrecedence) return left;
      index += 1;
      // `**` is right-associative, the others left-associative.
      const right = binary(op === '**' ? precedence : precedence + 1);
      left = apply(op, left, right);
    }
  };
  const ternary = (): number => {
    const condition = binary(1);
    if (peekOp() !== '?') return condition;
    index += 1;
    const yes = ternary();
    if (peekOp() !== ':') throw new ArithmeticError("`:' expected for conditional expression");
    index += 1;
    const no = ternary();
    return condition !== 0 ? yes : no;
  };
  const value = ternary();
  if (index < tokens.length)
    throw new ArithmeticError(`syntax error in expression (error token is "${describe(tokens[index]!)}")`);
  return value;
}

function describe(token: Token): string {
  return token.kind === 'op' ? token.op : token.kind === 'name' ? token.name : String(token.value);
}

function apply(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
    case '%':
      if (b === 0) throw new ArithmeticError('division by 0');
      return op === '/' ? Math.trunc(a / b) : a % b;
    case '**':
      if (b < 0) throw new ArithmeticError('exponent less than 0');
      return a ** b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '<':
      return a < b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&&':
      return a !== 0 && b !== 0 ? 1 : 0;
    default:
      return a !== 0 || b !== 0 ? 1 : 0;
  }
}

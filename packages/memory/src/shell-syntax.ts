/**
 * The syntax tree and parser of the memory backend's shell: the subset of bash that tests and
 * setup scripts use (lists, pipelines, subshells, groups, `if`/`while`/`until`/`for`, quoting,
 * parameter/command/arithmetic expansion, redirections and here-documents).
 */

/** A piece of a word before expansion. `quoted` text is exempt from field splitting and globbing. */
export type WordPart =
  | { type: 'literal'; text: string; quoted: boolean }
  | { type: 'double'; parts: WordPart[] }
  | { type: 'param'; name: string; op?: ParamOp; arg?: Word; length?: boolean }
  | { type: 'command'; list: List }
  | { type: 'arith'; expr: Word }
  | { type: 'tilde' };

export type Word = WordPart[];

export type ParamOp = ':-' | '-' | ':=' | '=' | ':+' | '+' | ':?' | '?' | '#' | '##' | '%' | '%%';

export type RedirectOp = '>' | '>>' | '>|' | '<' | '<>' | '>&' | '<&' | '&>' | '&>>' | '<<' | '<<-' | '<<<';

export interface Redirect {
  /** The descriptor written before the operator (`2>`), if any. */
  fd: number | undefined;
  op: RedirectOp;
  target: Word;
  /** The body of a here-document, filled in when the parser reaches the line after it. */
  heredoc?: Word;
}

export interface Assignment {
  name: string;
  value: Word;
  append: boolean;
}

export interface SimpleCommand {
  type: 'simple';
  assignments: Assignment[];
  words: Word[];
  redirects: Redirect[];
}

export type Command =
  | SimpleCommand
  | { type: 'subshell'; body: List; redirects: Redirect[] }
  | { type: 'group'; body: List; redirects: Redirect[] }
  | { type: 'if'; clauses: Array<{ condition: List; body: List }>; elseBody: List | undefined; redirects: Redirect[] }
  | { type: 'while'; until: boolean; condition: List; body: List; redirects: Redirect[] }
  | { type: 'for'; name: string; items: Word[] | undefined; body: List; redirects: Redirect[] };

export interface Pipeline {
  negated: boolean;
  commands: Command[];
  /** `|&` after command i: its stderr goes into the pipe too. */
  stderrToo: boolean[];
}

export interface AndOr {
  first: Pipeline;
  rest: Array<{ op: '&&' | '||'; pipeline: Pipeline }>;
}

export interface ListItem {
  andOr: AndOr;
  background: boolean;
}

export type List = ListItem[];

/** A script the shell cannot parse; printed as bash prints syntax errors, exit status 2. */
export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellSyntaxError';
  }
}

const metaChars = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const reservedPattern =
  /^(?:if|then|elif|else|fi|while|until|for|do|done|case|esac|function|select|\{|\}|!)(?=$|[\s;&|()<>])/;
const redirectPattern = /^(?:(\d*)(>>|>&|>\||<<<|<<-|<<|<&|<>|>|<)|(&>>|&>))/;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;
const paramOps: readonly ParamOp[] = [':-', ':=', ':+', ':?', '##', '%%', '-', '=', '+', '?', '#', '%'];

/** Parses a whole script. */
export function parseScript(source: string): List {
  return new Parser(source).parseProgram();
}

/** Parses text where only `$`, backquotes and backslashes are special (here-document bodies, arithmetic). */
export function parseExpandingText(source: string): Word {
  const parser = new Parser(source);
  return parser.parseQuotedContent(undefined);
}

class Parser {
  readonly #src: string;
  #pos = 0;
  #pendingHeredocs: Array<{ redirect: Redirect; delimiter: string; quoted: boolean; stripTabs: boolean }> = [];

  constructor(source: string) {
    this.#src = source;
  }

  parseProgram(): List {
    const list = this.#parseList(() => false);
    this.#skipBlanksAndNewlines();
    if (this.#pos < this.#src.length) throw this.#unexpected();
    this.#readHeredocs();
    return list;
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.#pos + offset];
  }

  #startsWith(text: string): boolean {
    return this.#src.startsWith(text, this.#pos);
  }

  #eof(): boolean {
    return this.#pos >= this.#src.length;
  }

  #unexpected(): ShellSyntaxError {
    if (this.#eof()) return new ShellSyntaxError('syntax error: unexpected end of file');
    const token =
      this.#peek() === '\n'
        ? 'newline'
        : (/^(?:&&|\|\||;;|[;&|()<>]|[^\s;&|()<>]+)/.exec(this.#src.slice(this.#pos))?.[0] ?? '');
    return new ShellSyntaxError(`syntax error near unexpected token \`${token}'`);
  }

  #skipBlanks(): void {
    for (;;) {
      const c = this.#peek();
      if (c === ' ' || c === '\t') this.#pos += 1;
      else if (c === '\\' && this.#peek(1) === '\n') this.#pos += 2;
      else if (c === '#') {
        while (!this.#eof() && this.#peek() !== '\n') this.#pos += 1;
      } else return;
    }
  }

  #skipBlanksAndNewlines(): void {
    for (;;) {
      this.#skipBlanks();
      if (this.#peek() !== '\n') return;
      this.#newline();
    }
  }

  /** Consumes a newline; the bodies of here-documents started on that line follow it. */
  #newline(): void {
    this.#pos += 1;
    this.#readHeredocs();
  }

  #readHeredocs(): void {
    const pending = this.#pendingHeredocs;
    this.#pendingHeredocs = [];
    for (const { redirect, delimiter, quoted, stripTabs } of pending) {
      const lines: string[] = [];
      while (!this.#eof()) {
        const end = this.#src.indexOf('\n', this.#pos);
        const raw = this.#src.slice(this.#pos, end < 0 ? undefined : end);
        this.#pos = end < 0 ? this.#src.length : end + 1;
        const line = stripTabs ? raw.replace(/^\t+/, '') : raw;
        if (line === delimiter) break;
        lines.push(line);
      }
      const body = lines.map((line) => `${line}\n`).join('');
      redirect.heredoc = quoted ? [{ type: 'literal', text: body, quoted: true }] : parseExpandingText(body);
    }
  }

  #peekReserved(): string | undefined {
    return reservedPattern.exec(this.#src.slice(this.#pos, this.#pos + 10))?.[0];
  }

  #expectReserved(word: string): void {
    this.#skipBlanksAndNewlines();
    if (this.#peekReserved() !== word) throw this.#unexpected();
    this.#pos += word.length;
  }

  #parseList(stop: () => boolean): List {
    const items: ListItem[] = [];
    for (;;) {
      this.#skipBlanksAndNewlines();
      if (this.#eof() || stop()) return items;
      const andOr = this.#parseAndOr();
      this.#skipBlanks();
      const c = this.#peek();
      if (c === '&') {
        this.#pos += 1;
        items.push({ andOr, background: true });
      } else if (c === ';') {
        if (this.#startsWith(';;')) throw this.#unexpected();
        this.#pos += 1;
        items.push({ andOr, background: false });
      } else if (c === '\n') {
        this.#newline();
        items.push({ andOr, background: false });
      } else {
        items.push({ andOr, background: false });
        if (this.#eof() || stop()) return items;
        throw this.#unexpected();
      }
    }
  }

  #parseNonEmptyList(stop: () => boolean): List {
    const list = this.#parseList(stop);
    if (list.length === 0) throw this.#unexpected();
    return list;
  }

  #parseAndOr(): AndOr {
    const first = this.#parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.#skipBlanks();
      const op = this.#startsWith('&&') ? '&&' : this.#startsWith('||') ? '||' : undefined;
      if (op === undefined) return { first, rest };
      this.#pos += 2;
      this.#skipBlanksAndNewlines();
      rest.push({ op, pipeline: this.#parsePipeline() });
    }
  }

  #parsePipeline(): Pipeline {
    this.#skipBlanks();
    let negated = false;
    if (this.#peekReserved() === '!') {
      this.#pos += 1;
      negated = true;
    }
    const commands = [this.#parseCommand()];
    const stderrToo: boolean[] = [];
    for (;;) {
      this.#skipBlanks();
      if (this.#peek() !== '|' || this.#startsWith('||')) return { negated, commands, stderrToo };
      const both = this.#startsWith('|&');
      this.#pos += both ? 2 : 1;
      stderrToo.push(both);
      this.#skipBlanksAndNewlines();
      commands.push(this.#parseCommand());
    }
  }

  #parseCommand(): Command {
    this.#skipBlanks();
    if (this.#peek() === '(') {
      this.#pos += 1;
      const body = this.#parseNonEmptyList(() => this.#peek() === ')');
      if (this.#peek() !== ')') throw this.#unexpected();
      this.#pos += 1;
      return { type: 'subshell', body, redirects: this.#parseRedirects() };
    }
    const reserved = this.#peekReserved();
    switch (reserved) {
      case '{': {
        this.#pos += 1;
        const body = this.#parseNonEmptyList(() => this.#peekReserved() === '}');
        this.#expectReserved('}');
        return { type: 'group', body, redirects: this.#parseRedirects() };
      }
      case 'if':
        return this.#parseIf();
      case 'while':
      case 'until': {
        this.#pos += reserved.length;
        const condition = this.#parseNonEmptyList(() => this.#peekReserved() === 'do');
        const body = this.#parseDoGroup();
        return { type: 'while', until: reserved === 'until', condition, body, redirects: this.#parseRedirects() };
      }
      case 'for':
        return this.#parseFor();
      case 'case':
      case 'esac':
      case 'function':
      case 'select':
        throw new ShellSyntaxError(`\`${reserved}' is not supported by the snapbox memory shell`);
      case undefined:
      case '!':
        break;
      default:
        throw this.#unexpected();
    }
    return this.#parseSimple();
  }

  #parseIf(): Command {
    this.#pos += 2;
    const clauses: Array<{ condition: List; body: List }> = [];
    let elseBody: List | undefined;
    const clauseEnd = () => ['elif', 'else', 'fi'].includes(this.#peekReserved() ?? '');
    for (;;) {
      const condition = this.#parseNonEmptyList(() => this.#peekReserved() === 'then');
      this.#expectReserved('then');
      clauses.push({ condition, body: this.#parseNonEmptyList(clauseEnd) });
      const next = this.#peekReserved();
      if (next === 'elif') {
        this.#pos += 4;
        continue;
      }
      if (next === 'else') {
        this.#pos += 4;
        elseBody = this.#parseNonEmptyList(() => this.#peekReserved() === 'fi');
      }
      this.#expectReserved('fi');
      return { type: 'if', clauses, elseBody, redirects: this.#parseRedirects() };
    }
  }

  #parseDoGroup(): List {
    this.#expectReserved('do');
    const body = this.#parseNonEmptyList(() => this.#peekReserved() === 'done');
    this.#expectReserved('done');
    return body;
  }

  #parseFor(): Command {
    this.#pos += 3;
    this.#skipBlanks();
    const name = namePattern.exec(this.#src.slice(this.#pos))?.[0];
    if (name === undefined) throw this.#unexpected();
    this.#pos += name.length;
    this.#skipBlanksAndNewlines();
    let items: Word[] | undefined;
    if (/^in(?=$|[\s;&|()<>])/.test(this.#src.slice(this.#pos, this.#pos + 3))) {
      this.#pos += 2;
      items = [];
      for (;;) {
        this.#skipBlanks();
        const c = this.#peek();
        if (c === undefined || c === ';' || c === '\n') break;
        if (metaChars.has(c)) throw this.#unexpected();
        items.push(this.#parseWord());
      }
    }
    this.#skipBlanks();
    if (this.#peek() === ';') this.#pos += 1;
    const body = this.#parseDoGroup();
    return { type: 'for', name, items, body, redirects: this.#parseRedirects() };
  }

  #parseRedirects(): Redirect[] {
    const redirects: Redirect[] = [];
    for (;;) {
      this.#skipBlanks();
      const redirect = this.#tryParseRedirect();
      if (redirect === undefined) return redirects;
      redirects.push(redirect);
    }
  }

  #tryParseRedirect(): Redirect | undefined {
    const match = redirectPattern.exec(this.#src.slice(this.#pos, this.#pos + 16));
    if (match === null) return undefined;
    this.#pos += match[0].length;
    const fd = match[1] ? Number(match[1]) : undefined;
    const op = (match[2] ?? match[3]) as RedirectOp;
    this.#skipBlanks();
    const c = this.#peek();
    if (c === undefined || metaChars.has(c)) throw this.#unexpected();
    const target = this.#parseWord();
    const redirect: Redirect = { fd, op, target };
    if (op === '<<' || op === '<<-') {
      const quoted = target.some((part) => part.type !== 'literal' || part.quoted);
      const delimiter = target.map((part) => wordPartSource(part)).join('');
      this.#pendingHeredocs.push({ redirect, delimiter, quoted, stripTabs: op === '<<-' });
    }
    return redirect;
  }

  #parseSimple(): SimpleCommand {
    const command: SimpleCommand = { type: 'simple', assignments: [], words: [], redirects: [] };
    for (;;) {
      this.#skipBlanks();
      const redirect = this.#tryParseRedirect();
      if (redirect !== undefined) {
        command.redirects.push(redirect);
        continue;
      }
      const c = this.#peek();
      if (c === undefined || metaChars.has(c)) {
        if (c === '(')
          throw new ShellSyntaxError(
            "syntax error near unexpected token `(' (functions and arrays are not supported by the snapbox memory shell)",
          );
        break;
      }
      const word = this.#parseWord();
      const assignment = command.words.length === 0 ? asAssignment(word) : undefined;
      if (assignment !== undefined) command.assignments.push(assignment);
      else command.words.push(word);
    }
    if (command.words.length === 0 && command.assignments.length === 0 && command.redirects.length === 0) {
      throw this.#unexpected();
    }
    return command;
  }

  #parseWord(): Word {
    const parts: Word = [];
    let literal = '';
    const start = this.#pos;
    const flush = () => {
      if (literal !== '') parts.push({ type: 'literal', text: literal, quoted: false });
      literal = '';
    };
    while (!this.#eof()) {
      const c = this.#peek()!;
      if (metaChars.has(c)) break;
      if (c === '\\') {
        const next = this.#peek(1);
        if (next === undefined) {
          literal += '\\';
          this.#pos += 1;
        } else if (next === '\n') {
          this.#pos += 2;
        } else {
          flush();
          parts.push({ type: 'literal', text: next, quoted: true });
          this.#pos += 2;
        }
      } else if (c === "'") {
        flush();
        const end = this.#src.indexOf("'", this.#pos + 1);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
        parts.push({ type: 'literal', text: this.#src.slice(this.#pos + 1, end), quoted: true });
        this.#pos = end + 1;
      } else if (c === '"') {
        flush();
        this.#pos += 1;
        parts.push({ type: 'double', parts: this.parseQuotedContent('"') });
      } else if (c === '$') {
        flush();
        parts.push(this.#parseDollar(false));
      } else if (c === '`') {
        flush();
        parts.push(this.#parseBackquote());
      } else if (
        c === '~' &&
        this.#pos === start &&
        /^~(?=$|[/\s;&|()<>])/.test(this.#src.slice(this.#pos, this.#pos + 2))
      ) {
        parts.push({ type: 'tilde' });
        this.#pos += 1;
      } else {
        literal += c;
        this.#pos += 1;
      }
    }
    flush();
    return parts;
  }

  /** The inside of double quotes (`terminator` `"`) or of expanding text (no terminator). */
  parseQuotedContent(terminator: '"' | undefined): Word {
    const parts: Word = [];
    let literal = '';
    const flush = () => {
      if (literal !== '') parts.push({ type: 'literal', text: literal, quoted: true });
      literal = '';
    };
    for (;;) {
      if (this.#eof()) {
        if (terminator !== undefined) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
        break;
      }
      const c = this.#peek()!;
      if (c === terminator) {
        this.#pos += 1;
        break;
      }
      if (c === '\\') {
        const next = this.#peek(1);
        if (next === '\n') {
          this.#pos += 2;
        } else if (next !== undefined && ('$`\\'.includes(next) || next === terminator)) {
          literal += next;
          this.#pos += 2;
        } else {
          literal += '\\';
          this.#pos += 1;
        }
      } else if (c === '$') {
        flush();
        parts.push(this.#parseDollar(true));
      } else if (c === '`') {
        flush();
        parts.push(this.#parseBackquote());
      } else {
        literal += c;
        this.#pos += 1;
      }
    }
    flush();
    return parts;
  }

  #parseDollar(quoted: boolean): WordPart {
    const next = this.#peek(1);
    if (next === '{') return this.#parseBraced();
    if (next === '(') {
      if (this.#peek(2) === '(') return this.#parseArithmetic();
      this.#pos += 2;
      const list = this.#parseList(() => this.#peek() === ')');
      if (this.#peek() !== ')') throw new ShellSyntaxError("unexpected EOF while looking for matching `)'");
      this.#pos += 1;
      return { type: 'command', list };
    }
    if (next === "'" && !quoted) return this.#parseAnsiC();
    if (next === '"' && !quoted) {
      // $"..." (a locale string) is plain double quoting here.
      this.#pos += 1;
      return { type: 'literal', text: '', quoted: true };
    }
    const name = namePattern.exec(this.#src.slice(this.#pos + 1))?.[0];
    if (name !== undefined) {
      this.#pos += 1 + name.length;
      return { type: 'param', name };
    }
    if (next !== undefined && /[0-9?#@*$!-]/.test(next)) {
      this.#pos += 2;
      return { type: 'param', name: next };
    }
    this.#pos += 1;
    return { type: 'literal', text: '$', quoted };
  }

  #parseBraced(): WordPart {
    this.#pos += 2;
    const rest = () => this.#src.slice(this.#pos, this.#pos + 256);
    let length = false;
    if (this.#peek() === '#' && this.#peek(1) !== '}' && /^#[A-Za-z_0-9?@*$!#-]/.test(rest())) {
      length = true;
      this.#pos += 1;
    }
    const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*$!-])/.exec(rest())?.[0];
    if (name === undefined) throw new ShellSyntaxError('bad substitution');
    this.#pos += name.length;
    if (this.#peek() === '}') {
      this.#pos += 1;
      return { type: 'param', name, length };
    }
    const op = length ? undefined : paramOps.find((candidate) => this.#startsWith(candidate));
    if (op === undefined) {
      throw new ShellSyntaxError(
        `bad substitution (\${${name}${this.#peek() ?? ''}...} is not supported by the snapbox memory shell)`,
      );
    }
    this.#pos += op.length;
    return { type: 'param', name, op, arg: this.#parseBraceArgument() };
  }

  /** The word after an operator in `${name<op>word}`, up to the matching `}`. */
  #parseBraceArgument(): Word {
    const parts: Word = [];
    let literal = '';
    const flush = () => {
      if (literal !== '') parts.push({ type: 'literal', text: literal, quoted: false });
      literal = '';
    };
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'");
      if (c === '}') {
        this.#pos += 1;
        flush();
        return parts;
      }
      if (c === '\\' && this.#peek(1) !== undefined) {
        flush();
        parts.push({ type: 'literal', text: this.#peek(1)!, quoted: true });
        this.#pos += 2;
      } else if (c === "'") {
        flush();
        const end = this.#src.indexOf("'", this.#pos + 1);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
        parts.push({ type: 'literal', text: this.#src.slice(this.#pos + 1, end), quoted: true });
        this.#pos = end + 1;
      } else if (c === '"') {
        flush();
        this.#pos += 1;
        parts.push({ type: 'double', parts: this.parseQuotedContent('"') });
      } else if (c === '$') {
        flush();
        parts.push(this.#parseDollar(false));
      } else if (c === '`') {
        flush();
        parts.push(this.#parseBackquote());
      } else {
        literal += c;
        this.#pos += 1;
      }
    }
  }

  #parseArithmetic(): WordPart {
    this.#pos += 3;
    const start = this.#pos;
    let depth = 0;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new ShellSyntaxError("unexpected EOF while looking for matching `))'");
      if (c === '(') depth += 1;
      else if (c === ')') {
        if (depth === 0) {
          if (this.#peek(1) !== ')') throw new ShellSyntaxError('syntax error in arithmetic expansion');
          const expr = this.#src.slice(start, this.#pos);
          this.#pos += 2;
          return { type: 'arith', expr: parseExpandingText(expr) };
        }
        depth -= 1;
      }
      this.#pos += 1;
    }
  }

  #parseBackquote(): WordPart {
    this.#pos += 1;
    let inner = '';
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
      this.#pos += 1;
      if (c === '`') break;
      if (c === '\\' && this.#peek() !== undefined && '`\\$'.includes(this.#peek()!)) {
        inner += this.#peek();
        this.#pos += 1;
      } else {
        inner += c;
      }
    }
    return { type: 'command', list: new Parser(inner).parseProgram() };
  }

  #parseAnsiC(): WordPart {
    this.#pos += 2;
    let text = '';
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      e: '\x1b',
      E: '\x1b',
      f: '\f',
      v: '\v',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '?': '?',
    };
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      this.#pos += 1;
      if (c === "'") return { type: 'literal', text, quoted: true };
      if (c !== '\\') {
        text += c;
        continue;
      }
      const rest = this.#src.slice(this.#pos, this.#pos + 9);
      const sequence = /^(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8})/.exec(rest)?.[0];
      if (sequence !== undefined) {
        const code =
          sequence[0] === 'x' || sequence[0] === 'u' || sequence[0] === 'U'
            ? Number.parseInt(sequence.slice(1), 16)
            : Number.parseInt(sequence, 8);
        text += String.fromCodePoint(code);
        this.#pos += sequence.length;
      } else if (rest[0] !== undefined && simple[rest[0]] !== undefined) {
        text += simple[rest[0]];
        this.#pos += 1;
      } else {
        text += '\\';
      }
    }
  }
}

function asAssignment(word: Word): Assignment | undefined {
  const first = word[0];
  if (first?.type !== 'literal' || first.quoted) return undefined;
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/.exec(first.text);
  if (match === null) return undefined;
  const rest = first.text.slice(match[0].length);
  const value: Word = rest === '' ? word.slice(1) : [{ type: 'literal', text: rest, quoted: false }, ...word.slice(1)];
  return { name: match[1]!, value, append: match[2] === '+' };
}

/** The text a here-document delimiter word stands for (quotes removed). */
function wordPartSource(part: WordPart): string {
  switch (part.type) {
    case 'literal':
      return part.text;
    case 'double':
      return part.parts.map(wordPartSource).join('');
    case 'param':
      return `$${part.name}`;
    default:
      return '';
  }
}

import { concatBytes, utf8 } from './shell-streams.js';

/**
 * `printf` and `echo -e` of the memory backend's shell. Both produce bytes, not text: an octal
 * escape such as `\377` is the raw byte 0xFF, exactly what a real `printf` writes.
 */

class ByteBuilder {
  readonly #chunks: Uint8Array[] = [];
  text(value: string): void {
    if (value !== '') this.#chunks.push(utf8.encode(value));
  }
  byte(value: number): void {
    this.#chunks.push(Uint8Array.of(value & 0xff));
  }
  raw(value: Uint8Array): void {
    this.#chunks.push(value);
  }
  bytes(): Uint8Array {
    return concatBytes(this.#chunks);
  }
}

const simpleEscapes: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * Writes `text` into `out`, interpreting backslash escapes. `octalNeedsZero` selects the `%b` /
 * `echo -e` form (`\0NNN`) over the format-string form (`\NNN`). Returns true at `\c` (stop).
 */
function writeEscaped(out: ByteBuilder, text: string, octalNeedsZero: boolean, allowStop: boolean): boolean {
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      plain += c;
      i += 1;
      continue;
    }
    const next = text[i + 1]!;
    const rest = text.slice(i + 1, i + 10);
    const octal = octalNeedsZero ? /^0([0-7]{0,3})/.exec(rest) : /^([0-7]{1,3})/.exec(rest);
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(rest);
    const unicode = /^(?:u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8}))/.exec(rest);
    if (octal) {
      out.text(plain);
      plain = '';
      out.byte(Number.parseInt(octal[1] || '0', 8));
      i += 1 + octal[0].length;
    } else if (hex) {
      out.text(plain);
      plain = '';
      out.byte(Number.parseInt(hex[1]!, 16));
      i += 1 + hex[0].length;
    } else if (unicode) {
      plain += String.fromCodePoint(Number.parseInt((unicode[1] ?? unicode[2])!, 16));
      i += 1 + unicode[0].length;
    } else if (next === 'c' && allowStop) {
      out.text(plain);
      return true;
    } else if (simpleEscapes[next] !== undefined) {
      plain += simpleEscapes[next];
      i += 2;
    } else if (next === '"' && !octalNeedsZero) {
      plain += '"';
      i += 2;
    } else {
      plain += `\\${next}`;
      i += 2;
    }
  }
  out.text(plain);
  return false;
}

/** `echo -e`: the text with escapes interpreted; `stop` when `\c` cut it short. */
export function echoEscapes(text: string): { bytes: Uint8Array; stop: boolean } {
  const out = new ByteBuilder();
  const stop = writeEscaped(out, text, true, true);
  return { bytes: out.bytes(), stop };
}

function parseInteger(arg: string): number | undefined {
  const trimmed = arg.trim();
  if (trimmed === '') return 0;
  if (/^['"]/.test(trimmed)) return trimmed.codePointAt(1) ?? 0;
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(trimmed);
  if (match === null) return undefined;
  const digits = match[2]!;
  const magnitude = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number(digits);
  return match[1] === '-' ? -magnitude : magnitude;
}

function pad(text: string, width: number | undefined, flags: string): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width, ' ');
  if (flags.includes('0') && /^[+-]?[0-9.]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width, ' ');
}

function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** `printf FORMAT [ARG...]`: the bytes it writes, the messages for stderr, and its exit status. */
export function formatPrintf(
  format: string,
  args: readonly string[],
): { bytes: Uint8Array; errors: string[]; status: number } {
  const out = new ByteBuilder();
  const errors: string[] = [];
  let argIndex = 0;
  const nextArg = (): string | undefined => {
    const arg = args[argIndex];
    if (arg !== undefined) argIndex += 1;
    return arg;
  };
  const integer = (arg: string | undefined): number => {
    if (arg === undefined) return 0;
    const value = parseInteger(arg);
    if (value === undefined) {
      errors.push(`printf: ${arg}: invalid number`);
      const leading = /^[+-]?\d+/.exec(arg.trim());
      return leading ? Number(leading[0]) : 0;
    }
    return value;
  };
  const conversion = /^%([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d*))?([diouxXcsbqfeEgG%])/;
  for (;;) {
    const before = argIndex;
    let i = 0;
    let literal = '';
    let stopped = false;
    while (i < format.length && !stopped) {
      const c = format[i]!;
      if (c === '\\') {
        const length = /^\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|.)?/.exec(
          format.slice(i),
        )![0].length;
        out.text(literal);
        literal = '';
        writeEscaped(out, format.slice(i, i + length), false, false);
        i += length;
        continue;
      }
      if (c !== '%') {
        literal += c;
        i += 1;
        continue;
      }
      const match = conversion.exec(format.slice(i));
      if (match === null) {
        errors.push(`printf: ${format.slice(i, i + 2)}: invalid format character`);
        out.text(literal);
        return { bytes: out.bytes(), errors, status: 1 };
      }
      out.text(literal);
      literal = '';
      i += match[0].length;
      const flags = match[1] ?? '';
      const width = match[2] === '*' ? integer(nextArg()) : match[2] === undefined ? undefined : Number(match[2]);
      const precision =
        match[3] === '*' ? integer(nextArg()) : match[3] === undefined ? undefined : Number(match[3] || '0');
      const conv = match[4]!;
      if (conv === '%') {
        out.text('%');
        continue;
      }
      const arg = nextArg();
      switch (conv) {
        case 'd':
        case 'i':
        case 'u': {
          const value = integer(arg);
          let text = String(Math.abs(value));
          if (precision !== undefined) text = text.padStart(precision, '0');
          const sign = value < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
          out.text(pad(sign + text, width, precision === undefined ? flags : flags.replace('0', '')));
          break;
        }
        case 'o':
        case 'x':
        case 'X': {
          const value = integer(arg);
          const base = conv === 'o' ? 8 : 16;
          let text = (value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value)).toString(base);
          if (conv === 'X') text = text.toUpperCase();
          if (flags.includes('#') && value !== 0) text = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + text;
          out.text(pad(text, width, flags));
          break;
        }
        case 'c':
          out.text(pad((arg ?? '').slice(0, 1), width, flags));
          break;
        case 's':
        case 'q': {
          let text = arg ?? '';
          if (conv === 'q') text = shellQuote(text);
          if (precision !== undefined) text = text.slice(0, precision);
          out.text(pad(text, width, flags));
          break;
        }
        case 'b': {
          const inner = new ByteBuilder();
          stopped = writeEscaped(inner, arg ?? '', true, true);
          const bytes = inner.bytes();
          const text = new TextDecoder().decode(bytes);
          if (width !== undefined && text.length < width && !flags.includes('-'))
            out.text(' '.repeat(width - text.length));
          out.raw(bytes);
          if (width !== undefined && text.length < width && flags.includes('-'))
            out.text(' '.repeat(width - text.length));
          break;
        }
        default: {
          const value = arg === undefined ? 0 : Number(arg.trim());
          if (arg !== undefined && Number.isNaN(value)) errors.push(`printf: ${arg}: invalid number`);
          const number = Number.isNaN(value) ? 0 : value;
          const digits = precision ?? 6;
          let text: string;
          if (conv === 'f') text = number.toFixed(digits);
          else if (conv === 'e' || conv === 'E') text = formatExponent(number, digits);
          else text = formatGeneral(number, digits === 0 ? 1 : digits);
          if (conv === 'E' || conv === 'G') text = text.toUpperCase();
          if (number >= 0 && flags.includes('+')) text = `+${text}`;
          out.text(pad(text, width, flags));
        }
      }
    }
    out.text(literal);
    // The format is reused while arguments remain, as long as it consumes any.
    if (stopped || argIndex >= args.length || argIndex === before) break;
  }
  return { bytes: out.bytes(), errors, status: errors.length > 0 ? 1 : 0 };
}

function formatExponent(value: number, digits: number): string {
  const [mantissa, exponent] = value.toExponential(digits).split('e');
  const sign = exponent!.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent!.replace(/^[+-]/, '').padStart(2, '0')}`;
}

function formatGeneral(value: number, digits: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= digits) {
    return formatExponent(value, digits - 1).replace(/\.?0+e/, 'e');
  }
  return (
    value
      .toFixed(Math.max(0, digits - 1 - exponent))
      .replace(/\.?0+$/, '')
      .replace(/\.$/, '') || '0'
  );
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RegistryFormatError } from './errors/registry-format-error.js';
import { RegistryLoadError } from './errors/registry-load-error.js';
import { RegistryTimeoutError } from './errors/registry-timeout-error.js';
import { type HarborDataset, parseHarborRegistry } from './harbor-registry-schema.js';
import { presetsLog as log } from './logger.js';
import { assertTimeout, type Deadline, startDeadline } from './timeout.js';

/** Harbor's default registry: the raw `registry.json` of the Harbor repository's main branch. */
export const harborDefaultRegistryUrl = 'https://raw.githubusercontent.com/laude-institute/harbor/main/registry.json';

/** How long {@link loadHarborRegistry} waits for a download by default: 60 s. */
export const defaultRegistryTimeoutMs = 60_000;

/** Options of {@link loadHarborRegistry}. */
export interface LoadHarborRegistryOptions {
  /** Aborts a download. */
  signal?: AbortSignal;
  /** The `fetch` to download with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /**
   * How long a download may take, from the request to the last byte, in milliseconds; then it is
   * abandoned with {@link RegistryTimeoutError}. `Infinity` waits for ever. Files are not timed.
   * Default: {@link defaultRegistryTimeoutMs} (60 s).
   */
  timeoutMs?: number;
}

/**
 * The schemes a registry can be loaded from. Anything else that looks like a URL (`ftp:`, `s3:`,
 * `git+ssh:`) is refused by name rather than read as a file path that does not exist. One letter
 * is a Windows drive (`C:\registry.json`), not a scheme.
 */
const schemePattern = /^([a-z][a-z0-9+.-]+):/i;
const supportedSchemes = new Set(['file', 'http', 'https']);

async function download(source: string, options: LoadHarborRegistryOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? defaultRegistryTimeoutMs;
  const deadline: Deadline = startDeadline(timeoutMs, options.signal);
  const failure = (detail: string, error: unknown) =>
    deadline.expired()
      ? new RegistryTimeoutError({ source, timeoutMs, cause: error })
      : new RegistryLoadError({
          source,
          detail: options.signal?.aborted ? 'the download was aborted' : detail,
          cause: error,
        });
  try {
    const fetchFn = options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await fetchFn(source, { signal: deadline.signal });
    } catch (error) {
      const reason = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      // fetch rejects with a bare "fetch failed"; the reason (DNS, refused, TLS) is the cause.
      const detail = reason?.message ?? reason?.code ?? (error as Error).message;
      throw failure(`the download failed (${String(detail)})`, error);
    }
    if (!response.ok) {
      // The body is not wanted; cancelling it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryLoadError({
        source,
        detail: `the server answered HTTP ${response.status} ${response.statusText}`.trimEnd(),
      });
    }
    try {
      // The signal given to fetch also covers the body, so a server that stalls mid-way times out.
      return await response.text();
    } catch (error) {
      throw failure('the download was interrupted', error);
    }
  } finally {
    deadline.clear();
  }
}

async function readSource(source: string, options: LoadHarborRegistryOptions): Promise<string> {
  const scheme = schemePattern.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return download(source, options);
  if (scheme !== undefined && !supportedSchemes.has(scheme)) {
    throw new RegistryLoadError({
      source,
      detail: `the URL scheme "${scheme}:" is not supported; give a file path, a file: URL, or an http: or https: URL (download the file first for other schemes)`,
    });
  }
  let path: string;
  try {
    path = scheme === 'file' ? fileURLToPath(source) : source;
  } catch (error) {
    throw new RegistryLoadError({
      source,
      detail: `it is not a valid file: URL (${(error as Error).message})`,
      cause: error,
    });
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : `it cannot be read (${code ?? String(error)})`;
    throw new RegistryLoadError({ source, detail, cause: error });
  }
}

/** V8 says `... in JSON at position 81234`; in a 3 MB file a line and column are what an editor finds. */
function withLineAndColumn(message: string, text: string): string {
  return message.replace(/(?: in JSON)? at position (\d+)/, (_match, position: string) => {
    const before = text.slice(0, Number(position));
    const line = before.split('\n').length;
    return ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
  });
}

/** `JSON.parse`, turning an empty text or a syntax error into one whole-file {@link RegistryFormatError}. */
function parseJson(text: string, source: string): unknown {
  const whole = (detail: string, cause?: unknown) =>
    new RegistryFormatError({
      source,
      problems: [{ entryIndex: undefined, dataset: undefined, field: '(registry)', detail }],
      cause,
    });
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw whole(
      body === ''
        ? 'it is empty, where a JSON array of datasets was expected'
        : 'it holds only white space, where a JSON array of datasets was expected',
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw whole(`it is not valid JSON (${withLineAndColumn((error as Error).message, body)})`, error);
  }
}

/**
 * Loads and validates a Harbor registry from a file path, a `file:` URL, or an `http(s)` URL.
 * Downloads give up after `timeoutMs` (default 60 s).
 * @param source default: {@link harborDefaultRegistryUrl}.
 * @throws RegistryLoadError when it cannot be read or downloaded (HTTP errors included), or its
 *   URL scheme is not `file:`, `http:` or `https:`.
 * @throws RegistryTimeoutError (a `RegistryLoadError`) when the download takes longer than `timeoutMs`.
 * @throws RegistryFormatError when it is empty or not JSON (one whole-file problem), or does not
 *   match the schema (every problem listed; see {@link parseHarborRegistry}).
 * @throws InvalidArgumentError (from `@snapbox/core`) for a `timeoutMs` that is not a positive number.
 */
export async function loadHarborRegistry(
  source: string = harborDefaultRegistryUrl,
  options: LoadHarborRegistryOptions = {},
): Promise<HarborDataset[]> {
  assertTimeout(options.timeoutMs, 'options.timeoutMs');
  const started = Date.now();
  log('loading the Harbor registry from %s', source);
  const text = await readSource(source, options);
  const datasets = parseHarborRegistry(parseJson(text, source), source);
  log('loaded %d dataset(s) from %s in %d ms', datasets.length, source, Date.now() - started);
  return datasets;
}

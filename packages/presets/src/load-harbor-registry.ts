import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RegistryFormatError } from './errors/registry-format-error.js';
import { RegistryLoadError } from './errors/registry-load-error.js';
import { type HarborDataset, parseHarborRegistry } from './harbor-registry-schema.js';
import { presetsLog as log } from './logger.js';

/** Harbor's default registry: the raw `registry.json` of the Harbor repository's main branch. */
export const harborDefaultRegistryUrl = 'https://raw.githubusercontent.com/laude-institute/harbor/main/registry.json';

/** Options of {@link loadHarborRegistry}. */
export interface LoadHarborRegistryOptions {
  /** Aborts a download. */
  signal?: AbortSignal;
  /** The `fetch` to download with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

async function readSource(source: string, options: LoadHarborRegistryOptions): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const download = options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await download(source, options.signal === undefined ? {} : { signal: options.signal });
    } catch (error) {
      const reason = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      // fetch rejects with a bare "fetch failed"; the reason (DNS, refused, TLS) is the cause.
      const detail = reason?.message ?? reason?.code ?? (error as Error).message;
      throw new RegistryLoadError({ source, detail: `the download failed (${String(detail)})`, cause: error });
    }
    if (!response.ok) {
      throw new RegistryLoadError({
        source,
        detail: `the server answered HTTP ${response.status} ${response.statusText}`.trimEnd(),
      });
    }
    try {
      return await response.text();
    } catch (error) {
      throw new RegistryLoadError({ source, detail: 'the download was interrupted', cause: error });
    }
  }
  const path = /^file:/i.test(source) ? fileURLToPath(source) : source;
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

/**
 * Loads and validates a Harbor registry from a file path, a `file:` URL, or an `http(s)` URL.
 * @param source default: {@link harborDefaultRegistryUrl}.
 * @throws RegistryLoadError when it cannot be read or downloaded (HTTP errors included).
 * @throws RegistryFormatError when it is not JSON or does not match the schema (see
 *   {@link parseHarborRegistry}), naming the dataset and field.
 */
export async function loadHarborRegistry(
  source: string = harborDefaultRegistryUrl,
  options: LoadHarborRegistryOptions = {},
): Promise<HarborDataset[]> {
  const started = Date.now();
  log('loading the Harbor registry from %s', source);
  const text = await readSource(source, options);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RegistryFormatError({
      source,
      field: '(registry)',
      detail: `not valid JSON (${(error as Error).message})`,
      cause: error,
    });
  }
  const datasets = parseHarborRegistry(json, source);
  log('loaded %d dataset(s) from %s in %d ms', datasets.length, source, Date.now() - started);
  return datasets;
}

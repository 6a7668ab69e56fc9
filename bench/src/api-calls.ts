import type Docker from 'dockerode';
import type { ApiCallProfile } from './results.js';
import { median } from './stats.js';

/** One Engine API request: its endpoint pattern and the time until the engine answered (headers). */
export interface ApiCall {
  endpoint: string;
  ms: number;
}

/**
 * Records every Engine API request a dockerode client makes, by wrapping its modem's `dial`.
 * Timing ends when the engine answers, so a streamed body (exec output, archives) is not in it.
 */
export class ApiCallRecorder {
  #calls: ApiCall[] = [];

  constructor(docker: Docker) {
    const modem = docker.modem as unknown as {
      dial(options: { path?: string; method?: string }, callback: (error: unknown, data: unknown) => void): void;
    };
    const dial = modem.dial.bind(modem);
    modem.dial = (options, callback) => {
      const started = performance.now();
      const endpoint = endpointPattern(options.method ?? 'GET', options.path ?? '');
      dial(options, (error, data) => {
        this.#calls.push({ endpoint, ms: performance.now() - started });
        callback(error, data);
      });
    };
  }

  /** Returns the calls recorded since the last take and forgets them. */
  take(): ApiCall[] {
    const calls = this.#calls;
    this.#calls = [];
    return calls;
  }
}

const actions = new Set([
  'json',
  'start',
  'stop',
  'kill',
  'restart',
  'pause',
  'unpause',
  'wait',
  'exec',
  'archive',
  'export',
  'attach',
  'logs',
  'top',
  'changes',
  'resize',
  'update',
  'rename',
  'tag',
  'push',
  'history',
  'get',
]);

/** `POST /containers/{id}/start`, from `POST` and `/containers/3f2a…/start?`; ids and image names become `{id}`. */
export function endpointPattern(method: string, path: string): string {
  const bare = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  const match = /^\/(containers|exec|images)\/(.+)$/.exec(bare);
  if (match === null) return `${method} ${bare}`;
  const [, kind, rest] = match as unknown as [string, string, string];
  if (rest === 'create' || rest === 'json' || rest === 'prune' || rest === 'load') return `${method} ${bare}`;
  const slash = rest.lastIndexOf('/');
  const action = slash === -1 ? undefined : rest.slice(slash + 1);
  return action !== undefined && actions.has(action) ? `${method} /${kind}/{id}/${action}` : `${method} /${kind}/{id}`;
}

/** Calls per repetition and median time per endpoint, from the calls of each repetition. */
export function profileCalls(repetitions: readonly ApiCall[][]): ApiCallProfile | undefined {
  if (repetitions.length === 0) return undefined;
  const endpoints = new Map<string, { counts: number[]; times: number[] }>();
  for (const [index, calls] of repetitions.entries()) {
    for (const call of calls) {
      let entry = endpoints.get(call.endpoint);
      if (entry === undefined) {
        entry = { counts: new Array<number>(repetitions.length).fill(0), times: [] };
        endpoints.set(call.endpoint, entry);
      }
      entry.counts[index] = (entry.counts[index] ?? 0) + 1;
      entry.times.push(call.ms);
    }
  }
  const byEndpoint: ApiCallProfile['byEndpoint'] = {};
  let calls = 0;
  for (const [endpoint, entry] of endpoints) {
    const perRep = median(entry.counts);
    calls += perRep;
    byEndpoint[endpoint] = { perRep, medianMs: median(entry.times) };
  }
  return { calls, byEndpoint };
}

import { describe, expect, it } from 'vitest';
import { endpointPattern, profileCalls } from './api-calls.js';
import { extraCalls } from './targets.js';

describe('endpointPattern', () => {
  it('replaces container, exec and image ids, keeping the action', () => {
    expect(endpointPattern('POST', '/containers/3f2a9c/start?')).toBe('POST /containers/{id}/start');
    expect(endpointPattern('GET', '/exec/ab12/json')).toBe('GET /exec/{id}/json');
    expect(endpointPattern('GET', '/images/snapbox-fixture/tiny:1/json')).toBe('GET /images/{id}/json');
  });

  it('recognises removals, which have no action', () => {
    expect(endpointPattern('DELETE', '/images/snapbox-snapshot:abc-123?')).toBe('DELETE /images/{id}');
    expect(endpointPattern('DELETE', '/containers/3f2a9c?force=true')).toBe('DELETE /containers/{id}');
  });

  it('leaves collection endpoints alone', () => {
    expect(endpointPattern('POST', '/containers/create?')).toBe('POST /containers/create');
    expect(endpointPattern('POST', '/commit?')).toBe('POST /commit');
  });
});

describe('profileCalls and extraCalls', () => {
  const snapbox = profileCalls([
    [
      { endpoint: 'GET /images/{id}/json', ms: 3 },
      { endpoint: 'POST /containers/create', ms: 40 },
      { endpoint: 'POST /containers/{id}/start', ms: 300 },
      { endpoint: 'GET /containers/{id}/json', ms: 5 },
    ],
    [
      { endpoint: 'GET /images/{id}/json', ms: 5 },
      { endpoint: 'POST /containers/create', ms: 44 },
      { endpoint: 'POST /containers/{id}/start', ms: 320 },
      { endpoint: 'GET /containers/{id}/json', ms: 7 },
    ],
  ]);
  const floor = profileCalls([
    [
      { endpoint: 'POST /containers/create', ms: 41 },
      { endpoint: 'POST /containers/{id}/start', ms: 310 },
    ],
  ]);

  it('counts calls per repetition and takes the median time per endpoint', () => {
    expect(snapbox?.calls).toBe(4);
    expect(snapbox?.byEndpoint['GET /images/{id}/json']).toEqual({ perRep: 1, medianMs: 4 });
  });

  it('names the calls snapbox makes beyond the floor, costliest first', () => {
    expect(extraCalls(snapbox, floor)).toEqual([
      { endpoint: 'GET /containers/{id}/json', extra: 1, medianMs: 6 },
      { endpoint: 'GET /images/{id}/json', extra: 1, medianMs: 4 },
    ]);
  });

  it('has nothing to profile without repetitions', () => {
    expect(profileCalls([])).toBeUndefined();
  });
});

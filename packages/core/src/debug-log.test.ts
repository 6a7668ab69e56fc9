import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDebugLog, isDebugEnabled } from './debug-log.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('isDebugEnabled', () => {
  it('is off when neither DEBUG nor NODE_DEBUG names the namespace', () => {
    expect(isDebugEnabled('snapbox:docker', {})).toBe(false);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: '', NODE_DEBUG: '' })).toBe(false);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'express:*,snapbox:daytona' })).toBe(false);
    expect(isDebugEnabled('snapbox:docker', { NODE_DEBUG: 'fs,net' })).toBe(false);
  });

  it('follows the debug package: exact names, * wildcards, - to switch off, commas or spaces', () => {
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'snapbox:docker' })).toBe(true);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'snapbox:*' })).toBe(true);
    expect(isDebugEnabled('snapbox:docker:http', { DEBUG: 'snapbox:*' })).toBe(true);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: '*' })).toBe(true);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'other snapbox:d*' })).toBe(true);
    // As in the debug package, a bare name is that namespace only.
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'snapbox' })).toBe(false);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'snapbox:dock' })).toBe(false);
    expect(isDebugEnabled('snapbox:presets', { DEBUG: 'snapbox:*,-snapbox:presets' })).toBe(false);
    expect(isDebugEnabled('snapbox:docker', { DEBUG: 'snapbox:*,-snapbox:presets' })).toBe(true);
    // Regular-expression characters in a pattern are literal.
    expect(isDebugEnabled('snapboxXdocker', { DEBUG: 'snapbox.docker' })).toBe(false);
  });

  it('follows NODE_DEBUG: a name switches on its namespace and all under it, case-insensitive', () => {
    expect(isDebugEnabled('snapbox:docker', { NODE_DEBUG: 'snapbox' })).toBe(true);
    expect(isDebugEnabled('snapbox:cleanup', { NODE_DEBUG: 'net, SNAPBOX' })).toBe(true);
    expect(isDebugEnabled('snapbox:docker:http', { NODE_DEBUG: 'snapbox:docker' })).toBe(true);
    expect(isDebugEnabled('snapbox:presets', { NODE_DEBUG: 'snapbox:docker' })).toBe(false);
    expect(isDebugEnabled('snapbox:presets', { NODE_DEBUG: 'snap*' })).toBe(true);
    expect(isDebugEnabled('snapboxer', { NODE_DEBUG: 'snapbox' })).toBe(false);
  });

  it('lets a DEBUG exclusion win over NODE_DEBUG', () => {
    expect(isDebugEnabled('snapbox:docker:http', { NODE_DEBUG: 'snapbox', DEBUG: '-snapbox:docker:http' })).toBe(false);
  });
});

describe('createDebugLog', () => {
  it('does nothing, and says so, when its namespace is off', () => {
    const lines: string[] = [];
    const log = createDebugLog('snapbox:docker', { env: { DEBUG: 'snapbox:presets' }, write: (l) => lines.push(l) });
    log('never %s', 'written');
    expect(log.enabled).toBe(false);
    expect(log.namespace).toBe('snapbox:docker');
    expect(lines).toEqual([]);
  });

  it('writes one line with time, namespace, pid, the formatted message and the delta since its last line', () => {
    vi.useFakeTimers({ now: new Date('2026-11-28T10:00:00.000Z') });
    const lines: string[] = [];
    const log = createDebugLog('snapbox:docker', { env: { DEBUG: 'snapbox:*' }, write: (l) => lines.push(l) });
    expect(log.enabled).toBe(true);
    log('exec %s exited %d', 'ls', 0);
    vi.advanceTimersByTime(42);
    log('details', { id: 'abc', nested: { list: [1, 2] } });
    expect(lines).toEqual([
      `2026-11-28T10:00:00.000Z snapbox:docker[${process.pid}] exec ls exited 0 +0ms\n`,
      `2026-11-28T10:00:00.042Z snapbox:docker[${process.pid}] details { id: 'abc', nested: { list: [ 1, 2 ] } } +42ms\n`,
    ]);
  });

  it('writes to stderr by default, never stdout', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write');
    createDebugLog('snapbox:cleanup', { env: { NODE_DEBUG: 'snapbox' } })('removed %d', 3);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/ snapbox:cleanup\[\d+\] removed 3 \+0ms\n$/);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('reads process.env when no env is given', () => {
    vi.stubEnv('DEBUG', 'snapbox:core-test');
    vi.stubEnv('NODE_DEBUG', '');
    try {
      expect(createDebugLog('snapbox:core-test').enabled).toBe(true);
      expect(createDebugLog('snapbox:other').enabled).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

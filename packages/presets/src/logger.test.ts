import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultLogger } from './logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('defaultLogger', () => {
  it('is the snapbox:presets debug log: silent unless DEBUG, NODE_DEBUG or the older SNAPBOX_DEBUG switch it on', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write');
    for (const env of [
      {},
      { SNAPBOX_DEBUG: '' },
      { SNAPBOX_DEBUG: '0' },
      { SNAPBOX_DEBUG: 'false' },
      { SNAPBOX_DEBUG: 'FALSE' },
      { DEBUG: 'snapbox:docker' },
      { DEBUG: 'snapbox:*,-snapbox:presets' },
      { NODE_DEBUG: 'net' },
    ]) {
      defaultLogger(env).debug('quiet');
    }
    expect(stderr).not.toHaveBeenCalled();
    for (const env of [
      { SNAPBOX_DEBUG: '1' },
      { DEBUG: 'snapbox:*' },
      { DEBUG: 'snapbox:presets' },
      { NODE_DEBUG: 'snapbox' },
    ]) {
      defaultLogger(env).debug('loud', { some: 'data' });
    }
    const lines = stderr.mock.calls.map((call) => String(call[0]));
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/Z snapbox:presets\[\d+\] loud \+0ms\n$/);
    // stdout stays clean: it carries the program's own output.
    expect(stdout).not.toHaveBeenCalled();
  });
});

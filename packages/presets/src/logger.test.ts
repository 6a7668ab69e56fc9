import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultLogger } from './logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('defaultLogger', () => {
  it('is silent unless SNAPBOX_DEBUG is set', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    for (const value of [undefined, '', '0', 'false', 'FALSE']) defaultLogger({ SNAPBOX_DEBUG: value }).debug('quiet');
    expect(error).not.toHaveBeenCalled();
    defaultLogger({ SNAPBOX_DEBUG: '1' }).debug('loud', { some: 'data' });
    expect(error).toHaveBeenCalledExactlyOnceWith('[snapbox] loud');
    // stdout stays clean: console.debug writes to stdout in Node.
    expect(debug).not.toHaveBeenCalled();
  });
});

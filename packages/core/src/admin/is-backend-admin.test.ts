import { describe, expect, it } from 'vitest';
import { isBackendAdmin } from './is-backend-admin.js';

describe('isBackendAdmin', () => {
  it('checks the shape, not the class', () => {
    const admin = {
      backend: 'x',
      describeTarget: () => ({ description: 'here' }),
      list: async () => [],
      prune: async () => ({}),
    };
    expect(isBackendAdmin(admin)).toBe(true);
    expect(isBackendAdmin({ ...admin, backend: '' })).toBe(false);
    expect(isBackendAdmin({ ...admin, prune: undefined })).toBe(false);
    expect(isBackendAdmin(null)).toBe(false);
    expect(isBackendAdmin(() => admin)).toBe(false);
  });
});

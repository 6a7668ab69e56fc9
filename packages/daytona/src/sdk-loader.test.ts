import { BackendUnavailableError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { loadDaytonaSdk } from './sdk-loader.js';

describe('loadDaytonaSdk', () => {
  it('loads the installed SDK', async () => {
    const sdk = await loadDaytonaSdk();
    expect(typeof sdk.Daytona).toBe('function');
    expect(typeof sdk.Image.fromDockerfile).toBe('function');
  });

  it('tells the user to install the SDK when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@daytonaio/sdk' imported from /app/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadDaytonaSdk(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('npm install @daytonaio/sdk');
    expect((error as Error).cause).toBe(missing);
  });

  it('reports any other load failure with its reason', async () => {
    const broken = new SyntaxError('Unexpected token');
    const error = await loadDaytonaSdk(() => Promise.reject(broken)).catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed to load: Unexpected token');
  });
});

import type { Daytona, Sandbox } from '@daytonaio/sdk';
import { describe, expectTypeOf, it } from 'vitest';
import type { DaytonaClient, DaytonaSandbox, DaytonaSdkModule } from './client-types.js';

describe('the structural client types', () => {
  it('are satisfied by the real SDK classes', () => {
    expectTypeOf<Daytona>().toExtend<DaytonaClient>();
    expectTypeOf<Sandbox>().toExtend<DaytonaSandbox>();
    expectTypeOf<typeof import('@daytonaio/sdk')>().toExtend<DaytonaSdkModule>();
  });

  it('require the session and file methods the backend calls', () => {
    expectTypeOf<DaytonaSandbox['process']>().toHaveProperty('getSessionCommandLogs');
    expectTypeOf<DaytonaSandbox['fs']>().toHaveProperty('downloadFiles');
    expectTypeOf<{ id: string }>().not.toExtend<DaytonaSandbox>();
  });
});

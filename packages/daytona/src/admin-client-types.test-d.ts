import type { Daytona } from '@daytonaio/sdk';
import { describe, expectTypeOf, it } from 'vitest';
import type { DaytonaAdminClient } from './admin-client-types.js';
import type { DaytonaClient } from './client-types.js';

describe('the admin client types', () => {
  it('fit the real SDK client, listing included', () => {
    expectTypeOf<Daytona>().toExtend<DaytonaAdminClient>();
    // A client without the listing calls is not one.
    expectTypeOf<DaytonaClient>().not.toExtend<DaytonaAdminClient>();
  });
});

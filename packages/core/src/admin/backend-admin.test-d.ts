import { describe, expectTypeOf, it } from 'vitest';
import type {
  AdminResource,
  BackendAdmin,
  BackendAdminModule,
  PruneResourcesOptions,
  PruneResourcesReport,
} from '../index.js';
import { pruneResources } from '../index.js';

describe('the admin interface', () => {
  it('is implemented by a plain object built on pruneResources', () => {
    const list = async (): Promise<AdminResource[]> => [];
    const admin = {
      backend: 'third-party',
      describeTarget: () => ({ description: 'a folder' }),
      list,
      prune: (options: PruneResourcesOptions = {}) =>
        pruneResources(options, { backend: 'third-party', list, remove: async () => undefined }),
    };
    expectTypeOf(admin).toExtend<BackendAdmin>();
    expectTypeOf<ReturnType<BackendAdmin['prune']>>().toEqualTypeOf<Promise<PruneResourcesReport>>();
  });

  it('takes a createAdmin with options of its own, sync or async', () => {
    const createAdmin = (_options?: { apiKey?: string }): BackendAdmin => ({}) as BackendAdmin;
    expectTypeOf({ createAdmin }).toExtend<BackendAdminModule>();
    expectTypeOf({ createAdmin: async () => createAdmin() }).toExtend<BackendAdminModule>();
    expectTypeOf({
      createAdmin: (options: { apiKey: string }) => createAdmin(options),
    }).not.toExtend<BackendAdminModule>();
  });
});

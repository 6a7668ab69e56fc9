/**
 * The admin module of `@snapbox/docker`, declared in its package.json (`"snapbox": { "admin":
 * "./admin" }`) so that the `snapbox` command line finds it: `createAdmin()` lists and prunes
 * what snapbox made on the engine this process would use.
 */

export type { DockerAdminResource } from './admin-resources.js';
export { createDockerAdmin as createAdmin } from './docker-admin.js';

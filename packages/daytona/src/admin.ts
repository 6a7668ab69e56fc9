/**
 * The admin module of `@snapbox/daytona`, declared in its package.json (`"snapbox": { "admin":
 * "./admin" }`) so that the `snapbox` command line finds it: `createAdmin()` lists and prunes
 * the sandboxes and snapshots snapbox made, with the credentials of the environment. It does not
 * load the Daytona SDK until it lists.
 */
export { createDaytonaAdmin as createAdmin } from './daytona-admin.js';

/**
 * The admin module of `@snapbox/bubblewrap`, declared in its package.json (`"snapbox": { "admin":
 * "./admin" }`) so that the `snapbox` command line finds it: `createAdmin()` lists and prunes the
 * containers and snapshots recorded in the default state folder (`SNAPBOX_BUBBLEWRAP_STATE_DIR`,
 * else `/var/lib/snapbox-bubblewrap` for root, else `$XDG_DATA_HOME/snapbox-bubblewrap`).
 */

export { type BubblewrapAdminResource, createBubblewrapAdmin as createAdmin } from './bubblewrap-admin.js';

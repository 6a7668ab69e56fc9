// Preloaded with `node --import`: records the URL of every module the program imports, one a
// line, in the file named by SNAPBOX_IMPORT_LOG. The resolve hook runs in Node's loader thread
// and writes synchronously, so the log is complete when the program exits, however it exits.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { log: process.env.SNAPBOX_IMPORT_LOG } });

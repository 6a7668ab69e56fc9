import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const found = new Map<string, string>();

/**
 * The absolute path of a host program, looked up once in this process's PATH. Commands run in a
 * sandbox get the container's environment, whose PATH is the image's: the host helpers that carry
 * them (nsenter) must not be looked up there. Falls back to the bare name (spawn then reports it
 * missing).
 */
export function hostBinary(name: string): string {
  let path = found.get(name);
  if (path === undefined) {
    path = name;
    for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        path = candidate;
        break;
      } catch {
        // Not here.
      }
    }
    found.set(name, path);
  }
  return path;
}

/** The environment of host helpers that start sandboxes: the host's PATH and nothing else, so no host secret reaches a sandbox. */
export function helperEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
}

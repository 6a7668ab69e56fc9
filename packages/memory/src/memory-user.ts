import { InvalidArgumentError } from '@snapbox/core';
import type { MemoryFileTree } from './memory-file-tree.js';
import { fileContent } from './memory-file-tree.js';
import type { ShellUser } from './mini-shell.js';
import { decodeUtf8 } from './shell-streams.js';

/** A user as the memory backend runs commands: its ids and names, and its home folder. */
export interface ResolvedUser extends ShellUser {
  readonly home: string;
}

/** The fields of a `/etc/passwd` or `/etc/group` line, by name. */
function readTable(tree: MemoryFileTree, path: string): string[][] {
  const node = tree.lookup(path);
  if (node?.kind !== 'file') return [];
  return decodeUtf8(fileContent(node))
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

/**
 * Resolves `'uid[:gid]'` or `'name[:group]'` against the image's `/etc/passwd` and `/etc/group`,
 * as a container engine does: a number needs no entry; a name does.
 * @throws InvalidArgumentError naming `argument` for a name the image does not know.
 */
export function resolveUser(spec: string, tree: MemoryFileTree, argument: string): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':');
  const passwd = readTable(tree, '/etc/passwd');
  const groups = readTable(tree, '/etc/group');
  const numeric = /^\d+$/.test(userPart);
  const entry = numeric
    ? passwd.find((fields) => fields[2] === userPart)
    : passwd.find((fields) => fields[0] === userPart);
  if (!numeric && entry === undefined) {
    throw new InvalidArgumentError({
      argument,
      message: `the image has no user ${JSON.stringify(userPart)} in /etc/passwd; use a numeric uid[:gid] or a name it lists`,
    });
  }
  const uid = numeric ? Number(userPart) : Number(entry?.[2]);
  let gid = Number(entry?.[3] ?? 0);
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group =
        groups.find((fields) => fields[0] === groupPart) ?? (groupPart === 'root' ? ['root', 'x', '0'] : undefined);
      if (group === undefined) {
        throw new InvalidArgumentError({
          argument,
          message: `the image has no group ${JSON.stringify(groupPart)} in /etc/group; use a numeric gid or a name it lists`,
        });
      }
      gid = Number(group[2]);
    }
  }
  const groupName = groups.find((fields) => fields[2] === String(gid))?.[0] ?? (gid === 0 ? 'root' : undefined);
  return {
    uid,
    gid,
    name: entry?.[0],
    group: groupName,
    home: entry?.[5] || (uid === 0 ? '/root' : '/'),
  };
}

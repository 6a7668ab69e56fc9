import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { SnapboxError } from '@snapbox/core';
import { hostBinary } from './host-binaries.js';
import { mustRun } from './host-tools.js';

/** A block of subordinate ids of one user, from `/etc/subuid` or `/etc/subgid`. */
export interface IdRange {
  start: number;
  count: number;
}

/**
 * What an ordinary user's sandboxes map: container root is the user's own uid and gid, and
 * container ids 1..count are the user's subordinate ids (the layout of rootless Podman). Written
 * by the setuid helpers `newuidmap` and `newgidmap` (package uidmap), which check the ranges
 * against `/etc/subuid` and `/etc/subgid`.
 */
export interface SubordinateIds {
  uid: number;
  gid: number;
  uids: IdRange;
  gids: IdRange;
  newuidmap: string;
  newgidmap: string;
}

/** How the user namespaces of this process's sandboxes map ids. */
export type IdMapping =
  /** Root: the first 65536 ids, identity-mapped (written directly). */
  | { kind: 'root' }
  /** An ordinary user with a subordinate range and the helpers that map it. */
  | { kind: 'range'; ids: SubordinateIds }
  /** An ordinary user without one: only that user, as root inside; `missing` says what is lacking. */
  | { kind: 'single'; missing: string };

/** The entries of `/etc/subuid` or `/etc/subgid` for a user (by name or number), first block first. */
export function rangesFor(text: string, name: string, id: number): IdRange[] {
  const found: IdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== name && owner !== String(id)) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count) || Number(count) < 1) continue;
    found.push({ start: Number(start), count: Number(count) });
  }
  return found;
}

/** What {@link decideIdMapping} looks at, gathered by {@link detectIdMapping}. */
export interface IdMappingFacts {
  uid: number;
  gid: number;
  name: string;
  /** The text of /etc/subuid and /etc/subgid; undefined when the file is missing or unreadable. */
  subuid: string | undefined;
  subgid: string | undefined;
  /** Absolute paths of the helpers; undefined when not installed. */
  newuidmap: string | undefined;
  newgidmap: string | undefined;
}

/** Decides the mapping from the facts; `missing` lists every gap with its fix. */
export function decideIdMapping(facts: IdMappingFacts): IdMapping {
  if (facts.uid === 0) return { kind: 'root' };
  const uids = facts.subuid === undefined ? [] : rangesFor(facts.subuid, facts.name, facts.uid);
  const gids = facts.subgid === undefined ? [] : rangesFor(facts.subgid, facts.name, facts.uid);
  const gaps: string[] = [];
  const who = `${facts.name} (uid ${facts.uid})`;
  if (uids.length === 0) gaps.push(`/etc/subuid has no range for ${who}`);
  if (gids.length === 0) gaps.push(`/etc/subgid has no range for ${who}`);
  const helpers = [facts.newuidmap === undefined ? 'newuidmap' : '', facts.newgidmap === undefined ? 'newgidmap' : '']
    .filter((name) => name !== '')
    .join(' and ');
  if (helpers !== '') gaps.push(`${helpers} ${helpers.includes(' and ') ? 'are' : 'is'} not installed`);
  const [uidRange] = uids;
  const [gidRange] = gids;
  if (gaps.length > 0 || uidRange === undefined || gidRange === undefined) {
    const fixes: string[] = [];
    if (uids.length === 0 || gids.length === 0) {
      fixes.push(
        `give the user a range of subordinate ids (as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${facts.name})`,
      );
    }
    if (helpers !== '') fixes.push('install the package uidmap (apt-get install uidmap; shadow-utils elsewhere)');
    return { kind: 'single', missing: `${gaps.join(', and ')}: ${fixes.join(', and ')}` };
  }
  return {
    kind: 'range',
    ids: {
      uid: facts.uid,
      gid: facts.gid,
      uids: uidRange,
      gids: gidRange,
      newuidmap: facts.newuidmap as string,
      newgidmap: facts.newgidmap as string,
    },
  };
}

function readQuietly(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function installed(name: string): string | undefined {
  const path = hostBinary(name);
  return path.startsWith('/') ? path : undefined;
}

let detected: IdMapping | undefined;

/**
 * The mapping of this process's sandboxes: two small files and a PATH lookup, read once per
 * process (the answer is the user's, the same for every factory and state folder).
 */
export function detectIdMapping(): IdMapping {
  if (detected === undefined) {
    const uid = process.getuid?.() ?? 0;
    let name = String(uid);
    try {
      name = userInfo().username;
    } catch {
      // No passwd entry: /etc/subuid may still name the uid.
    }
    detected = decideIdMapping({
      uid,
      gid: process.getgid?.() ?? 0,
      name,
      subuid: uid === 0 ? undefined : readQuietly('/etc/subuid'),
      subgid: uid === 0 ? undefined : readQuietly('/etc/subgid'),
      newuidmap: uid === 0 ? undefined : installed('newuidmap'),
      newgidmap: uid === 0 ? undefined : installed('newgidmap'),
    });
  }
  return detected;
}

/** The arguments of `newuidmap` / `newgidmap` for `pid`: root to the user, 1.. to the range. */
export function idMapArgs(ids: SubordinateIds, pid: number): { uid: string[]; gid: string[] } {
  return {
    uid: [String(pid), '0', String(ids.uid), '1', '1', String(ids.uids.start), String(ids.uids.count)],
    gid: [String(pid), '0', String(ids.gid), '1', '1', String(ids.gids.start), String(ids.gids.count)],
  };
}

/** Writes the id maps of the user namespace of `pid` (which must have made it and be waiting). */
export async function mapSubordinateIds(ids: SubordinateIds, pid: number): Promise<void> {
  const args = idMapArgs(ids, pid);
  // Side by side: the process waits until both are written.
  await Promise.all([
    mustRun([ids.newuidmap, ...args.uid], `map the user ids of process ${pid}`),
    mustRun([ids.newgidmap, ...args.gid], `map the group ids of process ${pid}`),
  ]);
}

/** {@link mapSubordinateIds}, blocking. */
export function mapSubordinateIdsSync(ids: SubordinateIds, pid: number): void {
  const args = idMapArgs(ids, pid);
  for (const [helper, argv] of [
    [ids.newuidmap, args.uid],
    [ids.newgidmap, args.gid],
  ] as const) {
    const result = spawnSync(helper, argv, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) {
      throw new SnapboxError('HOST_TOOL_FAILED', {
        message: `Could not map the ids of process ${pid}: ${helper} exited ${result.status ?? result.signal}: ${(result.stderr ?? String(result.error)).trim()}`,
        cause: result.error,
      });
    }
  }
}

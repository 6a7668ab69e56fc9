import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentSession } from '@snapbox/core';
import { randomId } from './store-layout.js';

/** Who made a resource: the bubblewrap backend's form of core's owner labels. */
export interface OwnerInfo {
  /** The session id of the owner process. */
  session: string;
  /** The owner process id. */
  pid: number;
  /** The owner's host name. */
  host: string;
  /** When the owner process started, in ms since the epoch (tells a reused pid apart). */
  processStartedAt: number;
}

/** This process as an owner. */
export function currentOwner(): OwnerInfo {
  const session = currentSession();
  return { session: session.id, pid: session.pid, host: session.host, processStartedAt: session.processStartedAt };
}

/** What an image (or a root filesystem) says about how to run commands in it. */
export interface ImageConfig {
  /** `NAME=value` entries, as in an OCI image config. */
  env: string[];
  /** The working directory; `''` means `/`. */
  workdir: string;
  /** The user commands run as (`name`, `uid` or `uid:gid`); `''` means root. */
  user: string;
}

/** The read-only bottom of a container's filesystem and where it came from. */
export interface RootImage {
  /** The image folder (absolute), or undefined when the layers hold the whole tree (flattened). */
  rootfs: string | undefined;
  /** How to run commands. */
  config: ImageConfig;
  /** The image name, folder or Dockerfile the lineage started from (for listings). */
  baseImage: string;
}

/** A snapshot: an ordered stack of layers over an image. */
export interface SnapshotRecord {
  id: string;
  /** Layer ids, top first. */
  layers: string[];
  image: RootImage;
  /** The snapshot the container was restored from, if any (lineage). */
  parentSnapshot: string | undefined;
  keep: boolean;
  createdAt: number;
  owner: OwnerInfo;
  /**
   * The caller's labels of the container it was taken from (a Go-Explore run's id, say), as the
   * Docker backend puts them on its snapshot images; absent in records of earlier versions.
   */
  labels?: Record<string, string>;
}

/** A container, as written to `containers/<id>/record.json` while it exists. */
export interface ContainerRecord {
  id: string;
  name: string | undefined;
  /** Layer ids under its own writable layer, top first (each pinned by `c-<id>`). */
  layers: string[];
  image: RootImage;
  parentSnapshot: string | undefined;
  labels: Record<string, string>;
  createdAt: number;
  owner: OwnerInfo;
  /**
   * The bwrap process (host pid) and its start time, once started, and the other processes that
   * hold the sandbox (a pre-built sandbox's blocked init and its agent); cleanup kills them.
   */
  sandbox?: { pid: number; startedAt: number | undefined; others?: { pid: number; startedAt: number | undefined }[] };
  /** The cgroup folders of the container, one per hierarchy; cleanup removes them. */
  cgroups: string[];
}

/** Writes JSON so that readers see the old file or the new one, never half of one. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temporary = join(path, '..', `.${randomId()}.tmp`);
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, path);
}

/** Reads a JSON file; undefined when it does not exist. */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

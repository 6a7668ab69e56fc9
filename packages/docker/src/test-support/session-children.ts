import { fileURLToPath } from 'node:url';
import { type NodeChild, spawnNode, tinyImage } from '@snapbox/test-support';
import type Docker from 'dockerode';
import { expect } from 'vitest';
import { engineHelpers } from './engine.js';

/** What session-child.mjs reports once it has made its containers and snapshots. */
export interface SessionChildReport {
  session: string;
  pid: number;
  ids: string[];
  snapshots: string[];
  kept: string;
}

const childScript = fileURLToPath(new URL('./session-child.mjs', import.meta.url));

/**
 * Runs session-child.mjs: a program that makes containers and snapshots (one of them kept, one
 * deleted while in use), reports them, then ends the way `ending` says (`normal`, `exit`,
 * `uncaught`, `rejection`, `own-handler`; anything else waits for a signal). `env` is its whole
 * environment: it finds its engine there.
 */
export function runSessionChild(ending: string, env: NodeJS.ProcessEnv = process.env): NodeChild {
  return spawnNode(childScript, [ending, tinyImage], { env });
}

/**
 * Expects everything of the child's session gone from the engine `client` reaches, waiting up to
 * `withinMs`, but for the kept snapshot and the images it is built on (on Docker, deleted parent
 * snapshots remain as its storage). Then removes the kept snapshot, as its owner would, and
 * expects that to free the rest.
 */
export async function expectSessionGone(client: Docker, report: SessionChildReport, withinMs = 0): Promise<void> {
  const { sessionLeftovers } = engineHelpers(client);
  const kept = new Set<string>();
  for (let id: string | undefined = report.kept; id; ) {
    const info: { Id: string; Parent: string } | undefined = await client
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    if (info === undefined) break;
    kept.add(info.Id);
    id = info.Parent || undefined;
  }
  const unexpected = async () => {
    const left = await sessionLeftovers(report.session);
    return { containers: left.containers, images: left.images.filter((id) => !kept.has(id)) };
  };
  const deadline = Date.now() + withinMs;
  let left = await unexpected();
  while (Date.now() < deadline && left.containers.length + left.images.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = await unexpected();
  }
  expect(left).toEqual({ containers: [], images: [] });
  await client.getImage(report.kept).remove();
  expect(await sessionLeftovers(report.session)).toEqual({ containers: [], images: [] });
}

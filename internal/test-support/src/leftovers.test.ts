import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyImage } from './fixture-images.js';
import { dockerCli, leftovers, removeLabelled } from './leftovers.js';

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const label = `org.snapbox.test-support.leftovers=${randomUUID()}`;

afterAll(() => {
  // Whatever the test left (it removes everything itself when it passes).
  for (const id of docker('ps', '--all', '--quiet', '--filter', `label=${label}`).split('\n').filter(Boolean))
    docker('rm', '--force', id);
  for (const id of docker('images', '--quiet', '--filter', `label=${label}`).split('\n').filter(Boolean))
    execFileSync('docker', ['rmi', '--force', id], { stdio: 'ignore' });
});

describe('leftovers and removeLabelled (through the docker command)', () => {
  it('find what carries the labels, and remove it, an image that has a child included', async () => {
    expect(await leftovers(dockerCli, [label])).toEqual({ containers: [], images: [] });
    const first = docker('create', '--label', label, tinyImage, 'true');
    const parent = docker('commit', '--change', `LABEL ${label}`, first);
    const second = docker('create', parent, 'true');
    const child = docker('commit', second);
    docker('rm', second);
    const unlabelled = docker('create', tinyImage, 'true');
    try {
      const found = await leftovers(dockerCli, [label]);
      expect(found.containers).toEqual([first]);
      expect(found.images.sort()).toEqual([parent, child].sort());
      await removeLabelled(dockerCli, [label]);
      expect(await leftovers(dockerCli, [label])).toEqual({ containers: [], images: [] });
      // What lacks the label is left alone.
      expect(docker('ps', '--all', '--quiet', '--no-trunc', '--filter', `id=${unlabelled}`)).toBe(unlabelled);
    } finally {
      docker('rm', '--force', unlabelled);
    }
  });
});

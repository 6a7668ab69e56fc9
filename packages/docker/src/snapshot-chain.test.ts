import { snapboxLabels } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { expect, it } from 'vitest';
import { createDockerFactory, type DockerContainer } from './index.js';
import { engine, sessionLeftovers } from './test-support/engine.js';

const generations = 300;

it(
  `restore → change → snapshot works ${generations} generations deep, flattening before the engine's layer limit`,
  async () => {
    const factory = createDockerFactory();
    const baseConfig = (await engine.getImage(tinyImage).inspect()).Config;
    let container: DockerContainer = factory.fromImage({ image: tinyImage });
    await container.start();
    let snapshotId = await container.snapshot();
    await container.stop();
    let deepestLayers = 0;
    // The previous generation is stopped and its snapshot deleted while the next one runs, as
    // an exploration loop would do; the test waits for all of it at the end.
    const retiring: Promise<void>[] = [];
    for (let generation = 1; generation <= generations; generation++) {
      const next = container.fromSnapshot(snapshotId);
      await next.start();
      const written = await next.exec(`echo ${generation} >> /chain`);
      expect(written.exitCode).toBe(0);
      const nextSnapshot = await next.snapshot();
      const previousSnapshot = snapshotId;
      retiring.push(next.stop().then(() => next.deleteSnapshot(previousSnapshot)));
      snapshotId = nextSnapshot;
      container = next;
      if (generation % 25 === 0 || generation > 95) {
        const info = await engine.getImage(snapshotId).inspect();
        deepestLayers = Math.max(deepestLayers, info.RootFS.Layers?.length ?? 0);
      }
    }
    await Promise.all(retiring);
    expect(deepestLayers).toBeLessThanOrEqual(125);

    const last = container.fromSnapshot(snapshotId);
    await last.start();
    const chain = await last.exec('cat /chain');
    expect(chain.stdout).toBe(`${Array.from({ length: generations }, (_, index) => index + 1).join('\n')}\n`);
    const info = await engine.getImage(snapshotId).inspect();
    expect(info.Config.Cmd).toEqual(baseConfig.Cmd);
    expect(info.Config.Env).toEqual(baseConfig.Env);
    expect(info.Config.Labels?.[snapboxLabels.managed]).toBe('true');
    expect(info.Config.Labels?.[snapboxLabels.baseImage]).toBe(tinyImage);
    await last.stop();
    await last.deleteSnapshot(snapshotId);
    expect(await sessionLeftovers()).toEqual({ containers: [], images: [] });
  },
  15 * 60_000,
);

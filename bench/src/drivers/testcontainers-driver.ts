import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { benchRepository } from '../bench-resources.js';
import { type Box, type Capability, type Driver, freshTag, keepAlive, type Timed, timed } from './driver.js';

/**
 * testcontainers-node for what it can do: start, exec, copy in and out, commit. It has no call
 * to delete an image (its reaper, Ryuk, does that at the end, and Ryuk is off here: its image
 * cannot be pulled), so "delete snapshot" is not measured for it.
 */
export class TestcontainersDriver implements Driver {
  readonly tool = 'testcontainers' as const;
  readonly unsupported = new Map<Capability, string>([
    ['deleteSnapshot', 'no API to delete an image (left to its Ryuk reaper)'],
  ]);
  readonly #image: string;
  readonly #labels: Record<string, string>;
  readonly #boxes = new Map<string, StartedTestContainer>();

  constructor(image: string, labels: Record<string, string>) {
    // The reaper image cannot be pulled here; the bench removes what it made itself.
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    this.#image = image;
    this.#labels = labels;
  }

  start(): Promise<Timed<Box>> {
    const [entrypoint, ...args] = keepAlive;
    return timed(() =>
      this.#track(
        new GenericContainer(this.#image)
          .withEntrypoint([entrypoint as string])
          .withCommand(args)
          .withLabels(this.#labels)
          .start(),
      ),
    );
  }

  async #track(starting: Promise<StartedTestContainer>): Promise<Box> {
    const container = await starting;
    const id = container.getId();
    this.#boxes.set(id, container);
    return { id };
  }

  #container(box: Box): StartedTestContainer {
    const container = this.#boxes.get(box.id);
    if (container === undefined) throw new Error(`testcontainers driver: unknown container ${box.id}`);
    return container;
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    const container = this.#container(box);
    return timed(async () => {
      const result = await container.exec(['bash', '-lc', command]);
      if (result.exitCode !== 0) throw new Error(`testcontainers: ${command} exited ${result.exitCode}`);
      if (expectBytes !== undefined && result.stdout.length !== expectBytes) {
        throw new Error(`testcontainers: ${command} printed ${result.stdout.length} bytes, expected ${expectBytes}`);
      }
    });
  }

  upload(box: Box, localPath: string, remotePath: string): Promise<Timed<void>> {
    const container = this.#container(box);
    return timed(() => container.copyFilesToContainer([{ source: localPath, target: remotePath }]));
  }

  download(box: Box, remotePath: string, localPath: string): Promise<Timed<void>> {
    const container = this.#container(box);
    return timed(async () => {
      const archive = (await container.copyArchiveFromContainer(remotePath)) as Readable;
      const extract = tar.extract();
      extract.on('entry', (_header, body, next) => {
        pipeline(body, createWriteStream(localPath)).then(
          () => next(),
          (error: unknown) => extract.destroy(error as Error),
        );
      });
      await pipeline(archive, extract);
    });
  }

  snapshot(box: Box): Promise<Timed<string>> {
    const container = this.#container(box);
    const tag = freshTag(this.tool);
    return timed(async () => {
      await container.commit({ repo: benchRepository, tag, deleteOnExit: false });
      return `${benchRepository}:${tag}`;
    });
  }

  restore(snapshotId: string): Promise<Timed<Box>> {
    // The committed image keeps the keep-alive entrypoint and command.
    return timed(() => this.#track(new GenericContainer(snapshotId).withLabels(this.#labels).start()));
  }

  deleteSnapshot(): Promise<Timed<void>> {
    return Promise.reject(new Error('testcontainers cannot delete an image'));
  }

  async remove(box: Box): Promise<void> {
    await this.#container(box).stop({ timeout: 0 });
    this.#boxes.delete(box.id);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#boxes.values()].map((container) => container.stop({ timeout: 0 }).catch(() => undefined)),
    );
    this.#boxes.clear();
  }
}

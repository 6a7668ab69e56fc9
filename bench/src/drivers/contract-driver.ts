import type { SnapshotableContainer, SnapshotableContainerFactory } from '@snapbox/core';
import type { Tool } from '../results.js';
import { type Box, type Capability, type Driver, type Timed, timed } from './driver.js';

/**
 * A snapbox backend driven through the contract alone, as its README shows: a factory,
 * containers, string commands. Every snapbox backend in the bench is one of these, so they are
 * timed doing exactly the same calls; a subclass only makes the factory (and cleans up after it).
 * Its containers name themselves by `id` once started (both backends have one; the contract
 * leaves it out), which the boxes are keyed by.
 */
export class ContractDriver<
  C extends SnapshotableContainer & { readonly id: string | undefined },
  F extends SnapshotableContainerFactory<C>,
> implements Driver
{
  readonly unsupported = new Map<Capability, string>();
  readonly #image: string;
  readonly #labels: Record<string, string>;
  readonly #boxes = new Map<string, C>();
  /** Never started: deleteSnapshot works on a container in any state. */
  readonly #handle: C;

  constructor(
    readonly tool: Tool,
    readonly factory: F,
    image: string,
    labels: Record<string, string>,
  ) {
    this.#image = image;
    this.#labels = labels;
    this.#handle = this.factory.fromImage({ image });
  }

  start(): Promise<Timed<Box>> {
    return timed(async () => this.#track(this.factory.fromImage({ image: this.#image, labels: this.#labels })));
  }

  async #track(container: C): Promise<Box> {
    await container.start();
    const id = container.id as string;
    this.#boxes.set(id, container);
    return { id };
  }

  container(box: Box): C {
    const container = this.#boxes.get(box.id);
    if (container === undefined) throw new Error(`${this.tool} driver: unknown container ${box.id}`);
    return container;
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    const container = this.container(box);
    return timed(async () => {
      const result = await container.exec(command);
      if (result.exitCode !== 0)
        throw new Error(`${this.tool}: ${command} exited ${result.exitCode}: ${result.stderr}`);
      if (expectBytes !== undefined && result.stdout.length !== expectBytes) {
        throw new Error(`${this.tool}: ${command} printed ${result.stdout.length} bytes, expected ${expectBytes}`);
      }
    });
  }

  upload(box: Box, localPath: string, remotePath: string): Promise<Timed<void>> {
    const container = this.container(box);
    return timed(() => container.uploadFile(localPath, remotePath));
  }

  download(box: Box, remotePath: string, localPath: string): Promise<Timed<void>> {
    const container = this.container(box);
    return timed(() => container.downloadFile(remotePath, localPath));
  }

  snapshot(box: Box): Promise<Timed<string>> {
    const container = this.container(box);
    return timed(() => container.snapshot());
  }

  restore(snapshotId: string): Promise<Timed<Box>> {
    return timed(() => this.#track(this.factory.fromSnapshot({ snapshotId, labels: this.#labels })));
  }

  deleteSnapshot(snapshotId: string): Promise<Timed<void>> {
    return timed(() => this.#handle.deleteSnapshot(snapshotId));
  }

  async remove(box: Box): Promise<void> {
    await this.container(box).stop();
    this.#boxes.delete(box.id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#boxes.values()].map((container) => container.stop().catch(() => undefined)));
    this.#boxes.clear();
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BubblewrapContainer, type BubblewrapFactory, createBubblewrapFactory } from '@snapbox/bubblewrap';
import { type Box, type Capability, type Driver, type Timed, timed } from './driver.js';

/**
 * snapbox's daemonless backend (`@snapbox/bubblewrap`), used as its README shows: the same image
 * name, read once from the local engine; containers are bubblewrap sandboxes, not engine
 * containers. Its state folder is a fresh temporary one per driver, removed at `close()`.
 */
export class BubblewrapDriver implements Driver {
  readonly tool = 'bubblewrap' as const;
  readonly unsupported = new Map<Capability, string>();
  readonly factory: BubblewrapFactory;
  readonly #stateDir: string;
  readonly #image: string;
  readonly #labels: Record<string, string>;
  readonly #boxes = new Map<string, BubblewrapContainer>();
  /** Never started: deleteSnapshot works on a container in any state. */
  readonly #handle: BubblewrapContainer;

  constructor(image: string, labels: Record<string, string>) {
    this.#stateDir = mkdtempSync(join(tmpdir(), 'snapbox-bench-bwrap-'));
    this.factory = createBubblewrapFactory({ stateDir: this.#stateDir });
    this.#image = image;
    this.#labels = labels;
    this.#handle = this.factory.fromImage({ image });
  }

  start(): Promise<Timed<Box>> {
    return timed(async () => this.#track(this.factory.fromImage({ image: this.#image, labels: this.#labels })));
  }

  async #track(container: BubblewrapContainer): Promise<Box> {
    await container.start();
    const id = container.id as string;
    this.#boxes.set(id, container);
    return { id };
  }

  container(box: Box): BubblewrapContainer {
    const container = this.#boxes.get(box.id);
    if (container === undefined) throw new Error(`bubblewrap driver: unknown container ${box.id}`);
    return container;
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    const container = this.container(box);
    return timed(async () => {
      const result = await container.exec(command);
      if (result.exitCode !== 0) throw new Error(`bubblewrap: ${command} exited ${result.exitCode}: ${result.stderr}`);
      if (expectBytes !== undefined && result.stdout.length !== expectBytes) {
        throw new Error(`bubblewrap: ${command} printed ${result.stdout.length} bytes, expected ${expectBytes}`);
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
    rmSync(this.#stateDir, { recursive: true, force: true });
  }
}

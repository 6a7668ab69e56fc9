import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BubblewrapContainer, type BubblewrapFactory, createBubblewrapFactory } from '@snapbox/bubblewrap';
import { ContractDriver } from './contract-driver.js';

/**
 * snapbox's daemonless backend (`@snapbox/bubblewrap`), used as its README shows: the same image
 * name, read once from the local engine; containers are bubblewrap sandboxes, not engine
 * containers. Its state folder is a fresh temporary one per driver, removed at `close()`.
 */
export class BubblewrapDriver extends ContractDriver<BubblewrapContainer, BubblewrapFactory> {
  readonly #stateDir: string;

  constructor(image: string, labels: Record<string, string>) {
    const stateDir = mkdtempSync(join(tmpdir(), 'snapbox-bench-bwrap-'));
    super('bubblewrap', createBubblewrapFactory({ stateDir }), image, labels);
    this.#stateDir = stateDir;
  }

  override async close(): Promise<void> {
    await super.close();
    // stop() and deleteSnapshot() leave their removals to the background.
    await this.factory.settled().catch(() => undefined);
    rmSync(this.#stateDir, { recursive: true, force: true });
  }
}

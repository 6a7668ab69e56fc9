import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { benchRepository } from '../bench-resources.js';
import { type Box, type Capability, type Driver, freshTag, keepAlive, type Timed, timed } from './driver.js';

/**
 * The floor: the fewest Engine API calls that do each job, made directly with dockerode, with
 * the same container config as snapbox (keep-alive entrypoint, init) so the engine does the
 * same work. No validation, no labels beyond the bench's, no bookkeeping.
 */
export class FloorDriver implements Driver {
  readonly tool = 'floor' as const;
  readonly unsupported = new Map<Capability, string>();
  readonly docker: Docker;
  readonly #image: string;
  readonly #labels: Record<string, string>;

  constructor(docker: Docker, image: string, labels: Record<string, string>) {
    this.docker = docker;
    this.#image = image;
    this.#labels = labels;
  }

  start(): Promise<Timed<Box>> {
    return timed(() => this.#run({ Image: this.#image, Entrypoint: keepAlive, Cmd: [] }));
  }

  async #run(config: Docker.ContainerCreateOptions): Promise<Box> {
    const container = await this.docker.createContainer({
      ...config,
      Labels: this.#labels,
      HostConfig: { Init: true },
    });
    await container.start();
    return { id: container.id };
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    return timed(async () => {
      const { exitCode, stdout } = await floorExec(this.docker, box.id, ['bash', '-lc', command]);
      if (exitCode !== 0) throw new Error(`floor: ${command} exited ${exitCode}`);
      if (expectBytes !== undefined && stdout.length !== expectBytes) {
        throw new Error(`floor: ${command} printed ${stdout.length} bytes, expected ${expectBytes}`);
      }
    });
  }

  upload(box: Box, localPath: string, remotePath: string): Promise<Timed<void>> {
    return timed(async () => {
      const info = await stat(localPath);
      const pack = tar.pack();
      const entry = pack.entry({ name: remotePath.replace(/^\/+/, ''), size: info.size, mode: 0o644 });
      const feed = pipeline(createReadStream(localPath), entry).then(() => pack.finalize());
      await Promise.all([
        this.docker.getContainer(box.id).putArchive(pack as unknown as Readable, { path: '/' }),
        feed,
      ]);
    });
  }

  download(box: Box, remotePath: string, localPath: string): Promise<Timed<void>> {
    return timed(async () => {
      const archive = (await this.docker.getContainer(box.id).getArchive({ path: remotePath })) as unknown as Readable;
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
    const tag = freshTag(this.tool);
    return timed(async () => {
      await this.docker.getContainer(box.id).commit({ repo: benchRepository, tag });
      return `${benchRepository}:${tag}`;
    });
  }

  restore(snapshotId: string): Promise<Timed<Box>> {
    // The committed image keeps the keep-alive entrypoint of the container it came from.
    return timed(() => this.#run({ Image: snapshotId }));
  }

  deleteSnapshot(snapshotId: string): Promise<Timed<void>> {
    return timed(async () => {
      await this.docker.getImage(snapshotId).remove();
    });
  }

  async remove(box: Box): Promise<void> {
    await this.docker.getContainer(box.id).remove({ force: true });
  }

  async close(): Promise<void> {}
}

/** exec create → start (hijacked stream, read to its end) → inspect for the exit code. */
export async function floorExec(
  docker: Docker,
  containerId: string,
  argv: string[],
): Promise<{ exitCode: number; stdout: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  const raw = Buffer.concat(chunks);
  const stdout: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(offset + 4);
    if (raw[offset] === 1) stdout.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  // The engine may record the exit a moment after the stream ends: ask again at once.
  for (let attempt = 0; attempt < 1000; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === 'number') {
      return { exitCode: info.ExitCode, stdout: Buffer.concat(stdout).toString('utf8') };
    }
  }
  throw new Error(`floor: the engine never reported the exit code of ${argv.join(' ')}`);
}

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { engine } from './engine.js';

/** A blob request as the registry saw it. */
export interface BlobRequest {
  digest: string;
  /** True when the client went away before the whole blob was sent. */
  cancelled: boolean;
  /** True once the whole blob was sent. */
  finished: boolean;
}

/**
 * A minimal registry (the read side of the Distribution API v2) on loopback, serving one image
 * taken from the engine with `docker save` plus a layer of random bytes made here (a layer no
 * engine has, whatever it learned from earlier pulls), so that pulls run for real without any
 * registry on the network. Layers are sent at `bytesPerSecond`, slow enough to cancel a pull half
 * way. The engine treats a registry on 127.0.0.1 as insecure (plain HTTP) by default.
 */
export async function startLocalRegistry(
  source: string,
  options: { bytesPerSecond?: number; layerBytes?: number } = {},
): Promise<{
  /** `127.0.0.1:<port>`, the registry part of image references. */
  host: string;
  /** Every blob request so far. */
  blobRequests: BlobRequest[];
  /**
   * Each layer's digest and compressed size, in order; the last is the random one. The engine
   * downloads the saved ones too unless an earlier pull from such a registry taught it their
   * digests: an engine that built the image but never pulled it does not know them.
   */
  layers: Array<{ digest: string; size: number }>;
  close(): Promise<void>;
}> {
  const saved = await readSavedImage(source);
  const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const fresh = await randomLayer(options.layerBytes ?? 1_500_000);
  const config = JSON.parse(saved.config.toString('utf8')) as {
    rootfs: { diff_ids: string[] };
    history?: Array<Record<string, unknown>>;
  };
  config.rootfs.diff_ids.push(sha(fresh));
  config.history?.push({ created: new Date().toISOString(), created_by: 'snapbox test: random layer' });
  saved.config = Buffer.from(JSON.stringify(config));
  const layers = [...saved.layers, fresh].map((raw) => {
    const data = gzipSync(raw);
    return { data, digest: sha(data), size: data.length };
  });
  const blobs = new Map<string, { data: Buffer; layer: boolean }>();
  blobs.set(sha(saved.config), { data: saved.config, layer: false });
  for (const layer of layers) blobs.set(layer.digest, { data: layer.data, layer: true });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: saved.config.length,
        digest: sha(saved.config),
      },
      layers: layers.map((layer) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.size,
        digest: layer.digest,
      })),
    }),
  );
  const blobRequests: BlobRequest[] = [];
  const rate = options.bytesPerSecond ?? Number.POSITIVE_INFINITY;

  const send = (response: ServerResponse, data: Buffer, head: boolean, record?: BlobRequest) => {
    if (head) {
      response.end();
      return;
    }
    if (!Number.isFinite(rate)) {
      response.end(data, () => {
        if (record) record.finished = true;
      });
      return;
    }
    // A tenth of the rate every 100 ms.
    const chunk = Math.max(1, Math.floor(rate / 10));
    let offset = 0;
    const timer = setInterval(() => {
      if (response.destroyed) {
        clearInterval(timer);
        return;
      }
      const piece = data.subarray(offset, offset + chunk);
      offset += piece.length;
      if (offset >= data.length) {
        clearInterval(timer);
        response.end(piece, () => {
          if (record) record.finished = true;
        });
      } else {
        response.write(piece);
      }
    }, 100);
    response.on('close', () => {
      clearInterval(timer);
      if (record && !record.finished) record.cancelled = true;
    });
  };

  const server = createServer((request, response) => {
    const head = request.method === 'HEAD';
    const url = request.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      response.writeHead(200, {
        'Docker-Distribution-API-Version': 'registry/2.0',
        'Content-Type': 'application/json',
      });
      send(response, Buffer.from('{}'), head);
      return;
    }
    const manifestMatch = /^\/v2\/.+\/manifests\/[^/]+$/.exec(url);
    if (manifestMatch !== null) {
      response.writeHead(200, {
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        'Content-Length': manifest.length,
        'Docker-Content-Digest': sha(manifest),
      });
      send(response, manifest, head);
      return;
    }
    const blobMatch = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    const blob = blobMatch?.[1] === undefined ? undefined : blobs.get(blobMatch[1]);
    if (blobMatch?.[1] !== undefined && blob !== undefined) {
      response.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': blob.data.length,
        'Docker-Content-Digest': blobMatch[1],
      });
      const record = blob.layer && !head ? { digest: blobMatch[1], cancelled: false, finished: false } : undefined;
      if (record) blobRequests.push(record);
      send(response, blob.data, head, record);
      return;
    }
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: `no ${url}` }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the registry has no port');
  return {
    host: `127.0.0.1:${address.port}`,
    blobRequests,
    layers: layers.map(({ digest, size }) => ({ digest, size })),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A layer (a tar) of one file of random bytes, which no engine has yet. */
async function randomLayer(size: number): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'snapbox-pull-test/random.bin', mode: 0o644 }, randomBytes(size));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The config and the layer tars of an image, from `docker save`. */
async function readSavedImage(source: string): Promise<{ config: Buffer; layers: Buffer[] }> {
  const archive = (await engine.getImage(source).get()) as unknown as Readable;
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    archive.on('error', reject);
    archive.pipe(extract);
  });
  const manifest = JSON.parse((files.get('manifest.json') ?? Buffer.from('[]')).toString('utf8')) as Array<{
    Config: string;
    Layers: string[];
  }>;
  const entry = manifest[0];
  const config = entry === undefined ? undefined : files.get(entry.Config);
  if (entry === undefined || config === undefined) throw new Error(`docker save of ${source} has no image config`);
  return {
    config,
    layers: entry.Layers.map((path) => {
      const layer = files.get(path);
      if (layer === undefined) throw new Error(`docker save of ${source} lacks ${path}`);
      return layer;
    }),
  };
}

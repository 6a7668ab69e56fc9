import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BackendUnavailableError, ImageBuildError, type ProgressEvent, snapboxLabels } from '@snapbox/core';
import type { ResolvedBackend } from './bubblewrap-backend.js';
import { runTool } from './host-tools.js';
import type { RootImage } from './records.js';

/**
 * `fromDockerfile` builds through the local engine's own command line (`docker build`, or
 * `podman build` for a Podman socket), tagged `snapbox-build:<hash of the Dockerfile's path>`
 * and labelled as snapbox's build cache, then reads the result like any other image. With no
 * engine there is nothing to build with, and the error says so. The build's lines go to
 * `watch.progress` as it prints them; an abort of `watch.signal` interrupts it (the engine then
 * cancels the build, and `--force-rm` removes the step's container).
 */
export async function buildDockerfile(
  backend: ResolvedBackend,
  dockerfilePath: string,
  watch?: { signal: AbortSignal; progress(event: ProgressEvent): void },
): Promise<RootImage> {
  const path = resolve(dockerfilePath);
  if (!existsSync(path)) {
    throw new ImageBuildError({ dockerfilePath, detail: `${path} does not exist`, logTail: '' });
  }
  const engine = backend.engine();
  if (engine === undefined || !existsSync(engine.socketPath)) {
    throw new BackendUnavailableError({
      backend: 'bubblewrap',
      detail:
        'fromDockerfile builds through a local Docker or Podman engine, and no engine socket was found; start one (or set DOCKER_HOST / engineSocket), or build the root filesystem yourself and pass its folder or tarball to fromImage',
    });
  }
  const podman = engine.socketPath.includes('podman');
  const cli = podman ? 'podman' : 'docker';
  const tag = `snapbox-build:${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
  const argv = [
    cli,
    ...(podman ? ['--url', `unix://${engine.socketPath}`] : ['-H', `unix://${engine.socketPath}`]),
    'build',
    '--force-rm',
    '-t',
    tag,
    '--label',
    `${snapboxLabels.managed}=true`,
    '--label',
    `${snapboxLabels.kind}=build`,
    '-f',
    path,
    dirname(path),
  ];
  watch?.progress({ phase: 'build', message: `building ${path} with ${cli}` });
  const result = await runTool(argv, {
    ...(watch === undefined ? {} : { signal: watch.signal }),
    // BuildKit prefixes a step's output with "#<step> <seconds> "; the classic builder prints it as is.
    onLine: (line) => watch?.progress({ phase: 'build', message: line.replace(/^#\d+ \d+\.\d+ /, '') }),
  }).catch((cause: NodeJS.ErrnoException) => {
    throw new BackendUnavailableError({
      backend: 'bubblewrap',
      endpoint: `unix://${engine.socketPath}`,
      detail: `fromDockerfile needs the ${cli} command to build on the engine, and it could not be run (${cause.code ?? cause.message})`,
      cause,
    });
  });
  watch?.signal.throwIfAborted();
  if (
    result.code !== 0 &&
    /Cannot connect|connection refused|permission denied.*sock|no such file or directory.*sock/i.test(result.stderr)
  ) {
    throw new BackendUnavailableError({
      backend: 'bubblewrap',
      endpoint: `unix://${engine.socketPath}`,
      detail: `fromDockerfile builds through the engine, which does not answer (or does not let this user in): ${result.stderr.trim()}`,
    });
  }
  if (result.code !== 0) {
    throw new ImageBuildError({
      dockerfilePath,
      detail: `${cli} build exited with ${result.code}`,
      logTail: (result.stderr || result.stdout).split('\n').slice(-30).join('\n'),
    });
  }
  const image = await backend.images.resolve(tag);
  return { ...image, baseImage: dockerfilePath };
}

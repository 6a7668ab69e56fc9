import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeContainerConformance } from '@snapbox/conformance';
import {
  ContainerNotStartedError,
  ExecTimeoutError,
  ImageBuildError,
  InvalidArgumentError,
  isSnapshotable,
  isSnapshotableFactory,
  NotASnapshotError,
  SnapshotNotFoundError,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryFactory,
  type MemoryContainer,
  type MemoryExecContext,
  type MemoryFactory,
} from './memory-container.js';

// Another factory's snapshot: an id shaped exactly like this factory's own, that it did not make.
const otherFactory = createMemoryFactory();
describeContainerConformance({
  name: 'memory',
  factory: createMemoryFactory(),
  image: 'memory:base',
  foreignLookalike: {
    async create() {
      const container = otherFactory.fromImage({ image: 'memory:base' });
      await container.start();
      const id = await container.snapshot();
      await container.stop();
      return id;
    },
    async exists(id) {
      return otherFactory.listSnapshots().some((snapshot) => snapshot.id === id);
    },
    async remove(id) {
      await otherFactory.fromImage({ image: 'memory:base' }).deleteSnapshot(id);
    },
  },
  unsupported: {
    hostNetwork: 'a memory container has no network at all, so none that could reach this machine',
    pids: 'the memory shell has no processes to limit',
    ports: 'the memory shell has no sockets',
    resources: {
      cpu: 'the memory backend runs nothing real to limit',
      memoryMiB: 'the memory backend runs nothing real to limit',
      diskGiB: 'the memory backend runs nothing real to limit',
      gpu: 'the memory backend runs nothing real to limit',
    },
  },
});

it('refuses resources it cannot enforce, and records them when asked to', async () => {
  const refusing = createMemoryFactory().fromImage({ image: 'memory:base', resources: { memoryMiB: 64 } });
  const error = await refusing.start().catch((caught: unknown) => caught);
  expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
  expect((error as UnsupportedCapabilityError).capability).toBe('resources.memoryMiB');
  expect(refusing.state).toBe('created');
  const recording = createMemoryFactory({ resources: 'record' }).fromImage({
    image: 'memory:base',
    resources: { cpu: 2 },
  });
  await recording.start();
  expect(recording.resources).toEqual({ cpu: 2 });
  await recording.stop();
  expect(() => createMemoryFactory({ resources: 'ignore' as 'record' })).toThrow(/options\.resources/);
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function started(factory: MemoryFactory, env?: Record<string, string>): Promise<MemoryContainer> {
  const container = factory.fromImage({ image: 'memory:base' });
  await container.start(env === undefined ? undefined : { env });
  return container;
}

describe('memory backend specifics', () => {
  let local = '';
  beforeAll(async () => {
    local = await mkdtemp(join(tmpdir(), 'snapbox-memory-'));
  });
  afterAll(async () => {
    await rm(local, { recursive: true, force: true });
  });

  describe('a custom exec handler', () => {
    /** A one-dimensional game for a Go-Explore engine: `step N` moves, `reset` goes home. */
    const game = createMemoryFactory({
      exec: (ctx) => {
        const [verb, arg] = ctx.argv ?? [];
        if (verb === 'step') {
          const position = Number(ctx.readText('/game/position') ?? '0') + Number(arg);
          ctx.writeFile('/game/position', String(position));
          ctx.stdout(`position ${position}\n`);
          return position >= 10 ? { stdout: 'won\n' } : 0;
        }
        if (verb === 'reset') return ctx.exists('/game/position') ? ctx.shell('rm /game/position') : 0;
        return undefined;
      },
    });

    it('answers its own commands and leaves the rest to the shell', async () => {
      const container = await started(game);
      expect((await container.exec('step 3')).stdout).toBe('position 3\n');
      expect((await container.exec(['step', '4'])).stdout).toBe('position 7\n');
      expect(await container.exec('step 3')).toMatchObject({ exitCode: 0, stdout: 'position 10\nwon\n' });
      expect((await container.exec('cat /game/position && echo')).stdout).toBe('10\n');
      expect((await container.exec('reset')).exitCode).toBe(0);
      expect((await container.exec(['test', '-e', '/game/position'])).exitCode).toBe(1);
      await container.stop();
    });

    it('lets a Go-Explore style loop return to a cell by snapshot and explore from it', async () => {
      const container = await started(game);
      await container.exec('step 2');
      const cell = await container.snapshot();
      await container.exec('step 5');
      const returned = container.fromSnapshot(cell);
      await returned.start();
      expect((await returned.exec('step 1')).stdout).toBe('position 3\n');
      expect((await container.exec('step 1')).stdout).toBe('position 8\n');
      await Promise.all([container.stop(), returned.stop()]);
      await container.deleteSnapshot(cell);
    });

    it('receives argv, env, workdir, the container and output writers', async () => {
      const seen: MemoryExecContext[] = [];
      const factory = createMemoryFactory({
        exec: (ctx) => {
          seen.push(ctx);
          return undefined;
        },
      });
      const container = factory.fromImage({ image: 'memory:base', defaultWorkdir: '/work' });
      await container.start({ env: { FROM_START: 'start' } });
      await container.exec('greet "big world" $FROM_START', { env: { FROM_EXEC: 'exec' } });
      await container.exec('echo a; echo b');
      await container.exec(['printf', '%s', '$HOME'], { workdir: '/tmp' });
      const [simple, complex, argv] = seen as [MemoryExecContext, MemoryExecContext, MemoryExecContext];
      expect(simple.argv).toEqual(['greet', 'big world', 'start']);
      expect(simple.command).toBe('greet "big world" $FROM_START');
      expect(simple.env).toMatchObject({ FROM_START: 'start', FROM_EXEC: 'exec', HOME: '/root' });
      expect(simple.workdir).toBe('/work');
      expect(simple.container).toBe(container);
      expect(complex.argv).toBeUndefined();
      expect(argv.argv).toEqual(['printf', '%s', '$HOME']);
      expect(argv.workdir).toBe('/tmp');
      await container.stop();
    });

    it('accepts a number, an object with text or bytes, and streams what it writes at once', async () => {
      const chunks: string[] = [];
      const factory = createMemoryFactory({
        exec: async (ctx) => {
          if (ctx.argv?.[0] === 'code') return 42;
          if (ctx.argv?.[0] === 'delegate')
            return { exitCode: 5, output: 'ignored', stdout: 'out\n', stderr: '', truncated: false };
          if (ctx.argv?.[0] === 'bytes')
            return { exitCode: 3, stdout: new Uint8Array([0xe2, 0x9c, 0x93]), stderr: 'oops\n' };
          if (ctx.argv?.[0] === 'slow') {
            ctx.stdout('first\n');
            await ctx.sleep(200);
            ctx.stderr('second\n');
            return {};
          }
          return undefined;
        },
      });
      const container = await started(factory);
      expect((await container.exec('code')).exitCode).toBe(42);
      expect(await container.exec('delegate', { maxOutputBytes: 2 })).toEqual({
        exitCode: 5,
        output: 'ou',
        stdout: 'ou',
        stderr: '',
        truncated: true,
      });
      expect(await container.exec('bytes')).toMatchObject({
        exitCode: 3,
        stdout: '✓',
        stderr: 'oops\n',
        output: '✓oops\n',
      });
      let done = false;
      const result = await container
        .exec('slow', {
          onStdout: (chunk) => chunks.push(`${chunk}${done ? ' (late)' : ''}`),
        })
        .finally(() => {
          done = true;
        });
      expect(chunks).toEqual(['first\n']);
      expect(result.output).toBe('first\nsecond\n');
      await container.stop();
    });

    it('is killed with the command: its signal aborts and its late output is dropped', async () => {
      let signal: AbortSignal | undefined;
      const factory = createMemoryFactory({
        exec: async (ctx) => {
          signal = ctx.signal;
          ctx.stdout('working\n');
          await ctx.sleep(5_000);
          ctx.writeFile('/tmp/never', 'x');
          return 0;
        },
      });
      const container = await started(factory);
      const error = await container.exec('anything', { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(ExecTimeoutError.isInstance(error)).toBe(true);
      expect((error as ExecTimeoutError).result.stdout).toBe('working\n');
      expect(signal?.aborted).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await container.readFile('/tmp/never').catch(() => 'absent')).toBe('absent');
      await container.stop();
    });

    it('makes exec reject with what the handler throws, and checks its exit code', async () => {
      const failure = new Error('handler bug');
      const factory = createMemoryFactory({
        exec: (ctx) => {
          if (ctx.argv?.[0] === 'throw') throw failure;
          if (ctx.argv?.[0] === 'fraction') return 1.5;
          return undefined;
        },
      });
      const container = await started(factory);
      await expect(container.exec('throw')).rejects.toBe(failure);
      await expect(container.exec('fraction')).rejects.toSatisfy(InvalidArgumentError.isInstance);
      expect((await container.exec('echo still fine')).stdout).toBe('still fine\n');
      await container.stop();
    });

    it('is validated when the factory is created', () => {
      expect(() => createMemoryFactory({ exec: 'nope' as never })).toThrow(/options\.exec/);
      expect(() => createMemoryFactory({ images: { bad: { workdir: 'relative' } } })).toThrow(/workdir/);
      expect(() => createMemoryFactory({ images: { bad: { files: { 'rel/x': 'x' } } } })).toThrow(/files/);
      expect(() => createMemoryFactory({ images: { bad: { files: { '/x': 3 as never } } } })).toThrow(/files\["\/x"\]/);
    });
  });

  describe('the inspection API', () => {
    it('lists snapshots with their keep flag, and drops deleted ones', async () => {
      const factory = createMemoryFactory();
      const container = await started(factory);
      const scoped = await container.snapshot();
      const kept = await container.snapshot({ keep: true });
      expect(scoped).toMatch(/^memory-snapshot:[0-9a-f-]{36}$/);
      expect(factory.listSnapshots().map(({ id, keep }) => ({ id, keep }))).toEqual([
        { id: scoped, keep: false },
        { id: kept, keep: true },
      ]);
      expect(factory.listSnapshots()[0]?.container).toBe(container.name);
      await container.deleteSnapshot(scoped);
      expect(factory.listSnapshots().map((snapshot) => snapshot.id)).toEqual([kept]);
      await container.stop();
    });

    it('lists live containers: started and not yet stopped', async () => {
      const factory = createMemoryFactory();
      const created = factory.fromImage({ image: 'memory:base' });
      const running = await started(factory);
      const stopped = await started(factory);
      await stopped.stop();
      expect(factory.liveContainers()).toEqual([running]);
      expect(factory.liveContainers()).not.toContain(created);
      running.stopAndRemoveSync();
      expect(factory.liveContainers()).toEqual([]);
    });

    it('endSession stops every running container and deletes the snapshots not kept', async () => {
      const factory = createMemoryFactory();
      const first = await started(factory);
      const second = await started(factory);
      await first.exec('echo kept > /state');
      const scoped = await first.snapshot();
      const kept = await first.snapshot({ keep: true });
      const ended = factory.endSession();
      expect(ended.stoppedContainers).toEqual([first, second]);
      expect(ended.deletedSnapshots).toEqual([scoped]);
      expect([first.state, second.state]).toEqual(['stopped', 'stopped']);
      await expect(first.exec('true')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
      expect(factory.listSnapshots().map((snapshot) => snapshot.id)).toEqual([kept]);
      await expect(factory.fromSnapshot({ snapshotId: scoped }).start()).rejects.toSatisfy(
        SnapshotNotFoundError.isInstance,
      );
      const restored = factory.fromSnapshot({ snapshotId: kept });
      await restored.start();
      expect(text(await restored.readFile('/state'))).toBe('kept\n');
      // The ids stay ours: deleting them again is a no-op, not a refusal.
      restored.deleteSnapshotSync(scoped);
      restored.deleteSnapshotSync(kept);
      expect(factory.listSnapshots()).toEqual([]);
      await restored.stop();
    });

    it('endSession kills commands still running; they end with status 137', async () => {
      const factory = createMemoryFactory();
      const container = await started(factory);
      const pending = container.exec('echo partial; sleep 10; echo never');
      await new Promise((resolve) => setTimeout(resolve, 50));
      factory.endSession();
      expect(await pending).toMatchObject({ exitCode: 137, stdout: 'partial\n' });
      expect(factory.liveContainers()).toEqual([]);
    });
  });

  describe('snapshot ids', () => {
    it('refuses to delete ids this factory did not create, whatever they look like', async () => {
      const factory = createMemoryFactory();
      const other = createMemoryFactory();
      const container = await started(factory);
      const foreignMemoryId = await (await started(other)).snapshot();
      for (const id of ['busybox:latest', 'snapbox-fixture/tiny:1', 'memory:base', 'f00d-random', foreignMemoryId]) {
        await expect(container.deleteSnapshot(id)).rejects.toSatisfy(NotASnapshotError.isInstance);
        expect(() => container.deleteSnapshotSync(id)).toThrow(/not a snapshot created by snapbox/);
      }
      expect(other.listSnapshots().map((snapshot) => snapshot.id)).toEqual([foreignMemoryId]);
      await container.stop();
      other.endSession();
    });

    it('validates ids and options synchronously in the factory and fromSnapshot', () => {
      const factory = createMemoryFactory();
      const container = factory.fromImage({ image: 'memory:base' });
      expect(() => factory.fromImage({ image: '' })).toThrow(/image/);
      expect(() => factory.fromImage(undefined as never)).toThrow(InvalidArgumentError);
      expect(() => factory.fromDockerfile({ dockerfilePath: '' })).toThrow(/dockerfilePath/);
      expect(() => factory.fromSnapshot({ snapshotId: '' })).toThrow(/snapshotId/);
      expect(() => factory.fromSnapshot({ snapshotId: 'busybox:latest' })).toThrow(/snapshotId.*memory-snapshot:/);
      expect(() => container.fromSnapshot('')).toThrow(/snapshotId/);
      expect(() => container.fromSnapshot('memory-snapshot:x', { name: '' })).toThrow(/options\.name/);
      expect(() => container.deleteSnapshotSync('')).toThrow(/snapshotId/);
    });

    it('validates snapshot options', async () => {
      const container = await started(createMemoryFactory());
      await expect(container.snapshot({ keep: 'yes' as never })).rejects.toThrow(/options\.keep/);
      await container.stop();
    });
  });

  describe('containers', () => {
    it('refuses a second start with a clear message and records labels and resources', async () => {
      const factory = createMemoryFactory({ resources: 'record' });
      const container = factory.fromImage({
        image: 'memory:base',
        labels: { team: 'rl' },
        resources: { cpu: 2, memoryMiB: 512 },
      });
      expect(container.labels).toEqual({ team: 'rl' });
      expect(container.resources).toEqual({ cpu: 2, memoryMiB: 512 });
      expect(container.source).toEqual({ kind: 'image', image: 'memory:base' });
      expect(container.name).toBeUndefined();
      await container.start();
      await expect(container.start()).rejects.toThrow(/start\(\) was already called/);
      expect(container.name).toMatch(/^memory-[0-9a-f]{12}$/);
      expect(text(await container.readFile('/etc/hostname'))).toBe(`${container.hostname}\n`);
      expect((await container.exec('hostname')).stdout).toBe(`${container.hostname}\n`);
      await expect(container.start({ env: { A: 1 as never } })).rejects.toSatisfy(InvalidArgumentError.isInstance);
      await container.stop();
    });

    it("gives a restored container its own hostname and the snapshot's files", async () => {
      const factory = createMemoryFactory();
      const source = factory.fromImage({ image: 'memory:base', name: 'source' });
      await source.start();
      expect(source.name).toBe('source');
      const id = await source.snapshot();
      const copy = source.fromSnapshot(id, { name: 'copy' });
      await copy.start();
      expect(copy.source).toEqual({ kind: 'snapshot', snapshotId: id });
      expect(copy.hostname).not.toBe(source.hostname);
      expect(text(await copy.readFile('/etc/hostname'))).toBe(`${copy.hostname}\n`);
      expect(isSnapshotable(copy)).toBe(true);
      expect(isSnapshotableFactory(factory)).toBe(true);
      await Promise.all([source.stop(), copy.stop()]);
    });

    it('keeps background jobs running after exec returns; wait waits for them', async () => {
      const container = await started(createMemoryFactory());
      const result = await container.exec('(sleep 0.1; echo done > /tmp/job) & echo started');
      expect(result.stdout).toBe('started\n');
      expect((await container.exec(['test', '-e', '/tmp/job'])).exitCode).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(text(await container.readFile('/tmp/job'))).toBe('done\n');
      expect((await container.exec('(sleep 0.05; echo bg) & wait; echo after')).stdout).toBe('bg\nafter\n');
      await container.stop();
    });

    it('resolves a command pending at stop() with exit code 137', async () => {
      const container = await started(createMemoryFactory());
      const pending = container.exec('echo before; sleep 10; echo after');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await container.stop();
      expect(await pending).toMatchObject({ exitCode: 137, stdout: 'before\n' });
    });

    it('reports a missing working directory as exit status 126', async () => {
      const container = await started(createMemoryFactory());
      const result = await container.exec('pwd', { workdir: '/does/not/exist' });
      expect(result.exitCode).toBe(126);
      expect(result.stderr).toMatch(/\/does\/not\/exist/);
      await container.stop();
    });

    it('returns copies from readFile and keeps writes independent of the caller', async () => {
      const container = await started(createMemoryFactory());
      const input = new Uint8Array([1, 2, 3]);
      await container.writeFile('/tmp/bytes', input);
      input[0] = 9;
      const read = await container.readFile('/tmp/bytes');
      read[1] = 9;
      expect(await container.readFile('/tmp/bytes')).toEqual(new Uint8Array([1, 2, 3]));
      await expect(container.readFile('/tmp')).rejects.toThrow(/folder/);
      await expect(container.writeFile('/etc/hostname/x', 'x')).rejects.toSatisfy(InvalidArgumentError.isInstance);
      await container.stop();
    });

    it('keeps file modes through uploads, the shell and downloads', async () => {
      const container = await started(createMemoryFactory());
      await writeFile(join(local, 'plain.txt'), 'plain', { mode: 0o600 });
      await container.uploadFile(join(local, 'plain.txt'), '/tmp/plain.txt');
      expect((await container.exec(['test', '-x', '/tmp/plain.txt'])).exitCode).toBe(1);
      await container.exec('chmod 755 /tmp/plain.txt');
      await container.downloadFile('/tmp/plain.txt', join(local, 'plain-back.txt'));
      expect((await stat(join(local, 'plain-back.txt'))).mode & 0o777).toBe(0o755);
      await expect(container.downloadFile('/tmp', join(local, 'dir'))).rejects.toThrow(
        /files\[0\]\.remotePath.*downloadDir/,
      );
      await container.stop();
    });

    it('runs an uploaded script by path and from PATH', async () => {
      const container = await started(createMemoryFactory());
      await writeFile(join(local, 'tool.sh'), '#!/usr/bin/env bash\necho "tool $1 from $0"\nexit 7\n', { mode: 0o755 });
      await container.uploadFile(join(local, 'tool.sh'), '/usr/local/bin/tool');
      expect(await container.exec('tool arg')).toMatchObject({
        exitCode: 7,
        stdout: 'tool arg from /usr/local/bin/tool\n',
      });
      expect(await container.exec(['/usr/local/bin/tool', 'x'])).toMatchObject({
        exitCode: 7,
        stdout: 'tool x from /usr/local/bin/tool\n',
      });
      await container.writeFile('/tmp/python.py', '#!/usr/bin/python3\nprint(1)\n');
      await container.exec('chmod +x /tmp/python.py');
      const python = await container.exec('/tmp/python.py');
      expect(python.exitCode).toBe(126);
      expect(python.stderr).toMatch(/bad interpreter/);
      await container.stop();
    });
  });

  describe('images and Dockerfiles', () => {
    it('builds images from the images option: files, modes, workdir and env', async () => {
      const factory = createMemoryFactory({
        images: {
          'game:1': {
            files: { '/game/level': 'one\n', '/game/run.sh': { content: 'echo running\n', mode: 0o755 } },
            workdir: '/game',
            env: { LEVEL: '1' },
          },
        },
      });
      const container = factory.fromImage({ image: 'game:1' });
      await container.start();
      expect((await container.exec('pwd; cat level; echo $LEVEL; ./run.sh')).stdout).toBe('/game\none\n1\nrunning\n');
      const plain = factory.fromImage({ image: 'other' });
      await plain.start();
      expect((await plain.exec('pwd; test -e /game/level')).stdout).toBe('/\n');
      const snapshotId = await container.snapshot();
      const restored = factory.fromSnapshot({ snapshotId });
      await restored.start();
      expect((await restored.exec('pwd; echo $LEVEL')).stdout).toBe('/game\n1\n');
      await Promise.all([container.stop(), plain.stop(), restored.stop()]);
    });

    it('builds from a Dockerfile: FROM, WORKDIR, ENV and RUN', async () => {
      const dockerfile = join(local, 'Dockerfile');
      await writeFile(
        dockerfile,
        [
          '# syntax=docker/dockerfile:1',
          'FROM memory:base AS build',
          'LABEL purpose=test',
          'ENV GREETING="hello there" OTHER=x',
          'WORKDIR /app',
          'RUN mkdir -p data && \\',
          '    echo "$GREETING" > data/greeting',
          'CMD ["bash"]',
        ].join('\n'),
      );
      const factory = createMemoryFactory();
      const container = factory.fromDockerfile({ dockerfilePath: dockerfile });
      expect(container.state).toBe('created');
      await container.start();
      expect((await container.exec('pwd; cat data/greeting; echo $OTHER')).stdout).toBe('/app\nhello there\nx\n');
      await container.stop();
    });

    it('fails in start() with ImageBuildError for a missing file, a failing RUN or COPY', async () => {
      const factory = createMemoryFactory();
      const missing = factory.fromDockerfile({ dockerfilePath: join(local, 'no-such-Dockerfile') });
      const error = await missing.start().catch((e: unknown) => e);
      expect(ImageBuildError.isInstance(error)).toBe(true);
      expect((error as ImageBuildError).message).toMatch(/cannot read the Dockerfile \(ENOENT\)/);

      await writeFile(join(local, 'Failing'), 'FROM memory:base\nRUN echo compiling; echo broken >&2; exit 3\n');
      const failing = await factory
        .fromDockerfile({ dockerfilePath: join(local, 'Failing') })
        .start()
        .catch((e: unknown) => e);
      expect(ImageBuildError.isInstance(failing)).toBe(true);
      expect((failing as ImageBuildError).message).toMatch(/exited with status 3/);
      expect((failing as ImageBuildError).logTail).toMatch(/compiling\nbroken/);

      await writeFile(join(local, 'Copying'), 'FROM memory:base\nCOPY . /app\n');
      await expect(factory.fromDockerfile({ dockerfilePath: join(local, 'Copying') }).start()).rejects.toThrow(
        /COPY is not supported/,
      );
      await writeFile(join(local, 'NoFrom'), 'RUN true\n');
      await expect(factory.fromDockerfile({ dockerfilePath: join(local, 'NoFrom') }).start()).rejects.toThrow(
        /before any FROM/,
      );
    });
  });

  it('writes downloaded files with their content', async () => {
    const container = await started(createMemoryFactory());
    await container.exec('printf "a\\nb" > /tmp/two-lines');
    await container.downloadFile('/tmp/two-lines', join(local, 'deep', 'er', 'two-lines'));
    expect(await readFile(join(local, 'deep', 'er', 'two-lines'), 'utf8')).toBe('a\nb');
    await container.stop();
  });

  describe('sandbox options', () => {
    const images = {
      'memory:users': {
        files: {
          '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nagent:x:1000:1000:agent:/home/agent:/bin/bash\n',
          '/etc/group': 'root:x:0:\nagent:x:1000:\nstaff:x:50:\n',
        },
      },
    };

    it('runs commands as the user, by name or number, with its home; ExecOptions.user overrides it', async () => {
      const factory = createMemoryFactory({ images });
      const named = factory.fromImage({ image: 'memory:users', user: 'agent' });
      await named.start();
      expect((await named.exec('id; whoami; echo $HOME')).stdout).toBe(
        'uid=1000(agent) gid=1000(agent) groups=1000(agent)\nagent\n/home/agent\n',
      );
      expect((await named.exec('id -un', { user: 'root' })).stdout).toBe('root\n');
      expect((await named.exec(['id', '-g'], { user: 'agent:staff' })).stdout).toBe('50\n');
      const numeric = factory.fromImage({ image: 'memory:users', user: '4242:50' });
      await numeric.start();
      const unnamed = await numeric.exec('id -u; id -gn; whoami');
      expect(unnamed.stdout).toBe('4242\nstaff\n');
      expect(unnamed.stderr).toBe('whoami: cannot find name for user ID 4242\n');
      expect(numeric.user).toBe('4242:50');
      await Promise.all([named.stop(), numeric.stop()]);
    });

    it('refuses a user name the image does not know, at start and per exec', async () => {
      const factory = createMemoryFactory({ images });
      const unknown = factory.fromImage({ image: 'memory:users', user: 'ghost' });
      const error = await unknown.start().catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as InvalidArgumentError).argument).toBe('user');
      expect(unknown.state).toBe('created'); // a failed start may be retried
      const container = await started(factory);
      await expect(container.exec('id', { user: 'ghost' })).rejects.toThrow(/options\.user.*ghost/);
      await expect(container.exec('id', { user: 'agent:nogroup' })).rejects.toThrow(/no group "agent"|options\.user/);
      await container.stop();
    });

    it("takes network 'none' (it has no network anyway) and refuses ports and pids", async () => {
      const factory = createMemoryFactory();
      const offline = factory.fromImage({ image: 'memory:base', network: 'none' });
      expect(offline.network).toBe('none');
      expect(() => factory.fromImage({ image: 'memory:base', ports: [80] })).toThrow(
        /ports is not supported on the memory backend/,
      );
      expect(() => factory.fromImage({ image: 'memory:base', resources: { pids: 5 } })).toThrow(
        /resources\.pids is not supported on the memory backend/,
      );
      await offline.start();
      await expect(offline.endpoint(80)).rejects.toThrow(/ports is not supported on the memory backend/);
      await offline.stop();
    });

    it('reports each Dockerfile instruction and each line a RUN prints, with the steps', async () => {
      const path = join(local, 'Progress');
      await writeFile(path, 'FROM memory:base\nENV A=1\nRUN echo one; printf "two"\n');
      const events: Array<{ phase: string; message: string; done?: number; total?: number }> = [];
      const container = createMemoryFactory().fromDockerfile({ dockerfilePath: path });
      await container.start({ onProgress: (event) => events.push(event) });
      expect(events.filter((event) => event.phase === 'build')).toEqual([
        { phase: 'build', message: 'Step 1/3 : FROM memory:base', done: 0, total: 3 },
        { phase: 'build', message: 'Step 2/3 : ENV A=1', done: 1, total: 3 },
        { phase: 'build', message: 'Step 3/3 : RUN echo one; printf "two"', done: 2, total: 3 },
        { phase: 'build', message: 'one', done: 2, total: 3 },
        { phase: 'build', message: 'two', done: 2, total: 3 },
        { phase: 'build', message: 'built in memory (3 instructions)', done: 3, total: 3 },
      ]);
      expect(events.at(-1)?.phase).toBe('start');
      await container.stop();
    });
  });
});

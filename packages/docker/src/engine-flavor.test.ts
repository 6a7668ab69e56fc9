import { describe, expect, it } from 'vitest';
import { flavorOf, isImageGoneError, isNotRunningError, normalizeImageId, shortReference } from './engine-flavor.js';
import { ExecStartFailure } from './exec-start-failure.js';
import { snapshotIdOfTag } from './snapshot-images.js';

const engineError = (statusCode: number, message: string) =>
  Object.assign(new Error(message), { statusCode, json: { message } });

describe('engine differences', () => {
  it('tells Podman from Docker by the version components', () => {
    expect(flavorOf({ Platform: { Name: 'linux/amd64/debian-12' }, Components: [{ Name: 'Podman Engine' }] })).toBe(
      'podman',
    );
    expect(flavorOf({ Platform: { Name: 'Docker Engine - Community' }, Components: [{ Name: 'Engine' }] })).toBe(
      'docker',
    );
    expect(flavorOf({})).toBe('docker');
  });

  it("reads Podman's names and ids the way Docker writes them", () => {
    expect(shortReference('docker.io/library/snapbox-snapshot:abc')).toBe('snapbox-snapshot:abc');
    expect(shortReference('localhost/snapbox-fixture/tiny:1')).toBe('snapbox-fixture/tiny:1');
    expect(shortReference('localhost:5000/x:1')).toBe('localhost:5000/x:1');
    expect(snapshotIdOfTag('docker.io/library/snapbox-snapshot:ab-12', 'snapbox-snapshot')).toBe(
      'snapbox-snapshot:ab-12',
    );
    expect(snapshotIdOfTag('snapbox-snapshot:ab-12', 'snapbox-snapshot')).toBe('snapbox-snapshot:ab-12');
    expect(snapshotIdOfTag('localhost/team/snaps:x', 'team/snaps')).toBe('team/snaps:x');
    expect(snapshotIdOfTag('docker.io/library/other:ab', 'snapbox-snapshot')).toBeUndefined();
    expect(normalizeImageId('a'.repeat(64))).toBe(`sha256:${'a'.repeat(64)}`);
    expect(normalizeImageId(`sha256:${'b'.repeat(64)}`)).toBe(`sha256:${'b'.repeat(64)}`);
  });

  it('recognises "not running" and "already gone" in both engines\' words', () => {
    expect(isNotRunningError(engineError(409, 'Container 3c4 is not running'))).toBe(true);
    expect(
      isNotRunningError(
        engineError(500, 'can only create exec sessions on running containers: container state improper'),
      ),
    ).toBe(true);
    expect(isNotRunningError(engineError(404, 'No such container: 3c4'))).toBe(true);
    expect(isNotRunningError(engineError(409, 'Container 3c4 is paused, unpause the container before exec'))).toBe(
      false,
    );
    expect(isImageGoneError(engineError(500, 'unrecognized image ID sha256:d91f'))).toBe(true);
    expect(isImageGoneError(engineError(500, 'driver failed'))).toBe(false);
  });

  it('puts a command the runtime could not start on the shell convention', () => {
    const outcome = (...payloads: string[]) => {
      const failure = new ExecStartFailure();
      const held = payloads.map((payload) => failure.capture(Buffer.from(payload)));
      return { held, outcome: failure.outcome() };
    };
    expect(
      outcome(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\r\n',
      ).outcome,
    ).toEqual({
      exitCode: 127,
      stderr:
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\n',
    });
    const podman = outcome(
      'Error: runc: exec failed: unable to start container process: chdir to cwd ("/nope") set in config.json failed: no such file or directory: OCI runtime attempted to invoke a command that was not found\n',
      'Error: read unixpacket @->/proc/self/fd/14/attach: read: connection reset by peer\n',
    );
    expect(podman.held).toEqual([true, true]);
    expect(podman.outcome?.exitCode).toBe(126);
    expect(outcome('Error: crun: open executable: Permission denied: OCI permission denied\n').outcome?.exitCode).toBe(
      126,
    );
    const ordinary = outcome('hello\n', 'Error: runc: not the first output\n');
    expect(ordinary).toEqual({ held: [false, false], outcome: undefined });
  });
});

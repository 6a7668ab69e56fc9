import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapboxLabels } from '@snapbox/core';
import { dockerCli, leftovers, removeLabelled, spawnNode, tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from './fixtures.js';
import { type ReadmeExample, readmeExamples } from './readme-examples.js';

// Every example of every package README is compiled together with the packages' published
// types, and every example not marked typecheck-only runs in its own Node process on the
// packages' build output, as a user's program would. Its stdout must match the README's
// example-output block when there is one, and it must leave nothing on the engine.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const generated = join(packageRoot, 'generated');
// The root README and every package's: a new package's examples are checked without a change here.
const readmes = [
  'README.md',
  ...readdirSync(join(repoRoot, 'packages'))
    .sort()
    .map((name) => `packages/${name}/README.md`),
];

const examples: ReadmeExample[] = [];
for (const readme of readmes) {
  examples.push(...readmeExamples(readme, await readFile(join(repoRoot, readme), 'utf8')));
}
const fileOf = (example: ReadmeExample) =>
  `${example.readme === 'README.md' ? 'root' : example.readme.split('/')[1]}-${example.index}`.replace(
    /[^a-z0-9-]/gi,
    '-',
  );

beforeAll(async () => {
  await rm(generated, { recursive: true, force: true });
  await mkdir(join(generated, 'src'), { recursive: true });
  for (const example of examples) await writeFile(join(generated, 'src', `${fileOf(example)}.ts`), example.code);
  await writeFile(
    join(generated, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', declaration: false, declarationMap: false, sourceMap: false },
      include: ['src'],
    }),
  );
});

afterAll(async () => {
  await rm(generated, { recursive: true, force: true });
});

describe('package READMEs', () => {
  it.each(readmes)('%s has an example', (readme) => {
    expect(examples.filter((example) => example.readme === readme).length).toBeGreaterThan(0);
  });

  it('every example compiles against the published types', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', join(generated, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      const output = (error as { stdout?: string }).stdout ?? String(error);
      throw new Error(`README examples do not compile (generated/src/<package>-<n>.ts):\n${output}`);
    }
  });

  // Some examples cannot run here (a cloud account, say): they are compiled with the rest, and
  // the title says they are not run and why, so that nobody mistakes them for run.
  for (const example of examples.filter((candidate) => candidate.typecheckOnly !== undefined)) {
    it(`${example.readme} example ${example.index} (line ${example.line}) is compiled, not run: ${example.typecheckOnly}`, async () => {
      expect(example.typecheckOnly?.trim()).not.toBe('');
      expect(await readFile(join(generated, 'src', `${fileOf(example)}.ts`), 'utf8')).toBe(example.code);
    });
  }

  const runnable = examples.filter((example) => example.typecheckOnly === undefined);
  it.each(runnable.map((example) => [`${example.readme} example ${example.index} (line ${example.line})`, example]))(
    '%s runs',
    async (_, example) => {
      const cwd = await mkdtemp(join(tmpdir(), 'snapbox-readme-'));
      try {
        const env = example.fixture === undefined ? {} : await fixtures[example.fixture]?.(cwd);
        if (env === undefined) throw new Error(`unknown fixture ${example.fixture}`);
        const script = join(generated, 'dist', `${fileOf(example)}.js`);
        // TMPDIR too: what an example puts in the temporary folder (as the Docker README's does)
        // goes with the folder below.
        const run = spawnNode(script, [], { cwd, env: { ...process.env, ...env, IMAGE: tinyImage, TMPDIR: cwd } });
        const { code, stdout, stderr } = await run.ended;
        expect(code, `exit code; stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
        if (example.expectedOutput !== undefined) expect(stdout).toBe(example.expectedOutput);

        // Nothing left on the engine by that process (built images are a cache: removed here).
        const ownerPid = `${snapboxLabels.ownerPid}=${run.child.pid}`;
        await removeLabelled(dockerCli, [ownerPid, `${snapboxLabels.kind}=build`]);
        expect(await leftovers(dockerCli, [ownerPid, `${snapboxLabels.ownerHost}=${hostname()}`])).toEqual({
          containers: [],
          images: [],
        });
      } finally {
        await rm(cwd, { recursive: true, force: true });
      }
    },
  );
});

import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIfStale } from './build-global-setup.js';

let dir = '';
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('buildIfStale', () => {
  it('builds a package when a source is newer than its output, and leaves a fresh one alone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapbox-stale-build-'));
    // The package resolves `typescript` from its own folder, as a workspace package does.
    const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
    await mkdir(join(dir, 'node_modules'));
    await symlink(typescript, join(dir, 'node_modules', 'typescript'));
    await mkdir(join(dir, 'src', 'test-support'), { recursive: true });
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(dir, 'tsconfig.build.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', target: 'ES2022', rootDir: 'src', outDir: 'dist', types: [] },
        include: ['src'],
        exclude: ['src/**/*.test.ts', 'src/test-support'],
      }),
    );
    await writeFile(join(dir, 'src', 'answer.ts'), 'export const answer: number = 42;\n');
    await writeFile(join(dir, 'src', 'answer.test.ts'), 'export {};\n');
    await writeFile(join(dir, 'src', 'test-support', 'helper.ts'), 'export {};\n');
    const output = join(dir, 'dist', 'answer.js');
    // An output newer than its source (test files and test-support have none, and do not count).
    await mkdir(join(dir, 'dist'));
    await writeFile(output, '// built earlier\n');
    const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    await utimes(join(dir, 'src', 'answer.ts'), past, past);
    buildIfStale(dir);
    expect(await readFile(output, 'utf8')).toBe('// built earlier\n');

    // A source newer than its output (a missing output is older than any): built.
    await utimes(output, new Date(past.getTime() - 60_000), new Date(past.getTime() - 60_000));
    buildIfStale(dir);
    expect(await readFile(output, 'utf8')).toContain('export const answer = 42;');
  });
});

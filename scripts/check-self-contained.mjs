#!/usr/bin/env node
// Fails when a tracked file names a path outside the repository: a relative path that climbs
// above the clone's root from where it is written, or an absolute path into the workplace the
// project was built in. Users clone the repository alone, so such a path works only here. The dynamic half
// of the guarantee is scripts/alone.sh, which runs the tests with the clone's siblings hidden.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, extname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const checked = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.sh', '.yaml', '.yml', '.md', '']);
// A string literal or a markdown link target that starts by climbing one or more folders up.
const climbing = /(?:['"`(])((?:\.\.\/)+[^'"`)\s]*)/g;
// Paths of the workplace this project was built in (its shared data and tools), which no clone has.
const machinePaths = /(\/work\/(?:shared|\.library|main)\b[^\s'"`)]*|[\w./-]*\bshared\/data\/[^\s'"`)]*)/g;

const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const problems = [];
for (const file of files) {
  if (!checked.has(extname(file)) || file.endsWith('pnpm-lock.yaml') || file.includes('fixtures/')) continue;
  const text = readFileSync(resolve(root, file), 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const match of line.matchAll(climbing)) {
      const target = resolve(root, dirname(file), match[1]);
      if (relative(root, target).startsWith('..'))
        problems.push(`${file}:${index + 1}: ${match[1]} leaves the repository`);
    }
    for (const match of line.matchAll(machinePaths)) {
      problems.push(`${file}:${index + 1}: ${match[1]} is a path on one machine, not in the repository`);
    }
  });
}
if (problems.length > 0) {
  console.error(`check-self-contained: ${problems.length} path(s) outside the repository:\n${problems.join('\n')}`);
  console.error(
    'Copy what is needed into the repository (fixtures go in internal/test-support, with a provenance note).',
  );
  process.exit(1);
}
console.log(`check-self-contained: ${files.length} tracked files name nothing outside the repository`);

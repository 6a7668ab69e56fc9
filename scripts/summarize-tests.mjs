// Adds up the JSON reports that every package's `vitest run` writes (test-report*.json) and
// prints one closing line, so a reader (or CI) sees the whole suite's count in one place.
// A package with a test script but no report, or a test file that failed before any of its
// tests ran (an import error, a failing hook), fails the summary too.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'internal', 'examples', '.'];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const problems = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const name of root === '.' ? ['bench'] : readdirSync(root)) {
    const dir = join(root, name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest) || JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test === undefined) continue;
    // A package may run its suites in several vitest processes: test-report.json, test-report.<part>.json.
    const files = readdirSync(dir).filter((file) => /^test-report(\.[\w-]+)?\.json$/.test(file));
    if (files.length === 0) {
      problems.push(`${dir}: no test report (its tests did not run)`);
      continue;
    }
    const report = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [] };
    for (const file of files) {
      const part = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      for (const key of ['numPassedTests', 'numFailedTests', 'numPendingTests', 'numTodoTests'])
        report[key] += part[key];
      report.testResults.push(...(part.testResults ?? []));
    }
    // Files that failed with no test failing in them: the file itself broke (import, hook).
    const brokenFiles = report.testResults.filter(
      (result) =>
        result.status === 'failed' && !(result.assertionResults ?? []).some((test) => test.status === 'failed'),
    );
    for (const result of brokenFiles) {
      const firstLine = String(result.message ?? '').split('\n')[0];
      problems.push(`${result.name}: the file failed outside its tests: ${firstLine}`);
    }
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    rows.push(
      `  ${dir.padEnd(24)} ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped` +
        (brokenFiles.length > 0 ? `, ${brokenFiles.length} file(s) broken` : ''),
    );
  }
}
console.log(`\nTest reports:\n${rows.join('\n')}`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
for (const problem of problems) console.error(problem);
if (rows.length === 0 || passed === 0) {
  console.error('No test report found: no test ran.');
  process.exit(1);
}
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);

// Adds up the JSON reports that every package's `vitest run` writes (test-report.json) and
// prints one closing line, so a reader (or CI) sees the whole suite's count in one place.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'examples', '.'];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const name of root === '.' ? ['bench'] : readdirSync(root)) {
    const file = join(root, name, 'test-report.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    rows.push(
      `  ${join(root, name).padEnd(24)} ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`,
    );
  }
}
console.log(`\nTest reports:\n${rows.join('\n')}`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (rows.length === 0 || passed === 0) {
  console.error('No test report found: no test ran.');
  process.exit(1);
}
process.exit(failed > 0 ? 1 : 0);

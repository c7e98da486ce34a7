// Prints each failed test of a node:test TAP log with its error and the first lines of its stack, so that the end
// of a CI log says why a test failed, not only which. Usage: node scripts/tap-failures.mjs FILE
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n');
let failed = 0;
for (let i = 0; i < lines.length; i++) {
  const head = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
  if (!head) continue;
  const block = [];
  for (let j = i + 1; j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]); j++) block.push(lines[j]);
  if (block.some((l) => /failureType: 'subtestsFailed'/.test(l))) continue; // a suite: its failing tests are listed
  failed++;
  console.log(`\n✖ ${head[2]}`);
  // The YAML block's fields of interest; a multi-line value (error: |-) keeps up to 8 of its lines.
  let field = '';
  let kept = 0;
  for (const l of block) {
    const key = /^\s*(\w+): ?(.*)$/.exec(l);
    if (key && !/^\s{10,}/.test(l)) {
      field = key[1];
      kept = 0;
      if (['error', 'location', 'expected', 'actual', 'code'].includes(field)) console.log(`  ${field}: ${key[2]}`);
    } else if ((field === 'error' && kept < 8) || (field === 'stack' && kept < 4)) {
      if (l.trim()) console.log(`    ${l.trim()}`);
      kept++;
    }
  }
  // What the test reported with t.diagnostic comes just after its block.
  let end = i + 1 + block.length + 1;
  for (let k = 0; end < lines.length && k < 10 && /^\s*# (?!Subtest)/.test(lines[end]); end++, k++) console.log(`  ${lines[end].trim()}`);
}
console.log(failed ? `\n${failed} failed test(s)` : 'no failed tests');

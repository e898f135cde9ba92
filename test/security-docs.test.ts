// docs/security.md maps the OWASP API Security Top 10 to tests by name: every name it cites must be a test that exists,
// so the table cannot drift from the suite it vouches for.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './support/project.js';

/** Every test name in the suite, as a pattern: template parts (`${c.resource}`) match any text. */
async function testNames(): Promise<RegExp[]> {
  const dir = path.join(projectRoot, 'test');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.test.ts'));
  const patterns: RegExp[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/\b(?:test|it|describe)\(\s*(['`])((?:(?!\1)[^\\]|\\.)*)\1/g)) {
      const literal = m[2]!;
      const parts = literal.split(/\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      patterns.push(new RegExp(`^${parts.join('.+')}$`));
    }
  }
  return patterns;
}

test('when docs/security.md names a test for an OWASP risk, then that test exists', async () => {
  const doc = await readFile(path.join(projectRoot, 'docs', 'security.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## OWASP API Security Top 10 (2023)'));
  const rows = table.split('\n').filter((line) => line.startsWith('| **API'));
  assert.equal(rows.length, 10, 'one row per risk, API1 to API10');
  const cited = [...table.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(cited.length > 50);
  const names = await testNames();
  const missing = cited.filter((name) => !names.some((p) => p.test(name)));
  assert.deepEqual(missing, []);
});

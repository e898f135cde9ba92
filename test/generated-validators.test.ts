// The validators compiled ahead of time are those of the current schemas: a schema edited without `npm run
// gen:validators` would leave start-up checking against the old one.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { validatorSources } from '../scripts/validator-code.js';
import { projectRoot } from './support/project.js';

test('the committed standalone validators match the configuration and OpenAPI schemas (run npm run gen:validators after editing one)', async () => {
  for (const { file, code } of validatorSources()) {
    const committed = await readFile(path.join(projectRoot, file), 'utf8');
    assert.ok(committed === code, `${file} is stale: run npm run gen:validators`);
  }
});

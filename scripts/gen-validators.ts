// Writes ajv's standalone validators (scripts/validator-code.ts) into src/generated/.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validatorSources } from './validator-code.js';

const root = path.resolve(import.meta.dirname, '..');
for (const { file, code } of validatorSources()) {
  await writeFile(path.join(root, file), code);
  process.stdout.write(`wrote ${file}\n`);
}

// `npm run gen:docs`: rewrites README's generated sections (the error table) from the code.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { regenerateReadme } from './readme-sections.js';

const readme = path.resolve(import.meta.dirname, '..', 'README.md');
const before = await readFile(readme, 'utf8');
const after = regenerateReadme(before);
if (after === before) {
  process.stdout.write('README.md is up to date\n');
} else {
  await writeFile(readme, after);
  process.stdout.write('rewrote README.md\n');
}

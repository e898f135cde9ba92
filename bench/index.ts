// `npm run bench [name…]`: runs every bench/*.bench.ts (or those whose name contains an argument; the soak only when
// named); each exports run().
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
// Long runs, only when named: `npm run bench -- soak` (ten minutes by default).
const ON_REQUEST = new Set(['soak.bench.ts']);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => (filters.length === 0 ? !ON_REQUEST.has(f) : filters.some((x) => f.includes(x))))
  .sort();
if (files.length === 0) {
  console.error(`bench: nothing matches ${JSON.stringify(filters)}`);
  process.exit(1);
}
for (const file of files) {
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') {
    console.error(`bench: ${file} does not export run()`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n== ${file} ==`);
  await mod.run();
}

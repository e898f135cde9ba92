// The baseline `init.bench.ts` compares against: a bare introspection of the same schema, in its own process,
// from the same compiled build as the measured `gatehouse init`. Usage: init-baseline.mjs BUILD_DIR CONFIG SOURCE SCHEMA
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [build, configFile, sourceName, schema] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(build, 'src', file)).href);
const { loadConfig } = await load('config/load.js');
const { createDataSources } = await load('db/sources.js');
const config = loadConfig({ file: configFile, env: {} });
const sources = createDataSources({ [sourceName]: config.sources[sourceName] });
try {
  const source = sources.get(sourceName);
  const catalog = await source.dialect.introspect(source.db, { schemas: [schema] });
  process.stdout.write(`${catalog.relations.length}\n`);
} finally {
  await sources.destroy();
}

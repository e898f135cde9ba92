// Platformatic DB for `pipeline.bench.ts`: its generated REST API over an existing PostgreSQL database, no auth, no
// migrations, no type generation, no GraphQL, no logging. Loaded from the bench's cache folder, not the project's
// dependencies. Usage: node platformatic-server.mjs CACHE_DIR CONNECTION_STRING PORT POOL_SIZE
import { createRequire } from 'node:module';
import path from 'node:path';

const [cacheDir, connectionString, port, poolSize] = process.argv.slice(2);
const { buildServer } = createRequire(path.join(cacheDir, 'package.json'))('@platformatic/db');

const app = await buildServer({
  server: { hostname: '127.0.0.1', port: Number(port), logger: { level: 'error' } },
  db: {
    connectionString,
    poolSize: Number(poolSize),
    graphql: false,
    openapi: true,
    schemalock: false,
    events: false,
    // The page sizes the bench asks for; Platformatic's default cap is 100.
    limit: { default: 10, max: 1000 },
  },
  watch: false,
});
await app.start();
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));

// knex on PGlite (embedded PostgreSQL in WebAssembly), for the sources and the store that use it. PGlite and knex-pglite
// are loaded when the first such database is opened: a gateway on PostgreSQL or SQL Server never loads them (60-80 ms
// and several megabytes at start-up). Their CommonJS builds, which knex-pglite itself requires: one copy of PGlite.
import { createRequire } from 'node:module';
import type { PGliteOptions } from '@electric-sql/pglite';
import type { Knex } from 'knex';

type PGliteModule = typeof import('@electric-sql/pglite');

/** knex's configuration for one PGlite database: `dataDir` (a directory, or undefined in memory) or PGlite's options. */
export function pgliteKnexConfig(database: string | undefined | PGliteOptions): Knex.Config {
  const load = createRequire(import.meta.url);
  const { PGlite } = load('@electric-sql/pglite') as PGliteModule;
  const client = load('knex-pglite') as unknown;
  // One options object: `new PGlite(undefined, options)` silently ignores the options (and so the parsers).
  const pglite = typeof database === 'object' ? new PGlite(database) : new PGlite(database);
  return {
    client: client as Knex.Config['client'],
    dialect: 'postgres',
    // PGlite is one connection in this process: knex-pglite fixes the pool at 1.
    connection: (() => ({ pglite })) as unknown as Knex.Config['connection'],
  };
}

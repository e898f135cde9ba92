// The gateway's own store: one knex instance on PostgreSQL (production) or a PGlite data directory (embedded).
import { mkdirSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import type { StoreConfig } from '../config/types.js';
import { runMigrations, type MigrationResult } from './migrations.js';
import { pingDatabase } from '../db/ping.js';
import { pgliteKnexConfig } from '../db/pglite-knex.js';

export interface Store {
  readonly client: StoreConfig['client'];
  readonly db: Knex;
  /** Applies pending migrations; returns what ran. */
  migrate(): Promise<MigrationResult>;
  /** `select 1` within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  destroy(): Promise<void>;
}

/**
 * knex's default logger prints each failed connection attempt, driver stack trace included, on the console. The
 * same error reaches the caller (start-up, the audit writer, readiness), which reports it in one line or log event.
 */
const SILENT_LOG: Knex.Config['log'] = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

export function createStore(config: StoreConfig): Store {
  const db = knex({ ...(config.client === 'pglite' ? pgliteConfig(config) : pgConfig(config)), log: SILENT_LOG });
  return {
    client: config.client,
    db,
    migrate: () => runMigrations(db),
    ping: (timeoutMs = 2000) => pingDatabase(db, timeoutMs),
    destroy: () => db.destroy(),
  };
}

function pgConfig(config: StoreConfig): Knex.Config {
  return {
    client: 'pg',
    connection: {
      connectionString: config.connection,
      application_name: 'gatehouse-store',
      connectionTimeoutMillis: config.pool.acquireTimeoutMs,
      statement_timeout: config.statementTimeoutMs,
      // Client-side too: a frozen server must not leave a commit (and every request behind it) hanging.
      query_timeout: config.statementTimeoutMs + 1000,
      // Audit commits must survive a server crash, whatever the server's default.
      options: '-c synchronous_commit=on',
    } as Knex.PgConnectionConfig,
    pool: {
      min: config.pool.min,
      max: config.pool.max,
      acquireTimeoutMillis: config.pool.acquireTimeoutMs,
      // After a store restart the old connections are dead: reap idle ones quickly so recovery needs no restart.
      idleTimeoutMillis: 10_000,
      reapIntervalMillis: 1_000,
    },
    acquireConnectionTimeout: config.pool.acquireTimeoutMs,
  };
}

function pgliteConfig(config: StoreConfig): Knex.Config {
  const memory = config.connection.startsWith('memory://');
  if (!memory) mkdirSync(config.connection, { recursive: true });
  return pgliteKnexConfig(memory ? undefined : config.connection);
}

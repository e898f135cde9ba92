// Data sources: one knex instance and one dialect per configured source; health checks; shutdown.
import knex, { type Knex } from 'knex';
import type { SourceConfig } from '../config/types.js';
import { dialectFor } from './dialects/index.js';
import type { Dialect } from './dialects/types.js';
import { pingDatabase } from './ping.js';

export interface DataSource {
  readonly name: string;
  readonly config: SourceConfig;
  readonly db: Knex;
  readonly dialect: Dialect;
  /** Raw driver connections from knex's pool, for the executor's own statements. */
  readonly connections: ConnectionPool;
}

export interface ConnectionPool {
  acquire(): Promise<unknown>;
  release(connection: unknown): Promise<void>;
  /** Marks a connection unusable (its state is unknown): the pool destroys it instead of reusing it. */
  poison(connection: unknown, reason: unknown): void;
}

export interface DataSources {
  get(name: string): DataSource | undefined;
  all(): readonly DataSource[];
  /** Every source answers `select 1` within the timeout; returns the names that did not. */
  unreachable(timeoutMs?: number): Promise<string[]>;
  destroy(): Promise<void>;
}

/** Where knex's own warnings go (connection errors, pool trouble); without it they would bypass the JSON log. */
export interface SourceLogger {
  warn(message: string, meta: Record<string, unknown>): unknown;
  error(message: string, meta: Record<string, unknown>): unknown;
}

export function createDataSources(configs: Readonly<Record<string, SourceConfig>>, logger?: SourceLogger): DataSources {
  const sources = new Map<string, DataSource>();
  for (const [name, config] of Object.entries(configs)) {
    const dialect = dialectFor(config.client, name);
    const log = logger ? knexLog(logger, name) : undefined;
    const db = knex({ ...dialect.knexConfig(config), ...(log ? { log } : {}) });
    sources.set(name, { name, config, dialect, db, connections: poolOf(db) });
  }
  return {
    get: (name) => sources.get(name),
    all: () => [...sources.values()],
    async unreachable(timeoutMs = 2000) {
      const results = await Promise.all(
        [...sources.values()].map(async (s) => ((await pingDatabase(s.db, timeoutMs)) ? undefined : s.name)),
      );
      return results.filter((n): n is string => n !== undefined);
    },
    async destroy() {
      await Promise.all([...sources.values()].map((s) => s.db.destroy().catch(() => undefined)));
    },
  };
}

/** knex's own pool (the one its query builder uses), so limits and health checks cover every connection. */
function poolOf(db: Knex): ConnectionPool {
  const client = db.client as unknown as {
    acquireConnection(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<unknown>;
  };
  return {
    acquire: () => client.acquireConnection(),
    release: async (connection) => {
      await client.releaseConnection(connection);
    },
    poison(connection, reason) {
      // knex's pool validates connections on acquire and destroys those marked disposed.
      (connection as { __knex__disposed?: unknown }).__knex__disposed = reason ?? 'transaction state unknown';
    },
  };
}

function knexLog(logger: SourceLogger, source: string): Knex.Config['log'] {
  // First line only: knex folds the driver's stack trace into its messages ("Acquire connection error: Error: …\n    at …").
  const text = (m: unknown): string =>
    (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m)).split('\n')[0] ?? '';
  return {
    warn: (m: unknown) => logger.warn('database warning', { event: 'db_warning', source, detail: text(m) }),
    error: (m: unknown) => logger.error('database error', { event: 'db_error', source, detail: text(m) }),
    deprecate: (m: unknown) => logger.warn('knex deprecation', { event: 'db_warning', source, detail: text(m) }),
    debug: () => undefined,
  };
}

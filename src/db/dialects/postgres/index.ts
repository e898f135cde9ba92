// The PostgreSQL dialect, for a real server (pg) and for embedded PGlite: both speak the same SQL.
import type { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import pg from 'pg';
import type { SourceConfig } from '../../../config/types.js';
import type { DbRow } from '../../../query/types.js';
import type { DriverResult, DriverStatement } from '../../driver.js';
import { pgliteKnexConfig } from '../../pglite-knex.js';
import type { Dialect, InsertSpec, StatementGroup } from '../types.js';
import { translatePostgresError } from './errors.js';
import { introspectPostgres } from './introspect.js';
import { postgresStatistics } from './statistics.js';
import { postgresTextParsers } from './type-parsers.js';

export function createPostgresDialect(): Dialect {
  return {
    name: 'postgres',
    defaultSchema: 'public',
    knexConfig: (source) => (source.client === 'pglite' ? pgliteConfig(source) : pgConfig(source)),
    transaction: { begin: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK' },
    wherePattern(qb, column, pattern, caseInsensitive) {
      qb.where(column, caseInsensitive ? 'ilike' : 'like', pattern);
    },
    orderBy(qb, column, direction, nulls) {
      qb.orderBy(column, direction, nulls);
    },
    returning(qb, columns) {
      qb.returning(columns as string[]);
    },
    buildInsert: (db, spec) => ({ statements: [buildPostgresInsert(db, spec)], atomic: false }) satisfies StatementGroup,
    candidates(db, table, _columns, rows) {
      // The row type of the table itself types the values, so comparisons behave as on stored rows (char padding,
      // numeric, collation); columns a row does not give are null.
      const type = table.schema ? `${table.schema}.${table.name}` : table.name;
      return db.select('*').from(db.raw('jsonb_populate_recordset(null::??, ?::jsonb) as candidate', [type, rows]));
    },
    run: runPostgres,
    cancel: cancelPostgres,
    cancelled: (err) => (err as { code?: unknown } | null)?.code === QUERY_CANCELED,
    translateError: async (err) => translatePostgresError(err),
    // A deadlock victim's or a serialization failure's transaction is undone whole: the plan may run again.
    retryable: (err) => {
      const code = (err as { code?: unknown } | null)?.code;
      return code === '40P01' || code === '40001';
    },
    introspect: introspectPostgres,
    statistics: postgresStatistics,
  };
}

function pgConfig(source: SourceConfig): Knex.Config {
  const getTypeParser = (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    (format ?? 'text') === 'text' && postgresTextParsers[oid]
      ? postgresTextParsers[oid]
      : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown);
  return {
    client: 'pg',
    connection: {
      connectionString: source.connection,
      statement_timeout: source.statementTimeoutMs,
      application_name: 'gatehouse',
      connectionTimeoutMillis: source.pool.acquireTimeoutMs,
      types: { getTypeParser } as unknown as pg.CustomTypesConfig,
    } as Knex.PgConnectionConfig,
    pool: {
      min: source.pool.min,
      max: source.pool.max,
      acquireTimeoutMillis: source.pool.acquireTimeoutMs,
      // A dead server leaves broken idle connections; reap them quickly so recovery needs no restart.
      idleTimeoutMillis: 10_000,
      reapIntervalMillis: 1_000,
    },
    acquireConnectionTimeout: source.pool.acquireTimeoutMs,
  };
}

function pgliteConfig(source: SourceConfig): Knex.Config {
  const dataDir = source.connection.startsWith('memory://') ? undefined : source.connection;
  const parsers = Object.fromEntries(Object.entries(postgresTextParsers).map(([oid, fn]) => [oid, fn]));
  return pgliteKnexConfig({ dataDir, parsers });
}

type PGliteConnection = Pick<PGlite, 'query'>;

/**
 * A connection of knex's pool: node-postgres's client, or else PGlite (told apart without loading PGlite, which a
 * gateway on PostgreSQL never does).
 */
function isNodePostgres(connection: unknown): connection is pg.Client {
  return connection instanceof pg.Client;
}

/** node-postgres prepares a named statement once per connection; PGlite has no names (and no network to save). */
async function runPostgres(connection: unknown, statement: DriverStatement): Promise<DriverResult> {
  if (!isNodePostgres(connection)) {
    const result = await (connection as PGliteConnection).query<DbRow>(statement.text, statement.values as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }
  const client = connection;
  const values = statement.values as unknown[];
  const result =
    statement.name === undefined
      ? await client.query<DbRow>(statement.text, values)
      : await client.query<DbRow>({ name: statement.name, text: statement.text, values });
  return { rows: result.rows, rowCount: result.rowCount };
}

/** SQLSTATE of a statement stopped by a cancel request or by statement_timeout. */
const QUERY_CANCELED = '57014';

/**
 * pg_cancel_backend on the statement's server process, from a connection of its own (the pool's may all be taken, by
 * this very request among them). The function returns once the signal is sent; a signal that finds the process
 * idle is ignored by the server, so the next statement on the connection is safe. PGlite runs in this process, one
 * statement at a time: there is nothing to reach it with, and nothing else waits on its locks.
 */
async function cancelPostgres(connection: unknown, source: SourceConfig): Promise<void> {
  if (!isNodePostgres(connection)) return;
  const pid = (connection as { processID?: unknown }).processID;
  if (typeof pid !== 'number') return;
  const canceller = new pg.Client({
    connectionString: source.connection,
    application_name: 'gatehouse-cancel',
    connectionTimeoutMillis: source.pool.acquireTimeoutMs,
  });
  // A failed connection emits 'error' besides rejecting connect(); the rejection is what reports it.
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('select pg_cancel_backend($1)', [pid]);
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

function buildPostgresInsert(db: Knex | Knex.Transaction, spec: InsertSpec): Knex.QueryBuilder {
  const base = spec.table.schema ? db.withSchema(spec.table.schema) : db;
  const insert = base
    .table(spec.table.name)
    .insert(spec.rows as DbRow[])
    .returning(spec.returning as string[]);
  if (!spec.conflict) return insert;
  const target = insert.onConflict(spec.conflict.columns as string[]);
  if (spec.conflict.action === 'ignore') return target.ignore();
  const conflictColumns = new Set(spec.conflict.columns);
  const updates = [...new Set(spec.rows.flatMap((r) => Object.keys(r)))].filter((c) => !conflictColumns.has(c));
  return updates.length > 0 ? target.merge(updates) : target.ignore();
}

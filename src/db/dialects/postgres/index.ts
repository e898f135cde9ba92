// The PostgreSQL dialect, for a real server (pg) and for embedded PGlite: both speak the same SQL.
import { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import type { SourceConfig } from '../../../config/types.js';
import type { DbRow } from '../../../query/types.js';
import type { Dialect, InsertSpec } from '../types.js';
import { translatePostgresError } from './errors.js';
import { introspectPostgres } from './introspect.js';
import { postgresTextParsers } from './type-parsers.js';

export function createPostgresDialect(): Dialect {
  return {
    name: 'postgres',
    defaultSchema: 'public',
    knexConfig: (source) => (source.client === 'pglite' ? pgliteConfig(source) : pgConfig(source)),
    whereILike(qb, column, pattern, negate) {
      if (negate) qb.whereNot(column, 'ilike', pattern);
      else qb.where(column, 'ilike', pattern);
    },
    insert: insertPostgres,
    candidates(db, table, rows) {
      // The row type of the table itself types the values, so comparisons behave as on stored rows (char padding,
      // numeric, collation); columns a row does not give are null.
      const type = table.schema ? `${table.schema}.${table.name}` : table.name;
      return db.select('*').from(db.raw('jsonb_populate_recordset(null::??, ?::jsonb) as candidate', [type, JSON.stringify(rows)]));
    },
    translateError: translatePostgresError,
    introspect: introspectPostgres,
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
  // PGlite is one connection in this process: knex-pglite fixes the pool at 1.
  // One options object: `new PGlite(undefined, options)` silently ignores the options (and so the parsers).
  const pglite = new PGlite({ dataDir, parsers });
  return {
    client: ClientPgLite as unknown as Knex.Config['client'],
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.Config['connection'],
  };
}

async function insertPostgres(db: Knex | Knex.Transaction, spec: InsertSpec): Promise<DbRow[]> {
  if (spec.rows.length === 0) return [];
  const base = spec.table.schema ? db.withSchema(spec.table.schema) : db;
  const insert = base
    .table(spec.table.name)
    .insert(spec.rows as DbRow[])
    .returning(spec.returning as string[]);
  if (!spec.conflict) return (await insert) as DbRow[];
  const target = insert.onConflict(spec.conflict.columns as string[]);
  if (spec.conflict.action === 'ignore') return (await target.ignore()) as DbRow[];
  const conflictColumns = new Set(spec.conflict.columns);
  const updates = [...new Set(spec.rows.flatMap((r) => Object.keys(r)))].filter((c) => !conflictColumns.has(c));
  return (await (updates.length > 0 ? target.merge(updates) : target.ignore())) as DbRow[];
}

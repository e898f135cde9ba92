// The SQL Server dialect (tedious through knex's mssql client): T-SQL quoting, OUTPUT, upserts under locks,
// collations for LIKE, NULL placement, error numbers, sys.* introspection and statistics.
import type { Knex } from 'knex';
import type { SourceConfig } from '../../../config/types.js';
import type { Dialect } from '../types.js';
import { GatehouseMssqlClient } from './client.js';
import { tediousConfig } from './connection.js';
import { isRetryableMssqlError, translateMssqlErrorWithCatalog } from './errors.js';
import { introspectMssql } from './introspect.js';
import { cancelMssql } from './cancel.js';
import { runMssql } from './run.js';
import { mssqlStatistics } from './statistics.js';
import { buildMssqlInsert, mssqlCandidates, mssqlReturning } from './writes.js';

// Explicit collations make LIKE mean the same on every column, whatever the database's default: case-sensitive like
// PostgreSQL's LIKE, or case-insensitive like ILIKE (accent-sensitive both).
const CASE_SENSITIVE = 'Latin1_General_CS_AS';
const CASE_INSENSITIVE = 'Latin1_General_CI_AS';

export function createMssqlDialect(sourceName = 'source'): Dialect {
  return {
    name: 'mssql',
    defaultSchema: 'dbo',
    knexConfig: (source) => mssqlKnexConfig(source, sourceName),
    transaction: {
      begin: 'BEGIN TRANSACTION',
      commit: 'COMMIT TRANSACTION',
      // SQL Server has already rolled back a deadlock victim's (or an aborted) transaction.
      rollback: 'IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION',
    },
    wherePattern(qb, column, pattern, caseInsensitive) {
      // `[` opens a character class in T-SQL's LIKE; PostgreSQL's backslash escape is kept with ESCAPE.
      qb.whereRaw(`?? collate ${caseInsensitive ? CASE_INSENSITIVE : CASE_SENSITIVE} like replace(?, N'[', N'\\[') escape N'\\'`, [
        column,
        pattern,
      ]);
    },
    orderBy(qb, column, direction, nulls, nullable) {
      // SQL Server sorts NULLs first ascending and last descending; other placements need a rank before the column.
      const native = (direction === 'asc') === (nulls === 'first');
      if (nullable && !native) qb.orderByRaw(`case when ?? is null then ${nulls === 'first' ? 0 : 1} else ${nulls === 'first' ? 1 : 0} end`, [column]);
      qb.orderBy(column, direction);
    },
    returning: (qb, columns, table) => mssqlReturning(qb, columns, table),
    buildInsert: buildMssqlInsert,
    candidates: mssqlCandidates,
    run: runMssql,
    cancel: cancelMssql,
    cancelled: (err) => (err as { code?: unknown } | null)?.code === 'ECANCEL' || (err as { code?: unknown } | null)?.code === 'ETIMEOUT',
    translateError: translateMssqlErrorWithCatalog,
    retryable: isRetryableMssqlError,
    introspect: introspectMssql,
    statistics: mssqlStatistics,
  };
}

function mssqlKnexConfig(source: SourceConfig, sourceName: string): Knex.Config {
  return {
    client: GatehouseMssqlClient as unknown as Knex.Config['client'],
    connection: tediousConfig(source, sourceName) as unknown as Knex.Config['connection'],
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

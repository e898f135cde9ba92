// The dialect interface: everything that differs between PostgreSQL and SQL Server lives behind it.
import type { Knex } from 'knex';
import type { SourceConfig } from '../../config/types.js';
import type { AppError } from '../../errors/app-error.js';
import type { DbRow, TableTarget } from '../../query/types.js';
import type { DbCatalog, IntrospectOptions, RelationName, RelationStatistics } from '../catalog.js';
import type { DriverResult, DriverStatement, TransactionStatements } from '../driver.js';

export interface InsertSpec {
  readonly table: TableTarget;
  readonly rows: readonly DbRow[];
  readonly returning: readonly string[];
  readonly conflict: { readonly columns: readonly string[]; readonly action: 'merge' | 'ignore' } | undefined;
}

/** A builder knex compiles (a query builder or raw SQL with `?` bindings). */
export type Built = Knex.QueryBuilder | Knex.Raw;

/**
 * The statements one logical operation takes on this database, run in order; their rows are concatenated.
 * `atomic`: they must run in one transaction (the session opens one unless it is already in one).
 */
export interface StatementGroup {
  readonly statements: readonly Built[];
  readonly atomic: boolean;
}

export interface Dialect {
  readonly name: 'postgres' | 'mssql';
  readonly defaultSchema: string;
  /** The knex configuration for one source (pool, timeouts, how values come back). */
  knexConfig(source: SourceConfig): Knex.Config;
  readonly transaction: TransactionStatements;
  /** A LIKE match with `%` / `_` wildcards: case-sensitive, or not (`ILIKE` on PostgreSQL, collations on SQL Server). */
  wherePattern(qb: Knex.QueryBuilder, column: string, pattern: string, caseInsensitive: boolean): void;
  /** One ORDER BY term with NULLs where asked (`nullable: false` lets a dialect skip placing them). */
  orderBy(qb: Knex.QueryBuilder, column: string, direction: 'asc' | 'desc', nulls: 'first' | 'last', nullable: boolean): void;
  /** Makes an UPDATE or DELETE return these columns of the changed rows (RETURNING vs OUTPUT). */
  returning(qb: Knex.QueryBuilder, columns: readonly string[], table: TableTarget, change: 'update' | 'delete'): void;
  /** INSERT, or upsert on the conflict columns, returning the given columns: ON CONFLICT vs UPDATE + INSERT under locks. */
  buildInsert(db: Knex | Knex.Transaction, spec: InsertSpec): StatementGroup;
  /** Runs one statement on a connection from the source's pool (named: prepared once per connection where the driver can). */
  run(connection: unknown, statement: DriverStatement): Promise<DriverResult>;
  /**
   * Asks the server to stop the statement running on this connection; resolves once the request is delivered, so the
   * next statement sent on the connection cannot be hit by it. The statement's own `run` then fails (see `cancelled`),
   * unless it had already finished. Rejects when the cancel could not be sent.
   */
  cancel(connection: unknown, source: SourceConfig): Promise<void>;
  /** Whether a statement failed because it was cancelled (by `cancel`, or by the statement timeout). */
  cancelled(err: unknown): boolean;
  /**
   * A FROM source holding rows not written anywhere, typed as rows of `table`: `rows` is their JSON (database
   * column names), `columns` the ones they give. Row rules are checked on the values a write would store before it
   * runs (jsonb_populate_recordset on PostgreSQL; OPENJSON under a UNION with the table on SQL Server).
   */
  candidates(db: Knex | Knex.Transaction, table: TableTarget, columns: readonly string[], rows: string): Knex.QueryBuilder;
  /**
   * Maps a driver error to a typed error; undefined when it is not a recognised database error. `db` lets a dialect
   * look up what the error only names (the columns of a violated unique index on SQL Server).
   */
  translateError(err: unknown, db: Knex): Promise<AppError | undefined>;
  /** Whether a failed plan may run again as a whole: the database undid all of it (a deadlock victim). */
  retryable(err: unknown): boolean;
  introspect(db: Knex, options?: IntrospectOptions): Promise<DbCatalog>;
  /** Size, keys and portability facts of these relations, keyed `schema.name` (for the migration report). */
  statistics(db: Knex, relations: readonly RelationName[]): Promise<ReadonlyMap<string, RelationStatistics>>;
}

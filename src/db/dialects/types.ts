// The dialect interface: everything that differs between PostgreSQL and SQL Server lives behind it.
import type { Knex } from 'knex';
import type { SourceConfig } from '../../config/types.js';
import type { AppError } from '../../errors/app-error.js';
import type { DbRow, TableTarget } from '../../query/types.js';

export interface DbColumn {
  readonly name: string;
  /** Normalised type name (`int4`, `varchar`, `numeric`, `timestamptz`, `nvarchar`, …); a domain reports its base type. */
  readonly dataType: string;
  readonly nullable: boolean;
  readonly defaultValue: string | undefined;
  /** Identity / serial / generated: written by the database, read-only for clients. */
  readonly generated: boolean;
  readonly maxLength: number | undefined;
  readonly precision: number | undefined;
  readonly scale: number | undefined;
  readonly isArray: boolean;
  readonly enumValues: readonly string[] | undefined;
  readonly comment: string | undefined;
}

export interface DbForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
}

export interface DbRelation {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly columns: readonly DbColumn[];
  readonly primaryKey: readonly string[];
  readonly uniqueKeys: ReadonlyArray<readonly string[]>;
  readonly foreignKeys: readonly DbForeignKey[];
  readonly comment: string | undefined;
  /** Estimated rows, from the database's statistics (for reports); undefined when unknown. */
  readonly estimatedRows: number | undefined;
}

export interface DbCatalog {
  readonly schemas: readonly string[];
  readonly relations: readonly DbRelation[];
  /** Every non-system schema in the database, not only those introspected (for "did you mean" on a wrong name). */
  readonly availableSchemas?: readonly string[];
}

export interface IntrospectOptions {
  /** Only these schemas (default: every non-system schema). */
  readonly schemas?: readonly string[];
}

export interface InsertSpec {
  readonly table: TableTarget;
  readonly rows: readonly DbRow[];
  readonly returning: readonly string[];
  readonly conflict: { readonly columns: readonly string[]; readonly action: 'merge' | 'ignore' } | undefined;
}

/** A statement as the driver takes it: native placeholders, values in order. */
export interface DriverStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  readonly name: string | undefined;
}

export interface DriverResult {
  readonly rows: DbRow[];
  /** Rows returned or changed; null when the statement reports none (BEGIN, COMMIT). */
  readonly rowCount: number | null;
}

export interface Dialect {
  readonly name: 'postgres' | 'mssql';
  readonly defaultSchema: string;
  /** The knex configuration for one source (pool, timeouts, type parsing). */
  knexConfig(source: SourceConfig): Knex.Config;
  /** Case-insensitive pattern match (`ILIKE` on PostgreSQL, a case-insensitive collation on SQL Server). */
  whereILike(qb: Knex.QueryBuilder, column: string, pattern: string, negate: boolean): void;
  /** INSERT (optionally upsert) returning the given columns: RETURNING / ON CONFLICT vs OUTPUT / MERGE. Built, not run. */
  buildInsert(db: Knex | Knex.Transaction, spec: InsertSpec): Knex.QueryBuilder;
  /** Runs one statement on a connection from the source's pool (named: prepared once per connection where the driver can). */
  run(connection: unknown, statement: DriverStatement): Promise<DriverResult>;
  /**
   * A FROM source holding rows not written anywhere, typed as rows of `table`: `rows` is their JSON (database column
   * names). Row rules are checked on the values a write would store before it runs (jsonb_populate_recordset on
   * PostgreSQL; OPENJSON … WITH on SQL Server).
   */
  candidates(db: Knex | Knex.Transaction, table: TableTarget, rows: string): Knex.QueryBuilder;
  /** Maps a driver error to a typed error; undefined when it is not a recognised database error. */
  translateError(err: unknown): AppError | undefined;
  introspect(db: Knex, options?: IntrospectOptions): Promise<DbCatalog>;
}

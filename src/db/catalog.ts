// What a database's catalog says, in one shape for every dialect: relations, columns, keys, foreign keys, statistics.

export interface DbColumn {
  readonly name: string;
  /** Normalised type name (`int4`, `varchar`, `numeric`, `timestamptz`, `nvarchar`, …); a domain or alias type reports its base type. */
  readonly dataType: string;
  readonly nullable: boolean;
  readonly defaultValue: string | undefined;
  /** Identity / serial / computed / generated: written by the database, read-only for clients. */
  readonly generated: boolean;
  readonly maxLength: number | undefined;
  readonly precision: number | undefined;
  readonly scale: number | undefined;
  readonly isArray: boolean;
  readonly enumValues: readonly string[] | undefined;
  readonly comment: string | undefined;
  /** Whose type names `dataType` uses (absent: PostgreSQL's). SQL Server's `bit` is a boolean, its `timestamp` a row version. */
  readonly typeSystem?: 'postgres' | 'mssql';
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
  /** Enabled triggers fire on writes: SQL Server then needs `OUTPUT … INTO` to return the written rows. */
  readonly hasTriggers?: boolean;
}

export interface DbCatalog {
  readonly schemas: readonly string[];
  readonly relations: readonly DbRelation[];
  /** Every non-system schema in the database, not only those introspected (for "did you mean" on a wrong name). */
  readonly availableSchemas?: readonly string[];
  /**
   * Whether the database resolves identifiers without regard to case (SQL Server under a case-insensitive
   * collation): a binding naming `V_CUST_BALANCE` then matches a catalog entry reported as `v_cust_balance`.
   */
  readonly caseInsensitiveNames?: boolean;
}

export interface IntrospectOptions {
  /** Only these schemas (default: every non-system schema). */
  readonly schemas?: readonly string[];
}

/** A table or view a statistics request names. */
export interface RelationName {
  readonly schema: string;
  readonly name: string;
}

/** What the migration report needs to know about one relation from the database's own statistics and catalog. */
export interface RelationStatistics {
  readonly kind: 'table' | 'view';
  /** Rows, from the statistics (not a count); null when the database keeps none. */
  readonly estimatedRows: number | null;
  /** Space used by the table and its indexes; null for views or when unknown. */
  readonly bytes: number | null;
  /** A primary key or a unique index / constraint exists. */
  readonly hasKey: boolean;
  readonly triggers: readonly string[];
  /** PostgreSQL rewrite rules; SQL Server has none. */
  readonly rules: readonly string[];
  readonly partitioned: boolean;
  /** Views: the relations (`schema.name`) the view reads. */
  readonly dependsOn: readonly string[];
  /** `column type` of columns whose type has no portable equivalent in other databases. */
  readonly unportable: readonly string[];
  readonly foreignKeys: readonly DbForeignKey[];
}

/** `schema.name`, as statistics are keyed. */
export function relationKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/** Finds a relation by schema and name, honouring the catalog's case rule. */
export function findRelation(catalog: DbCatalog, schema: string, name: string): DbRelation | undefined {
  const exact = catalog.relations.find((r) => r.schema === schema && r.name === name);
  if (exact || !catalog.caseInsensitiveNames) return exact;
  const s = schema.toLowerCase();
  const n = name.toLowerCase();
  return catalog.relations.find((r) => r.schema.toLowerCase() === s && r.name.toLowerCase() === n);
}

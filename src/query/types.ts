// The read-query AST (parsed from the URL) and the QueryPlan handed to the executor.
// Everything here is in database column names once planned; nothing here is SQL text.

export type CompareOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'like' | 'ilike';
export type FilterValue = string | number | boolean | null;

export type Filter =
  | { readonly column: string; readonly op: CompareOp; readonly value: FilterValue; readonly negate: boolean }
  | { readonly column: string; readonly op: 'in'; readonly values: readonly FilterValue[]; readonly negate: boolean }
  | {
      readonly column: string;
      readonly op: 'is';
      readonly value: 'null' | 'not_null' | 'true' | 'false';
      readonly negate: boolean;
    }
  | { readonly column: string; readonly op: 'inSubquery'; readonly subquery: Subquery; readonly negate: boolean };

/**
 * `column IN (SELECT column FROM table WHERE filters)`: a row rule that goes through a foreign key. Only row rules
 * make these (never the URL), and they are always in database names, so the planner maps only the outer column.
 */
export interface Subquery {
  readonly table: TableTarget;
  readonly column: string;
  readonly filters: readonly Filter[];
  /** Classifications of that table's columns (database names), so the audit log masks what the filters bind. */
  readonly classifications: Readonly<Record<string, string>>;
}

export interface OrderTerm {
  readonly column: string;
  readonly direction: 'asc' | 'desc';
  /** Explicit nulls placement; undefined means the database default (PostgreSQL: last for asc, first for desc). */
  readonly nulls: 'first' | 'last' | undefined;
  /**
   * The column holds no nulls (set by the planner from the contract): a keyset predicate then needs no `or … is null`
   * branch, which would keep the database from walking the index from the cursor on, and a dialect needs no NULL
   * placement term in ORDER BY (SQL Server can then order by its index).
   */
  readonly notNull?: boolean;
}

/** What a list request asks for, in API names, after parsing and validation against the resource. */
export interface ReadRequest {
  /** Selected API property names; undefined means every exposed property. */
  readonly select: readonly string[] | undefined;
  readonly filters: readonly Filter[];
  readonly order: readonly OrderTerm[];
  readonly limit: number | undefined;
  readonly offset: number | undefined;
  readonly cursor: string | undefined;
}

export interface Preferences {
  readonly return: 'representation' | 'minimal' | undefined;
  readonly count: 'exact' | undefined;
  readonly resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  readonly maxAffected: number | undefined;
}

export interface TableTarget {
  readonly schema: string | undefined;
  readonly name: string;
  /** The table has enabled triggers (known from the start-up binding check): SQL Server returns rows through OUTPUT … INTO. */
  readonly hasTriggers?: boolean;
}

/** A row value in database column names. */
export type DbRow = Record<string, unknown>;

/** Keyset position: values of the order terms (then key columns) of the last row of the previous page. */
export interface Keyset {
  readonly terms: readonly OrderTerm[];
  readonly values: readonly unknown[];
}

/** A row rule to verify on written rows, found again by their key columns (which `returning` must include). */
export interface RowCheck {
  readonly filters: readonly Filter[];
  readonly key: readonly string[];
  /**
   * Whether the caller may choose key values (every key column writable for it). When not, upsert and PUT only
   * reach rows it can see: a key it cannot see is answered as absent, whether free or held by a hidden row.
   */
  readonly keysWritable: boolean;
}

export type QueryPlan =
  | {
      readonly kind: 'select';
      readonly table: TableTarget;
      readonly columns: readonly string[];
      readonly filters: readonly Filter[];
      readonly order: readonly OrderTerm[];
      readonly after: Keyset | undefined;
      /** Rows to fetch (one more than the page, to know whether a next page exists). */
      readonly limit: number;
      readonly offset: number | undefined;
      readonly count: boolean;
      /** A read by key: more than one matching row means the data does not hold the key unique (409 key_not_unique). */
      readonly byKey?: true;
    }
  | {
      readonly kind: 'insert';
      readonly table: TableTarget;
      readonly rows: readonly DbRow[];
      readonly returning: readonly string[];
      /** Upsert on these columns when set. */
      readonly conflict: { readonly columns: readonly string[]; readonly action: 'merge' | 'ignore' } | undefined;
      /** Row rule every written row must satisfy; checked in the same transaction, which rolls back if not. */
      readonly check: RowCheck | undefined;
    }
  | {
      readonly kind: 'update';
      readonly table: TableTarget;
      readonly set: DbRow;
      readonly filters: readonly Filter[];
      readonly returning: readonly string[];
      readonly maxAffected: number | undefined;
      /** Row rule every updated row must still satisfy afterwards. */
      readonly check: RowCheck | undefined;
    }
  | {
      readonly kind: 'replace';
      readonly table: TableTarget;
      /** Every writable column: omitted ones are null. */
      readonly set: DbRow;
      readonly key: DbRow;
      readonly returning: readonly string[];
      /** Row rule: the existing row must match it to be replaced, and the written row must satisfy it. */
      readonly check: RowCheck | undefined;
    }
  | {
      readonly kind: 'delete';
      readonly table: TableTarget;
      readonly filters: readonly Filter[];
      readonly returning: readonly string[];
      readonly maxAffected: number | undefined;
    };

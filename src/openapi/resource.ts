// The resource model: what one `x-gatehouse` binding exposes, in API names and database names.

export type JsonSchema = Record<string, unknown>;

/** The kinds of JSON value a column carries, read from its schema; drives filter coercion. */
export type ColumnKind = 'integer' | 'number' | 'boolean' | 'string' | 'object' | 'array' | 'unknown';

export interface ResourceColumn {
  /** Name in the API (the schema property name). */
  readonly name: string;
  /** Name in the database (`x-gatehouse-column`, else the property name). */
  readonly column: string;
  readonly kind: ColumnKind;
  /** The property schema from the document (dereferenced). */
  readonly schema: JsonSchema;
  readonly nullable: boolean;
  /** `readOnly: true` in the document: never accepted in a write body. */
  readonly readOnly: boolean;
  /** `x-gatehouse-classification`: public, internal, confidential, pii, ... */
  readonly classification: string | undefined;
  /**
   * Set by the binding check: the column's type keeps no time zone (PostgreSQL `timestamp` / `time`, SQL Server
   * `datetime2` / `datetime` / `smalldatetime` / `time`), so its values are read back with no offset.
   */
  zoneless?: boolean;
}

export interface TableRef {
  readonly schema: string | undefined;
  readonly name: string;
}

export type OperationKind =
  | 'list'
  | 'create'
  | 'updateMany'
  | 'deleteMany'
  | 'read'
  | 'update'
  | 'replace'
  | 'delete';

export interface Resource {
  /** Stable resource name: the collection path without its leading slash (`customers`). */
  readonly name: string;
  readonly source: string;
  readonly table: TableRef;
  /** Key columns, in API names, in path-parameter order (the binding's `key`, else the primary key). */
  key: readonly string[];
  /**
   * Key properties a PATCH may change (`mutableKey` in the binding). Keys are immutable otherwise: a change of key
   * moves a row, which neither `readOnly` nor a rule's write columns would otherwise stop.
   */
  readonly mutableKey: readonly string[];
  readonly columns: ReadonlyMap<string, ResourceColumn>;
  /** Columns by database name, for mapping rows back to API names. */
  readonly byColumn: ReadonlyMap<string, ResourceColumn>;
  /** The entity schema, as written in the document (dereferenced). */
  readonly entitySchema: JsonSchema;
  /** Name of the entity schema under components.schemas, when it has one. */
  readonly entityName: string | undefined;
  /** `readOnly: true` in the binding: no writes at all. */
  readonly readOnly: boolean;
  /** `writable: true` in the binding: a view that accepts writes (views are read-only otherwise). */
  readonly writable: boolean;
  /** Set by the binding check: whether the relation is a view. */
  isView: boolean;
  /** Set by the binding check: the table has enabled triggers. */
  hasTriggers?: boolean;
  readonly collectionPath: string | undefined;
  readonly itemPath: string | undefined;
}

export interface Operation {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Path template as in the document (`/customers/{id}`). */
  readonly path: string;
  /** Path parameter names in template order (item paths: one per key column). */
  readonly pathParams: readonly string[];
  readonly resource: Resource;
  /** Scopes from `security` (any one requirement object's scopes must all be held). */
  readonly security: ReadonlyArray<Readonly<Record<string, readonly string[]>>>;
}

/** Whether a resource accepts writes: not marked read-only, and not a view unless the binding says so. */
export function isWritable(resource: Resource): boolean {
  return !resource.readOnly && (!resource.isView || resource.writable);
}

// SQL Server introspection from sys.*: schemas, tables, views, columns (identity, computed, defaults), primary keys,
// unique constraints and indexes, foreign keys, triggers, MS_Description comments, row estimates. Names are read from
// INFORMATION_SCHEMA, which reports them as declared (Babelfish's sys views fold some to lower case).
import type { Knex } from 'knex';
import type { DbCatalog, DbColumn, DbForeignKey, DbRelation, IntrospectOptions } from '../../catalog.js';

interface RelationRow {
  object_id: number;
  schema: string;
  name: string;
  type: string;
  comment: string | null;
  estimated_rows: string | number | null;
  has_triggers: number | boolean;
}

interface ColumnRow {
  object_id: number;
  column_id: number;
  name: string;
  type_name: string;
  max_length: number;
  precision: number;
  scale: number;
  is_nullable: boolean;
  is_identity: boolean;
  is_computed: boolean;
  generated_always_type: number | null;
  default_value: string | null;
  comment: string | null;
}

interface KeyRow {
  object_id: number;
  index_id: number;
  is_primary_key: boolean;
  column_id: number;
  column: string;
}

interface ForeignKeyRow {
  object_id: number;
  fk_id: number;
  name: string;
  parent_column_id: number;
  column: string;
  referenced_object_id: number;
  referenced_column_id: number;
  ref_schema: string;
  ref_table: string;
  ref_column: string;
}

const SYSTEM_SCHEMAS = new Set(['sys', 'INFORMATION_SCHEMA', 'guest', 'information_schema_tsql']);
/** Fixed database roles are schemas too; they never hold user tables. */
const ROLE_SCHEMA = /^db_/;

export async function introspectMssql(db: Knex, options: IntrospectOptions = {}): Promise<DbCatalog> {
  const [collation] = (await db.raw(`select cast(DATABASEPROPERTYEX(DB_NAME(), 'Collation') as nvarchar(128)) as name`)) as Array<{ name: string | null }>;
  const caseInsensitiveNames = /_CI_/i.test(collation?.name ?? '');
  const allSchemas = ((await db.raw(`select s.name from sys.schemas s order by s.name`)) as Array<{ name: string }>)
    .map((r) => r.name)
    .filter((s) => !SYSTEM_SCHEMAS.has(s) && !ROLE_SCHEMA.test(s));
  const wanted = options.schemas && options.schemas.length > 0 ? options.schemas : undefined;
  const same = (a: string, b: string): boolean => (caseInsensitiveNames ? a.toLowerCase() === b.toLowerCase() : a === b);
  const schemas = wanted ? allSchemas.filter((s) => wanted.some((w) => same(w, s))) : allSchemas;
  const base = { availableSchemas: allSchemas, caseInsensitiveNames };
  if (schemas.length === 0) return { schemas: [], relations: [], ...base };

  const declared = await declaredNames(db);
  const relations = (await db.raw(
    `select o.object_id, s.name as [schema], o.name, rtrim(o.type) as type,
            cast(ep.value as nvarchar(4000)) as comment,
            (select sum(p.rows) from sys.partitions p where p.object_id = o.object_id and p.index_id in (0, 1)) as estimated_rows,
            case when exists (select 1 from sys.triggers t where t.parent_id = o.object_id and t.is_disabled = 0) then 1 else 0 end as has_triggers
       from sys.objects o
       join sys.schemas s on s.schema_id = o.schema_id
       left join sys.extended_properties ep on ep.class = 1 and ep.major_id = o.object_id and ep.minor_id = 0 and ep.name = 'MS_Description'
      where o.type in ('U', 'V') and o.is_ms_shipped = 0 and s.name in (${schemas.map(() => '?').join(', ')})
      order by s.name, o.name`,
    schemas,
  )) as RelationRow[];
  if (relations.length === 0) return { schemas, relations: [], ...base };
  const ids = relations.map((r) => Number(r.object_id)).filter(Number.isInteger).join(', ');

  const columns = (await db.raw(
    `select c.object_id, c.column_id, c.name,
            case when ty.is_user_defined = 1 and ty.is_assembly_type = 0 then TYPE_NAME(c.system_type_id) else ty.name end as type_name,
            c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity, c.is_computed, c.generated_always_type,
            dc.definition as default_value, cast(ep.value as nvarchar(4000)) as comment
       from sys.columns c
       join sys.types ty on ty.user_type_id = c.user_type_id
       left join sys.default_constraints dc on dc.object_id = c.default_object_id
       left join sys.extended_properties ep on ep.class = 1 and ep.major_id = c.object_id and ep.minor_id = c.column_id and ep.name = 'MS_Description'
      where c.object_id in (${ids})
      order by c.object_id, c.column_id`,
  )) as ColumnRow[];

  // Unique constraints and unique indexes alike. A filtered index leaves the rows it filters out unconstrained, except
  // `WHERE col IS NOT NULL`: SQL Server's way to say what PostgreSQL's UNIQUE means (NULLs never clash).
  const keys = (
    (await db.raw(
      `select i.object_id, i.index_id, i.is_primary_key, i.filter_definition, ic.column_id, c.name as [column]
         from sys.indexes i
         join sys.index_columns ic on ic.object_id = i.object_id and ic.index_id = i.index_id and ic.is_included_column = 0
         join sys.columns c on c.object_id = ic.object_id and c.column_id = ic.column_id
        where i.object_id in (${ids}) and i.is_unique = 1 and i.is_disabled = 0
        order by i.object_id, i.index_id, ic.key_ordinal`,
    )) as Array<KeyRow & { filter_definition: string | null }>
  ).filter((k) => k.filter_definition === null || /^\(\[[^\]]+\] IS NOT NULL\)$/i.test(k.filter_definition));

  const foreignKeys = (await db.raw(
    `select fk.parent_object_id as object_id, fk.object_id as fk_id, fk.name,
            fkc.parent_column_id, pc.name as [column], fk.referenced_object_id, fkc.referenced_column_id,
            rs.name as ref_schema, ro.name as ref_table, rc.name as ref_column
       from sys.foreign_keys fk
       join sys.foreign_key_columns fkc on fkc.constraint_object_id = fk.object_id
       join sys.columns pc on pc.object_id = fkc.parent_object_id and pc.column_id = fkc.parent_column_id
       join sys.columns rc on rc.object_id = fkc.referenced_object_id and rc.column_id = fkc.referenced_column_id
       join sys.objects ro on ro.object_id = fk.referenced_object_id
       join sys.schemas rs on rs.schema_id = ro.schema_id
      where fk.parent_object_id in (${ids})
      order by fk.parent_object_id, fk.name, fkc.constraint_column_id`,
  )) as ForeignKeyRow[];

  const columnsBy = groupBy(
    columns.map((c) => ({ ...c, name: declared.column(c.object_id, c.column_id, c.name) })),
    (c) => Number(c.object_id),
  );
  const keysBy = groupBy(keys, (k) => Number(k.object_id));
  const fksBy = groupBy(foreignKeys, (f) => Number(f.object_id));
  const out: DbRelation[] = relations.map((r) => {
    const id = Number(r.object_id);
    const indexes = [...groupBy(keysBy.get(id) ?? [], (k) => Number(k.index_id)).values()];
    const primary = indexes.find((i) => truthy(i[0]!.is_primary_key));
    const estimated = r.estimated_rows === null ? undefined : Number(r.estimated_rows);
    return {
      schema: r.schema,
      name: declared.table(id, r.name),
      kind: r.type === 'V' ? 'view' : 'table',
      columns: (columnsBy.get(id) ?? []).map(toColumn),
      primaryKey: primary?.map((k) => declared.column(id, k.column_id, k.column)) ?? [],
      uniqueKeys: indexes.filter((i) => i !== primary).map((i) => i.map((k) => declared.column(id, k.column_id, k.column))),
      foreignKeys: [...groupBy(fksBy.get(id) ?? [], (f) => Number(f.fk_id)).values()].map(
        (parts): DbForeignKey => ({
          name: parts[0]!.name,
          columns: parts.map((p) => declared.column(id, p.parent_column_id, p.column)),
          refSchema: parts[0]!.ref_schema,
          refTable: declared.table(parts[0]!.referenced_object_id, parts[0]!.ref_table),
          refColumns: parts.map((p) => declared.column(p.referenced_object_id, p.referenced_column_id, p.ref_column)),
        }),
      ),
      comment: r.comment ?? undefined,
      // Babelfish keeps no row counts in sys.partitions (-1).
      estimatedRows: estimated === undefined || estimated < 0 ? undefined : estimated,
      ...(truthy(r.has_triggers) ? { hasTriggers: true } : {}),
    };
  });
  return { schemas, relations: out, ...base };
}

interface DeclaredNames {
  table(objectId: number, fallback: string): string;
  column(objectId: number, columnId: number, fallback: string): string;
}

/**
 * Table and column names as INFORMATION_SCHEMA declares them, by object id and column ordinal. On SQL Server they
 * equal sys.*'s; Babelfish folds sys.* names to lower case (and view names everywhere), so these win where present.
 */
async function declaredNames(db: Knex): Promise<DeclaredNames> {
  const rows = (await db.raw(
    `select OBJECT_ID(QUOTENAME(TABLE_SCHEMA) + '.' + QUOTENAME(TABLE_NAME)) as object_id, TABLE_NAME as table_name,
            COLUMN_NAME as column_name, ORDINAL_POSITION as ordinal
       from INFORMATION_SCHEMA.COLUMNS`,
  )) as Array<{ object_id: number | null; table_name: string; column_name: string; ordinal: number }>;
  const tables = new Map<number, string>();
  const columns = new Map<string, string>();
  for (const r of rows) {
    if (r.object_id === null) continue;
    tables.set(Number(r.object_id), r.table_name);
    columns.set(`${Number(r.object_id)}:${Number(r.ordinal)}`, r.column_name);
  }
  // A declared name differs from the catalog's only in case; anything else means the two views disagree on the object.
  const pick = (declared: string | undefined, fallback: string): string =>
    declared !== undefined && declared.toLowerCase() === fallback.toLowerCase() ? declared : fallback;
  return {
    table: (objectId, fallback) => pick(tables.get(Number(objectId)), fallback),
    column: (objectId, columnId, fallback) => pick(columns.get(`${Number(objectId)}:${Number(columnId)}`), fallback),
  };
}

const CHARACTERS_IN_TWO_BYTES = new Set(['nvarchar', 'nchar']);
const LENGTHED = new Set(['varchar', 'char', 'nvarchar', 'nchar', 'varbinary', 'binary']);
const DECIMALS = new Set(['decimal', 'numeric']);

function toColumn(c: ColumnRow): DbColumn {
  const type = c.type_name === 'sysname' ? 'nvarchar' : c.type_name;
  const length = LENGTHED.has(type) && c.max_length > 0 ? (CHARACTERS_IN_TWO_BYTES.has(type) ? c.max_length / 2 : c.max_length) : undefined;
  return {
    name: c.name,
    dataType: type,
    nullable: truthy(c.is_nullable),
    defaultValue: defaultText(c.default_value, type),
    // rowversion / timestamp columns and system-versioned period columns are written by the server too.
    generated: truthy(c.is_identity) || truthy(c.is_computed) || (c.generated_always_type ?? 0) > 0 || type === 'timestamp' || type === 'rowversion',
    maxLength: length,
    precision: DECIMALS.has(type) ? c.precision : undefined,
    scale: DECIMALS.has(type) || type === 'datetime2' || type === 'datetimeoffset' || type === 'time' ? c.scale : undefined,
    isArray: false,
    enumValues: undefined,
    comment: c.comment ?? undefined,
    typeSystem: 'mssql',
  };
}

/**
 * SQL Server stores a default as written, wrapped in parentheses: `((0))`, `('A')`, `(N'x')`, `(getdate())`. The literal
 * inside is what init can copy (a bit's 0 / 1 as false / true); an expression stays as it is.
 */
function defaultText(definition: string | null, type: string): string | undefined {
  if (definition === null) return undefined;
  let text = definition.trim();
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  text = text.replace(/^N'/, "'");
  if (type === 'bit' && /^[01]$/.test(text)) return text === '1' ? 'true' : 'false';
  return text;
}

function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1';

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

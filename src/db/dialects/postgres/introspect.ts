// PostgreSQL introspection from pg_catalog: relations, columns, keys, foreign keys, enums, comments, row estimates.
import type { Knex } from 'knex';
import type { DbCatalog, DbColumn, DbForeignKey, DbRelation, IntrospectOptions } from '../../catalog.js';

interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  estimated_rows: string | number | null;
}

interface ColumnRow {
  relid: number;
  name: string;
  type_name: string;
  elem_type_name: string | null;
  is_array: boolean;
  not_null: boolean;
  default_value: string | null;
  identity: string;
  generated: string;
  typmod: number;
  enum_values: string[] | null;
  comment: string | null;
}

interface ConstraintRow {
  relid: number;
  name: string;
  contype: string;
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

export async function introspectPostgres(db: Knex, options: IntrospectOptions = {}): Promise<DbCatalog> {
  const schemaFilter = options.schemas && options.schemas.length > 0 ? options.schemas : undefined;
  const allSchemas = (
    await db.raw<{ rows: Array<{ nspname: string }> }>(
      `select nspname from pg_namespace
        where nspname <> all(?) and nspname not like 'pg\\_temp\\_%' and nspname not like 'pg\\_toast\\_temp\\_%'
        order by nspname`,
      [SYSTEM_SCHEMAS],
    )
  ).rows.map((r) => r.nspname);
  const schemas = schemaFilter ? allSchemas.filter((s) => schemaFilter.includes(s)) : allSchemas;
  if (schemas.length === 0) return { schemas: [], relations: [], availableSchemas: allSchemas };

  const relations = (
    await db.raw<{ rows: RelationRow[] }>(
      `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind,
              obj_description(c.oid, 'pg_class') as comment,
              case when c.reltuples >= 0 then c.reltuples::bigint end as estimated_rows
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = any(?)
          and not c.relispartition
        order by n.nspname, c.relname`,
      [schemas],
    )
  ).rows;
  if (relations.length === 0) return { schemas, relations: [], availableSchemas: allSchemas };
  const oids = relations.map((r) => r.oid);

  const columns = (
    await db.raw<{ rows: ColumnRow[] }>(
      `select a.attrelid::int as relid, a.attname as name,
              coalesce(et.typname, t.typname) as type_name,
              et.typname as elem_type_name,
              (t.typcategory = 'A') as is_array,
              (a.attnotnull or t0.typnotnull) as not_null,
              pg_get_expr(d.adbin, d.adrelid) as default_value,
              a.attidentity as identity, a.attgenerated as generated,
              case when t0.typtype = 'd' then t0.typtypmod else a.atttypmod end as typmod,
              (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e
                where e.enumtypid = coalesce(et.oid, t.oid))::text[] as enum_values,
              col_description(a.attrelid, a.attnum) as comment
         from pg_attribute a
         join pg_type t0 on t0.oid = a.atttypid
         -- A domain column is described by its base type (one level: domains over domains are rare in practice).
         join pg_type t on t.oid = case when t0.typtype = 'd' then t0.typbasetype else t0.oid end
         left join pg_type et on t.typcategory = 'A' and et.oid = t.typelem
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = any(?) and a.attnum > 0 and not a.attisdropped
        order by a.attrelid, a.attnum`,
      [oids],
    )
  ).rows;

  const constraints = (
    await db.raw<{ rows: ConstraintRow[] }>(
      `select con.conrelid::int as relid, con.conname as name, con.contype,
              array(select att.attname from unnest(con.conkey) with ordinality k(attnum, ord)
                      join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.attnum
                     order by k.ord)::text[] as columns,
              rn.nspname as ref_schema, rc.relname as ref_table,
              case when con.contype = 'f' then
                array(select att.attname from unnest(con.confkey) with ordinality k(attnum, ord)
                        join pg_attribute att on att.attrelid = con.confrelid and att.attnum = k.attnum
                       order by k.ord)::text[] end as ref_columns
         from pg_constraint con
         left join pg_class rc on rc.oid = con.confrelid
         left join pg_namespace rn on rn.oid = rc.relnamespace
        where con.conrelid = any(?) and con.contype in ('p', 'u', 'f')
        order by con.conrelid, con.conname`,
      [oids],
    )
  ).rows;

  const columnsByRel = groupBy(columns, (c) => c.relid);
  const constraintsByRel = groupBy(constraints, (c) => c.relid);

  const out: DbRelation[] = relations.map((r) => {
    const cons = constraintsByRel.get(r.oid) ?? [];
    const foreignKeys: DbForeignKey[] = cons
      .filter((c) => c.contype === 'f')
      .map((c) => ({
        name: c.name,
        columns: c.columns,
        refSchema: c.ref_schema ?? '',
        refTable: c.ref_table ?? '',
        refColumns: c.ref_columns ?? [],
      }));
    return {
      schema: r.schema,
      name: r.name,
      kind: r.relkind === 'v' || r.relkind === 'm' ? 'view' : 'table',
      columns: (columnsByRel.get(r.oid) ?? []).map(toColumn),
      primaryKey: cons.find((c) => c.contype === 'p')?.columns ?? [],
      uniqueKeys: cons.filter((c) => c.contype === 'u').map((c) => c.columns),
      foreignKeys,
      comment: r.comment ?? undefined,
      estimatedRows: r.estimated_rows === null ? undefined : Number(r.estimated_rows),
    };
  });
  return { schemas, relations: out, availableSchemas: allSchemas };
}

function toColumn(c: ColumnRow): DbColumn {
  const { maxLength, precision, scale } = decodeTypmod(c.type_name, c.typmod);
  const serial = typeof c.default_value === 'string' && c.default_value.startsWith('nextval(');
  return {
    name: c.name,
    dataType: c.type_name,
    nullable: !c.not_null,
    defaultValue: c.default_value ?? undefined,
    generated: c.identity !== '' || c.generated !== '' || serial,
    maxLength,
    precision,
    scale,
    isArray: c.is_array,
    enumValues: c.enum_values ?? undefined,
    comment: c.comment ?? undefined,
  };
}

/** atttypmod packs length (varchar/bpchar: n + 4) and precision/scale (numeric: ((p << 16) | s) + 4). */
function decodeTypmod(
  type: string,
  typmod: number,
): { maxLength: number | undefined; precision: number | undefined; scale: number | undefined } {
  if (typmod < 0) return { maxLength: undefined, precision: undefined, scale: undefined };
  if (type === 'varchar' || type === 'bpchar') return { maxLength: typmod - 4, precision: undefined, scale: undefined };
  if (type === 'numeric') {
    const mod = typmod - 4;
    return { maxLength: undefined, precision: (mod >> 16) & 0xffff, scale: mod & 0xffff };
  }
  return { maxLength: undefined, precision: undefined, scale: undefined };
}

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

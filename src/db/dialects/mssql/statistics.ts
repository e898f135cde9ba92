// SQL Server statistics for the migration report: rows and space from sys.dm_db_partition_stats (falling back to
// sys.partitions where the account lacks VIEW DATABASE STATE), keys, triggers, partitioning, view dependencies and
// types other databases lack.
import type { Knex } from 'knex';
import { relationKey, type DbForeignKey, type RelationName, type RelationStatistics } from '../../catalog.js';
import { introspectMssql } from './introspect.js';

// Types that PostgreSQL and the managed cloud databases lack or model differently: moving them means a conversion.
const UNPORTABLE = new Set(['hierarchyid', 'sql_variant', 'geography', 'geometry', 'xml', 'image', 'text', 'ntext', 'money', 'smallmoney', 'timestamp', 'rowversion']);

interface ObjectRow {
  object_id: number;
  schema: string;
  name: string;
  type: string;
}

interface SizeRow {
  object_id: number;
  rows: string | number | null;
  bytes: string | number | null;
  partitions: number;
}

export async function mssqlStatistics(db: Knex, relations: readonly RelationName[]): Promise<ReadonlyMap<string, RelationStatistics>> {
  const out = new Map<string, RelationStatistics>();
  if (relations.length === 0) return out;
  const catalog = await introspectMssql(db, { schemas: [...new Set(relations.map((r) => r.schema))] });
  const fold = (s: string): string => (catalog.caseInsensitiveNames ? s.toLowerCase() : s);
  const wanted = new Map(relations.map((r) => [fold(relationKey(r.schema, r.name)), r]));
  const found = catalog.relations.filter((r) => wanted.has(fold(relationKey(r.schema, r.name))));
  if (found.length === 0) return out;

  const objects = (await db.raw(
    `select o.object_id, s.name as [schema], o.name, rtrim(o.type) as type
       from sys.objects o join sys.schemas s on s.schema_id = o.schema_id
      where o.type in ('U', 'V') and o.object_id in (${found.map(() => 'OBJECT_ID(?)').join(', ')})`,
    found.map((r) => `[${r.schema.replace(/]/g, ']]')}].[${r.name.replace(/]/g, ']]')}]`),
  )) as ObjectRow[];
  const idOf = new Map(objects.map((o) => [fold(relationKey(o.schema, o.name)), Number(o.object_id)]));
  const ids = objects.map((o) => Number(o.object_id)).filter(Number.isInteger).join(', ');
  if (ids === '') return out;
  const sizes = new Map((await sizesOf(db, ids)).map((s) => [Number(s.object_id), s]));
  const triggers = groupNames(
    (await db.raw(`select parent_id as object_id, name from sys.triggers where parent_class = 1 and parent_id in (${ids}) order by name`)) as Array<{
      object_id: number;
      name: string;
    }>,
  );
  const dependsOn = groupNames(
    (await db.raw(
      `select d.referencing_id as object_id, concat(coalesce(d.referenced_schema_name, 'dbo'), '.', d.referenced_entity_name) as name
         from sys.sql_expression_dependencies d
        where d.referencing_id in (${ids}) and d.referenced_entity_name is not null`,
    )) as Array<{ object_id: number; name: string }>,
  );

  for (const relation of found) {
    const id = idOf.get(fold(relationKey(relation.schema, relation.name)));
    const size = id === undefined ? undefined : sizes.get(id);
    const rows = size?.rows === null || size?.rows === undefined ? null : Number(size.rows);
    // Keyed as the caller named it (the catalog may report a view's name in another case, Babelfish does).
    const asAsked = wanted.get(fold(relationKey(relation.schema, relation.name)))!;
    out.set(relationKey(asAsked.schema, asAsked.name), {
      kind: relation.kind,
      estimatedRows: relation.kind === 'view' ? null : rows !== null && rows >= 0 ? rows : (relation.estimatedRows ?? null),
      bytes: relation.kind === 'view' || size?.bytes === null || size?.bytes === undefined ? null : Number(size.bytes),
      hasKey: relation.primaryKey.length > 0 || relation.uniqueKeys.length > 0,
      triggers: (id === undefined ? undefined : triggers.get(id)) ?? [],
      rules: [],
      partitioned: (size?.partitions ?? 1) > 1,
      dependsOn: [...new Set((id === undefined ? undefined : dependsOn.get(id)) ?? [])].sort(),
      unportable: relation.columns.filter((c) => UNPORTABLE.has(c.dataType)).map((c) => `${c.name} ${c.dataType}`),
      foreignKeys: relation.foreignKeys as DbForeignKey[],
    });
  }
  return out;
}

/** Rows, bytes and partitions per object: the DMV when the account may read it, else sys.partitions' row counts. */
async function sizesOf(db: Knex, ids: string): Promise<SizeRow[]> {
  try {
    return (await db.raw(
      `select ps.object_id,
              sum(case when ps.index_id in (0, 1) then ps.row_count else 0 end) as rows,
              sum(ps.used_page_count) * 8192 as bytes,
              count(distinct ps.partition_number) as partitions
         from sys.dm_db_partition_stats ps
        where ps.object_id in (${ids})
        group by ps.object_id`,
    )) as SizeRow[];
  } catch {
    // No VIEW DATABASE STATE permission (or no such view on this server): row counts only.
    return (await db.raw(
      `select p.object_id, sum(case when p.index_id in (0, 1) then p.rows else 0 end) as rows, null as bytes,
              count(distinct p.partition_number) as partitions
         from sys.partitions p
        where p.object_id in (${ids})
        group by p.object_id`,
    )) as SizeRow[];
  }
}

function groupNames(rows: ReadonlyArray<{ object_id: number; name: string }>): Map<number, string[]> {
  const map = new Map<number, string[]>();
  for (const r of rows) {
    const list = map.get(Number(r.object_id)) ?? [];
    list.push(r.name);
    map.set(Number(r.object_id), list);
  }
  return map;
}

// PostgreSQL statistics for the migration report: row estimates and sizes from pg_class, keys, triggers, rules,
// partitioning, view dependencies and types other databases lack, for the named relations.
import type { Knex } from 'knex';
import { relationKey, type RelationName, type RelationStatistics } from '../../catalog.js';

// PostgreSQL-only types (or type families) that SQL Server and the managed cloud databases lack or model
// differently: moving them means a conversion, not a copy.
const UNPORTABLE = new Set([
  'money', 'inet', 'cidr', 'macaddr', 'macaddr8', 'tsvector', 'tsquery', 'point', 'line', 'lseg', 'box', 'path',
  'polygon', 'circle', 'pg_lsn', 'txid_snapshot', 'pg_snapshot', 'int4range', 'int8range', 'numrange', 'tsrange',
  'tstzrange', 'daterange', 'int4multirange', 'int8multirange', 'nummultirange', 'tsmultirange', 'tstzmultirange',
  'datemultirange', 'hstore', 'ltree', 'geometry', 'geography', 'xml',
]);

interface Row {
  schema: string;
  name: string;
  relkind: string;
  estimated_rows: string | number | null;
  bytes: string | number | null;
  has_key: boolean;
  triggers: string[] | null;
  rules: string[] | null;
  partitioned: boolean;
  depends_on: string[] | null;
  columns: Array<{ name: string; type: string; base: string; typtype: string; category: string }> | null;
  foreign_keys: Array<{ name: string; columns: string[]; ref_schema: string; ref_table: string; ref_columns: string[] }> | null;
}

export async function postgresStatistics(db: Knex, relations: readonly RelationName[]): Promise<ReadonlyMap<string, RelationStatistics>> {
  const out = new Map<string, RelationStatistics>();
  if (relations.length === 0) return out;
  const wanted = relations.map((r) => relationKey(r.schema, r.name));
  const result = await db.raw<{ rows: Row[] }>(
    `select n.nspname as schema, c.relname as name, c.relkind,
            case when c.reltuples >= 0 then c.reltuples::bigint end as estimated_rows,
            case when c.relkind in ('r', 'p', 'm') then pg_total_relation_size(c.oid) end as bytes,
            exists (select 1 from pg_index i where i.indrelid = c.oid and (i.indisprimary or i.indisunique)) as has_key,
            array(select t.tgname::text from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal order by 1) as triggers,
            array(select r.rulename::text from pg_rewrite r where r.ev_class = c.oid and r.rulename <> '_RETURN' order by 1) as rules,
            (c.relkind = 'p' or exists (select 1 from pg_inherits h where h.inhparent = c.oid)) as partitioned,
            array(select distinct dn.nspname || '.' || dc.relname
                    from pg_rewrite r
                    join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
                    join pg_class dc on dc.oid = d.refobjid
                    join pg_namespace dn on dn.oid = dc.relnamespace
                   where r.ev_class = c.oid and c.relkind in ('v', 'm') and dc.oid <> c.oid order by 1) as depends_on,
            (select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                               'base', t.typname, 'typtype', t.typtype, 'category', t.typcategory) order by a.attnum)
               from pg_attribute a join pg_type t on t.oid = a.atttypid
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
            (select json_agg(json_build_object(
                      'name', con.conname,
                      'columns', array(select att.attname from unnest(con.conkey) with ordinality k(attnum, ord)
                                         join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.attnum order by k.ord),
                      'ref_schema', rn.nspname, 'ref_table', rc.relname,
                      'ref_columns', array(select att.attname from unnest(con.confkey) with ordinality k(attnum, ord)
                                             join pg_attribute att on att.attrelid = con.confrelid and att.attnum = k.attnum order by k.ord)))
               from pg_constraint con
               join pg_class rc on rc.oid = con.confrelid
               join pg_namespace rn on rn.oid = rc.relnamespace
              where con.conrelid = c.oid and con.contype = 'f') as foreign_keys
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where (n.nspname || '.' || c.relname) = any(?) and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
    [wanted],
  );
  for (const r of result.rows) {
    out.set(relationKey(r.schema, r.name), {
      kind: r.relkind === 'v' || r.relkind === 'm' ? 'view' : 'table',
      estimatedRows: r.estimated_rows === null ? null : Number(r.estimated_rows),
      bytes: r.bytes === null ? null : Number(r.bytes),
      hasKey: r.has_key,
      triggers: r.triggers ?? [],
      rules: r.rules ?? [],
      partitioned: r.partitioned,
      dependsOn: r.depends_on ?? [],
      unportable: (r.columns ?? []).filter(isUnportable).map((c) => `${c.name} ${c.type}`),
      foreignKeys: (r.foreign_keys ?? []).map((f) => ({
        name: f.name,
        columns: f.columns,
        refSchema: f.ref_schema,
        refTable: f.ref_table,
        refColumns: f.ref_columns,
      })),
    });
  }
  return out;
}

function isUnportable(c: { typtype: string; category: string; base: string }): boolean {
  // Arrays, ranges, multiranges and composite types: no portable column type to map them to.
  if (c.category === 'A' || c.typtype === 'r' || c.typtype === 'm' || c.typtype === 'c') return true;
  return UNPORTABLE.has(c.base);
}

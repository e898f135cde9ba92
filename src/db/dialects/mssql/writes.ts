// How SQL Server writes return rows and upserts: OUTPUT (… INTO a temporary table when the table has triggers)
// instead of RETURNING, and an upsert as UPDATE then INSERT … WHERE NOT EXISTS under UPDLOCK, SERIALIZABLE in one
// transaction — MERGE has known defects under concurrency, and Babelfish refuses it.
import type { Knex } from 'knex';
import type { DbRow, TableTarget } from '../../../query/types.js';
import type { InsertSpec, StatementGroup } from '../types.js';

type Db = Knex | Knex.Transaction;

/** SQL Server takes at most 2100 parameters per request and 1000 rows per VALUES list. */
const MAX_PARAMETERS = 2000;
const MAX_VALUES_ROWS = 1000;

/**
 * `col as col`: the alias keeps the column's declared name on the returned row (Babelfish reports an OUTPUT column
 * without one in lower case); SQL Server accepts it alike.
 */
export function outputColumns(columns: readonly string[]): string[] {
  return columns.map((c) => `${c} as ${c}`);
}

/** RETURNING as OUTPUT; through a temporary table when triggers fire (SQL Server refuses a bare OUTPUT there). */
export function mssqlReturning(qb: Knex.QueryBuilder, columns: readonly string[], table: TableTarget): void {
  if (columns.length === 0) return;
  qb.returning(outputColumns(columns), table.hasTriggers ? { includeTriggerModifications: true } : undefined);
}

export function buildMssqlInsert(db: Db, spec: InsertSpec): StatementGroup {
  if (spec.conflict) return buildUpsert(db, spec, spec.conflict.columns, spec.conflict.action);
  const chunks = chunked(spec.rows);
  const statements = chunks.map((rows) => {
    const qb = (spec.table.schema ? db.withSchema(spec.table.schema) : db).table(spec.table.name).insert(rows as DbRow[]);
    mssqlReturning(qb, spec.returning, spec.table);
    return qb;
  });
  // One INSERT is atomic by itself; several (a bulk insert past the parameter limit) share a transaction.
  return { statements, atomic: statements.length > 1 };
}

/** Rows split so that each statement stays under SQL Server's parameter and VALUES limits. */
function chunked(rows: readonly DbRow[]): DbRow[][] {
  const width = Math.max(1, ...rows.map((r) => Object.keys(r).length));
  const size = Math.max(1, Math.min(MAX_VALUES_ROWS, Math.floor(MAX_PARAMETERS / width)));
  const out: DbRow[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size) as DbRow[]);
  return out;
}

function buildUpsert(db: Db, spec: InsertSpec, keys: readonly string[], action: 'merge' | 'ignore'): StatementGroup {
  const statements: Knex.Raw[] = [];
  // Rows naming the same columns go together: a VALUES list has one column list.
  const byColumns = new Map<string, DbRow[]>();
  // Built once per shape (values are placeholders here), so nothing below may depend on a value.
  for (const row of spec.rows) {
    const columns = Object.keys(row).filter((c) => row[c] !== undefined);
    const group = byColumns.get(JSON.stringify(columns)) ?? [];
    group.push(row);
    byColumns.set(JSON.stringify(columns), group);
  }
  for (const [signature, group] of byColumns) {
    const columns = JSON.parse(signature) as string[];
    for (const chunk of chunked(group)) {
      const values = valuesList(chunk, columns);
      const updates = columns.filter((c) => !keys.includes(c));
      if (action === 'merge' && updates.length > 0) statements.push(updateExisting(db, spec, columns, updates, keys, values));
      statements.push(insertMissing(db, spec, columns, keys, values));
    }
  }
  return { statements, atomic: statements.length > 1 };
}

/** `(values (?, ?), (?, ?)) as [v]([a], [b])` with its bindings. */
function valuesList(rows: readonly DbRow[], columns: readonly string[]): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  const tuples = rows.map((row) => `(${columns.map((c) => (bindings.push(row[c] ?? null), '?')).join(', ')})`);
  for (const c of columns) bindings.push(c);
  return { sql: `(values ${tuples.join(', ')}) as [v](${columns.map(() => '??').join(', ')})`, bindings };
}

function target(spec: InsertSpec): { sql: string; bindings: string[] } {
  return spec.table.schema ? { sql: '??.??', bindings: [spec.table.schema, spec.table.name] } : { sql: '??', bindings: [spec.table.name] };
}

interface OutputSql {
  readonly before: string;
  readonly clause: string;
  readonly after: string;
  readonly bindings: { readonly before: unknown[]; readonly clause: unknown[]; readonly after: unknown[] };
}

/** The OUTPUT clause (and, with triggers, the temporary table it fills), as raw SQL pieces. */
function output(spec: InsertSpec): OutputSql {
  const cols = spec.returning;
  if (cols.length === 0) return { before: '', clause: '', after: '', bindings: { before: [], clause: [], after: [] } };
  const list = cols.map(() => 'inserted.?? as ??').join(', ');
  const clauseBindings = cols.flatMap((c) => [c, c]);
  if (!spec.table.hasTriggers) return { before: '', clause: ` output ${list}`, after: '', bindings: { before: [], clause: clauseBindings, after: [] } };
  const t = target(spec);
  // An empty copy of the returned columns (the join drops the identity property), filled by OUTPUT … INTO.
  const before = `select top (0) ${cols.map(() => '[t].?? as ??').join(', ')} into #gatehouse_out from ${t.sql} as [t] left join ${t.sql} as [t0] on 0 = 1; `;
  const after = `; select ${cols.map(() => '??').join(', ')} from #gatehouse_out; drop table #gatehouse_out`;
  return {
    before,
    clause: ` output ${list} into #gatehouse_out`,
    after,
    bindings: { before: [...cols.flatMap((c) => [c, c]), ...t.bindings, ...t.bindings], clause: clauseBindings, after: [...cols] },
  };
}

function updateExisting(
  db: Db,
  spec: InsertSpec,
  columns: readonly string[],
  updates: readonly string[],
  keys: readonly string[],
  values: { sql: string; bindings: unknown[] },
): Knex.Raw {
  const t = target(spec);
  const out = output(spec);
  const sql =
    `${out.before}update ${t.sql} with (updlock, serializable) set ${updates.map(() => '??.?? = [v].??').join(', ')}` +
    `${out.clause} from ${values.sql} where ${keys.map(() => '??.?? = [v].??').join(' and ')}${out.after}`;
  const name = spec.table.name;
  return db.raw(sql, [
    ...out.bindings.before,
    ...t.bindings,
    ...updates.flatMap((c) => [name, c, c]),
    ...out.bindings.clause,
    ...values.bindings,
    ...keys.flatMap((k) => [name, k, k]),
    ...out.bindings.after,
  ] as Knex.RawBinding[]);
}

function insertMissing(
  db: Db,
  spec: InsertSpec,
  columns: readonly string[],
  keys: readonly string[],
  values: { sql: string; bindings: unknown[] },
): Knex.Raw {
  const t = target(spec);
  const out = output(spec);
  const sql =
    `${out.before}insert into ${t.sql} (${columns.map(() => '??').join(', ')})${out.clause} ` +
    `select ${columns.map(() => '[v].??').join(', ')} from ${values.sql} ` +
    `where not exists (select 1 from ${t.sql} as [t] with (updlock, serializable) where ${keys.map(() => '[t].?? = [v].??').join(' and ')})${out.after}`;
  return db.raw(sql, [
    ...out.bindings.before,
    ...t.bindings,
    ...columns,
    ...out.bindings.clause,
    ...columns,
    ...values.bindings,
    ...t.bindings,
    ...keys.flatMap((k) => [k, k]),
    ...out.bindings.after,
  ] as Knex.RawBinding[]);
}

/**
 * Rows not written anywhere, typed as the table's columns: OPENJSON gives each value as text (one row per property,
 * gathered back into one row per candidate: no JSON paths, which would have to quote every column name), and a
 * UNION ALL with an empty select of the same columns makes SQL Server convert them to the columns' types and
 * collations (a column's type outranks nvarchar), so a row rule compares them as it compares stored values.
 */
export function mssqlCandidates(db: Db, table: TableTarget, columns: readonly string[], rows: string): Knex.QueryBuilder {
  const from = table.schema ? db.withSchema(table.schema) : db;
  const typed = from.select(columns as string[]).from(table.name).limit(0);
  const given = db
    .select(columns.map((c) => db.raw('max(case when property.[key] = ? then property.[value] end) as ??', [c, c])))
    .from(db.raw('openjson(?) as candidate cross apply openjson(candidate.[value]) as property', [rows]))
    .groupBy('candidate.key');
  return db.select('*').from(typed.unionAll(given, true).as('candidate'));
}

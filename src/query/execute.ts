// The executor: QueryPlan → knex (through the source's dialect) → rows. The only query module that knows knex.
import type { Knex } from 'knex';
import { ValidationError } from '../errors/app-error.js';
import type { DataSource } from '../db/sources.js';
import { requestStorage } from '../http/context.js';
import type { Dialect } from '../db/dialects/types.js';
import type { DbRow, Filter, Keyset, OrderTerm, QueryPlan, TableTarget } from './types.js';

export interface ExecuteResult {
  readonly rows: DbRow[];
  /** Total rows matching the filters (select with count). */
  readonly count?: number;
  /** PUT inserted the row rather than replacing it. */
  readonly created?: boolean;
}

export async function executePlan(source: DataSource, plan: QueryPlan): Promise<ExecuteResult> {
  // Write-ahead audit: a mutation's intent is durable before its statement runs (and classified values are noted for masking).
  await requestStorage.getStore()?.audit?.beforeExecute(plan, source.name);
  try {
    return await run(source, plan);
  } catch (err) {
    throw source.dialect.translateError(err) ?? err;
  }
}

type Db = Knex | Knex.Transaction;
type SelectQueryPlan = Extract<QueryPlan, { kind: 'select' }>;
type UpdateQueryPlan = Extract<QueryPlan, { kind: 'update' }>;
type DeleteQueryPlan = Extract<QueryPlan, { kind: 'delete' }>;

/** The SELECT for a plan, built but not run: the executor awaits it; tests compile it with `toSQL()`. */
export function buildSelect(db: Db, dialect: Dialect, plan: SelectQueryPlan): Knex.QueryBuilder {
  const qb = from(db, plan.table).select(plan.columns as string[]);
  applyFilters(qb, plan.filters, dialect);
  if (plan.after) applyKeyset(qb, plan.after);
  for (const term of plan.order) qb.orderBy(term.column, term.direction, effectiveNulls(term));
  qb.limit(plan.limit);
  if (plan.offset !== undefined) qb.offset(plan.offset);
  return qb;
}

/** The total-count query of a list: same filters, no keyset, order or page. */
export function buildCount(db: Db, dialect: Dialect, plan: SelectQueryPlan): Knex.QueryBuilder {
  const qb = from(db, plan.table).count({ n: '*' });
  applyFilters(qb, plan.filters, dialect);
  return qb;
}

export function buildUpdate(db: Db, dialect: Dialect, plan: UpdateQueryPlan): Knex.QueryBuilder {
  const qb = from(db, plan.table).update(plan.set).returning(plan.returning as string[]);
  applyFilters(qb, plan.filters, dialect);
  return qb;
}

export function buildDelete(db: Db, dialect: Dialect, plan: DeleteQueryPlan): Knex.QueryBuilder {
  const qb = from(db, plan.table).delete().returning(plan.returning as string[]);
  applyFilters(qb, plan.filters, dialect);
  return qb;
}

async function run(source: DataSource, plan: QueryPlan): Promise<ExecuteResult> {
  const { db, dialect } = source;
  switch (plan.kind) {
    case 'select': {
      const rows = (await buildSelect(db, dialect, plan)) as DbRow[];
      if (!plan.count) return { rows };
      const [first] = (await buildCount(db, dialect, plan)) as Array<{ n: string | number }>;
      return { rows, count: Number(first?.n ?? 0) };
    }
    case 'insert':
      return { rows: await dialect.insert(db, plan) };
    case 'update':
      return db.transaction(async (trx) => {
        const rows = (await buildUpdate(trx, dialect, plan)) as DbRow[];
        guardAffected(rows.length, plan.maxAffected);
        return { rows };
      });
    case 'delete':
      return db.transaction(async (trx) => {
        const rows = (await buildDelete(trx, dialect, plan)) as DbRow[];
        guardAffected(rows.length, plan.maxAffected);
        return { rows };
      });
    case 'replace':
      return db.transaction(async (trx) => {
        // A resource made only of its key (a link table) has nothing to set: the row either exists or is inserted.
        const existing = from(trx, plan.table).where(plan.key);
        const updated = (await (Object.keys(plan.set).length > 0
          ? existing.update(plan.set).returning(plan.returning as string[])
          : existing.select(plan.returning as string[]))) as DbRow[];
        if (updated.length > 1) throw new ValidationError('key_not_unique', 'the key matches more than one row');
        if (updated.length === 1) return { rows: updated };
        const inserted = await dialect.insert(trx, {
          table: plan.table,
          rows: [{ ...plan.set, ...plan.key }],
          returning: plan.returning,
          conflict: undefined,
        });
        return { rows: inserted, created: true };
      });
  }
}

/** Rolls the transaction back (by throwing inside it) when a collection write touches more rows than allowed. */
function guardAffected(affected: number, max: number | undefined): void {
  if (max !== undefined && affected > max) {
    throw new ValidationError(
      'max_affected_exceeded',
      `the change would affect ${affected} rows, more than the limit of ${max}; nothing was changed`,
      { hint: 'narrow the filters, or raise Prefer: max-affected within the configured limit' },
    );
  }
}

function from(db: Knex | Knex.Transaction, table: TableTarget): Knex.QueryBuilder {
  return (table.schema ? db.withSchema(table.schema) : db).from(table.name);
}

export function applyFilters(qb: Knex.QueryBuilder, filters: readonly Filter[], dialect: Dialect): void {
  for (const filter of filters) {
    if (filter.negate) qb.whereNot((inner) => applyFilter(inner, filter, dialect));
    else applyFilter(qb, filter, dialect);
  }
}

const SQL_OPS = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function applyFilter(qb: Knex.QueryBuilder, filter: Filter, dialect: Dialect): void {
  switch (filter.op) {
    case 'in':
      if (filter.values.length === 0) qb.whereRaw('1 = 0');
      else qb.whereIn(filter.column, filter.values as Array<string | number | boolean>);
      return;
    case 'is':
      if (filter.value === 'null') qb.whereNull(filter.column);
      else if (filter.value === 'not_null') qb.whereNotNull(filter.column);
      else qb.where(filter.column, filter.value === 'true');
      return;
    case 'like':
      qb.where(filter.column, 'like', filter.value as string);
      return;
    case 'ilike':
      dialect.whereILike(qb, filter.column, filter.value as string, false);
      return;
    default:
      if (filter.value === null) qb.whereRaw('1 = 0');
      else qb.where(filter.column, SQL_OPS[filter.op], filter.value);
  }
}

/** PostgreSQL's default placement, made explicit so every dialect orders (and pages) the same way. */
function effectiveNulls(term: OrderTerm): 'first' | 'last' {
  return term.nulls ?? (term.direction === 'asc' ? 'last' : 'first');
}

/**
 * Rows strictly after the cursor position in the (total) order: for each term i,
 * (terms before i equal) AND (term i after its value), OR-ed together. NULLs sort as the order says.
 */
function applyKeyset(qb: Knex.QueryBuilder, keyset: Keyset): void {
  const { terms, values } = keyset;
  const disjuncts: Array<(b: Knex.QueryBuilder) => void> = [];
  terms.forEach((term, i) => {
    const after = afterPredicate(term, values[i]);
    if (!after) return;
    disjuncts.push((b) => {
      for (let j = 0; j < i; j++) equalPredicate(b, terms[j]!.column, values[j]);
      after(b);
    });
  });
  if (disjuncts.length === 0) {
    qb.whereRaw('1 = 0');
    return;
  }
  qb.where((outer) => {
    for (const d of disjuncts) outer.orWhere((inner) => d(inner));
  });
}

function equalPredicate(b: Knex.QueryBuilder, column: string, value: unknown): void {
  if (value === null) b.whereNull(column);
  else b.where(column, value as string | number | boolean);
}

function afterPredicate(term: OrderTerm, value: unknown): ((b: Knex.QueryBuilder) => void) | undefined {
  const nulls = effectiveNulls(term);
  if (value === null) return nulls === 'first' ? (b) => b.whereNotNull(term.column) : undefined;
  const op = term.direction === 'asc' ? '>' : '<';
  return (b) =>
    b.where((w) => {
      w.where(term.column, op, value as string | number | boolean);
      if (nulls === 'last') w.orWhereNull(term.column);
    });
}

// The executor: QueryPlan → knex (through the source's dialect) → rows. The only query module that knows knex.
import type { Knex } from 'knex';
import { ForbiddenError, NotFoundError, ValidationError, uniqueViolation } from '../errors/app-error.js';
import type { DataSource } from '../db/sources.js';
import { requestStorage } from '../http/context.js';
import type { Dialect } from '../db/dialects/types.js';
import type { DbRow, Filter, Keyset, OrderTerm, QueryPlan, RowCheck, TableTarget } from './types.js';

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
    case 'insert': {
      const check = plan.check;
      if (!check) return { rows: await dialect.insert(db, plan) };
      return db.transaction(async (trx) => {
        await precheckRowRule(trx, dialect, plan.table, plan.rows, check);
        // An upsert must not reach a row the caller may not see (see refuseHiddenKeys / requireVisibleKeys).
        if (plan.conflict && check.keysWritable) await refuseHiddenKeys(trx, dialect, plan.table, plan.rows, check);
        else if (plan.conflict) await requireVisibleKeys(trx, dialect, plan.table, plan.rows, check);
        const rows = await dialect.insert(trx, plan);
        await verifyRowRule(trx, dialect, plan.table, rows, check);
        return { rows };
      });
    }
    case 'update':
      return db.transaction(async (trx) => {
        if (plan.check) await precheckRowRule(trx, dialect, plan.table, [plan.set], plan.check);
        const rows = (await buildUpdate(trx, dialect, plan)) as DbRow[];
        guardAffected(rows.length, plan.maxAffected);
        if (plan.check) await verifyRowRule(trx, dialect, plan.table, rows, plan.check);
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
        if (plan.check) await precheckRowRule(trx, dialect, plan.table, [{ ...plan.set, ...plan.key }], plan.check);
        // A resource made only of its key (a link table) has nothing to set: the row either exists or is inserted.
        const existing = from(trx, plan.table).where(plan.key);
        if (plan.check) applyFilters(existing, plan.check.filters, dialect);
        const updated = (await (Object.keys(plan.set).length > 0
          ? existing.update(plan.set).returning(plan.returning as string[])
          : existing.select(plan.returning as string[]))) as DbRow[];
        if (updated.length > 1) throw new ValidationError('key_not_unique', 'the key matches more than one row');
        if (updated.length === 1) {
          if (plan.check) await verifyRowRule(trx, dialect, plan.table, updated, plan.check);
          return { rows: updated };
        }
        // A caller that may not choose keys only replaces rows it can see; one that may learns a key is taken.
        if (plan.check && !plan.check.keysWritable) throw keyNotVisible();
        if (plan.check) await refuseHiddenKeys(trx, dialect, plan.table, [plan.key], plan.check);
        const inserted = await dialect.insert(trx, {
          table: plan.table,
          rows: [{ ...plan.set, ...plan.key }],
          returning: plan.returning,
          conflict: undefined,
        });
        if (plan.check) await verifyRowRule(trx, dialect, plan.table, inserted, plan.check);
        return { rows: inserted, created: true };
      });
  }
}

/**
 * Every written row must satisfy the caller's row rule: re-read them by key with the rule applied, in the same
 * transaction, and roll back (by throwing) if any is missing. The database decides, so its semantics hold exactly.
 */
async function verifyRowRule(trx: Db, dialect: Dialect, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  if (rows.length === 0) return;
  const qb = from(trx, table).count({ n: '*' });
  whereKeys(qb, rows, check.key);
  applyFilters(qb, check.filters, dialect);
  const [first] = (await qb) as Array<{ n: string | number }>;
  if (Number(first?.n ?? 0) < rows.length) throw rowRuleViolation();
}

/**
 * The row rule, checked on the values a write would store before it runs, for the conditions on columns the write
 * sets (the others are left to verifyRowRule). A row the rule would refuse is refused first, whatever else is
 * wrong with it: a key or foreign key outside the rule then answers 403 whether or not a row holds it, so neither a
 * unique violation (409) nor a foreign-key violation tells the caller that a row outside its rule exists.
 */
async function precheckRowRule(trx: Db, dialect: Dialect, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const set = (row: DbRow, column: string): boolean => row[column] !== undefined;
  const filters = check.filters.filter((f) => rows.length > 0 && rows.every((row) => set(row, f.column)));
  if (filters.length === 0) return;
  const columns = [...new Set(filters.map((f) => f.column))];
  const candidates = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
  const qb = trx.count({ n: '*' }).from(dialect.candidates(trx, table, candidates).as('candidates'));
  applyFilters(qb, filters, dialect);
  const [first] = (await qb) as Array<{ n: string | number }>;
  if (Number(first?.n ?? 0) < rows.length) throw rowRuleViolation();
}

/**
 * Upsert or PUT by a caller that may choose keys, onto a key held by a row outside its rule: the same 409 as when
 * the key is taken by a row it can see (or by none it may write, for a plain create). It may learn a key is taken,
 * as the key's uniqueness is shared by all rows; it never reaches the row.
 */
async function refuseHiddenKeys(trx: Db, dialect: Dialect, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const qb = from(trx, table).count({ n: '*' });
  whereKeys(qb, rows, check.key);
  qb.whereNot((inner) => applyFilters(inner, check.filters, dialect));
  const [first] = (await qb) as Array<{ n: string | number }>;
  if (Number(first?.n ?? 0) > 0) throw uniqueViolation();
}

/**
 * Upsert by a caller that may not choose keys: every key must name a row it can see (locked until the commit, so
 * it cannot vanish and be recreated under the caller's key). A free key and a hidden one answer the same 404.
 */
async function requireVisibleKeys(trx: Db, dialect: Dialect, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const qb = from(trx, table).select(check.key as string[]);
  whereKeys(qb, rows, check.key);
  applyFilters(qb, check.filters, dialect);
  const found = (await qb.forUpdate()) as DbRow[];
  const identity = (row: DbRow): string => JSON.stringify(check.key.map((c) => String(row[c])));
  const visible = new Set(found.map(identity));
  if (!rows.every((row) => visible.has(identity(row)))) throw keyNotVisible();
}

function keyNotVisible(): NotFoundError {
  return new NotFoundError('row_not_found', 'no row with that key is visible to you');
}

function rowRuleViolation(): ForbiddenError {
  return new ForbiddenError('row_rule_violation', 'the written row would fall outside the rows you may write; nothing was changed');
}

function whereKeys(qb: Knex.QueryBuilder, rows: readonly DbRow[], key: readonly string[]): void {
  qb.where((outer) => {
    for (const row of rows) {
      outer.orWhere((inner) => {
        for (const column of key) inner.where(column, row[column] as string | number);
      });
    }
  });
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
    case 'inSubquery': {
      const { subquery } = filter;
      qb.whereIn(filter.column, (sub: Knex.QueryBuilder) => {
        (subquery.table.schema ? sub.withSchema(subquery.table.schema) : sub).select(subquery.column).from(subquery.table.name);
        applyFilters(sub, subquery.filters, dialect);
      });
      return;
    }
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

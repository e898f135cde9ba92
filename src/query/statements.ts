// One SQL operation as pure data (a StatementSpec), and how knex builds it through the source's dialect: usually one
// statement, several where the database needs them (an upsert on SQL Server). The executor runs these; the statement
// cache builds each shape once. No values are interpreted here.
import type { Knex } from 'knex';
import type { Dialect, StatementGroup } from '../db/dialects/types.js';
import type { DbRow, Filter, Keyset, OrderTerm, QueryPlan, TableTarget } from './types.js';

export type StatementSpec =
  | {
      readonly kind: 'select';
      readonly table: TableTarget;
      readonly columns: readonly string[];
      readonly filters: readonly Filter[];
      readonly order: readonly OrderTerm[];
      readonly after: Keyset | undefined;
      readonly limit: number | undefined;
      readonly offset: number | undefined;
    }
  | { readonly kind: 'count'; readonly table: TableTarget; readonly filters: readonly Filter[] }
  | {
      readonly kind: 'update';
      readonly table: TableTarget;
      readonly set: DbRow;
      readonly filters: readonly Filter[];
      readonly returning: readonly string[];
    }
  | { readonly kind: 'delete'; readonly table: TableTarget; readonly filters: readonly Filter[]; readonly returning: readonly string[] }
  | {
      readonly kind: 'insert';
      readonly table: TableTarget;
      readonly rows: readonly DbRow[];
      readonly returning: readonly string[];
      readonly conflict: { readonly columns: readonly string[]; readonly action: 'merge' | 'ignore' } | undefined;
    }
  | {
      /** How many of the rows with these keys match the filters (or, with `negate`, do not). */
      readonly kind: 'countKeys';
      readonly table: TableTarget;
      readonly key: readonly string[];
      readonly rows: readonly DbRow[];
      readonly filters: readonly Filter[];
      readonly negate: boolean;
    }
  | {
      /** The key columns of the rows with these keys that match the filters, locked until the transaction ends. */
      readonly kind: 'lockKeys';
      readonly table: TableTarget;
      readonly key: readonly string[];
      readonly rows: readonly DbRow[];
      readonly filters: readonly Filter[];
    }
  | {
      /**
       * How many of some rows not (yet) in the table match the filters: `candidates` is their JSON (database column
       * names), typed as rows of `table` by the dialect. One value, so every such statement shares one text.
       */
      readonly kind: 'countCandidates';
      readonly table: TableTarget;
      /** The columns the candidates give (those the filters test). */
      readonly columns: readonly string[];
      readonly candidates: string;
      readonly filters: readonly Filter[];
    };

type Db = Knex | Knex.Transaction;
type SelectQueryPlan = Extract<QueryPlan, { kind: 'select' }>;
type UpdateQueryPlan = Extract<QueryPlan, { kind: 'update' }>;
type DeleteQueryPlan = Extract<QueryPlan, { kind: 'delete' }>;

/** The statements of one spec on this dialect (one, except where the database needs several). */
export function buildStatements(db: Db, dialect: Dialect, spec: StatementSpec): StatementGroup {
  if (spec.kind === 'insert') return dialect.buildInsert(db, spec);
  return { statements: [buildStatement(db, dialect, spec)], atomic: false };
}

/** A spec that is always one statement, built. */
export function buildStatement(db: Db, dialect: Dialect, spec: Exclude<StatementSpec, { kind: 'insert' }>): Knex.QueryBuilder {
  switch (spec.kind) {
    case 'select': {
      const qb = from(db, spec.table).select(spec.columns as string[]);
      applyFilters(qb, spec.filters, dialect);
      if (spec.after) applyKeyset(qb, spec.after);
      for (const term of spec.order) dialect.orderBy(qb, term.column, term.direction, effectiveNulls(term), !term.notNull);
      if (spec.limit !== undefined) qb.limit(spec.limit);
      if (spec.offset !== undefined) qb.offset(spec.offset);
      return qb;
    }
    case 'count': {
      const qb = from(db, spec.table).count({ n: '*' });
      applyFilters(qb, spec.filters, dialect);
      return qb;
    }
    case 'update': {
      const qb = from(db, spec.table).update(spec.set);
      dialect.returning(qb, spec.returning, spec.table, 'update');
      applyFilters(qb, spec.filters, dialect);
      return qb;
    }
    case 'delete': {
      const qb = from(db, spec.table).delete();
      dialect.returning(qb, spec.returning, spec.table, 'delete');
      applyFilters(qb, spec.filters, dialect);
      return qb;
    }
    case 'countKeys': {
      const qb = from(db, spec.table).count({ n: '*' });
      whereKeys(qb, spec.rows, spec.key);
      if (spec.negate) qb.whereNot((inner) => applyFilters(inner, spec.filters, dialect));
      else applyFilters(qb, spec.filters, dialect);
      return qb;
    }
    case 'lockKeys': {
      const qb = from(db, spec.table).select(spec.key as string[]);
      whereKeys(qb, spec.rows, spec.key);
      applyFilters(qb, spec.filters, dialect);
      return qb.forUpdate();
    }
    case 'countCandidates': {
      const qb = db.count({ n: '*' }).from(dialect.candidates(db, spec.table, spec.columns, spec.candidates).as('candidates'));
      applyFilters(qb, spec.filters, dialect);
      return qb;
    }
  }
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

/** The rows of a list or read plan (a page, fetched one row long to know whether another follows). */
export function selectSpec(plan: SelectQueryPlan): Extract<StatementSpec, { kind: 'select' }> {
  return {
    kind: 'select',
    table: plan.table,
    columns: plan.columns,
    filters: plan.filters,
    order: plan.order,
    after: plan.after,
    limit: plan.limit,
    offset: plan.offset,
  };
}

/** The SELECT for a plan, built but not run: tests compile it with `toSQL()`, per dialect. */
export function buildSelect(db: Db, dialect: Dialect, plan: SelectQueryPlan): Knex.QueryBuilder {
  return buildStatement(db, dialect, selectSpec(plan));
}

/** The total-count query of a list: same filters, no keyset, order or page. */
export function buildCount(db: Db, dialect: Dialect, plan: SelectQueryPlan): Knex.QueryBuilder {
  return buildStatement(db, dialect, { kind: 'count', table: plan.table, filters: plan.filters });
}

export function buildUpdate(db: Db, dialect: Dialect, plan: UpdateQueryPlan): Knex.QueryBuilder {
  return buildStatement(db, dialect, { kind: 'update', table: plan.table, set: plan.set, filters: plan.filters, returning: plan.returning });
}

export function buildDelete(db: Db, dialect: Dialect, plan: DeleteQueryPlan): Knex.QueryBuilder {
  return buildStatement(db, dialect, { kind: 'delete', table: plan.table, filters: plan.filters, returning: plan.returning });
}

function from(db: Db, table: TableTarget): Knex.QueryBuilder {
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
    case 'ilike':
      dialect.wherePattern(qb, filter.column, filter.value as string, filter.op === 'ilike');
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
export function effectiveNulls(term: OrderTerm): 'first' | 'last' {
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
  if (term.notNull) return (b) => b.where(term.column, op, value as string | number | boolean);
  return (b) =>
    b.where((w) => {
      w.where(term.column, op, value as string | number | boolean);
      if (nulls === 'last') w.orWhereNull(term.column);
    });
}

// The executor: QueryPlan → statements (prepared per shape) → the source's driver → rows. Every statement it runs,
// transaction control included, is reported to the observer it is given (the request's audit record).
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError, uniqueViolation } from '../errors/app-error.js';
import type { DataSource } from '../db/sources.js';
import { ExecutionAbortedError } from './aborted.js';
import { Session, type ExecutionObserver } from './session.js';
import { createStatementCache, type StatementCache } from './statement-cache.js';
import { selectSpec, type StatementSpec } from './statements.js';
import type { DbRow, QueryPlan, RowCheck, TableTarget } from './types.js';

type SelectPlan = Extract<QueryPlan, { kind: 'select' }>;

export type { ExecutionObserver, StatementRecord } from './session.js';

export interface ExecuteResult {
  readonly rows: DbRow[];
  /** Total rows matching the filters (select with count). */
  readonly count?: number;
  /** PUT inserted the row rather than replacing it. */
  readonly created?: boolean;
}

export interface Executor {
  /**
   * Runs a plan on a source. Mutations first wait for `observer.beforeExecute` (strict audit: the write-ahead
   * intent is durable before the statement runs). Driver errors leave as the dialect's typed errors.
   *
   * Once `signal` aborts, the running statement is cancelled, the transaction rolled back and the connection given
   * back; the execution then fails with ExecutionAbortedError, unless its COMMIT was already sent (the commit wins and
   * the result is returned). Either way `observer.aborted` hears what became of the data.
   */
  execute(source: DataSource, plan: QueryPlan, observer?: ExecutionObserver, signal?: AbortSignal): Promise<ExecuteResult>;
  /**
   * Every row a select plan matches, batch after batch of `plan.limit` rows, each batch one statement that continues
   * after the last row of the one before (keyset over the plan's order, which must end with the key). A connection is
   * held only while a batch runs, never while the caller writes it out.
   */
  stream(source: DataSource, plan: SelectPlan, observer?: ExecutionObserver): AsyncGenerator<DbRow[]>;
}

/** An executor with its own statement cache per source (each source's dialect builds its own texts). */
export function createExecutor(): Executor {
  const caches = new Map<DataSource, StatementCache>();
  const cacheFor = (source: DataSource): StatementCache => {
    let cache = caches.get(source);
    if (cache === undefined) {
      cache = createStatementCache(source.db, source.dialect);
      caches.set(source, cache);
    }
    return cache;
  };
  return {
    async execute(source, plan, observer, signal) {
      if (observer) await observer.beforeExecute(plan, source.name);
      for (let attempt = 1; ; attempt++) {
        const session = new Session(source, cacheFor(source), observer, signal);
        try {
          const result = await run(session, plan);
          const late = session.abortOutcome(true);
          if (late) observer?.aborted(late);
          return result;
        } catch (err) {
          const aborted = session.abortOutcome(false);
          if (aborted) {
            observer?.aborted(aborted);
            throw new ExecutionAbortedError(signal?.reason, aborted, { cause: err instanceof ExecutionAbortedError ? undefined : err });
          }
          // The database undid the whole plan (a deadlock victim): running it again is safe, and usually succeeds.
          if (source.dialect.retryable(err)) {
            if (attempt >= MAX_ATTEMPTS) throw retriesExhausted(err);
            await session.close();
            await sleep(RETRY_BASE_MS * attempt * (1 + Math.random()));
            continue;
          }
          throw (await source.dialect.translateError(err, source.db)) ?? err;
        } finally {
          await session.close();
        }
      }
    },
    async *stream(source, plan, observer) {
      if (observer) await observer.beforeExecute(plan, source.name);
      const batch = plan.limit;
      const fetch = async (spec: StatementSpec): Promise<DbRow[]> => {
        const session = new Session(source, cacheFor(source), observer);
        try {
          return await session.rows(spec);
        } catch (err) {
          throw (await source.dialect.translateError(err, source.db)) ?? err;
        } finally {
          await session.close();
        }
      };
      let pending = fetch(selectSpec(plan));
      for (;;) {
        const rows = await pending;
        const full = rows.length === batch;
        // The next batch is read while the caller writes this one out: database and socket work overlap.
        if (full) {
          const last = rows[rows.length - 1]!;
          pending = fetch(selectSpec({ ...plan, offset: undefined, after: { terms: plan.order, values: plan.order.map((t) => last[t.column] ?? null) } }));
          // A caller that stops early (the client went away) leaves this read to finish on its own.
          pending.catch(() => undefined);
        }
        if (rows.length > 0) yield rows;
        if (!full) return;
      }
    },
  };
}

function retriesExhausted(cause: unknown): AppError {
  return new AppError('conflict_retries_exhausted', 503, 'the change deadlocked with concurrent ones on every try and was not applied; retry it', {
    headers: { 'Retry-After': '1' },
    cause,
  });
}

/** Runs of a plan the database undid (deadlock), and the pause before the next one grows with each. */
const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 15;

async function run(s: Session, plan: QueryPlan): Promise<ExecuteResult> {
  switch (plan.kind) {
    case 'select': {
      const rows = await s.rows(selectSpec(plan));
      if (plan.byKey && rows.length > 1) throw keyNotUnique();
      if (!plan.count) return { rows };
      return { rows, count: await s.count({ kind: 'count', table: plan.table, filters: plan.filters }) };
    }
    case 'insert': {
      const check = plan.check;
      const insert: StatementSpec = { kind: 'insert', table: plan.table, rows: plan.rows, returning: plan.returning, conflict: plan.conflict };
      if (!check) return { rows: await s.rows(insert) };
      return s.transaction(async () => {
        await precheckRowRule(s, plan.table, plan.rows, check);
        // An upsert must not reach a row the caller may not see (see refuseHiddenKeys / requireVisibleKeys).
        if (plan.conflict && check.keysWritable) await refuseHiddenKeys(s, plan.table, plan.rows, check);
        else if (plan.conflict) await requireVisibleKeys(s, plan.table, plan.rows, check);
        const rows = await s.rows(insert);
        await verifyRowRule(s, plan.table, rows, check);
        return { rows };
      });
    }
    case 'update':
      return s.transaction(async () => {
        if (plan.check) await precheckRowRule(s, plan.table, [plan.set], plan.check);
        const rows = await s.rows({ kind: 'update', table: plan.table, set: plan.set, filters: plan.filters, returning: plan.returning });
        guardAffected(rows.length, plan.maxAffected);
        if (plan.check) await verifyRowRule(s, plan.table, rows, plan.check);
        return { rows };
      });
    case 'delete':
      return s.transaction(async () => {
        const rows = await s.rows({ kind: 'delete', table: plan.table, filters: plan.filters, returning: plan.returning });
        guardAffected(rows.length, plan.maxAffected);
        return { rows };
      });
    case 'replace':
      return s.transaction(async () => {
        if (plan.check) await precheckRowRule(s, plan.table, [{ ...plan.set, ...plan.key }], plan.check);
        const byKey = Object.entries(plan.key).map(([column, value]) => ({
          column,
          op: 'eq' as const,
          value: value as string | number | boolean | null,
          negate: false,
        }));
        const filters = plan.check ? [...byKey, ...plan.check.filters] : byKey;
        // A resource made only of its key (a link table) has nothing to set: the row either exists or is inserted.
        const updated = await s.rows(
          Object.keys(plan.set).length > 0
            ? { kind: 'update', table: plan.table, set: plan.set, filters, returning: plan.returning }
            : { kind: 'select', table: plan.table, columns: plan.returning, filters, order: [], after: undefined, limit: undefined, offset: undefined },
        );
        if (updated.length > 1) throw keyNotUnique();
        if (updated.length === 1) {
          if (plan.check) await verifyRowRule(s, plan.table, updated, plan.check);
          return { rows: updated };
        }
        // A caller that may not choose keys only replaces rows it can see; one that may learns a key is taken.
        if (plan.check && !plan.check.keysWritable) throw keyNotVisible();
        if (plan.check) await refuseHiddenKeys(s, plan.table, [plan.key], plan.check);
        const inserted = await s.rows({
          kind: 'insert',
          table: plan.table,
          rows: [{ ...plan.set, ...plan.key }],
          returning: plan.returning,
          conflict: undefined,
        });
        if (plan.check) await verifyRowRule(s, plan.table, inserted, plan.check);
        return { rows: inserted, created: true };
      });
  }
}

/** A key declared for a table the database does not hold it unique for (no primary key) matched several rows. */
function keyNotUnique(): ConflictError {
  return new ConflictError('key_not_unique', 'the key matches more than one row: the table does not enforce it, so the row cannot be told apart');
}

/**
 * Every written row must satisfy the caller's row rule: re-read them by key with the rule applied, in the same
 * transaction, and roll back (by throwing) if any is missing. The database decides, so its semantics hold exactly.
 */
async function verifyRowRule(s: Session, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  if (rows.length === 0) return;
  const n = await s.count({ kind: 'countKeys', table, key: check.key, rows, filters: check.filters, negate: false });
  if (n < rows.length) throw rowRuleViolation();
}

/**
 * The row rule, checked on the values a write would store before it runs, for the conditions on columns the write
 * sets (the others are left to verifyRowRule). A row the rule would refuse is refused first, whatever else is
 * wrong with it: a key or foreign key outside the rule then answers 403 whether or not a row holds it, so neither a
 * unique violation (409) nor a foreign-key violation tells the caller that a row outside its rule exists.
 */
async function precheckRowRule(s: Session, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const filters = check.filters.filter((f) => rows.length > 0 && rows.every((row) => row[f.column] !== undefined));
  if (filters.length === 0) return;
  const columns = [...new Set(filters.map((f) => f.column))];
  const candidates = JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))));
  const n = await s.count({ kind: 'countCandidates', table, columns, candidates, filters });
  if (n < rows.length) throw rowRuleViolation();
}

/**
 * Upsert or PUT by a caller that may choose keys, onto a key held by a row outside its rule: the same 409 as when
 * the key is taken by a row it can see. It may learn a key is taken, as the key's uniqueness is shared by all rows;
 * it never reaches the row.
 */
async function refuseHiddenKeys(s: Session, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const n = await s.count({ kind: 'countKeys', table, key: check.key, rows, filters: check.filters, negate: true });
  if (n > 0) throw uniqueViolation();
}

/**
 * Upsert by a caller that may not choose keys: every key must name a row it can see (locked until the commit, so
 * it cannot vanish and be recreated under the caller's key). A free key and a hidden one answer the same 404.
 */
async function requireVisibleKeys(s: Session, table: TableTarget, rows: readonly DbRow[], check: RowCheck): Promise<void> {
  const found = await s.rows({ kind: 'lockKeys', table, key: check.key, rows, filters: check.filters });
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

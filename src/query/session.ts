// One plan's use of a data source: a connection taken from its pool when the first statement runs, transactions
// on it, and every statement reported to the observer (SQL text, values, rows, duration, error) as it runs.
import type { DataSource } from '../db/sources.js';
import { ExecutionAbortedError, type AbortedDuring, type AbortOutcome } from './aborted.js';
import type { StatementCache } from './statement-cache.js';
import type { StatementSpec } from './statements.js';
import type { DbRow, QueryPlan } from './types.js';

/** What a statement's end reports back (the audit record fills in its entry). */
export interface StatementRecord {
  end(rows: number | null, error: string | null): void;
}

/** The request's witness of what runs: the audit record implements it; passed in, never looked up. */
export interface ExecutionObserver {
  /** Before a plan runs. A mutation's write-ahead intent is durable when this resolves (strict audit). */
  beforeExecute(plan: QueryPlan, source: string): Promise<void>;
  statement(source: string, sql: string, values: readonly unknown[]): StatementRecord;
  /** The request was aborted while this execution ran: whether it was stopped, and what became of its data. */
  aborted(outcome: AbortOutcome): void;
}

/** What is on the connection: a plan's statement may be cancelled; transaction control never is (see cancelRunning). */
type Running = 'statement' | 'begin' | 'commit' | 'rollback';

export class Session {
  private connection: unknown;
  private inTransaction = false;
  private running: Running | undefined;
  /** The cancel asked for the running statement; nothing else is sent on the connection before it is done. */
  private cancelling: Promise<void> | undefined;
  private abortedDuring: AbortedDuring | undefined;
  /** A write of this session reached the database for good (its COMMIT succeeded, or it ran outside a transaction). */
  private changed = false;
  /** A write outside a transaction that failed after the abort: whether it took effect depends on how it was stopped. */
  private failedWrite: unknown;
  /** The dialect stopped the running statement (its cancel was delivered, or its session ended). */
  private cancelDelivered = false;
  private readonly onAbort = (): void => this.aborted();

  constructor(
    private readonly source: DataSource,
    private readonly statements: StatementCache,
    private readonly observer: ExecutionObserver | undefined,
    /** The request's: once it aborts, the running statement is cancelled and no further one starts (but a rollback). */
    private readonly signal?: AbortSignal,
  ) {
    if (signal?.aborted) this.abortedDuring = 'waiting';
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The rows of a spec: of its one statement, or of each of the statements the dialect needs for it, in order. */
  async rows(spec: StatementSpec): Promise<DbRow[]> {
    const group = this.statements.bind(spec);
    const [only] = group.statements;
    const write = WRITES.has(spec.kind);
    if (group.statements.length === 1 && only) return (await this.send(only.text, only.values, only.name, 'statement', write)).rows;
    const runAll = async (): Promise<DbRow[]> => {
      const rows: DbRow[] = [];
      for (const statement of group.statements) rows.push(...(await this.send(statement.text, statement.values, statement.name, 'statement', write)).rows);
      return rows;
    };
    return group.atomic && !this.inTransaction ? this.transaction(runAll) : runAll();
  }

  /** A count(*) statement's number (drivers return it as text or number). */
  async count(spec: StatementSpec): Promise<number> {
    const [first] = await this.rows(spec);
    return Number(first?.n ?? 0);
  }

  /**
   * Runs `body` in a transaction on this session's connection; any error rolls back and is rethrown. A request aborted
   * before the COMMIT is sent rolls back; once the COMMIT is sent it is left to finish: the commit wins.
   */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    const control = this.source.dialect.transaction;
    await this.send(control.begin, [], undefined, 'begin', false);
    this.inTransaction = true;
    let result: T;
    try {
      result = await body();
      this.throwIfAborted();
    } catch (err) {
      this.inTransaction = false;
      await this.send(control.rollback, [], undefined, 'rollback', false).catch((rollbackErr: unknown) => this.discard(rollbackErr));
      throw err;
    }
    this.inTransaction = false;
    await this.send(control.commit, [], undefined, 'commit', false);
    this.changed = true;
    return result;
  }

  /** Where the request's abort found this session; undefined while it has not aborted. */
  abortOutcome(completed: boolean): AbortOutcome | undefined {
    if (this.abortedDuring === undefined) return undefined;
    // A write that failed other than by its cancel (the connection was lost) may have committed on its own.
    const uncertain = this.failedWrite !== undefined && !this.cancelDelivered && !this.source.dialect.cancelled(this.failedWrite);
    return { cancelled: !completed, dataChanged: uncertain ? null : this.changed, during: this.abortedDuring };
  }

  /** Gives the connection back to the pool (once any cancel of its statement is done). */
  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    await this.cancelling;
    const connection = this.connection;
    if (connection === undefined) return;
    this.connection = undefined;
    await this.source.connections.release(connection);
  }

  private async send(text: string, values: readonly unknown[], name: string | undefined, kind: Running, write: boolean): Promise<{ rows: DbRow[] }> {
    // Once the request is aborted nothing new starts, but the rollback that undoes what it began.
    if (kind !== 'rollback') this.throwIfAborted();
    this.connection ??= await this.acquire();
    if (kind !== 'rollback') this.throwIfAborted();
    const record = this.observer?.statement(this.source.name, text, values);
    this.running = kind;
    try {
      const result = await this.source.dialect.run(this.connection, { text, values, name });
      record?.end(result.rowCount, null);
      if (write && !this.inTransaction) this.changed = true;
      return result;
    } catch (err) {
      record?.end(null, errorCode(err));
      if (write && !this.inTransaction && this.signal?.aborted) this.failedWrite = err;
      throw err;
    } finally {
      this.running = undefined;
      await this.cancelling;
    }
  }

  /** A connection from the pool; an abort stops the wait, and a connection that comes after it goes straight back. */
  private acquire(): Promise<unknown> {
    const pending = this.source.connections.acquire();
    const signal = this.signal;
    if (signal === undefined) return pending;
    return new Promise((resolve, reject) => {
      const stop = (): void => reject(this.abortError());
      signal.addEventListener('abort', stop, { once: true });
      pending.then(
        (connection) => {
          signal.removeEventListener('abort', stop);
          if (signal.aborted) void this.source.connections.release(connection).catch(() => undefined);
          else resolve(connection);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', stop);
          reject(err);
        },
      );
    });
  }

  private aborted(): void {
    this.abortedDuring = this.running === undefined ? 'waiting' : this.running === 'begin' ? 'statement' : this.running;
    // A COMMIT is left to finish (its outcome is what the caller is told); a ROLLBACK is what the abort wants anyway.
    if (this.running === 'statement' && this.connection !== undefined) this.cancelling = this.cancelRunning(this.connection);
  }

  private async cancelRunning(connection: unknown): Promise<void> {
    try {
      await this.source.dialect.cancel(connection, this.source.config);
      this.cancelDelivered = true;
    } catch (err) {
      // Its statement may still be running: the connection must not serve another request.
      this.source.connections.poison(connection, err);
    }
  }

  private throwIfAborted(): void {
    if (this.signal?.aborted) throw this.abortError();
  }

  private abortError(): ExecutionAbortedError {
    return new ExecutionAbortedError(this.signal?.reason, this.abortOutcome(false) ?? { cancelled: true, dataChanged: false, during: 'waiting' });
  }

  /** A connection whose transaction state is unknown must not serve another request. */
  private discard(err: unknown): void {
    if (this.connection !== undefined) this.source.connections.poison(this.connection, err);
  }
}

/** Statements that change rows (outside a transaction, each is committed on its own). */
const WRITES: ReadonlySet<StatementSpec['kind']> = new Set(['insert', 'update', 'delete']);

/** PostgreSQL's SQLSTATE, or SQL Server's error number (tedious's `code` only says EREQUEST for every server error). */
function errorCode(err: unknown): string {
  const { code, number } = (err ?? {}) as { code?: unknown; number?: unknown };
  if (typeof number === 'number') return String(number);
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'error';
}

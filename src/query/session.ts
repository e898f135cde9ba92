// One plan's use of a data source: a connection taken from its pool when the first statement runs, transactions
// on it, and every statement reported to the observer (SQL text, values, rows, duration, error) as it runs.
import type { DataSource } from '../db/sources.js';
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
}

export class Session {
  private connection: unknown;
  private inTransaction = false;

  constructor(
    private readonly source: DataSource,
    private readonly statements: StatementCache,
    private readonly observer: ExecutionObserver | undefined,
  ) {}

  /** The rows of a spec: of its one statement, or of each of the statements the dialect needs for it, in order. */
  async rows(spec: StatementSpec): Promise<DbRow[]> {
    const group = this.statements.bind(spec);
    const [only] = group.statements;
    if (group.statements.length === 1 && only) return (await this.send(only.text, only.values, only.name)).rows;
    const runAll = async (): Promise<DbRow[]> => {
      const rows: DbRow[] = [];
      for (const statement of group.statements) rows.push(...(await this.send(statement.text, statement.values, statement.name)).rows);
      return rows;
    };
    return group.atomic && !this.inTransaction ? this.transaction(runAll) : runAll();
  }

  /** A count(*) statement's number (drivers return it as text or number). */
  async count(spec: StatementSpec): Promise<number> {
    const [first] = await this.rows(spec);
    return Number(first?.n ?? 0);
  }

  /** Runs `body` in a transaction on this session's connection; any error rolls back and is rethrown. */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    const control = this.source.dialect.transaction;
    await this.send(control.begin, [], undefined);
    this.inTransaction = true;
    let result: T;
    try {
      result = await body();
    } catch (err) {
      this.inTransaction = false;
      await this.send(control.rollback, [], undefined).catch((rollbackErr: unknown) => this.discard(rollbackErr));
      throw err;
    }
    this.inTransaction = false;
    await this.send(control.commit, [], undefined);
    return result;
  }

  /** Gives the connection back to the pool. */
  async close(): Promise<void> {
    const connection = this.connection;
    if (connection === undefined) return;
    this.connection = undefined;
    await this.source.connections.release(connection);
  }

  private async send(text: string, values: readonly unknown[], name: string | undefined): Promise<{ rows: DbRow[] }> {
    this.connection ??= await this.source.connections.acquire();
    const record = this.observer?.statement(this.source.name, text, values);
    try {
      const result = await this.source.dialect.run(this.connection, { text, values, name });
      record?.end(result.rowCount, null);
      return result;
    } catch (err) {
      record?.end(null, errorCode(err));
      throw err;
    }
  }

  /** A connection whose transaction state is unknown must not serve another request. */
  private discard(err: unknown): void {
    if (this.connection !== undefined) this.source.connections.poison(this.connection, err);
  }
}

/** PostgreSQL's SQLSTATE, or SQL Server's error number (tedious's `code` only says EREQUEST for every server error). */
function errorCode(err: unknown): string {
  const { code, number } = (err ?? {}) as { code?: unknown; number?: unknown };
  if (typeof number === 'number') return String(number);
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'error';
}

// What the executor hands a dialect's driver and gets back: statement text with native placeholders, rows.
import type { DbRow } from '../query/types.js';

/** A statement as the driver takes it: native placeholders, values in order. */
export interface DriverStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Set for shapes worth preparing once per connection (where the driver can). */
  readonly name: string | undefined;
}

export interface DriverResult {
  readonly rows: DbRow[];
  /** Rows returned or changed; null when the statement reports none (BEGIN, COMMIT). */
  readonly rowCount: number | null;
}

/** Transaction control, as the server's own SQL. */
export interface TransactionStatements {
  readonly begin: string;
  readonly commit: string;
  /** Safe to send when the server has already ended the transaction (a deadlock victim's, say). */
  readonly rollback: string;
}

// Chinook's SQL Server edition loaded into a fresh database on the SQL Server endpoint, batch by batch.
import type { Knex } from 'knex';
import { createMssqlDialect } from '../../src/db/dialects/mssql/index.js';
import { chinookMssqlBatches, chinookMssqlSkipReason } from './chinook.js';
import { createMssqlDatabase, mssqlKnex } from './mssql-env.js';

/** Loads Chinook into a (re)created `database`; returns its URL. */
export async function loadChinookMssql(adminUrl: string, database = 'chinook'): Promise<string> {
  const reason = chinookMssqlSkipReason();
  if (reason) throw new Error(reason);
  const url = await createMssqlDatabase(adminUrl, database);
  const db: Knex = mssqlKnex(url);
  const dialect = createMssqlDialect('chinook');
  const pool = db.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
  const connection = await pool.acquireConnection();
  try {
    // Straight to the driver as plain batches: the data holds question marks, which knex would read as placeholders.
    for (const text of await chinookMssqlBatches()) await dialect.run(connection, { text, values: [], name: undefined });
  } finally {
    await pool.releaseConnection(connection);
    await db.destroy();
  }
  return url;
}

// SQL Server errors as the driver raises them, caused on the live TDS endpoint and translated by the dialect; start-up
// refusals (login, database, missing table) and a deadlock under concurrent updates, through the gateway.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createMssqlDialect } from '../src/db/dialects/mssql/index.js';
import { UniqueViolationError } from '../src/db/unique-violation-error.js';
import { AppError, SpecError, StartupError } from '../src/errors/app-error.js';
import { assertNoLeak, startGateway, testConfig } from './support/gateway.js';
import { freshMssqlDatabase, mssqlKnex, testMssql, withDatabase } from './support/mssql-env.js';
import { freePort } from './support/processes.js';

const env = testMssql();
const skip = 'skip' in env ? env.skip : undefined;
const dialect = createMssqlDialect('errors');

const SCHEMA = [
  `CREATE TABLE [dbo].[PARENT] ([ID] int NOT NULL PRIMARY KEY, [CODE] varchar(5) NOT NULL, [EMAIL] nvarchar(40) NULL,
     CONSTRAINT [PARENT_CODE_UK] UNIQUE ([CODE]), CONSTRAINT [PARENT_CODE_CK] CHECK ([CODE] <> 'BAD'))`,
  `CREATE UNIQUE INDEX [PARENT_EMAIL_UX] ON [dbo].[PARENT] ([EMAIL]) WHERE [EMAIL] IS NOT NULL`,
  `CREATE TABLE [dbo].[CHILD] ([ID] int NOT NULL PRIMARY KEY, [PARENT_ID] int NOT NULL REFERENCES [dbo].[PARENT] ([ID]))`,
  `CREATE TABLE [dbo].[AUTO] ([ID] int IDENTITY(1, 1) PRIMARY KEY, [N] int NOT NULL)`,
  `CREATE TABLE [dbo].[STOCK] ([SKU] varchar(10) NOT NULL PRIMARY KEY, [QTY] int NOT NULL)`,
  `INSERT INTO [dbo].[PARENT] ([ID], [CODE], [EMAIL]) VALUES (1, 'A', 'a@example.com')`,
  `INSERT INTO [dbo].[CHILD] ([ID], [PARENT_ID]) VALUES (1, 1)`,
  `INSERT INTO [dbo].[STOCK] ([SKU], [QTY]) VALUES ('S1', 10), ('S2', 20)`,
];

describe('SQL Server errors, raised by the live endpoint and translated', { skip }, () => {
  let url: string;
  let db: Knex;

  before(async () => {
    url = await freshMssqlDatabase('mssql_errors');
    db = mssqlKnex(url);
    for (const statement of SCHEMA) await db.raw(statement);
  });
  after(() => db?.destroy());

  /** Runs one statement through the dialect's driver call on a pooled connection; returns the driver's error. */
  async function failure(text: string, values: unknown[] = [], client: Knex = db): Promise<unknown> {
    const pool = client.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    const connection = await pool.acquireConnection();
    try {
      await dialect.run(connection, { text, values, name: undefined });
    } catch (err) {
      return err;
    } finally {
      await pool.releaseConnection(connection);
    }
    assert.fail(`the statement succeeded: ${text}`);
  }

  async function translated(err: unknown): Promise<AppError> {
    const error = await dialect.translateError(err, db);
    assert.ok(error instanceof AppError, `not translated: ${String(err)}`);
    assertNoLeak(JSON.stringify({ message: error.message, extras: error.extras }));
    return error;
  }

  it('when a unique constraint refuses a row, then 409 unique_violation naming the constraint’s column', async () => {
    const err = await failure(`INSERT INTO [dbo].[PARENT] ([ID], [CODE]) VALUES (@p0, @p1)`, [2, 'A']);
    assert.ok([2627, 2601].includes((err as { number: number }).number));
    const error = await translated(err);
    assert.equal(error.status, 409);
    assert.equal(error.code, 'unique_violation');
    assert.ok(error instanceof UniqueViolationError);
    assert.deepEqual(error.columns, ['CODE']);
    assert.doesNotMatch(error.message, /'A'|\(A\)/);
  });

  it('when a filtered unique index refuses a row, then the index’s column is named too', async () => {
    const error = await translated(await failure(`INSERT INTO [dbo].[PARENT] ([ID], [CODE], [EMAIL]) VALUES (3, 'C', N'a@example.com')`));
    assert.ok(error instanceof UniqueViolationError);
    assert.deepEqual(error.columns, ['EMAIL']);
  });

  it('when a foreign key refuses an insert or a delete, then 409 foreign_key_violation', async () => {
    for (const text of [`INSERT INTO [dbo].[CHILD] ([ID], [PARENT_ID]) VALUES (2, 99)`, `DELETE FROM [dbo].[PARENT] WHERE [ID] = 1`]) {
      const err = await failure(text);
      assert.equal((err as { number: number }).number, 547);
      const error = await translated(err);
      assert.equal(error.status, 409);
      assert.equal(error.code, 'foreign_key_violation');
    }
  });

  it('when a check constraint refuses a value, then 422 check_violation', async () => {
    const err = await failure(`INSERT INTO [dbo].[PARENT] ([ID], [CODE]) VALUES (4, 'BAD')`);
    assert.equal((err as { number: number }).number, 547);
    const error = await translated(err);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'check_violation');
  });

  it('when a required value is missing, then 422 not_null_violation', async () => {
    const err = await failure(`INSERT INTO [dbo].[PARENT] ([ID], [CODE]) VALUES (5, NULL)`);
    assert.equal((err as { number: number }).number, 515);
    assert.equal((await translated(err)).code, 'not_null_violation');
  });

  it('when a value is longer than the column, then 400 invalid_value', async () => {
    const err = await failure(`INSERT INTO [dbo].[PARENT] ([ID], [CODE]) VALUES (@p0, @p1)`, [6, 'TOO LONG']);
    assert.ok([8152, 2628].includes((err as { number: number }).number), String((err as { number: number }).number));
    const error = await translated(err);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_value');
  });

  it('when text cannot convert to the column’s type, then 400 invalid_value', async () => {
    // SQL Server: 245 (conversion failed); Babelfish reports PostgreSQL's error as 33557097.
    const error = await translated(await failure(`UPDATE [dbo].[STOCK] SET [QTY] = @p0 WHERE [SKU] = 'S1'`, ['many']));
    assert.equal(error.code, 'invalid_value');
  });

  it('when a key is given for an identity column, then 400 identity_value', { skip: 'kind' in env && env.kind === 'babelfish' ? 'Babelfish accepts explicit values for an identity column without IDENTITY_INSERT; docs/sql-server.md' : undefined }, async () => {
    const err = await failure(`INSERT INTO [dbo].[AUTO] ([ID], [N]) VALUES (100, 1)`);
    assert.equal((err as { number: number }).number, 544);
    assert.equal((await translated(err)).code, 'identity_value');
  });

  it('when a statement outlasts requestTimeout, then 504 statement_timeout and the connection still serves', async () => {
    const quick = mssqlKnex(url, { statementTimeoutMs: 300 });
    const holder = mssqlKnex(url);
    const pool = holder.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    const held = await pool.acquireConnection();
    const run = (text: string) => dialect.run(held, { text, values: [], name: undefined });
    try {
      // Waiting on a row lock another session holds: slow on any machine (Babelfish does not run WAITFOR).
      await run(dialect.transaction.begin);
      await run(`UPDATE [dbo].[STOCK] SET [QTY] = [QTY] WHERE [SKU] = 'S1'`);
      const err = await failure(`UPDATE [dbo].[STOCK] SET [QTY] = [QTY] + 1 WHERE [SKU] = 'S1'`, [], quick);
      assert.equal((err as { code: string }).code, 'ETIMEOUT');
      const error = await translated(err);
      assert.equal(error.status, 504);
      assert.equal(error.code, 'statement_timeout');
      assert.deepEqual(await quick.raw('SELECT 1 AS [one]'), [{ one: 1 }]);
    } finally {
      await run(dialect.transaction.rollback).catch(() => undefined);
      await pool.releaseConnection(held);
      await Promise.all([quick.destroy(), holder.destroy()]);
    }
  });

  it('when two transactions deadlock, then the victim’s error is 1205, retryable, and 409 deadlock_detected as on PostgreSQL', async () => {
    const other = mssqlKnex(url);
    const pool = (k: Knex) => k.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    const [a, b] = [await pool(db).acquireConnection(), await pool(other).acquireConnection()];
    const run = (connection: unknown, text: string) => dialect.run(connection, { text, values: [], name: undefined });
    try {
      await run(a, dialect.transaction.begin);
      await run(b, dialect.transaction.begin);
      await run(a, `UPDATE [dbo].[STOCK] SET [QTY] = [QTY] + 1 WHERE [SKU] = 'S1'`);
      await run(b, `UPDATE [dbo].[STOCK] SET [QTY] = [QTY] + 1 WHERE [SKU] = 'S2'`);
      const first = run(a, `UPDATE [dbo].[STOCK] SET [QTY] = [QTY] + 1 WHERE [SKU] = 'S2'`).then(() => undefined, (e: unknown) => e);
      await sleep(200);
      const second = run(b, `UPDATE [dbo].[STOCK] SET [QTY] = [QTY] + 1 WHERE [SKU] = 'S1'`).then(() => undefined, (e: unknown) => e);
      const victims = (await Promise.all([first, second])).filter((e) => e !== undefined);
      assert.equal(victims.length, 1, 'exactly one transaction is chosen as the victim');
      const err = victims[0];
      assert.equal((err as { number: number }).number, 1205);
      assert.equal(dialect.retryable(err), true);
      const error = await translated(err);
      assert.equal(error.status, 409);
      assert.equal(error.code, 'deadlock_detected');
    } finally {
      for (const c of [a, b]) await run(c, dialect.transaction.rollback).catch(() => undefined);
      await pool(db).releaseConnection(a);
      await pool(other).releaseConnection(b);
      await other.destroy();
    }
  });

  it('when the server is unreachable or refuses the login, then 503 database_unavailable', async () => {
    const closed = mssqlKnex(`mssql://u:p@127.0.0.1:${await freePort()}/master?encrypt=false`, { pool: { min: 0, max: 1, acquireTimeoutMs: 2000 } });
    const wrong = mssqlKnex(url.replace(/\/\/[^:]+:[^@]+@/, '//babelfish_user:wrong-password@'), { pool: { min: 0, max: 1, acquireTimeoutMs: 2000 } });
    try {
      for (const client of [closed, wrong]) {
        const err = await client.raw('SELECT 1').then(() => undefined, (e: unknown) => e);
        assert.ok(err, 'the connection was refused');
        const error = await translated(err);
        assert.equal(error.status, 503);
        assert.equal(error.code, 'database_unavailable');
      }
    } finally {
      await Promise.all([closed.destroy(), wrong.destroy()]);
    }
  });
});

describe('a SQL Server source that cannot serve the contract refuses to start, saying why', { skip }, () => {
  const start = (url: string, spec?: string) =>
    startGateway({ config: testConfig({ source: { client: 'mssql', url }, sourceOptions: { pool: { min: 0, max: 2, acquireTimeoutMs: 3000 } }, ...(spec ? { spec } : {}) }) }).then(
      async (t) => {
        await t.close();
        assert.fail('the gateway started');
      },
      (err: unknown) => err as Error,
    );

  it('when the login is refused, then start-up names the source and the refused login', async () => {
    const env_ = env as { adminUrl: string };
    const err = await start(env_.adminUrl.replace(/\/\/[^:]+:[^@]+@/, '//babelfish_user:not-the-password@'));
    assert.ok(err instanceof StartupError, String(err));
    assert.match(err.message, /cannot read the schema of source "erp" \(.*[Ll]ogin failed.*\)/);
    assert.doesNotMatch(err.message, /not-the-password/);
  });

  it('when the database does not exist, then start-up says it cannot be opened', async () => {
    const env_ = env as { adminUrl: string };
    const err = await start(withDatabase(env_.adminUrl, 'no_such_database_here'));
    assert.ok(err instanceof StartupError, String(err));
    assert.match(err.message, /cannot read the schema of source "erp" \(.*no_such_database_here.*\)/i);
  });

  it('when the contract names a table the database lacks, then start-up names the table', async () => {
    const url = await freshMssqlDatabase('mssql_missing');
    const err = await start(url);
    assert.ok(err instanceof SpecError, String(err));
    assert.match(err.message, /table or view "dbo\.CUST_MSTR" does not exist/);
  });
});

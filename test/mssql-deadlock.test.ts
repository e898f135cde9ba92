// A deadlock under concurrent updates on SQL Server: the gateway's transaction is the victim, the plan runs again, and
// the write lands whole — never half of it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createMssqlDialect } from '../src/db/dialects/mssql/index.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { qs, sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { freshMssqlDatabase, testMssql } from './support/mssql-env.js';

const env = testMssql();

describe('a deadlock under concurrent updates on SQL Server', { skip: 'skip' in env ? env.skip : undefined }, () => {
  let t: TestGateway;
  before(async () => {
    t = await startGateway({ config: testConfig({ source: { client: 'mssql', url: await freshMssqlDatabase('mssql_deadlock') } }), seed: (db) => seedErp(db) });
  });
  after(() => t?.close());

  /**
   * The other session locks `held`, the gateway's update of both rows starts, then the other session wants `wanted`.
   * Whether that is a cycle depends on which row the update reaches first; returns whether the other session had to wait.
   */
  async function scenario(wanted: string, held: string, value: number): Promise<boolean> {
    const dialect = createMssqlDialect('test');
    const pool = t.db.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    const other = await pool.acquireConnection();
    const run = (text: string, values: unknown[] = []) => dialect.run(other, { text, values, name: undefined });
    let waited: boolean;
    try {
      // The other session outranks the gateway's, so SQL Server picks the gateway as the victim (Babelfish does too:
      // the session that waited first detects the cycle).
      await run('SET DEADLOCK_PRIORITY HIGH').catch(() => undefined);
      await run(dialect.transaction.begin);
      await run(`UPDATE [ITEM_MSTR] SET [ORDER] = 99 WHERE [ITEM_CD] = @p0`, [held]);
      const patch = t.http
        .patch(`/items${qs({ code: `in.(${wanted},${held})` })}`)
        .set('Prefer', 'return=representation')
        .send({ displayOrder: value })
        .then((res) => res);
      await sleep(400);
      const waitStarted = Date.now();
      await run(`UPDATE [ITEM_MSTR] SET [ORDER] = 98 WHERE [ITEM_CD] = @p0`, [wanted]);
      waited = Date.now() - waitStarted > 300;
      await run(dialect.transaction.commit);
      const res = await patch;
      assert.equal(res.status, 200, res.text);
      assert.deepEqual((res.body as Array<{ code: string; displayOrder: number }>).map((r) => [r.code, r.displayOrder]).sort(), [
        [wanted, value],
        [held, value],
      ].sort());
    } finally {
      await run(dialect.transaction.rollback).catch(() => undefined);
      await pool.releaseConnection(other);
    }
    const stored = await sql<{ ORDER: number }>(t.db, `select [ORDER] from [ITEM_MSTR] where [ITEM_CD] in (?, ?)`, [wanted, held]);
    assert.deepEqual(stored.map((r) => r.ORDER), [value, value], 'the update was applied to both rows, after the other session’s');
    return waited;
  }

  it('when the gateway’s collection update is chosen as the victim, then it runs again and both rows are written', async () => {
    const [a, b] = (await sql<{ ITEM_CD: string }>(t.db, `select top (2) [ITEM_CD] from [ITEM_MSTR] order by [ITEM_CD]`)).map((r) => r.ITEM_CD);
    // Which row an UPDATE reaches first is the server's choice: one of the two orders is a cycle.
    const deadlocked = [await scenario(a!, b!, 7), await scenario(b!, a!, 8)];
    assert.ok(deadlocked.includes(true), 'one order made the two sessions wait on each other');
  });
});

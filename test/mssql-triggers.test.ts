// A SQL Server table with a trigger: the binding check notices it, and writes return their rows through OUTPUT … INTO
// a temporary table (SQL Server refuses a bare OUTPUT on such a table) — updates, deletes, inserts and upserts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedErp } from '../src/demo/erp-schema.js';
import { qs, sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { freshMssqlDatabase, testMssql } from './support/mssql-env.js';

const env = testMssql();

describe('writes to a SQL Server table with a trigger', { skip: 'skip' in env ? env.skip : undefined }, () => {
  let t: TestGateway;
  before(async () => {
    t = await startGateway({
      config: testConfig({
        source: { client: 'mssql', url: await freshMssqlDatabase('mssql_triggers') },
      }),
      seed: async (db) => {
        await seedErp(db);
        // Legacy estates keep audit trails in triggers; this one stamps every changed item.
        await db.raw(`CREATE TABLE [dbo].[ITEM_LOG] ([ITEM_CD] varchar(12) NOT NULL, [WHAT] varchar(10) NOT NULL)`);
        await db.raw(`CREATE TRIGGER [dbo].[ITEM_MSTR_LOG] ON [dbo].[ITEM_MSTR] AFTER INSERT, UPDATE, DELETE AS
          BEGIN
            SET NOCOUNT ON;
            INSERT INTO [dbo].[ITEM_LOG] ([ITEM_CD], [WHAT]) SELECT [ITEM_CD], 'written' FROM inserted;
            INSERT INTO [dbo].[ITEM_LOG] ([ITEM_CD], [WHAT]) SELECT [ITEM_CD], 'deleted' FROM deleted WHERE [ITEM_CD] NOT IN (SELECT [ITEM_CD] FROM inserted);
          END`);
      },
    });
  });
  after(() => t?.close());

  const log = async (code: string): Promise<string[]> =>
    (await sql<{ WHAT: string }>(t.db, `select [WHAT] from [ITEM_LOG] where [ITEM_CD] = ?`, [code])).map((r) => r.WHAT);

  it('when items are created, upserted, patched and deleted, then each answer holds its rows and the trigger fired', async () => {
    const created = await t.http.post('/items').set('Prefer', 'return=representation').send({ code: 'TRG-1', description: 'one', unitCost: '1.00' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.code, 'TRG-1');

    const upserted = await t.http
      .post('/items')
      .set('Prefer', 'resolution=merge-duplicates, return=representation')
      .send([
        { code: 'TRG-1', description: 'one, again', unitCost: '1.50' },
        { code: 'TRG-2', description: 'two', unitCost: '2.00' },
      ]);
    assert.equal(upserted.status, 201, upserted.text);
    assert.deepEqual((upserted.body as Array<{ code: string; unitCost: string }>).map((r) => [r.code, r.unitCost]).sort(), [
      ['TRG-1', '1.50'],
      ['TRG-2', '2.00'],
    ]);

    const patched = await t.http.patch(`/items${qs({ code: 'in.(TRG-1,TRG-2)' })}`).set('Prefer', 'return=representation').send({ displayOrder: 3 });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((patched.body as unknown[]).length, 2);

    const deleted = await t.http.delete('/items/TRG-2').set('Prefer', 'return=representation');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.body.code, 'TRG-2');

    assert.deepEqual((await log('TRG-1')).sort(), ['written', 'written', 'written']);
    assert.deepEqual((await log('TRG-2')).sort(), ['deleted', 'written', 'written']);
  });
});

// Write-ahead audit over a SQL Server source: each request's event holds the T-SQL it ran (OUTPUT, the two-statement
// upsert in its transaction, the failed statement's error number) with classified values masked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsFor } from './support/audit-log.js';
import { freshMssqlDatabase, testMssql } from './support/mssql-env.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const mssql = testMssql();
const pg = testPostgres();
const skip = 'skip' in mssql ? mssql.skip : 'skip' in pg ? pg.skip : undefined;

interface Statement {
  sql: string;
  bindings: unknown[];
  rows: number | null;
  error: string | null;
}

describe('audit events for a SQL Server source', { skip }, () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'mssql', url: await freshMssqlDatabase('audit_mssql_data') },
        store: await freshDatabase('audit_mssql_store'),
      }),
      seed: seedErp,
    });
  });
  after(() => gw?.close());

  async function requestEvent(requestId: string): Promise<Record<string, unknown>> {
    const events = (await eventsFor(gw.storeDb, requestId)).filter((e) => e.kind === 'request');
    assert.equal(events.length, 1);
    return events[0]!;
  }

  it('when a row is read by key, then the event records the T-SQL with @p placeholders and its bindings', async () => {
    await gw.http.get('/customers/42').set('X-Request-Id', 'ms-read').expect(200);
    const [s] = (await requestEvent('ms-read')).statements as Statement[];
    assert.match(s!.sql, /^select top \(@p0\) .* from \[CUST_MSTR\] where \[CUST_ID\] = @p1$/);
    assert.deepEqual(s!.bindings, [2, 42]);
    assert.equal(s!.rows, 1);
  });

  it('when a customer is created, then the intent comes first and the INSERT … OUTPUT has its pii masked', async () => {
    const res = await gw.http.post('/customers').set('X-Request-Id', 'ms-create').send({ name: 'Ada Lovelace', email: 'ada.ms@example.com', region: 'EMEA' });
    assert.equal(res.status, 201, res.text);
    const records = await eventsFor(gw.storeDb, 'ms-create');
    assert.deepEqual(records.map((r) => r.kind), ['intent', 'request']);
    const [insert] = records[1]!.statements as Statement[];
    assert.match(insert!.sql, /^insert into \[CUST_MSTR\] .* output inserted\.\[CUST_ID\] as \[CUST_ID\] values/);
    assert.ok(!JSON.stringify(insert).includes('ada.ms@example.com'));
    assert.ok(insert!.bindings.includes('[masked:pii]'));
    assert.equal(insert!.rows, 1);
  });

  it('when an upsert merges, then its UPDATE and INSERT run between BEGIN and COMMIT, all in the event', async () => {
    const res = await gw.http
      .post('/items')
      .set('X-Request-Id', 'ms-upsert')
      .set('Prefer', 'resolution=merge-duplicates, return=representation')
      .send([
        { code: 'UPS-MS-1', description: 'new', unitCost: '1.00' },
        { code: 'UPS-MS-1b', description: 'new too', unitCost: '2.00' },
      ]);
    assert.equal(res.status, 201, res.text);
    const statements = (await requestEvent('ms-upsert')).statements as Statement[];
    assert.deepEqual(
      statements.map((s) => s.sql.split(' ').slice(0, 2).join(' ')),
      ['BEGIN TRANSACTION', 'update [ITEM_MSTR]', 'insert into', 'COMMIT TRANSACTION'],
    );
    assert.equal(statements[1]!.rows, 0);
    assert.equal(statements[2]!.rows, 2);
  });

  it('when a write fails on a unique index, then the statement’s error is the SQL Server error number and nothing is kept', async () => {
    const res = await gw.http.post('/customers').set('X-Request-Id', 'ms-dup').send({ name: 'Twin', email: 'ada.ms@example.com', region: 'EMEA' });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.body.code, 'unique_violation');
    assert.match(String(res.body.hint), /email/);
    const e = await requestEvent('ms-dup');
    assert.equal(e.error_code, 'unique_violation');
    const [insert] = e.statements as Statement[];
    assert.equal(insert!.error, '2627');
  });
});

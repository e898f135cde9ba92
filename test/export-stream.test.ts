// Streaming a whole table: `limit=all` on NDJSON / CSV answers every matching row, batch by batch, where a rule grants
// export; filters, order, row rules and masks hold on every batch, and the audit log records it write-ahead.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { eventsFor } from './support/audit-log.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { assertProblem, sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');
const BATCH = 40;

const policies = {
  maskKey: 'export-mask-key-0123456789',
  rules: [
    {
      name: 'exporters',
      scopes: ['customers:export'],
      resource: 'customers',
      operations: ['read', 'export'],
      columns: { read: ['id', 'name', 'email', 'region'] },
      rows: { region: { eq: '{claims.region}' } },
      mask: { email: 'partial' },
    },
    { name: 'readers', scopes: ['customers:read'], resource: 'customers', operations: ['read'] },
  ],
};

describe('streaming a whole table with limit=all', { skip }, () => {
  let gw: TestGateway;
  let exporter: string;
  let reader: string;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('export_data') },
        store: await freshDatabase('export_store'),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, limits: { exportBatchRows: BATCH } },
      }),
      seed: seedErp,
    });
    exporter = `Bearer ${await mintToken(gw.config.auth, { subject: 'exporter', scopes: ['customers:read', 'customers:export'], claims: { region: 'EMEA' } })}`;
    reader = `Bearer ${await mintToken(gw.config.auth, { subject: 'reader', scopes: ['customers:read'] })}`;
  });
  after(async () => gw?.close());

  async function emea(): Promise<Array<{ id: number; name: string }>> {
    return sql<{ id: number; name: string }>(gw.db, `select "CUST_ID" as id, "CUST_NAME" as name from "CUST_MSTR" where "REGION" = 'EMEA' order by "CUST_ID"`);
  }

  it('when NDJSON is asked for with limit=all, then every row the rule allows comes, in key order, over several statements', async () => {
    const expected = await emea();
    assert.ok(expected.length > 3 * BATCH, `enough EMEA rows for several batches (${expected.length})`);
    const res = await gw.http.get('/customers?limit=all').set('Authorization', exporter).set('Accept', 'application/x-ndjson').set('X-Request-Id', 'export-ndjson');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    assert.equal(res.headers['content-length'], undefined, 'streamed, not buffered');
    const rows = res.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r.id), expected.map((r) => r.id));
    assert.ok(rows.every((r) => r.region === 'EMEA'));
    assert.ok(rows.every((r) => typeof r.email !== 'string' || /^\*+.{0,4}$/.test(r.email)), 'the mask holds on every batch');
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['email', 'id', 'name', 'region']);

    const records = await eventsFor(gw.storeDb, 'export-ndjson');
    assert.deepEqual(records.map((r) => r.kind), ['intent', 'request'], 'the intent is stored before the first byte');
    const event = records[1]!;
    assert.equal(event.status, 200);
    assert.equal(event.row_count, expected.length);
    const statements = event.statements as Array<{ sql: string; rows: number }>;
    assert.equal(statements.length, Math.floor(expected.length / BATCH) + 1);
    assert.equal(statements.reduce((n, s) => n + s.rows, 0), expected.length);
  });

  it('when CSV is asked for with a filter and an order, then a header row and exactly the matching rows in that order', async () => {
    const expected = (await emea()).filter((r) => r.name >= 'M').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
    const res = await gw.http
      .get('/customers?limit=all&select=id,name&name=gte.M&order=name')
      .set('Authorization', exporter)
      .set('Accept', 'text/csv');
    assert.equal(res.status, 200, res.text);
    const lines = res.text.split('\r\n').filter(Boolean);
    assert.equal(lines[0], 'id,name');
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[0])), expected.map((r) => r.id));
  });

  it('when limit=all is asked for as JSON, then 400 saying to ask for NDJSON or CSV', async () => {
    assertProblem(await gw.http.get('/customers?limit=all').set('Authorization', exporter), 400, 'invalid_parameter');
  });

  it('when limit=all comes with an offset or a cursor, then 400 invalid_pagination', async () => {
    const res = await gw.http.get('/customers?limit=all&offset=10').set('Authorization', exporter).set('Accept', 'application/x-ndjson');
    assertProblem(res, 400, 'invalid_pagination');
  });

  it('when the caller may read but no rule grants export, then 403 export_not_allowed and nothing runs', async () => {
    const res = await gw.http.get('/customers?limit=all').set('Authorization', reader).set('Accept', 'application/x-ndjson').set('X-Request-Id', 'export-denied');
    assertProblem(res, 403, 'export_not_allowed');
    const [event] = (await eventsFor(gw.storeDb, 'export-denied')).filter((e) => e.kind === 'request');
    assert.deepEqual(event?.statements, []);
    // A page is still theirs to read.
    assert.equal((await gw.http.get('/customers?limit=5').set('Authorization', reader)).status, 200);
  });

  it('when the client goes away in the middle of a large export, then its event says aborted, with the rows sent so far', async () => {
    // Enough rows that the stream cannot finish before the client leaves: backpressure holds it at the socket.
    await gw.db.raw(
      `insert into "CUST_MSTR" ("CUST_NAME", "REGION", "STATUS_CD") select 'Bulk ' || g, 'EMEA', 'A' from generate_series(1, 60000) g`,
    );
    const server = createServer(gw.gateway.listener).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/customers?limit=all', headers: { Authorization: exporter, Accept: 'application/x-ndjson', 'X-Request-Id': 'export-cut' } },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
      let event: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !event; i++) {
        await sleep(100);
        event = (await eventsFor(gw.storeDb, 'export-cut')).find((e) => e.kind === 'request');
      }
      assert.ok(event, 'the cut-off export has its event');
      assert.equal(event.outcome, 'aborted');
      assert.equal(event.status, 499);
      assert.ok(Number(event.row_count) > 0 && Number(event.row_count) < 60000, String(event.row_count));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

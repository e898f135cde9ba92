// One audit event per request (served, denied at any stage, failed), with every SQL statement it ran, on a real
// PostgreSQL store; strict mode holds each response until its event is committed, and concurrent ones share commits.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { eventsFor } from './support/audit-log.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

interface Statement {
  source: string;
  sql: string;
  bindings: unknown[];
  rows: number | null;
  durationMs: number | null;
  error: string | null;
}

async function onlyRequestEvent(gw: TestGateway, requestId: string): Promise<Record<string, unknown>> {
  const events = (await eventsFor(gw.storeDb, requestId)).filter((e) => e.kind === 'request');
  assert.equal(events.length, 1, `exactly one request event for ${requestId}, got ${events.length}`);
  return events[0]!;
}

/** The event of a request refused before it was admitted: its X-Request-Id is kept apart from the request id. */
async function refusedRequestEvent(gw: TestGateway, clientRequestId: string, answered: { headers: Record<string, string> }): Promise<Record<string, unknown>> {
  const events = (await gw.storeDb('audit_events').where({ kind: 'request' }).whereRaw(`detail->>'clientRequestId' = ?`, [clientRequestId])) as Array<
    Record<string, unknown>
  >;
  assert.equal(events.length, 1, `exactly one request event naming ${clientRequestId}, got ${events.length}`);
  assert.equal(events[0]!.request_id, answered.headers['x-request-id'], 'stored under the id it was answered with');
  return events[0]!;
}

describe('audit events on a PostgreSQL store', { skip }, () => {
  let gw: TestGateway;
  let sinkDir: string;
  let sinkFile: string;

  before(async () => {
    sinkDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-audit-sink-'));
    sinkFile = path.join(sinkDir, 'audit.jsonl');
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_ev_data') },
        store: await freshDatabase('audit_ev_store'),
        server: { bodyLimit: '4kb' },
        audit: { sink: { stdout: false, file: sinkFile } },
      }),
      seed: seedErp,
    });
  });
  after(async () => {
    await gw?.close();
    await rm(sinkDir, { recursive: true, force: true });
  });

  it('when a row is read by key, then one success event records the route, operation, rows and its SELECT', async () => {
    const res = await gw.http.get('/customers/42').set('X-Request-Id', 'ev-read-1');
    assert.equal(res.status, 200);
    const e = await onlyRequestEvent(gw, 'ev-read-1');
    assert.equal(e.method, 'GET');
    assert.equal(e.path, '/customers/42');
    assert.equal(e.route, '/customers/{id}');
    assert.equal(e.operation_id, 'getCustomer');
    assert.equal(e.resource, 'customers');
    assert.equal(e.status, 200);
    assert.equal(e.outcome, 'success');
    assert.equal(e.row_count, 1);
    assert.equal(e.client_ip, '127.0.0.1');
    assert.ok(Number(e.latency_ms) > 0);
    const statements = e.statements as Statement[];
    assert.equal(statements.length, 1);
    const [s] = statements;
    assert.match(s!.sql, /^select .* from "CUST_MSTR" where "CUST_ID" = \$1 limit \$2$/);
    assert.deepEqual(s!.bindings, [42, 2]);
    assert.equal(s!.rows, 1);
    assert.equal(s!.error, null);
    assert.equal(s!.source, 'erp');
    assert.ok(s!.durationMs !== null && s!.durationMs >= 0);
  });

  it('when a customer is created, then an intent precedes the request event and pii / confidential bindings are masked', async () => {
    const res = await gw.http
      .post('/customers')
      .set('X-Request-Id', 'ev-create-1')
      .send({ name: 'Ada Lovelace', email: 'ada.audit@example.com', region: 'EMEA', creditLimit: '1234.50' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const records = await eventsFor(gw.storeDb, 'ev-create-1');
    assert.deepEqual(
      records.map((r) => r.kind),
      ['intent', 'request'],
    );
    const [intent, event] = records as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(intent.ref, event.id);
    assert.ok(Number(intent.seq) < Number(event.seq));
    assert.deepEqual(intent.detail, { action: 'insert', source: 'erp', table: 'CUST_MSTR' });
    const [insert] = event.statements as Statement[];
    assert.match(insert!.sql, /^insert into "CUST_MSTR"/);
    const text = JSON.stringify(event.statements);
    assert.ok(!text.includes('Ada Lovelace') && !text.includes('ada.audit@example.com') && !text.includes('1234.5'), text);
    assert.ok(insert!.bindings.includes('[masked:pii]'));
    assert.ok(insert!.bindings.includes('[masked:confidential]'));
    assert.ok(insert!.bindings.includes('EMEA'), 'an unclassified value stays readable');
    assert.equal(insert!.rows, 1);
    assert.equal(event.row_count, 1);
  });

  it('when a filter compares a pii column, then its value is masked in the SELECT bindings', async () => {
    const res = await gw.http.get('/customers?email=eq.ada.audit@example.com&select=id').set('X-Request-Id', 'ev-filter-pii');
    assert.equal(res.status, 200);
    const e = await onlyRequestEvent(gw, 'ev-filter-pii');
    const text = JSON.stringify(e.statements);
    assert.ok(!text.includes('ada.audit@example.com'), text);
    assert.ok(text.includes('[masked:pii]'));
  });

  it('when a probe calls /healthz or /readyz, then no event is recorded (probes are excluded unless includeHealth)', async () => {
    assert.equal((await gw.http.get('/healthz').set('X-Request-Id', 'ev-probe-1')).status, 200);
    assert.equal((await gw.http.get('/readyz').set('X-Request-Id', 'ev-probe-2')).status, 200);
    assert.deepEqual(await eventsFor(gw.storeDb, 'ev-probe-1'), []);
    assert.deepEqual(await eventsFor(gw.storeDb, 'ev-probe-2'), []);
  });

  it('when a route does not exist, then a denied event with status 404 and no SQL', async () => {
    const res = await gw.http.get('/no-such-thing').set('X-Request-Id', 'ev-404');
    assert.equal(res.status, 404);
    const e = await refusedRequestEvent(gw, 'ev-404', res);
    assert.equal(e.status, 404);
    assert.equal(e.outcome, 'denied');
    assert.equal(e.error_code, 'not_found');
    assert.equal(e.route, null);
    assert.deepEqual(e.statements, []);
  });

  it('when a filter names an unknown column, then a denied event with status 400 and its error code', async () => {
    const res = await gw.http.get('/customers?nosuch=eq.1').set('X-Request-Id', 'ev-400');
    assert.equal(res.status, 400);
    const e = await onlyRequestEvent(gw, 'ev-400');
    assert.equal(e.status, 400);
    assert.equal(e.outcome, 'denied');
    assert.equal(e.error_code, res.body.code);
    assert.equal(e.operation_id, 'listCustomers');
  });

  it('when a body exceeds the limit, then a denied event with status 413 and no intent', async () => {
    const res = await gw.http
      .post('/customers')
      .set('X-Request-Id', 'ev-413')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(10_000), region: 'EMEA' }));
    assert.equal(res.status, 413);
    const records = await eventsFor(gw.storeDb, 'ev-413');
    assert.deepEqual(records.map((r) => [r.kind, r.status, r.error_code]), [['request', 413, 'payload_too_large']]);
  });

  it('when the auditor API is called without a principal, then 401 and a denied event naming the auditor operation', async () => {
    const res = await gw.http.get('/_gatehouse/audit/events').set('X-Request-Id', 'ev-401');
    assert.equal(res.status, 401);
    const e = await refusedRequestEvent(gw, 'ev-401', res);
    assert.equal(e.status, 401);
    assert.equal(e.outcome, 'denied');
    assert.equal(e.route, '/_gatehouse/audit/events');
    assert.equal(e.operation_id, 'gatehouseAuditListEvents');
  });

  it('when an insert violates a unique constraint, then the event records the failed statement with its error code', async () => {
    const res = await gw.http
      .post('/customers')
      .set('X-Request-Id', 'ev-409')
      .send({ name: 'Again', email: 'ada.audit@example.com', region: 'EMEA' });
    assert.equal(res.status, 409);
    const records = await eventsFor(gw.storeDb, 'ev-409');
    assert.deepEqual(records.map((r) => r.kind), ['intent', 'request']);
    const e = records[1]!;
    assert.equal(e.status, 409);
    assert.equal(e.error_code, 'unique_violation');
    const failed = (e.statements as Statement[]).find((s) => s.sql.startsWith('insert'));
    assert.equal(failed?.error, '23505');
    assert.equal(failed?.rows, null);
  });

  it('when the database fails a statement the gateway cannot translate, then a failed event with status 500', async () => {
    await gw.db.raw('alter table "CUST_NOTE" rename column "NOTE_TXT" to "NOTE_TXT_OLD"');
    try {
      const res = await gw.http.get('/customer-notes?limit=1').set('X-Request-Id', 'ev-500');
      assert.equal(res.status, 500);
      const e = await onlyRequestEvent(gw, 'ev-500');
      assert.equal(e.outcome, 'failed');
      assert.equal(e.status, 500);
      assert.equal((e.statements as Statement[])[0]?.error, '42703');
    } finally {
      await gw.db.raw('alter table "CUST_NOTE" rename column "NOTE_TXT_OLD" to "NOTE_TXT"');
    }
  });

  it('when many requests arrive at once, then each response is released only after its event is committed, and they share commits', async () => {
    const before = gw.auditor.writer.stats();
    const ids = Array.from({ length: 40 }, (_, i) => `ev-burst-${i}`);
    // Hold the store's commits (a lock that blocks inserts but not reads) while the burst arrives, so the requests
    // overlap a commit on any machine: on a fast one they could otherwise each find the writer idle.
    const hold = await gw.storeDb.transaction();
    await hold.raw('lock table audit_events in share mode');
    let released = false;
    const responses = Promise.all(
      ids.map(async (id, i) => {
        const res = await gw.http.get(`/customers/${i + 1}`).set('X-Request-Id', id);
        assert.equal(res.status, 200);
        assert.ok(released, `${id} was answered while its event could not be committed`);
        // Read from another connection the moment the response arrives: the event must already be there.
        return (await eventsFor(gw.storeDb, id)).length;
      }),
    );
    await sleep(500);
    released = true;
    await hold.commit();
    const seenAtResponse = await responses;
    assert.deepEqual(seenAtResponse, ids.map(() => 1));
    const after = gw.auditor.writer.stats();
    const records = after.records - before.records;
    const commits = after.commits - before.commits;
    assert.ok(records >= 40, `records ${records}`);
    assert.ok(commits < records, `group commit: ${records} records in ${commits} commits`);
  });

  it('when the gateway closes, then every stored event is also a JSON line in the sink file', async () => {
    const res = await gw.http.get('/items?limit=1').set('X-Request-Id', 'ev-sink-last');
    assert.equal(res.status, 200);
    const stored = (await gw.storeDb('audit_events').select('id', 'seq')) as Array<{ id: string; seq: string }>;
    await gw.auditor.close();
    const lines = (await readFile(sinkFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const lineIds = new Set(lines.filter((l) => l.stored === true).map((l) => l.id));
    for (const row of stored) assert.ok(lineIds.has(row.id), `event ${row.id} (seq ${row.seq}) is in the sink`);
    const last = lines.find((l) => l.requestId === 'ev-sink-last');
    assert.equal(last?.log, 'audit');
    assert.equal(last?.status, 200);
    assert.equal(typeof last?.hash, 'string');
  });
});

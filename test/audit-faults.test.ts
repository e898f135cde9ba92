// Fail closed: with the audit store stopped mid-load, requests get 503 audit_unavailable and /readyz is 503, nothing
// is answered (or changed) without its record; once the store is back the gateway recovers without a restart.
// A full queue refuses requests the same way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres, type PgServer } from './support/postgres.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

interface Outcome {
  readonly requestId: string;
  readonly method: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly name?: string;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('audit store outage', { skip }, () => {
  let store: PgServer;
  let gw: TestGateway;

  before(async () => {
    store = await startPostgres();
    gw = await startGateway({ config: testConfig({ source: { client: 'pg', url: await freshDatabase('audit_fault_data') }, store: store.url('postgres') }), seed: seedErp });
  });
  after(async () => {
    await gw?.close().catch(() => undefined);
    await store?.destroy();
  });

  it('when the store stops mid-load, then 503 audit_unavailable and readiness false; when it returns, the gateway recovers', async () => {
    const outcomes: Outcome[] = [];
    let n = 0;
    let stopLoad = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 400 && !stopLoad; i++) {
        const requestId = `fault-${w}-${i}`;
        n += 1;
        if (n % 3 === 0) {
          const name = `fault customer ${requestId}`;
          const res = await gw.http.post('/customers').set('X-Request-Id', requestId).send({ name, region: 'APAC' });
          outcomes.push({ requestId, method: 'POST', status: res.status, code: res.body?.code, name });
        } else {
          const res = await gw.http.get(`/customers/${(n % 400) + 1}`).set('X-Request-Id', requestId);
          outcomes.push({ requestId, method: 'GET', status: res.status, code: res.body?.code });
        }
        await sleep(2);
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await waitFor('some requests are served', async () => outcomes.filter((o) => o.status < 300).length >= 20);
    await store.stop();
    await waitFor('requests are refused', async () => outcomes.slice(-5).every((o) => o.status === 503));
    // Readiness is cached for a second: it turns 503 within that.
    await waitFor('readiness turns false', async () => (await gw.http.get('/readyz')).status === 503);
    const ready = await gw.http.get('/readyz');
    assert.equal(ready.status, 503);
    assert.ok((ready.body.reasons as string[]).some((r) => r.includes('audit')), JSON.stringify(ready.body));
    const refused = await gw.http.get('/customers/1').set('X-Request-Id', 'fault-refused');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'audit_unavailable');
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    stopLoad = true;
    await load;

    await store.start();
    await waitFor('the gateway is ready again', async () => (await gw.http.get('/readyz')).status === 200);
    const back = await gw.http.get('/customers/7').set('X-Request-Id', 'fault-back');
    assert.equal(back.status, 200);

    // Every 2xx has its event; every 503 was audit_unavailable.
    const stored = new Set(
      ((await gw.storeDb('audit_events').where({ kind: 'request' }).select('request_id')) as Array<{ request_id: string }>).map((r) => r.request_id),
    );
    assert.ok(stored.has('fault-back'));
    const served = outcomes.filter((o) => o.status < 300);
    const refusedAll = outcomes.filter((o) => o.status === 503);
    assert.ok(served.length >= 20 && refusedAll.length >= 1, `served ${served.length}, refused ${refusedAll.length}`);
    for (const o of served) assert.ok(stored.has(o.requestId), `${o.method} ${o.requestId} answered ${o.status} has its event`);
    // A write that committed just as the store went away is not called a plain failure: its answer says it was applied.
    const appliedCodes = new Set(['audit_unavailable', 'audit_unavailable_after_write']);
    for (const o of outcomes) {
      const code = o.method === 'POST' ? appliedCodes.has(o.code ?? '') : o.code === 'audit_unavailable';
      assert.ok(o.status < 300 || (o.status === 503 && code), JSON.stringify(o));
    }
    const created = new Set(
      ((await gw.db('CUST_MSTR').where('CUST_NAME', 'like', 'fault customer %').select('CUST_NAME')) as Array<{ CUST_NAME: string }>).map((r) => r.CUST_NAME),
    );
    for (const o of outcomes.filter((x) => x.code === 'audit_unavailable_after_write')) assert.ok(created.has(o.name!), `${o.requestId} was applied`);

    // Nothing changed without a record: every customer the load created has a durable intent.
    const intents = new Set(
      ((await gw.storeDb('audit_events').where({ kind: 'intent' }).select('request_id')) as Array<{ request_id: string }>).map((r) => r.request_id),
    );
    for (const name of created) {
      const requestId = name.replace('fault customer ', '');
      assert.ok(intents.has(requestId), `row written by ${requestId} has an intent`);
    }
    // Every intent ends with a known outcome (the request event, stored late if need be) or an explicit 'unknown'.
    await waitFor('every intent is closed', async () => {
      const open = await gw.storeDb('audit_events as i')
        .where('i.kind', 'intent')
        .whereNotExists(function () {
          this.select(gw.storeDb.raw('1')).from('audit_events as e').whereRaw('e.ref = i.ref').whereIn('e.kind', ['request', 'outcome']);
        })
        .count({ n: '*' })
        .first();
      return Number((open as { n: string }).n) === 0;
    });
    const report = await gw.auditor.verify();
    assert.deepEqual(report.problems, []);
  });
});

describe('audit queue full', { skip }, () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_queue_data') },
        store: await freshDatabase('audit_queue_store'),
        // One record may wait while a commit is in flight.
        audit: { queueSize: 1, groupCommit: { maxBatch: 1 } },
      }),
      seed: seedErp,
    });
  });
  after(async () => gw?.close());

  it('when more requests arrive than the queue holds, then the extra ones get 503 audit_unavailable and every 200 has its event', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `queue-${i}`);
    // Hold the store's commits (a lock on the events table) so the queue fills for certain, however fast
    // the machine; the lock is released well inside the store's statement timeout.
    const hold = await gw.storeDb.transaction();
    await hold.raw('lock table audit_events in exclusive mode');
    let answered = 0;
    const pending = Promise.all(
      ids.map(async (id) => {
        const res = await gw.http.get('/items?limit=1').set('X-Request-Id', id);
        answered += 1;
        return { id, res };
      }),
    );
    await waitFor('the requests beyond the queue are refused', async () => answered >= ids.length - 2, 4_000).catch(() => undefined);
    await hold.commit();
    const results = await pending;
    const ok = results.filter((r) => r.res.status === 200);
    const refused = results.filter((r) => r.res.status === 503);
    assert.ok(ok.length >= 1 && refused.length >= 1, `ok ${ok.length}, refused ${refused.length}`);
    assert.equal(ok.length + refused.length, ids.length);
    for (const r of refused) assert.equal(r.res.body.code, 'audit_unavailable');
    const stored = new Set(
      ((await gw.storeDb('audit_events').whereIn('request_id', ids).select('request_id')) as Array<{ request_id: string }>).map((r) => r.request_id),
    );
    for (const r of ok) assert.ok(stored.has(r.id), `${r.id} answered 200 has its event`);
    for (const r of refused) assert.ok(!stored.has(r.id), `${r.id} refused has no stored event`);
  });
});

describe('buffered audit', { skip }, () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_buffered_data') },
        store: await freshDatabase('audit_buffered_store'),
        audit: { mode: 'buffered' },
      }),
      seed: seedErp,
    });
  });
  after(async () => gw?.close());

  it('when audit is buffered, then requests are answered and their events still reach the store, chained', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `buffered-${i}`);
    for (const id of ids) assert.equal((await gw.http.get('/items?limit=1').set('X-Request-Id', id)).status, 200);
    await waitFor('the buffered events are committed', async () => {
      const rows = (await gw.storeDb('audit_events').whereIn('request_id', ids).count({ n: '*' }).first()) as { n: string };
      return Number(rows.n) === ids.length;
    });
    assert.deepEqual((await gw.auditor.verify()).problems, []);
  });
});

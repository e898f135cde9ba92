// A write that committed while the audit store went away is never answered as a plain failure: its answer waits
// for the store (audit.writeHoldMs) and is the write's own once the store is back; past the hold it is 503
// audit_unavailable_after_write, which says the change was applied, and a retry with the same Idempotency-Key then
// gets the write's answer without running it again. On a table without a primary key, where a repeated insert adds
// a second row.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type supertest from 'supertest';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startPostgres, type PgServer } from './support/postgres.js';
import { note, notePolicies, notesWithId, requestEvent } from './support/idempotency.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting until ${what}`);
}

interface Outage {
  readonly store: PgServer;
  readonly gw: TestGateway;
  readonly token: string;
}

async function startOutage(writeHoldMs: number, name: string): Promise<Outage> {
  const store = await startPostgres();
  const gw = await startGateway({
    config: testConfig({
      source: { client: 'pg', url: await freshDatabase(name) },
      store: store.url('postgres'),
      audit: { writeHoldMs },
      auth: { ...demoAuth(secret), disabled: false },
      extra: { policies: notePolicies },
    }),
    seed: seedErp,
  });
  const token = await mintToken(gw.config.auth, { subject: 'carol', clientId: 'app', scopes: ['customer-notes:read', 'customer-notes:write'] });
  return { store, gw, token };
}

/**
 * Sends a keyed insert and takes the store away between its commit and its event: the insert waits on a table lock
 * until its intent is stored; the store is stopped; then the lock is released, so the row commits with the store down.
 */
async function writeDuringOutage(o: Outage, requestId: string, key: string | undefined, noteId: number): Promise<{ answer: Promise<supertest.Response> }> {
  const lock = await o.gw.db.transaction();
  await lock.raw('lock table "CUST_NOTE" in exclusive mode');
  const t = o.gw.http.post('/customer-notes').set('Authorization', `Bearer ${o.token}`).set('X-Request-Id', requestId).set('Prefer', 'return=representation');
  if (key) t.set('Idempotency-Key', key);
  const answer = t.send(note(noteId)).then((r) => r);
  try {
    await waitFor('the write’s intent is stored', async () => (await o.gw.storeDb('audit_events').where({ request_id: requestId, kind: 'intent' }).first()) !== undefined);
    await o.gw.storeDb.destroy();
    await o.store.stop();
  } finally {
    await lock.commit();
  }
  // Wrapped: an async function returning the promise itself would wait for it.
  return { answer };
}

async function storeBack(o: Outage): Promise<void> {
  await o.store.start();
  await o.gw.storeDb.initialize();
  await waitFor('the gateway is ready again', async () => (await o.gw.http.get('/readyz')).status === 200);
}

describe('a store outage between a write’s commit and its audit event', { skip }, () => {
  describe('when the store is back within audit.writeHoldMs', () => {
    let o: Outage;
    before(async () => {
      o = await startOutage(60_000, 'idem_outage_hold');
    });
    after(async () => {
      await o?.gw.close().catch(() => undefined);
      await o?.store.destroy();
    });

    it('then the write is answered with its own 201, its event stored once with that status, and the row exists once', async () => {
      const { answer: pending } = await writeDuringOutage(o, 'outage-held', randomUUID(), 9101);
      await sleep(500);
      assert.equal(await notesWithId(o.gw, 9101), 1, 'the row committed while the store was down');
      await o.store.start();
      const res = await pending;
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.noteId, 9101);
      await o.gw.storeDb.initialize();
      const event = await requestEvent(o.gw, 'outage-held');
      assert.equal(event.status, 201);
      assert.equal(event.outcome, 'success');
      assert.equal(await notesWithId(o.gw, 9101), 1);
    });
  });

  describe('when the store stays down past audit.writeHoldMs', () => {
    let o: Outage;
    before(async () => {
      o = await startOutage(1500, 'idem_outage_gone');
    });
    after(async () => {
      await o?.gw.close().catch(() => undefined);
      await o?.store.destroy();
    });

    it('then 503 audit_unavailable_after_write, and the retry with the same key replays the 201 once the store is back, without a second row', async () => {
      const key = randomUUID();
      const started = Date.now();
      const answered = await (await writeDuringOutage(o, 'outage-gone', key, 9102)).answer;
      assert.equal(answered.status, 503, answered.text);
      assert.equal(answered.body.code, 'audit_unavailable_after_write');
      assert.match(answered.body.detail, /applied/);
      assert.equal(answered.headers['retry-after'], '2');
      assert.ok(Date.now() - started >= 1500, 'the answer was held for audit.writeHoldMs first');
      assert.equal(await notesWithId(o.gw, 9102), 1);

      await storeBack(o);
      // The answer is recorded once the store is back (within a retry interval): until then the key is in use.
      let retry: supertest.Response | undefined;
      let attempt = 0;
      await waitFor('the retry is answered from the store', async () => {
        attempt += 1;
        retry = await o.gw.http
          .post('/customer-notes')
          .set('Authorization', `Bearer ${o.token}`)
          .set('Idempotency-Key', key)
          .set('X-Request-Id', `outage-retry-${attempt}`)
          .set('Prefer', 'return=representation')
          .send(note(9102));
        if (retry.status === 409) {
          assert.equal(retry.body.code, 'idempotency_key_in_use');
          return false;
        }
        return true;
      });
      assert.equal(retry!.status, 201, retry!.text);
      assert.equal(retry!.headers['idempotency-replayed'], 'true');
      assert.equal(retry!.body.noteId, 9102);
      assert.equal(await notesWithId(o.gw, 9102), 1, 'the retry did not write a second row');

      // The first request's event, stored late, says what it was answered and what it did; the retry names it.
      await waitFor('the first request’s event is stored', async () => {
        const rows = await o.gw.storeDb('audit_events').where({ request_id: 'outage-gone', kind: 'request' });
        return rows.length === 1;
      });
      const first = await requestEvent(o.gw, 'outage-gone');
      assert.equal(first.status, 503);
      assert.equal(first.error_code, 'audit_unavailable_after_write');
      assert.equal((first.detail as Record<string, unknown>).statusBeforeAudit, 201);
      assert.deepEqual((first.detail as Record<string, unknown>).idempotency, { key, outcome: 'first' });
      const replay = await requestEvent(o.gw, `outage-retry-${attempt}`);
      assert.deepEqual((replay.detail as Record<string, unknown>).idempotency, { key, outcome: 'replayed', firstRequestId: 'outage-gone', status: 201 });
    });

    it('then a write without a key is told the same: applied, not to be repeated as a new request', async () => {
      const res = await (await writeDuringOutage(o, 'outage-unkeyed', undefined, 9103)).answer;
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'audit_unavailable_after_write');
      assert.equal(await notesWithId(o.gw, 9103), 1);
      await storeBack(o);
    });
  });
});

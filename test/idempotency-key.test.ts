// Idempotency-Key on writes: a retry with the same key and request is answered with the first answer and changes
// nothing; another request under the key is 422, a retry while the first runs is 409, a malformed key 400; keys are
// per caller and expire; the audit event names the key and what became of it. On a table without a primary key,
// where a repeated insert would silently add a second row.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { eventsFor } from './support/audit-log.js';
import { note, notePolicies, notesWithId, requestEvent } from './support/idempotency.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');

describe('Idempotency-Key on writes', { skip }, () => {
  let gw: TestGateway;
  let express: supertest.Agent;
  let alice: string;
  let bob: string;

  before(async () => {
    const dataUrl = await freshDatabase('idem_data');
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: dataUrl },
        store: await freshDatabase('idem_store'),
        auth: { ...demoAuth(secret), disabled: false },
        extra: {
          policies: notePolicies,
          idempotency: { ttl: '4s', sweepIntervalMs: 1000 },
          // A statement held on a lock this long fails (504) and rolls back: a write that changed nothing.
          sources: { erp: { client: 'pg', connection: dataUrl, statementTimeoutMs: 2000 } },
        },
      }),
      seed: seedErp,
    });
    express = supertest.agent(gw.gateway.app);
    const scopes = ['customer-notes:read', 'customer-notes:write', 'items:read', 'items:write'];
    alice = await mintToken(gw.config.auth, { subject: 'alice', clientId: 'app', scopes });
    bob = await mintToken(gw.config.auth, { subject: 'bob', clientId: 'app', scopes });
  });
  after(async () => gw?.close());

  const post = (token: string, key: string | undefined, body: unknown, agent: supertest.Agent = gw.http): supertest.Test => {
    // The created row in the answer (the default is an empty 201 with Location), so replayed bodies can be compared.
    const t = agent.post('/customer-notes').set('Authorization', `Bearer ${token}`).set('Prefer', 'return=representation');
    if (key !== undefined) t.set('Idempotency-Key', key);
    return t.send(body as object);
  };

  it('when a create is retried with the same key, then the first answer is replayed and the row exists once', async () => {
    const key = randomUUID();
    const first = await post(alice, key, note(9001)).set('X-Request-Id', 'idem-first');
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers['idempotency-replayed'], undefined);
    const retry = await post(alice, key, note(9001)).set('X-Request-Id', 'idem-retry');
    assert.equal(retry.status, 201, retry.text);
    assert.equal(retry.headers['idempotency-replayed'], 'true');
    assert.equal(first.body.noteId, 9001);
    assert.equal(retry.text, first.text);
    assert.equal(retry.headers.location, first.headers.location);
    assert.equal(retry.headers['preference-applied'], 'return=representation');
    assert.equal(retry.headers['content-type'], first.headers['content-type']);
    assert.equal(retry.headers['x-request-id'], 'idem-retry');
    assert.equal(await notesWithId(gw, 9001), 1);

    // The audit log names the key in both events, and the retry as a replay of the first, with no statement run.
    const firstEvent = await requestEvent(gw, 'idem-first');
    assert.deepEqual((firstEvent.detail as Record<string, unknown>).idempotency, { key, outcome: 'first' });
    assert.ok((firstEvent.statements as unknown[]).length >= 1);
    const retryEvent = await requestEvent(gw, 'idem-retry');
    assert.deepEqual((retryEvent.detail as Record<string, unknown>).idempotency, { key, outcome: 'replayed', firstRequestId: 'idem-first', status: 201 });
    assert.deepEqual(retryEvent.statements, []);
    assert.equal(retryEvent.status, 201);
    assert.deepEqual((await eventsFor(gw.storeDb, 'idem-retry')).map((e) => e.kind), ['request'], 'a replay writes no intent');
  });

  it('when the key is reused for a different body, then 422 idempotency_key_mismatch and nothing is written', async () => {
    const key = randomUUID();
    assert.equal((await post(alice, key, note(9002)).set('X-Request-Id', 'idem-mm-1')).status, 201);
    const other = await post(alice, key, note(9002, 'another text')).set('X-Request-Id', 'idem-mm-2');
    assert.equal(other.status, 422, other.text);
    assert.equal(other.body.code, 'idempotency_key_mismatch');
    assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8');
    // Another path, or another query, under the same key is another request too.
    const elsewhere = await gw.http.post('/items').set('Authorization', `Bearer ${alice}`).set('Idempotency-Key', key).send({ code: 'IDEM-1', description: 'x', unitCost: '1.00' });
    assert.equal(elsewhere.body.code, 'idempotency_key_mismatch');
    const query = await post(alice, key, note(9002)).query({ select: 'noteId' });
    assert.equal(query.body.code, 'idempotency_key_mismatch');
    assert.equal(await notesWithId(gw, 9002), 1);
    const event = await requestEvent(gw, 'idem-mm-2');
    assert.equal(event.error_code, 'idempotency_key_mismatch');
    assert.deepEqual((event.detail as Record<string, unknown>).idempotency, { key, outcome: 'mismatch', firstRequestId: 'idem-mm-1' });
  });

  it('when a retry arrives while the first request is still running, then 409 idempotency_key_in_use, and afterwards the replay', async () => {
    const key = randomUUID();
    // Hold the first insert on a table lock, so it is certainly still running when the retry arrives.
    const lock = await gw.db.transaction();
    await lock.raw('lock table "CUST_NOTE" in exclusive mode');
    const first = post(alice, key, note(9003)).set('X-Request-Id', 'idem-busy-1').then((r) => r);
    try {
      const deadline = Date.now() + 10_000;
      while (!(await gw.storeDb('idempotency_keys').where({ key, state: 'in_flight' }).first())) {
        assert.ok(Date.now() < deadline, 'the first request claimed its key');
        await sleep(20);
      }
      const busy = await post(alice, key, note(9003)).set('X-Request-Id', 'idem-busy-2');
      assert.equal(busy.status, 409, busy.text);
      assert.equal(busy.body.code, 'idempotency_key_in_use');
      assert.equal(busy.headers['retry-after'], '1');
      assert.deepEqual(((await requestEvent(gw, 'idem-busy-2')).detail as Record<string, unknown>).idempotency, {
        key,
        outcome: 'in_use',
        firstRequestId: 'idem-busy-1',
      });
    } finally {
      await lock.commit();
    }
    assert.equal((await first).status, 201);
    const later = await post(alice, key, note(9003));
    assert.equal(later.status, 201);
    assert.equal(later.headers['idempotency-replayed'], 'true');
    assert.equal(await notesWithId(gw, 9003), 1);
  });

  it('when the key is empty, too long, repeated or has a bad character, then 400 invalid_idempotency_key and nothing is written', async () => {
    const bad: Array<string | string[]> = ['', '   ', 'k'.repeat(256), 'has space', 'dollar$', 'é', ['one', 'two'], '""'];
    for (const key of bad) {
      const res = await gw.http
        .post('/customer-notes')
        .set('Authorization', `Bearer ${alice}`)
        .set('Idempotency-Key', key as string)
        .send(note(9004));
      assert.equal(res.status, 400, `${JSON.stringify(key)}: ${res.text}`);
      assert.equal(res.body.code, 'invalid_idempotency_key', JSON.stringify(key));
    }
    assert.equal(await notesWithId(gw, 9004), 0);
    // The longest key, and the draft's quoted form, are accepted; the quoted form is the same key as the bare one.
    assert.equal((await post(alice, 'k'.repeat(255), note(9005))).status, 201);
    const quoted = await post(alice, '"k-quoted-1"', note(9006));
    assert.equal(quoted.status, 201);
    const bare = await post(alice, 'k-quoted-1', note(9006));
    assert.equal(bare.headers['idempotency-replayed'], 'true');
    assert.equal(await notesWithId(gw, 9006), 1);
    // Reads ignore the header: they are safe to repeat anyway.
    const read = await gw.http.get('/customer-notes?limit=1').set('Authorization', `Bearer ${alice}`).set('Idempotency-Key', 'has space');
    assert.equal(read.status, 200);
  });

  it('when another caller sends the same key and request, then it does not get the first caller’s answer: its own write runs', async () => {
    const key = randomUUID();
    assert.equal((await post(alice, key, note(9007))).status, 201);
    const other = await post(bob, key, note(9007)).set('X-Request-Id', 'idem-bob');
    assert.equal(other.status, 201, other.text);
    assert.equal(other.headers['idempotency-replayed'], undefined);
    assert.equal(await notesWithId(gw, 9007), 2);
    assert.deepEqual(((await requestEvent(gw, 'idem-bob')).detail as Record<string, unknown>).idempotency, { key, outcome: 'first' });
    // And bob's own retry replays bob's answer.
    assert.equal((await post(bob, key, note(9007))).headers['idempotency-replayed'], 'true');
    assert.equal(await notesWithId(gw, 9007), 2);
  });

  it('when a key outlives idempotency.ttl, then the same request runs again and the expired key is swept from the store', async () => {
    const key = randomUUID();
    assert.equal((await post(alice, key, note(9008))).status, 201);
    const row = (await gw.storeDb('idempotency_keys').where({ key }).first()) as { created_at: Date; expires_at: Date };
    assert.equal(row.expires_at.getTime() - row.created_at.getTime(), 4000);
    assert.equal((await post(alice, key, note(9008))).headers['idempotency-replayed'], 'true');
    await sleep(4200);
    const again = await post(alice, key, note(9008));
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotency-replayed'], undefined);
    assert.equal(await notesWithId(gw, 9008), 2);
    // Keys nobody uses again are deleted once expired (sweepIntervalMs: 1000 here).
    const unused = randomUUID();
    assert.equal((await post(alice, unused, note(9009))).status, 201);
    assert.ok(await gw.storeDb('idempotency_keys').where({ key: unused }).first());
    const deadline = Date.now() + 15_000;
    while (await gw.storeDb('idempotency_keys').where({ key: unused }).first()) {
      assert.ok(Date.now() < deadline, 'the expired key was swept');
      await sleep(250);
    }
  });

  it('when a keyed write fails before anything changed (a 5xx), then the key is free again and the retry runs, once', async () => {
    const key = randomUUID();
    const lock = await gw.db.transaction();
    await lock.raw('lock table "CUST_NOTE" in exclusive mode');
    let failed;
    try {
      failed = await post(alice, key, note(9012)).set('X-Request-Id', 'idem-timeout');
    } finally {
      await lock.commit();
    }
    assert.equal(failed.status, 504, failed.text);
    assert.equal(failed.body.code, 'statement_timeout');
    assert.equal(await notesWithId(gw, 9012), 0);
    assert.equal(await gw.storeDb('idempotency_keys').where({ key }).first(), undefined, 'the key was released');
    const retry = await post(alice, key, note(9012));
    assert.equal(retry.status, 201, retry.text);
    assert.equal(retry.headers['idempotency-replayed'], undefined);
    assert.equal(await notesWithId(gw, 9012), 1);
  });

  it('when a keyed write is refused by the database (4xx), then the refusal is its answer and a retry gets it again', async () => {
    // 409 from the database (a duplicate key on items): nothing changed, and the same answer is replayed.
    const key = randomUUID();
    const item = { code: 'IDEM-DUP', description: 'dup', unitCost: '1.00' };
    assert.equal((await gw.http.post('/items').set('Authorization', `Bearer ${alice}`).send(item)).status, 201);
    const refused = await gw.http.post('/items').set('Authorization', `Bearer ${alice}`).set('Idempotency-Key', key).send(item);
    assert.equal(refused.status, 409);
    const again = await gw.http.post('/items').set('Authorization', `Bearer ${alice}`).set('Idempotency-Key', key).send(item);
    assert.equal(again.status, 409);
    assert.equal(again.headers['idempotency-replayed'], 'true');
    assert.equal(again.body.code, refused.body.code);
  });

  it('when the same keyed request goes through either door, then both answer alike: the first answer, replayed', async () => {
    const key = randomUUID();
    const viaHttp = await post(alice, key, note(9010));
    const viaExpress = await post(alice, key, note(9010), express);
    assert.equal(viaExpress.status, viaHttp.status);
    assert.equal(viaExpress.text, viaHttp.text);
    assert.equal(viaExpress.headers['idempotency-replayed'], 'true');
    const replayHttp = await post(alice, key, note(9010));
    const same = (h: Record<string, string>): Record<string, string> => {
      const { date: _d, 'x-request-id': _id, 'content-length': _l, connection: _c, 'keep-alive': _k, ...rest } = h;
      return rest;
    };
    assert.deepEqual(same(viaExpress.headers as Record<string, string>), same(replayHttp.headers as Record<string, string>));
    const mismatchHttp = await post(alice, key, note(9011));
    const mismatchExpress = await post(alice, key, note(9011), express);
    assert.equal(mismatchExpress.status, 422);
    assert.equal(mismatchExpress.body.code, mismatchHttp.body.code);
    assert.equal(await notesWithId(gw, 9010), 1);
  });

  it('when the contract is read, then every write operation documents the Idempotency-Key header and its answers', async () => {
    const doc = (await gw.http.get('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Array<{ name?: string }>; responses: Record<string, unknown> }>> };
    const create = doc.paths['/customer-notes']!.post!;
    assert.ok(create.parameters?.some((p) => p.name === 'Idempotency-Key'));
    for (const status of ['400', '409', '422', '503']) assert.ok(create.responses[status], `POST documents ${status}`);
    assert.ok((create.responses['201'] as { headers?: Record<string, unknown> }).headers?.['Idempotency-Replayed']);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['post', 'put', 'patch', 'delete']) {
        if (item[method]) assert.ok(item[method]!.parameters?.some((p) => p.name === 'Idempotency-Key'), `${method} ${path}`);
      }
      if (item.get) assert.ok(!item.get.parameters?.some((p) => p.name === 'Idempotency-Key'), `get ${path}`);
    }
  });
});

describe('Idempotency-Key on a write that outlives server.requestTimeoutMs', { skip }, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('idem_timeout_data') },
        store: await freshDatabase('idem_timeout_store'),
        auth: { ...demoAuth(secret), disabled: false },
        server: { requestTimeoutMs: 1000 },
        extra: { policies: notePolicies },
      }),
      seed: seedErp,
    });
    token = await mintToken(gw.config.auth, { subject: 'dave', clientId: 'app', scopes: ['customer-notes:read', 'customer-notes:write'] });
  });
  after(async () => gw?.close());

  it('when the write timed out and was cancelled, then nothing was written, the key is free, and the retry writes one row', async () => {
    const key = randomUUID();
    const send = (): supertest.Test =>
      gw.http.post('/customer-notes').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).set('Prefer', 'return=representation').send(note(9201));
    const lock = await gw.db.transaction();
    await lock.raw('lock table "CUST_NOTE" in exclusive mode');
    try {
      // The insert waits on the lock until the request timeout cancels it: nothing is written, and the 504 says so.
      const timedOut = await send();
      assert.equal(timedOut.status, 504, timedOut.text);
      assert.equal(timedOut.body.code, 'request_timeout');
      assert.match(timedOut.body.detail, /cancelled and nothing was changed/);
    } finally {
      await lock.commit();
    }
    assert.equal(await notesWithId(gw, 9201), 0);
    // A cancelled write changed nothing, so its key is free: the retry runs the write (not a replay of the 504).
    const retry = await send();
    assert.equal(retry.status, 201, retry.text);
    assert.equal(retry.headers['idempotency-replayed'], undefined);
    assert.equal(retry.body.noteId, 9201);
    // And the retry's answer is the one replayed from now on.
    const again = await send();
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers['idempotency-replayed'], 'true');
    assert.equal(await notesWithId(gw, 9201), 1);
  });
});

describe('Idempotency-Key with the embedded store (PGlite)', { skip }, () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway({ config: testConfig({ source: { client: 'pg', url: await freshDatabase('idem_pglite_data') }, store: { pglite: 'memory://' } }), seed: seedErp });
  });
  after(async () => gw?.close());

  it('when a create is retried with the same key, then it is replayed; another body under the key is 422; one row', async () => {
    const key = randomUUID();
    const send = (text: string): supertest.Test =>
      gw.http.post('/customer-notes').set('Idempotency-Key', key).set('Prefer', 'return=representation').send(note(9301, text));
    const first = await send('first');
    assert.equal(first.status, 201, first.text);
    const retry = await send('first');
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotency-replayed'], 'true');
    assert.equal(retry.text, first.text);
    assert.equal((await send('second')).body.code, 'idempotency_key_mismatch');
    assert.equal(await notesWithId(gw, 9301), 1);
  });
});

// The two doors into one gateway, side by side: the node:http door (what `gatehouse serve` listens with) and the
// Express app (what supertest and extensions see) must give the same status, headers, body and audit event for the
// same request, answered, refused at any stage, or written.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import supertest from 'supertest';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { eventsFor } from './support/audit-log.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');

const policies = {
  maskKey: 'doors-mask-key-0123456789',
  rules: [
    {
      name: 'customers-by-region',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      columns: { read: ['id', 'name', 'email', 'region', 'status', 'creditLimit'], write: ['name', 'email', 'region', 'status'] },
      rows: { region: { eq: '{claims.region}' } },
      mask: { email: 'partial' },
    },
    { name: 'items', scopes: ['items:read', 'items:write'], resource: 'items', operations: ['read', 'write'] },
  ],
};

/** Headers that legitimately differ between two requests: when they were made, their ids, counters (bodies are compared). */
const VARYING = new Set(['date', 'x-request-id', 'ratelimit', 'ratelimit-policy', 'connection', 'keep-alive', 'content-length']);

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

describe('the node:http door and the Express app answer alike', { skip }, () => {
  let gw: TestGateway;
  const servers: Server[] = [];
  const doors: Record<'http' | 'express', supertest.Agent> = {} as never;
  let token: string;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('doors_data') },
        store: await freshDatabase('doors_store'),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, rateLimit: { enabled: true, principal: { read: { limit: 10_000, windowMs: 60_000 }, write: { limit: 10_000, windowMs: 60_000 } } } },
      }),
      seed: seedErp,
    });
    for (const [name, listener] of [['http', gw.gateway.listener], ['express', gw.gateway.app]] as const) {
      const server = createServer(listener).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      servers.push(server);
      doors[name] = supertest.agent(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    token = await mintToken(gw.config.auth, {
      subject: 'door-tester',
      clientId: 'doors',
      scopes: ['customers:read', 'customers:write', 'items:read', 'items:write'],
      claims: { region: 'EMEA' },
    });
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await gw?.close();
  });

  type Send = (agent: supertest.Agent, id: string) => supertest.Test;

  async function both(label: string, send: Send): Promise<Record<'http' | 'express', Answer>> {
    const out = {} as Record<'http' | 'express', Answer>;
    for (const name of ['http', 'express'] as const) {
      const res = await send(doors[name], `${label}-${name}`).set('X-Request-Id', `${label}-${name}`);
      const headers: Record<string, string> = {};
      // Cursors are sealed with a fresh IV each time: two of them never compare equal, whatever they hold.
      for (const [k, v] of Object.entries(res.headers)) if (!VARYING.has(k)) headers[k] = String(v).replace(/cursor=[^&>]+/, 'cursor=<sealed>');
      // A refused caller's X-Request-Id is not adopted: its problem names the gateway's own id, one per request.
      const id = String(res.headers['x-request-id']);
      out[name] = { status: res.status, headers, body: id === `${label}-${name}` ? res.text : res.text.replaceAll(id, '<gateway-id>') };
    }
    return out;
  }

  /** The audit event of a request, without what differs between two requests (ids, times, durations, chain). */
  async function eventOf(requestId: string): Promise<Record<string, unknown>> {
    // Stored under the caller's id once it was admitted; a refused caller's id is kept apart, in the detail.
    let records = await eventsFor(gw.storeDb, requestId);
    if (records.length === 0) {
      const [refused] = (await gw.storeDb('audit_events').whereRaw(`detail->>'clientRequestId' = ?`, [requestId])) as Array<Record<string, unknown>>;
      if (refused) records = await eventsFor(gw.storeDb, String(refused.request_id));
    }
    const events = records.filter((e) => e.kind === 'request');
    assert.equal(events.length, 1, `one request event for ${requestId}`);
    const e = events[0]!;
    const statements = (e.statements as Array<Record<string, unknown>>).map(({ durationMs: _d, ...s }) => s);
    return {
      kinds: records.map((r) => r.kind),
      method: e.method,
      path: e.path,
      route: e.route,
      operation: e.operation_id,
      status: e.status,
      outcome: e.outcome,
      code: e.error_code,
      deniedBy: e.denied_by,
      rows: e.row_count,
      subject: e.subject,
      clientIp: e.client_ip,
      statements,
      // The Idempotency-Key and what became of it (the first request's id names its door: left out).
      idempotency: JSON.parse(JSON.stringify((e.detail as { idempotency?: unknown } | null)?.idempotency ?? null).replace(/-(http|express)"/g, '"')) as unknown,
    };
  }

  async function assertAlike(label: string, send: Send, compareBody = true): Promise<Record<'http' | 'express', Answer>> {
    const answers = await both(label, send);
    // What each door was sent differently (its request id, the row it writes) is made equal before comparing.
    const same = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll(`${label}-express`, `${label}-http`).replaceAll('DOOR-E', 'DOOR-H')) as T;
    assert.equal(answers.express.status, answers.http.status, `${label}: status`);
    assert.deepEqual(same(answers.express.headers), answers.http.headers, `${label}: headers`);
    if (compareBody) assert.equal(same(answers.express.body), answers.http.body, `${label}: body`);
    assert.deepEqual(same(await eventOf(`${label}-express`)), await eventOf(`${label}-http`), `${label}: audit event`);
    return answers;
  }

  const auth = (t: supertest.Test): supertest.Test => t.set('Authorization', `Bearer ${token}`);

  it('when a row is read by key, a list is paged, and CSV / NDJSON are asked for, then the answers and events match', async () => {
    await assertAlike('get', (a) => auth(a.get('/customers/1')));
    await assertAlike('list', (a) => auth(a.get('/customers?select=id,name,email&order=name&limit=3')));
    await assertAlike('csv', (a) => auth(a.get('/customers?select=id,name&limit=2').set('Accept', 'text/csv')));
    await assertAlike('ndjson', (a) => auth(a.get('/items?limit=2').set('Accept', 'application/x-ndjson')));
    await assertAlike('count', (a) => auth(a.get('/items?limit=1').set('Prefer', 'count=exact')));
  });

  it('when a request is refused at each stage, then the problem, its headers and its event match', async () => {
    await assertAlike('no-token', (a) => a.get('/customers/1'));
    await assertAlike('bad-token', (a) => a.get('/customers/1').set('Authorization', 'Bearer not.a.token'));
    await assertAlike('unknown-path', (a) => auth(a.get('/no-such-thing')));
    await assertAlike('wrong-method', (a) => auth(a.post('/customer-balances').send({})));
    await assertAlike('no-rule', (a) => auth(a.get('/orders')));
    await assertAlike('hidden-column', (a) => auth(a.get('/customers?select=street')));
    await assertAlike('masked-filter', (a) => auth(a.get('/customers?email=eq.x')));
    await assertAlike('bad-filter', (a) => auth(a.get('/items?code=zz.1')));
    await assertAlike('other-region', (a) => auth(a.get('/customers/2')), false);
    await assertAlike('not-acceptable', (a) => auth(a.get('/items').set('Accept', 'image/png')));
    await assertAlike('bad-json', (a) => auth(a.post('/items').set('Content-Type', 'application/json').send('{"code":')));
    await assertAlike('wrong-type', (a) => auth(a.post('/items').set('Content-Type', 'text/plain').send('x')));
  });

  it('when rows are created, patched, replaced and deleted, then the answers and events match', async () => {
    // Each door writes its own row (DOOR-H for node:http, DOOR-E for Express), so both see the same starting state.
    const code = (id: string): string => (id.endsWith('-http') ? 'DOOR-H' : 'DOOR-E');
    const created = await assertAlike('post', (a, id) => auth(a.post('/items').send({ code: code(id), description: 'door', unitCost: '1.00' })));
    assert.equal(created.http.status, 201);
    await assertAlike('patch', (a, id) => auth(a.patch(`/items/${code(id)}`).send({ description: 'patched' })));
    await assertAlike('put', (a, id) => auth(a.put(`/items/${code(id)}`).send({ description: 'replaced', unitCost: '2.50' })));
    await assertAlike('patch-many', (a, id) => auth(a.patch(`/items?code=eq.${code(id)}`).set('Prefer', 'return=representation').send({ description: 'again' })));
    await assertAlike('delete', (a, id) => auth(a.delete(`/items/${code(id)}`)));
    await assertAlike('delete-gone', (a, id) => auth(a.delete(`/items/${code(id)}`)));
  });

  it('when a write carries an Idempotency-Key, is retried, and the key is reused for another body, then the answers and events match', async () => {
    // Each door has its own key and row (…-HK for node:http, …-EK for Express).
    const code = (id: string): string => (id.endsWith('-http') ? 'DOOR-HK' : 'DOOR-EK');
    const keyed = (a: supertest.Agent, id: string, description: string): supertest.Test =>
      auth(a.post('/items').set('Idempotency-Key', `key-${code(id)}`).set('Prefer', 'return=representation')).send({ code: code(id), description, unitCost: '1.00' });
    const first = await assertAlike('idem-first', (a, id) => keyed(a, id, 'keyed'));
    assert.equal(first.http.status, 201);
    const replay = await assertAlike('idem-replay', (a, id) => keyed(a, id, 'keyed'));
    assert.equal(replay.http.status, 201);
    assert.equal(replay.http.headers['idempotency-replayed'], 'true');
    const mismatch = await assertAlike('idem-mismatch', (a, id) => keyed(a, id, 'another'));
    assert.equal(mismatch.http.status, 422);
    const invalid = await assertAlike('idem-invalid', (a, id) => auth(a.post('/items').set('Idempotency-Key', 'not a key')).send({ code: code(id), description: 'x', unitCost: '1.00' }));
    assert.equal(invalid.http.status, 400);
  });
});

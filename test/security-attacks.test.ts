// Attacks on policies, keys, cursors and claims, each tried the way an outsider with a valid token would, through the
// running gateway (PGlite, real JWTs). One attack per test; the name says what is tried and what the caller sees.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Response } from 'supertest';
import YAML from 'yaml';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { assertProblem, count, sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { ERP_SPEC } from './support/project.js';

const secret = randomBytes(32).toString('base64url');
const REGION = { region: { eq: '{claims.region}' } };

const policies = {
  rules: [
    {
      name: 'kiosk-customers',
      description: 'A kiosk sees customers of its region without their ids.',
      clients: ['kiosk'],
      resource: 'customers',
      operations: ['read', 'write'],
      columns: { read: ['name', 'email', 'region', 'status'], write: ['name', 'email', 'status'] },
      rows: REGION,
    },
    { name: 'customers-except', clients: ['excluder'], resource: 'customers', operations: ['read'], rows: { region: { neq: '{claims.excluded}' } } },
    { name: 'customers-of-regions', clients: ['lister'], resource: 'customers', operations: ['read'], rows: { region: { in: ['{claims.regions}'] } } },
    {
      name: 'customers-by-region',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      operations: ['read', 'write'],
      columns: { read: ['id', 'name', 'email', 'region', 'status', 'createdAt'], write: ['name', 'email', 'region', 'status'] },
      rows: REGION,
    },
    { name: 'catalogue-admin', clients: ['catalogue-admin'], resource: 'items', operations: ['read', 'write'] },
    {
      name: 'catalogue',
      scopes: ['items:read', 'items:write'],
      resource: 'items',
      operations: ['read', 'write'],
      columns: { write: ['description', 'unitCost', 'displayOrder', 'discontinued'] },
    },
    {
      name: 'own-order-lines',
      scopes: ['order-lines:read', 'order-lines:write'],
      resource: 'order-lines',
      operations: ['read', 'write'],
      rows: { orderNo: { in: ['{claims.orders}'] } },
    },
  ],
};

let gw: TestGateway;
let dir: string;
let emeaIds: number[];
let apacId: number;

const CUSTOMERS = ['customers:read', 'customers:write'];
const ITEMS = ['items:read', 'items:write'];
const LINES = ['order-lines:read', 'order-lines:write'];

async function bearer(scopes: string[], claims: Record<string, unknown> = { region: 'EMEA' }, clientId = 'test-app'): Promise<string> {
  return `Bearer ${await mintToken(gw.config.auth, { subject: `${clientId}-user`, clientId, scopes, claims })}`;
}

async function customer(id: number): Promise<Record<string, unknown> | undefined> {
  return (await sql(gw.db, 'select * from "CUST_MSTR" where "CUST_ID" = ?', [id]))[0];
}

/** A problem body without what differs per request: two answers that compare equal tell the caller nothing apart. */
function comparable(res: { status: number; body: Record<string, unknown> }): unknown {
  const { requestId: _r, instance: _i, ...rest } = res.body;
  return { status: res.status, ...rest };
}

/** The cursor of a Link: rel="next" header. */
function nextCursor(link: unknown): string {
  const match = /[?&]cursor=([^&>]+)/.exec(String(link));
  assert.ok(match, `a next link with a cursor: ${String(link)}`);
  return decodeURIComponent(match[1]!);
}

before(async () => {
  // The ERP contract, with the item code declared changeable: the explicit marker a key change needs.
  dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-attacks-'));
  const doc = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  for (const item of [doc.paths['/items']!, doc.paths['/items/{code}']!]) item['x-gatehouse'] = { ...item['x-gatehouse'], mutableKey: ['code'] };
  const spec = path.join(dir, 'erp-mutable-code.yaml');
  await writeFile(spec, YAML.stringify(doc));
  gw = await startGateway({
    config: testConfig({
      source: { client: 'pglite' },
      spec,
      auth: { ...demoAuth(secret), disabled: false },
      extra: { policies, rateLimit: { enabled: false } },
    }),
    seed: (db) => seedErp(db, { scale: 0.2 }),
  });
  emeaIds = (await sql<{ id: number }>(gw.db, `select "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'EMEA' order by 1 limit 6`)).map((r) => Number(r.id));
  apacId = Number((await sql<{ id: number }>(gw.db, `select "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'APAC' order by 1 limit 1`))[0]!.id);
});

after(async () => {
  await gw?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rewriting a key with PATCH', () => {
  test('when a caller PATCHes a customer’s read-only id to move the row, then 403 column_not_writable and the row keeps its key', async () => {
    const id = emeaIds[0]!;
    const original = await customer(id);
    const res = await gw.http.patch(`/customers/${id}`).set('Authorization', await bearer(CUSTOMERS)).send({ id: 900001 });
    assertProblem(res, 403, 'column_not_writable');
    assert.deepEqual(await customer(id), original);
    assert.equal(await customer(900001), undefined);
  });

  test('when a caller rewrites the id through a collection PATCH (?id=eq.N), then 403 column_not_writable and nothing moves', async () => {
    const id = emeaIds[1]!;
    const original = await customer(id);
    const res = await gw.http.patch(`/customers?id=eq.${id}`).set('Authorization', await bearer(CUSTOMERS)).send({ id: 900002 });
    assertProblem(res, 403, 'column_not_writable');
    assert.deepEqual(await customer(id), original);
    assert.equal(await customer(900002), undefined);
  });

  test('when a caller whose rule hides the id PATCHes it anyway, then 403 column_not_writable and the row keeps its key', async () => {
    const id = emeaIds[2]!;
    const original = await customer(id);
    const kiosk = await bearer(CUSTOMERS, { region: 'EMEA' }, 'kiosk');
    assertProblem(await gw.http.patch(`/customers/${id}`).set('Authorization', kiosk).send({ id: 900003 }), 403, 'column_not_writable');
    assertProblem(await gw.http.patch(`/customers?name=eq.${encodeURIComponent(String(original!.CUST_NAME))}`).set('Authorization', kiosk).send({ id: 900003 }), 403, 'column_not_writable');
    assert.deepEqual(await customer(id), original);
  });

  test('when a key rewrite would land on a key taken in another region, then the answer is the same 403 as for a free key', async () => {
    const auth = await bearer(CUSTOMERS);
    const taken = await gw.http.patch(`/customers/${emeaIds[0]}`).set('Authorization', auth).send({ id: apacId });
    const free = await gw.http.patch(`/customers/${emeaIds[0]}`).set('Authorization', auth).send({ id: 900004 });
    assertProblem(taken, 403, 'column_not_writable');
    assert.deepEqual(comparable(taken), comparable(free));
  });

  test('when an item PATCH repeats the row’s own key, then it is no change of key and the other properties are written', async () => {
    const id = emeaIds[3]!;
    const res = await gw.http.patch(`/customers/${id}`).set('Authorization', await bearer(CUSTOMERS)).send({ id, status: 'I' });
    assert.equal(res.status, 204, res.text);
    assert.equal((await customer(id))?.STATUS_CD, 'I');
  });

  test('when the contract allows changing the item code but the caller’s rule does not list it, then 403 column_not_writable', async () => {
    const [item] = await sql<{ code: string }>(gw.db, `select "ITEM_CD" as code from "ITEM_MSTR" order by 1 limit 1`);
    const res = await gw.http.patch(`/items/${item!.code}`).set('Authorization', await bearer(ITEMS)).send({ code: 'MOVED-00001' });
    assertProblem(res, 403, 'column_not_writable');
    assert.equal(await count(gw.db, `"ITEM_MSTR" where "ITEM_CD" = ?`, [item!.code]), 1);
  });

  test('when the contract allows changing the item code and the caller’s rule may write it, then the key changes', async () => {
    // An item no order line refers to yet: the lines' foreign key would refuse the change otherwise.
    await gw.db.raw(`insert into "ITEM_MSTR" ("ITEM_CD", "DESCR", "UNIT_COST") values ('NEW-00001', 'Not yet ordered', 1)`);
    const item = { code: 'NEW-00001' };
    const admin = await bearer(ITEMS, {}, 'catalogue-admin');
    const res = await gw.http.patch(`/items/${item!.code}`).set('Authorization', admin).set('Prefer', 'return=representation').send({ code: 'RENAMED-001' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.code, 'RENAMED-001');
    assert.equal(await count(gw.db, `"ITEM_MSTR" where "ITEM_CD" = 'RENAMED-001'`), 1);
    assert.equal(await count(gw.db, `"ITEM_MSTR" where "ITEM_CD" = ?`, [item!.code]), 0);
  });
});

describe('keyset cursors', () => {
  test('when a rule hides the key, then the next-page cursor does not carry the key values in any readable form', async () => {
    const kiosk = await bearer(CUSTOMERS, { region: 'EMEA' }, 'kiosk');
    const res = await gw.http.get('/customers?limit=2').set('Authorization', kiosk);
    assert.equal(res.status, 200, res.text);
    const cursor = nextCursor(res.headers.link);
    const [last] = await sql<{ id: number }>(gw.db, `select "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'EMEA' order by 1 offset 1 limit 1`);
    const decoded = Buffer.from(cursor, 'base64url').toString('latin1');
    for (const shown of [`[${last!.id}]`, `,${last!.id}]`, `[${last!.id},`]) assert.ok(!decoded.includes(shown), shown);
    assert.doesNotMatch(decoded, /id\.asc/);
    assert.throws(() => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown);
  });

  test('when a caller forges a cursor that range-filters on the hidden id, then 400 invalid_cursor', async () => {
    const kiosk = await bearer(CUSTOMERS, { region: 'EMEA' }, 'kiosk');
    const forged = Buffer.from(JSON.stringify(['id.asc.', [900000]])).toString('base64url');
    assertProblem(await gw.http.get(`/customers?limit=2&cursor=${forged}`).set('Authorization', kiosk), 400, 'invalid_cursor');
  });

  test('when one byte of a cursor is changed, then 400 invalid_cursor', async () => {
    const auth = await bearer(CUSTOMERS);
    const cursor = nextCursor((await gw.http.get('/customers?limit=2').set('Authorization', auth)).headers.link);
    const bytes = Buffer.from(cursor, 'base64url');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    assertProblem(await gw.http.get(`/customers?limit=2&cursor=${bytes.toString('base64url')}`).set('Authorization', auth), 400, 'invalid_cursor');
  });

  test('when a cursor is replayed with other filters, another order or another select, then 400 invalid_cursor', async () => {
    const auth = await bearer(CUSTOMERS);
    const cursor = nextCursor((await gw.http.get('/customers?limit=2&status=eq.A').set('Authorization', auth)).headers.link);
    assert.equal((await gw.http.get(`/customers?limit=2&status=eq.A&cursor=${cursor}`).set('Authorization', auth)).status, 200);
    for (const query of ['status=eq.I', 'status=eq.A&name=like.*a*', 'status=eq.A&select=id,name', 'status=eq.A&order=id.desc']) {
      assertProblem(await gw.http.get(`/customers?limit=2&${query}&cursor=${cursor}`).set('Authorization', auth), 400, 'invalid_cursor');
    }
  });

  test('when a caller replays a cursor issued to a caller of another region, then 400 invalid_cursor', async () => {
    const emea = await bearer(CUSTOMERS, { region: 'EMEA' });
    const cursor = nextCursor((await gw.http.get('/customers?limit=2').set('Authorization', emea)).headers.link);
    const apac = await bearer(CUSTOMERS, { region: 'APAC' });
    assertProblem(await gw.http.get(`/customers?limit=2&cursor=${cursor}`).set('Authorization', apac), 400, 'invalid_cursor');
  });

  test('when a caller follows the cursors to the end, then every row of its rule comes back exactly once', async () => {
    const auth = await bearer(CUSTOMERS);
    const seen: number[] = [];
    let url: string | undefined = '/customers?select=id&limit=7';
    while (url) {
      const res: Response = await gw.http.get(url).set('Authorization', auth);
      assert.equal(res.status, 200, res.text);
      seen.push(...(res.body as Array<{ id: number }>).map((r) => r.id));
      url = res.headers.link ? `/customers?select=id&limit=7&cursor=${nextCursor(res.headers.link)}` : undefined;
    }
    const expected = (await sql<{ id: number }>(gw.db, `select "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'EMEA' order by 1`)).map((r) => Number(r.id));
    assert.deepEqual(seen, expected);
  });
});

describe('claims of the wrong type', () => {
  test('when a list claim meets a neq row rule, then 403 policy_claim_invalid instead of the listed region’s rows', async () => {
    const auth = await bearer(['customers:read'], { excluded: ['APAC'] }, 'excluder');
    const res = await gw.http.get('/customers?limit=500').set('Authorization', auth);
    assertProblem(res, 403, 'policy_claim_invalid');
  });

  test('when a scalar claim meets the same neq rule, then every other region’s rows come back', async () => {
    const auth = await bearer(['customers:read'], { excluded: 'APAC' }, 'excluder');
    const res = await gw.http.get('/customers?limit=500').set('Authorization', auth);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.length > 0);
    assert.ok((res.body as Array<{ region: string }>).every((c) => c.region !== 'APAC'));
  });

  test('when a list claim meets an eq row rule, then 403 policy_claim_invalid rather than rows of several regions', async () => {
    const res = await gw.http.get('/customers?limit=500').set('Authorization', await bearer(CUSTOMERS, { region: ['EMEA', 'AMER'] }));
    assertProblem(res, 403, 'policy_claim_invalid');
  });

  test('when a list claim meets an in row rule, then rows of exactly the listed regions come back', async () => {
    const res = await gw.http.get('/customers?limit=500').set('Authorization', await bearer(['customers:read'], { regions: ['EMEA', 'AMER'] }, 'lister'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...new Set((res.body as Array<{ region: string }>).map((c) => c.region))].sort(), ['AMER', 'EMEA']);
  });

  test('when a list claim holds a nested list or an object, then 403 rather than a widened rule', async () => {
    for (const regions of [[['APAC'], 'EMEA'], [{ any: true }]]) {
      const res = await gw.http.get('/customers').set('Authorization', await bearer(['customers:read'], { regions }, 'lister'));
      assert.equal(res.status, 403, JSON.stringify(regions));
    }
  });
});

describe('existence oracles across row rules', () => {
  test('when an upsert names the id of another region’s customer, then the answer equals the one for a free id and nothing changes', async () => {
    const auth = await bearer(CUSTOMERS);
    const original = await customer(apacId);
    const before_ = await count(gw.db, '"CUST_MSTR"');
    const upsert = (id: number) =>
      gw.http.post('/customers').set('Authorization', auth).set('Prefer', 'resolution=merge-duplicates').send({ id, name: 'Probe', region: 'EMEA' });
    const hidden = await upsert(apacId);
    const free = await upsert(900010);
    assertProblem(hidden, 404, 'row_not_found');
    assert.deepEqual(comparable(hidden), comparable(free));
    assert.deepEqual(await customer(apacId), original);
    assert.equal(await count(gw.db, '"CUST_MSTR"'), before_);
  });

  test('when PUT names the id of another region’s customer, then the answer equals the one for a free id and nothing is created', async () => {
    const auth = await bearer(CUSTOMERS);
    const original = await customer(apacId);
    const hidden = await gw.http.put(`/customers/${apacId}`).set('Authorization', auth).send({ name: 'Probe', region: 'EMEA' });
    const free = await gw.http.put('/customers/900011').set('Authorization', auth).send({ name: 'Probe', region: 'EMEA' });
    assertProblem(hidden, 404, 'row_not_found');
    assert.deepEqual(comparable(hidden), comparable(free));
    assert.deepEqual(await customer(apacId), original);
    assert.equal(await customer(900011), undefined);
  });

  test('when a new customer’s email is one a row of another region holds, then the 409 equals the one for an email of the caller’s region', async () => {
    const auth = await bearer(CUSTOMERS);
    const [apac] = await sql<{ email: string }>(gw.db, `select "EMAIL_ADDR" as email from "CUST_MSTR" where "REGION" = 'APAC' and "EMAIL_ADDR" is not null limit 1`);
    const [emea] = await sql<{ email: string }>(gw.db, `select "EMAIL_ADDR" as email from "CUST_MSTR" where "REGION" = 'EMEA' and "EMAIL_ADDR" is not null limit 1`);
    const create = (email: string) => gw.http.post('/customers').set('Authorization', auth).send({ name: 'Probe', region: 'EMEA', email });
    const hidden = await create(apac!.email);
    const visible = await create(emea!.email);
    assertProblem(hidden, 409, 'unique_violation');
    assert.deepEqual(comparable(hidden), comparable(visible));
    assert.doesNotMatch(hidden.text, /APAC|@/);
  });

  test('when a caller who may choose keys upserts onto a line of an order outside its rule, then 403 as for a free line of that order', async () => {
    const auth = await bearer(LINES, { orders: [10001] });
    const line = (orderNo: number, lineNo: number) => ({ orderNo, lineNo, itemCode: 'X', quantity: 1, unitPrice: '1.00' });
    const [existing] = await sql(gw.db, 'select * from "ORD_LINE" where "ORD_NO" = 10002 and "LINE_NO" = 1');
    const hidden = await gw.http.post('/order-lines').set('Authorization', auth).set('Prefer', 'resolution=merge-duplicates').send(line(10002, 1));
    const free = await gw.http.post('/order-lines').set('Authorization', auth).set('Prefer', 'resolution=merge-duplicates').send(line(10002, 99));
    assertProblem(hidden, 403, 'row_rule_violation');
    assert.deepEqual(comparable(hidden), comparable(free));
    const plain = await gw.http.post('/order-lines').set('Authorization', auth).send(line(10002, 1));
    assert.deepEqual(comparable(plain), comparable(free));
    const put = await gw.http.put('/order-lines/10002/1').set('Authorization', auth).send({ itemCode: 'X', quantity: 1, unitPrice: '1.00' });
    assert.deepEqual(comparable(put), comparable(free));
    assert.deepEqual((await sql(gw.db, 'select * from "ORD_LINE" where "ORD_NO" = 10002 and "LINE_NO" = 1'))[0], existing);
  });

  test('when a caller who may choose keys creates a line whose key is taken inside its rule, then 409 unique_violation', async () => {
    const auth = await bearer(LINES, { orders: [10001] });
    const [item] = await sql<{ code: string }>(gw.db, `select "ITEM_CD" as code from "ITEM_MSTR" order by 1 limit 1`);
    const res = await gw.http.post('/order-lines').set('Authorization', auth).send({ orderNo: 10001, lineNo: 1, itemCode: item!.code, quantity: 1, unitPrice: '1.00' });
    assertProblem(res, 409, 'unique_violation');
  });
});

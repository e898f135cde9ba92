// Security through the whole pipeline (buildApp): tokens, scopes, row rules (BOLA), hidden columns, mass assignment, limits,
// on PGlite and SQL Server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { assertProblem, backends, count, sql, startGateway, testConfig, type TestGateway, testSql } from './support/gateway.js';

const secret = randomBytes(32).toString('base64url');

const policies = {
  rules: [
    {
      name: 'customers-by-region',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      operations: ['read', 'write'],
      columns: {
        read: ['id', 'name', 'email', 'region', 'status', 'createdAt'],
        write: ['name', 'email', 'region', 'status'],
      },
      rows: { region: { eq: '{claims.region}' } },
      maxAffected: 50,
    },
    {
      name: 'own-order-lines',
      scopes: ['order-lines:read', 'order-lines:write'],
      resource: 'order-lines',
      operations: ['read', 'update', 'delete'],
      rows: { orderNo: { in: ['{claims.orders}'] } },
    },
  ],
};

// PostgreSQL itself runs the CRUD suites; policy evaluation is the same there as on PGlite.
for (const backend of backends().filter((b) => b.name !== 'PostgreSQL')) describe(`security on ${backend.name}`, { skip: backend.skip }, () => {
  let gw: TestGateway;
  let emeaId: number;
  let apacId: number;

  async function token(scopes: string[], claims: Record<string, unknown> = { region: 'EMEA' }): Promise<string> {
    return mintToken(gw.config.auth, { subject: 'tester', clientId: 'test-app', scopes, claims });
  }

  const RW = ['customers:read', 'customers:write'];

  async function customer(id: number): Promise<Record<string, unknown> | undefined> {
    const [row] = await sql(gw.db, 'select * from "CUST_MSTR" where "CUST_ID" = ?', [id]);
    return row;
  }

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: await backend.source('security'),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, rateLimit: { enabled: false } },
      }),
      seed: (db) => seedErp(db),
    });
    emeaId = Number((await sql(gw.db, `select ${testSql(gw.db).top(1)} "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'EMEA' order by 1 ${testSql(gw.db).first(1)}`))[0]!.id);
    apacId = Number((await sql(gw.db, `select ${testSql(gw.db).top(1)} "CUST_ID" as id from "CUST_MSTR" where "REGION" = 'APAC' order by 1 ${testSql(gw.db).first(1)}`))[0]!.id);
  });

  after(async () => {
    await gw?.close();
  });

  describe('authentication through the pipeline', () => {
    test('when no token is sent, then 401 missing_token with a Bearer challenge, also for unknown paths', async () => {
      const res = await gw.http.get('/customers');
      assertProblem(res, 401, 'missing_token');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="gatehouse"/);
      assertProblem(await gw.http.get('/no-such-thing'), 401, 'missing_token');
    });

    test('when the health probes and the public contract are called without a token, then they answer', async () => {
      assert.equal((await gw.http.get('/healthz')).status, 200);
      assert.equal((await gw.http.get('/readyz')).status, 200);
      const doc = await gw.http.get('/openapi.json');
      assert.equal(doc.status, 200);
      const keys = new Set<string>();
      const walk = (node: unknown): void => {
        if (typeof node !== 'object' || node === null) return;
        for (const [k, v] of Object.entries(node)) {
          keys.add(k);
          walk(v);
        }
      };
      walk(doc.body);
      assert.ok(!keys.has('x-gatehouse') && !keys.has('x-gatehouse-column'), 'bindings and database column names are not published');
    });
  });

  describe('scopes and rules', () => {
    test('when a read-scope token writes, then 403 insufficient_scope and nothing is inserted', async () => {
      const before = await count(gw.db, '"CUST_MSTR"');
      const res = await gw.http
        .post('/customers')
        .set('Authorization', `Bearer ${await token(['customers:read'])}`)
        .send({ name: 'Nope', region: 'EMEA' });
      assertProblem(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
      assert.equal(await count(gw.db, '"CUST_MSTR"'), before);
    });

    test('when no rule grants the operation, then 403 policy_denied (deny by default)', async () => {
      const res = await gw.http.get('/items').set('Authorization', `Bearer ${await token(['items:read'])}`);
      assertProblem(res, 403, 'policy_denied');
    });

    test('when the claim a row rule needs is missing, then 403 rather than every row', async () => {
      const res = await gw.http.get('/customers').set('Authorization', `Bearer ${await token(RW, {})}`);
      assertProblem(res, 403, 'policy_claim_missing');
    });
  });

  describe('row rules (BOLA)', () => {
    test('when listing, then only rows of the caller’s region come back, also when filtering for others', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const all = await gw.http.get('/customers?limit=500').set('Authorization', auth).set('Prefer', 'count=exact');
      assert.equal(all.status, 200);
      assert.ok(all.body.length > 0);
      assert.ok(all.body.every((c: { region: string }) => c.region === 'EMEA'));
      const emeaCount = await count(gw.db, `"CUST_MSTR" where "REGION" = 'EMEA'`);
      assert.match(String(all.headers['content-range']), new RegExp(`/${emeaCount}$`));
      const other = await gw.http.get('/customers?region=eq.APAC').set('Authorization', auth);
      assert.deepEqual(other.body, []);
      const byId = await gw.http.get(`/customers?id=eq.${apacId}`).set('Authorization', auth);
      assert.deepEqual(byId.body, []);
    });

    test('when reading, patching, replacing or deleting a row outside the rule by key, then 404 and nothing changes', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const original = await customer(apacId);
      assertProblem(await gw.http.get(`/customers/${apacId}`).set('Authorization', auth), 404, 'row_not_found');
      assertProblem(await gw.http.patch(`/customers/${apacId}`).set('Authorization', auth).send({ name: 'Taken' }), 404, 'row_not_found');
      assertProblem(
        await gw.http.put(`/customers/${apacId}`).set('Authorization', auth).send({ name: 'Taken', region: 'EMEA' }),
        404,
        'row_not_found',
      );
      assertProblem(await gw.http.delete(`/customers/${apacId}`).set('Authorization', auth), 404, 'row_not_found');
      assert.deepEqual(await customer(apacId), original);
      assert.equal((await gw.http.get(`/customers/${emeaId}`).set('Authorization', auth)).status, 200);
    });

    test('when upserting onto the key of a row outside the rule, then 404 and it is not overwritten', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const original = await customer(apacId);
      const res = await gw.http
        .post('/customers')
        .set('Authorization', auth)
        .set('Prefer', 'resolution=merge-duplicates')
        .send({ id: apacId, name: 'Hijacked', region: 'EMEA' });
      assertProblem(res, 404, 'row_not_found');
      assert.deepEqual(await customer(apacId), original);
    });

    test('when a bulk PATCH names rows inside and outside the rule, then only the rows inside change', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const res = await gw.http
        .patch(`/customers?id=in.(${emeaId},${apacId})`)
        .set('Authorization', auth)
        .set('Prefer', 'return=representation')
        .send({ status: 'H' });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.map((r: { id: number }) => r.id), [emeaId]);
      assert.equal((await customer(emeaId))?.STATUS_CD, 'H');
      assert.notEqual((await customer(apacId))?.STATUS_CD, 'H');
    });

    test('when a bulk DELETE filters for another region, then nothing is deleted', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const before = await count(gw.db, `"CUST_MSTR" where "REGION" = 'APAC'`);
      const res = await gw.http.delete('/customers?region=eq.APAC').set('Authorization', auth);
      assert.equal(res.status, 204);
      assert.equal(res.headers['content-range'], '*/0');
      assert.equal(await count(gw.db, `"CUST_MSTR" where "REGION" = 'APAC'`), before);
    });

    test('when a write would move a row out of the rule, then 403 row_rule_violation and it is rolled back', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const original = await customer(emeaId);
      assertProblem(
        await gw.http.patch(`/customers/${emeaId}`).set('Authorization', auth).send({ region: 'APAC' }),
        403,
        'row_rule_violation',
      );
      assert.deepEqual(await customer(emeaId), original);
      const before = await count(gw.db, '"CUST_MSTR"');
      assertProblem(
        await gw.http.post('/customers').set('Authorization', auth).send({ name: 'Elsewhere', region: 'AMER' }),
        403,
        'row_rule_violation',
      );
      assert.equal(await count(gw.db, '"CUST_MSTR"'), before);
    });

    test('when a rule binds a composite-key resource to a list claim, then other keys are 404 and unchanged', async () => {
      const auth = `Bearer ${await token(['order-lines:read', 'order-lines:write'], { orders: [10001, 10002] })}`;
      assert.equal((await gw.http.get('/order-lines/10001/1').set('Authorization', auth)).status, 200);
      assertProblem(await gw.http.get('/order-lines/10003/1').set('Authorization', auth), 404, 'row_not_found');
      const [line] = await sql(gw.db, 'select * from "ORD_LINE" where "ORD_NO" = 10003 and "LINE_NO" = 1');
      assertProblem(await gw.http.patch('/order-lines/10003/1').set('Authorization', auth).send({ quantity: 99 }), 404, 'row_not_found');
      assertProblem(await gw.http.delete('/order-lines/10003/1').set('Authorization', auth), 404, 'row_not_found');
      const [after] = await sql(gw.db, 'select * from "ORD_LINE" where "ORD_NO" = 10003 and "LINE_NO" = 1');
      assert.deepEqual(after, line);
      const list = await gw.http.get('/order-lines?limit=500').set('Authorization', auth);
      assert.ok(list.body.length > 0);
      assert.ok(list.body.every((l: { orderNo: number }) => l.orderNo === 10001 || l.orderNo === 10002));
    });
  });

  describe('columns', () => {
    test('when a hidden column is selected, filtered or ordered by, then 400 as if it did not exist, and it never appears', async () => {
      const auth = `Bearer ${await token(RW)}`;
      assertProblem(await gw.http.get('/customers?select=id,creditLimit').set('Authorization', auth), 400, 'unknown_column');
      assertProblem(await gw.http.get('/customers?creditLimit=gt.0').set('Authorization', auth), 400, 'unknown_column');
      assertProblem(await gw.http.get('/customers?order=creditLimit.desc').set('Authorization', auth), 400, 'unknown_column');
      const hint = await gw.http.get('/customers?select=creditLimt').set('Authorization', auth);
      assert.doesNotMatch(hint.text, /creditLimit/, 'the hint does not disclose the hidden column');
      const rows = await gw.http.get('/customers?limit=5').set('Authorization', auth);
      assert.ok(rows.body.length > 0 && rows.body.every((r: Record<string, unknown>) => !('creditLimit' in r) && !('street' in r)));
    });

    test('when a write sets a column the rule does not allow (mass assignment), then 403 and nothing is written', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const before = await count(gw.db, '"CUST_MSTR"');
      assertProblem(
        await gw.http.post('/customers').set('Authorization', auth).send({ name: 'Rich', region: 'EMEA', creditLimit: '99999.00' }),
        403,
        'column_not_writable',
      );
      assert.equal(await count(gw.db, '"CUST_MSTR"'), before);
      const original = await customer(emeaId);
      assertProblem(
        await gw.http.patch(`/customers/${emeaId}`).set('Authorization', auth).send({ creditLimit: '99999.00' }),
        403,
        'column_not_writable',
      );
      assert.deepEqual(await customer(emeaId), original);
    });

    test('when the scoped contract is asked for, then it lists only what the caller may do and see', async () => {
      const res = await gw.http.get('/openapi.json?scoped=true').set('Authorization', `Bearer ${await token(['customers:read'])}`);
      assert.equal(res.status, 200);
      const paths = Object.keys(res.body.paths);
      assert.ok(paths.includes('/customers'));
      assert.ok(!paths.includes('/items'), 'no rule grants items');
      assert.deepEqual(Object.keys(res.body.paths['/customers']).filter((m) => m !== 'parameters').sort(), ['get']);
      assert.ok(!('creditLimit' in res.body.components.schemas.Customer.properties));
    });
  });

  describe('request smuggling', () => {
    test('when X-HTTP-Method-Override says DELETE on a GET, then it is ignored', async () => {
      const auth = `Bearer ${await token(RW)}`;
      const res = await gw.http.get(`/customers/${emeaId}`).set('Authorization', auth).set('X-HTTP-Method-Override', 'DELETE');
      assert.equal(res.status, 200);
      assert.ok(await customer(emeaId));
    });
  });

  describe('per-principal rate limit through the pipeline', () => {
    test('when a principal exceeds its read budget, then 429 rate_limited with RateLimit headers and Retry-After', async () => {
      const limited = await startGateway({
        config: testConfig({
          source: { client: 'pglite' },
          auth: { ...demoAuth(secret), disabled: false },
          extra: { policies, rateLimit: { enabled: true, principal: { read: { limit: 3, windowMs: 60_000 } } } },
        }),
        seed: (db) => seedErp(db, { scale: 0.1 }),
      });
      try {
        const auth = `Bearer ${await mintToken(limited.config.auth, { subject: 'busy', scopes: RW, claims: { region: 'EMEA' } })}`;
        for (let i = 0; i < 3; i++) assert.equal((await limited.http.get('/customers?limit=1').set('Authorization', auth)).status, 200);
        const res = await limited.http.get('/customers?limit=1').set('Authorization', auth);
        assertProblem(res, 429, 'rate_limited');
        assert.ok(Number(res.headers['retry-after']) >= 1);
        assert.match(String(res.headers['ratelimit-policy']), /q=3/);
        assert.ok(res.headers.ratelimit);
        const other = `Bearer ${await mintToken(limited.config.auth, { subject: 'calm', scopes: RW, claims: { region: 'EMEA' } })}`;
        assert.equal((await limited.http.get('/customers?limit=1').set('Authorization', other)).status, 200, 'budgets are per principal');
      } finally {
        await limited.close();
      }
    });
  });
});

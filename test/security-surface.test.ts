// The gateway's surface beyond the data: request ids an outsider could plant, the readiness probe as a lever on the
// databases, the docs' files and frame policy, classifications in the public contract, and the headers every answer
// carries. Through a running gateway with authentication, rules and the audit log on (PGlite).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import type { Test } from 'supertest';
import YAML from 'yaml';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { clientRequestIdFrom, settleRequestId } from '../src/http/request-id.js';
import { sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { projectRoot } from './support/project.js';

const secret = randomBytes(32).toString('base64url');
let gw: TestGateway;
let store: Knex;

const policies = {
  rules: [
    {
      name: 'customers-by-region',
      scopes: ['customers:read'],
      resource: 'customers',
      columns: { read: ['id', 'name', 'email', 'region'] },
      rows: { region: { eq: '{claims.region}' } },
    },
  ],
};

async function bearer(scopes: string[]): Promise<string> {
  return `Bearer ${await mintToken(gw.config.auth, { subject: 'surface-user', clientId: 'surface-app', scopes, claims: { region: 'EMEA' } })}`;
}

/** The request events stored under a request id. */
async function eventsUnder(requestId: string): Promise<Array<{ request_id: string; status: number; detail: unknown }>> {
  return sql(store, `select request_id, status, detail from audit_events where kind = 'request' and request_id = ?`, [requestId]);
}

/** The request events whose caller sent this X-Request-Id but did not get it adopted. */
async function eventsNaming(clientRequestId: string): Promise<Array<{ request_id: string; status: number }>> {
  return sql(store, `select request_id, status from audit_events where kind = 'request' and detail->>'clientRequestId' = ?`, [clientRequestId]);
}

before(async () => {
  gw = await startGateway({
    config: testConfig({
      source: { client: 'pglite' },
      auth: { ...demoAuth(secret), disabled: false },
      extra: {
        policies,
        rateLimit: { enabled: false },
        store: { client: 'pglite', connection: 'memory://' },
        audit: { sink: { stdout: false }, instanceId: 'surface-test' },
      },
    }),
    seed: (db) => seedErp(db, { scale: 0.05 }),
  });
  store = gw.gateway.auditor!.store.db;
});

after(async () => {
  await gw?.close();
});

describe('request ids', () => {
  test('when callers refused at any stage send an X-Request-Id, then their answers and events keep the gateway’s own id, and theirs is recorded apart', async () => {
    const [items, customersOnly, itemsOnly] = [await bearer(['items:read']), await bearer(['customers:read']), await bearer(['items:read'])];
    const refusals: Array<[string, (id: string) => Test]> = [
      ['no token', (id) => gw.http.get('/customers').set('X-Request-Id', id)],
      ['a bad token', (id) => gw.http.get('/customers').set('Authorization', 'Bearer not.a.token').set('X-Request-Id', id)],
      ['no rule for it', (id) => gw.http.get('/items').set('Authorization', items).set('X-Request-Id', id)],
      ['a missing scope', (id) => gw.http.get('/customers').set('Authorization', itemsOnly).set('X-Request-Id', id)],
      ['the auditor API without audit:read', (id) => gw.http.get('/_gatehouse/audit/events').set('Authorization', customersOnly).set('X-Request-Id', id)],
    ];
    for (const [i, [why, send]] of refusals.entries()) {
      const planted = `victim-request-${i}`;
      const res = await send(planted);
      assert.ok(res.status === 401 || res.status === 403, `${why}: ${res.status}`);
      const own = String(res.headers['x-request-id']);
      assert.notEqual(own, planted, why);
      assert.equal(JSON.parse(res.text).requestId, own, why);
      assert.deepEqual(await eventsUnder(planted), [], `${why}: nothing stored under the planted id`);
      const apart = await eventsNaming(planted);
      assert.deepEqual(apart.map((e) => [e.request_id, Number(e.status)]), [[own, res.status]], why);
    }
  });

  test('when an admitted caller sends a well-formed X-Request-Id, then it is the request’s id in the answer and its audit event', async () => {
    const data = await gw.http.get('/customers?limit=1').set('Authorization', await bearer(['customers:read'])).set('X-Request-Id', 'trace-data-1');
    assert.equal(data.status, 200, data.text);
    assert.equal(data.headers['x-request-id'], 'trace-data-1');
    const audit = await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', await bearer(['audit:read'])).set('X-Request-Id', 'trace-audit-1');
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.headers['x-request-id'], 'trace-audit-1');
    for (const id of ['trace-data-1', 'trace-audit-1']) {
      const [event] = await eventsUnder(id);
      assert.ok(event, id);
      assert.equal((event.detail as Record<string, unknown> | null)?.clientRequestId, undefined, id);
    }
  });

  test('when an admitted caller sends a malformed X-Request-Id, then the gateway makes its own and records nothing apart', async () => {
    const res = await gw.http.get('/customers?limit=1').set('Authorization', await bearer(['customers:read'])).set('X-Request-Id', 'spaces and\ttabs');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const [event] = await eventsUnder(String(res.headers['x-request-id']));
    assert.equal((event?.detail as Record<string, unknown> | null)?.clientRequestId, undefined);
  });

  test('the decision on its own: a caller’s id is adopted only once admitted, and only when well-formed', () => {
    assert.deepEqual(settleRequestId('gw-1', 'client-1', false), { requestId: 'gw-1', clientRequestId: 'client-1' });
    assert.deepEqual(settleRequestId('gw-1', 'client-1', true), { requestId: 'client-1', clientRequestId: undefined });
    assert.deepEqual(settleRequestId('gw-1', undefined, true), { requestId: 'gw-1', clientRequestId: undefined });
    assert.equal(clientRequestIdFrom('a'.repeat(129)), undefined);
    assert.equal(clientRequestIdFrom('line\nbreak'), undefined);
    assert.equal(clientRequestIdFrom(['one', 'two']), undefined);
    assert.equal(clientRequestIdFrom('ok-1.2:3_4'), 'ok-1.2:3_4');
  });
});

describe('/readyz', () => {
  test('when /readyz is called again and again within a second, then the databases are asked once', async () => {
    await sleep(1100);
    const pings: string[] = [];
    const onQuery = (q: { sql: string }): void => {
      if (/^select 1$/i.test(q.sql.trim())) pings.push(q.sql);
    };
    gw.db.on('query', onQuery);
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => gw.http.get('/readyz')));
      for (let i = 0; i < 3; i++) answers.push(await gw.http.get('/readyz'));
      assert.deepEqual(answers.map((r) => r.status), Array(8).fill(200));
      assert.equal(pings.length, 1, `pings: ${pings.length}`);
      await sleep(1100);
      assert.equal((await gw.http.get('/readyz')).status, 200);
      assert.equal(pings.length, 2, 'asked again once the second is over');
    } finally {
      gw.db.off('query', onQuery);
    }
  });

  test('when one address calls /readyz more than twenty times a second, then 429 rate_limited with Retry-After', async () => {
    await sleep(1100);
    // 45 at once: even if a window ends mid-burst, at most 2 × 20 get through.
    const answers = await Promise.all(Array.from({ length: 45 }, () => gw.http.get('/readyz')));
    const ok = answers.filter((r) => r.status === 200).length;
    assert.ok(ok >= 20 && ok <= 40, `${ok} answered`);
    assert.equal(answers.filter((r) => r.status === 429).length, 45 - ok);
    const limited = answers.find((r) => r.status === 429)!;
    assert.equal(JSON.parse(limited.text).code, 'rate_limited');
    assert.equal(limited.headers['retry-after'], '1');
    await sleep(1100);
    assert.equal((await gw.http.get('/readyz')).status, 200, 'the budget comes back');
  });
});

describe('/docs', () => {
  test('when the docs page is loaded, then it may not be framed, and the two files it loads are served', async () => {
    const page = await gw.http.get('/docs/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
      assert.ok(page.text.includes(`./${file}`), `the page loads ${file}`);
      const res = await gw.http.get(`/docs/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, file);
    }
  });

  test('when any other file of the Swagger UI folder is asked for, then it is not served', async () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'index.html', 'swagger-ui.js', 'swagger-ui-bundle.js.map', 'absolute-path.js', 'oauth2-redirect.html', '..%2Fpackage.json', '%2e%2e/%2e%2e/package.json']) {
      const res = await gw.http.get(`/docs/${file}`);
      assert.notEqual(res.status, 200, file);
      assert.doesNotMatch(res.text, /"name":\s*"swagger-ui-dist"|"version"/, file);
    }
  });
});

describe('/openapi.json', () => {
  const classified = (doc: unknown): string[] => {
    const found: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'x-gatehouse-classification') found.push(at);
        walk(v, `${at}/${k}`);
      }
    };
    walk(doc, '');
    return found;
  };

  test('when anyone fetches the public contract, then it says nothing of which columns hold personal or confidential data', async () => {
    const res = await gw.http.get('/openapi.json');
    assert.equal(res.status, 200);
    assert.deepEqual(classified(res.body), []);
  });

  test('when a caller asks for its scoped contract, then the classifications of the properties it may read are kept', async () => {
    const res = await gw.http.get('/openapi.json?scoped=true').set('Authorization', await bearer(['customers:read']));
    assert.equal(res.status, 200);
    const properties = res.body.components.schemas.Customer.properties as Record<string, Record<string, unknown>>;
    assert.equal(properties.email?.['x-gatehouse-classification'], 'pii');
    assert.equal(properties.creditLimit, undefined);
  });
});

describe('headers on every answer', () => {
  test('when anything is answered — data, problems, the auditor API, probes, contract, docs, unknown paths — then it carries nosniff', async () => {
    const auth = await bearer(['customers:read']);
    const answers = [
      await gw.http.get('/customers?limit=1').set('Authorization', auth),
      await gw.http.get('/customers/999999').set('Authorization', auth),
      await gw.http.get('/customers'),
      await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', await bearer(['audit:read'])),
      await gw.http.get('/_gatehouse/audit/events'),
      await gw.http.get('/healthz'),
      await gw.http.get('/openapi.json'),
      await gw.http.get('/docs/'),
      await gw.http.get('/docs/swagger-ui.css'),
      await gw.http.get('/no-such-path').set('Authorization', auth),
    ];
    for (const [i, res] of answers.entries()) assert.equal(res.headers['x-content-type-options'], 'nosniff', `answer ${i}: ${res.status}`);
  });

  test('when data or the audit log is answered, successfully or not, then Cache-Control is no-store', async () => {
    const auth = await bearer(['customers:read']);
    const answers = [
      await gw.http.get('/customers?limit=1').set('Authorization', auth),
      await gw.http.get('/customers/999999').set('Authorization', auth),
      await gw.http.get('/customers?nope=eq.1').set('Authorization', auth),
      await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', await bearer(['audit:read'])),
      await gw.http.get('/_gatehouse/audit/events/unknown-id').set('Authorization', await bearer(['audit:read'])),
      await gw.http.get('/_gatehouse/audit/events'),
    ];
    for (const [i, res] of answers.entries()) assert.equal(res.headers['cache-control'], 'no-store', `answer ${i}: ${res.status}`);
  });
});

describe('the README’s configuration examples', () => {
  test('when every YAML example is parsed, then it is valid YAML, and trustedKeys is a list of secret references', async () => {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 4);
    const parsed = blocks.map((block, i) => {
      try {
        return YAML.parse(block) as Record<string, unknown>;
      } catch (err) {
        assert.fail(`YAML example ${i + 1} does not parse: ${(err as Error).message}`);
      }
    });
    const audit = parsed.find((doc) => doc && typeof doc === 'object' && 'audit' in doc)?.audit as Record<string, unknown>;
    assert.deepEqual(audit.trustedKeys, ['${file:/run/secrets/audit-ed25519.pub}']);
  });
});

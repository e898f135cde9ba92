// The auditor API: scope audit:read (401 / 403 otherwise), filters, cursor pages, streamed NDJSON / CSV export,
// one record with its intents, verify; the auditor's own reads are audited; the endpoints are in /openapi.json.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const ISSUER = 'https://idp.audit-test.example';
const AUDIENCE = 'gatehouse';
const SECRET = 'audit-test-secret-0123456789-abcdefghij';

async function token(subject: string, scopes: string[], jti = `${subject}-token`): Promise<string> {
  return new SignJWT({ scope: scopes.join(' '), client_id: `${subject}-app` })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

interface ApiEvent {
  id: string;
  kind: string;
  requestId: string;
  status: number | null;
  outcome: string;
  operationId: string | null;
  resource: string | null;
  principal: { subject: string; clientId: string | null; scopes: string[]; roles: string[]; tokenId: string | null };
  client: { ip: string | null };
  detail: unknown;
}

interface Page {
  events: ApiEvent[];
  next: string | null;
}

describe('auditor API', { skip }, () => {
  let gw: TestGateway;
  let auditor: string;
  let reader: string;
  let started: Date;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_api_data') },
        store: await freshDatabase('audit_api_store'),
        auth: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['HS256'], secret: SECRET }] }] },
        extra: {
          policies: {
            rules: [{ name: 'customers-rw', scopes: ['customers:read'], resource: 'customers', operations: ['read', 'create'] }],
          },
        },
      }),
      seed: seedErp,
    });
    auditor = await token('auditor', ['audit:read']);
    reader = await token('alice', ['customers:read', 'customers:write'], 'alice-jti-1');
    started = new Date();
    for (let i = 1; i <= 12; i++) {
      const res = await gw.http.get(`/customers/${i}`).set('Authorization', `Bearer ${reader}`).set('X-Request-Id', `api-read-${i}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const created = await gw.http
      .post('/customers')
      .set('Authorization', `Bearer ${reader}`)
      .set('X-Request-Id', 'api-create')
      .send({ name: 'Grace Hopper', region: 'AMER' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await gw.http.get('/nowhere').set('Authorization', `Bearer ${reader}`).set('X-Request-Id', 'api-404')).status, 404);
  });
  after(async () => gw?.close());

  const get = (url: string, bearer = auditor) => gw.http.get(url).set('Authorization', `Bearer ${bearer}`);

  it('when no token is sent, then 401; when the token lacks audit:read, then 403 and an event with its principal', async () => {
    assert.equal((await gw.http.get('/_gatehouse/audit/events').set('X-Request-Id', 'api-anon')).status, 401);
    const res = await get('/_gatehouse/audit/events', reader).set('X-Request-Id', 'api-forbidden');
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'insufficient_scope');
    // A refused caller's X-Request-Id is not the request's id; it is kept apart, and searchable.
    assert.deepEqual(((await get('/_gatehouse/audit/events?requestId=api-forbidden')).body as Page).events, []);
    const page = (await get('/_gatehouse/audit/events?clientRequestId=api-forbidden')).body as Page;
    assert.equal(page.events.length, 1);
    const e = page.events[0]!;
    assert.equal(e.status, 403);
    assert.equal(e.outcome, 'denied');
    assert.equal(e.operationId, 'gatehouseAuditListEvents');
    assert.deepEqual(e.principal, { subject: 'alice', clientId: 'alice-app', scopes: ['customers:read', 'customers:write'], roles: [], tokenId: 'alice-jti-1' });
  });

  it('when a data request is made with a token, then its event records the principal and client address', async () => {
    const page = (await get('/_gatehouse/audit/events?requestId=api-read-3')).body as Page;
    const e = page.events[0]!;
    assert.equal(e.principal.subject, 'alice');
    assert.equal(e.principal.tokenId, 'alice-jti-1');
    assert.equal(e.client.ip, '127.0.0.1');
    assert.equal(e.resource, 'customers');
  });

  it('when events are filtered, then only matching ones come back', async () => {
    const bySubject = (await get('/_gatehouse/audit/events?subject=alice&resource=customers&kind=request&limit=100')).body as Page;
    assert.equal(bySubject.events.length, 13);
    const notFound = (await get('/_gatehouse/audit/events?status=404')).body as Page;
    assert.deepEqual(notFound.events.map((e) => (e.detail as { clientRequestId?: string } | null)?.clientRequestId), ['api-404']);
    const bySql = (await get(`/_gatehouse/audit/events?sql=${encodeURIComponent('INSERT into')}`)).body as Page;
    assert.deepEqual(bySql.events.map((e) => `${e.kind}:${e.requestId}`), ['request:api-create']);
    const intents = (await get('/_gatehouse/audit/events?outcome=intent')).body as Page;
    assert.deepEqual(intents.events.map((e) => e.requestId), ['api-create']);
    const none = (await get(`/_gatehouse/audit/events?to=${encodeURIComponent(started.toISOString())}&subject=alice`)).body as Page;
    assert.deepEqual(none.events, []);
    const bad = await get('/_gatehouse/audit/events?status=abc');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_parameter');
  });

  it('when a listing is paged, then the cursor walks every event once, in order, with Link headers', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/_gatehouse/audit/events?subject=alice&resource=customers&kind=request&limit=5';
    let pages = 0;
    while (url) {
      const res = await get(url);
      assert.equal(res.status, 200);
      const page = res.body as Page;
      seen.push(...page.events.map((e) => e.requestId));
      pages += 1;
      if (page.next) {
        const link = /<([^>]+)>; rel="next"/.exec(res.headers.link ?? '');
        assert.ok(link, 'a Link header accompanies next');
        url = link[1];
      } else url = undefined;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...Array.from({ length: 12 }, (_, i) => `api-read-${i + 1}`), 'api-create']);
    const invalid = await get('/_gatehouse/audit/events?cursor=bm9wZQ');
    assert.equal(invalid.status, 400);
  });

  it('when NDJSON or CSV is asked for, then every matching record is streamed', async () => {
    const ndjson = await get('/_gatehouse/audit/events?subject=alice&resource=customers&kind=request')
      .set('Accept', 'application/x-ndjson')
      .set('X-Request-Id', 'api-export');
    assert.equal(ndjson.status, 200);
    assert.match(ndjson.headers['content-type'] ?? '', /^application\/x-ndjson/);
    assert.equal(ndjson.headers['transfer-encoding'], 'chunked');
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 13);
    assert.equal(lines[0]?.requestId, 'api-read-1');
    // A streamed body leaves only after an intent is stored (write-ahead), and the export ends with its event.
    const exportRecords = ((await get('/_gatehouse/audit/events?requestId=api-export')).body as Page).events;
    assert.deepEqual(exportRecords.map((e) => [e.kind, e.detail]), [
      ['intent', { action: 'stream' }],
      ['request', { filters: { subject: 'alice', resource: 'customers', kind: 'request' } }],
    ]);
    const csv = await get('/_gatehouse/audit/events?subject=alice&resource=customers&kind=request&format=csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'] ?? '', /^text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    assert.equal(rows.length, 14);
    assert.match(rows[0]!, /^instance_id,seq,id,kind,ref,occurred_at/);
    assert.ok(rows.slice(1).every((r) => r.includes(',alice,')));
  });

  it('when one event is fetched by id, then it comes with its intent; an unknown id is 404', async () => {
    const page = (await get('/_gatehouse/audit/events?requestId=api-create&kind=request')).body as Page;
    const id = page.events[0]!.id;
    const res = await get(`/_gatehouse/audit/events/${id}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.event.id, id);
    assert.deepEqual(
      (res.body.related as Array<Record<string, unknown>>).map((r) => [r.kind, r.ref]),
      [['intent', id]],
    );
    const missing = await get('/_gatehouse/audit/events/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'audit_event_not_found');
  });

  it('when verify is called, then the report is ok', async () => {
    const res = await get('/_gatehouse/audit/verify');
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body.problems));
    assert.ok(res.body.events > 15);
  });

  it("when an auditor reads the log, then the auditor's own read is an audited event with the filters used", async () => {
    await get('/_gatehouse/audit/events?subject=alice&limit=2').set('X-Request-Id', 'api-auditor-read');
    const page = (await get('/_gatehouse/audit/events?requestId=api-auditor-read')).body as Page;
    const e = page.events[0]!;
    assert.equal(e.principal.subject, 'auditor');
    assert.equal(e.operationId, 'gatehouseAuditListEvents');
    assert.equal(e.status, 200);
    assert.deepEqual(e.detail, { filters: { subject: 'alice' } });
  });

  it('when a token is invalid or a policy denies, then the event records the denial with its code', async () => {
    const bad = await gw.http.get('/customers/1').set('Authorization', 'Bearer not.a.jwt').set('X-Request-Id', 'api-bad-token');
    assert.equal(bad.status, 401);
    const denied = await gw.http.delete('/customers/1').set('Authorization', `Bearer ${reader}`).set('X-Request-Id', 'api-policy');
    assert.equal(denied.status, 403);
    for (const [requestId, res] of [['api-bad-token', bad], ['api-policy', denied]] as const) {
      const [e] = ((await get(`/_gatehouse/audit/events?clientRequestId=${requestId}`)).body as Page).events;
      assert.equal(e?.status, res.status, requestId);
      assert.equal(e?.requestId, res.headers['x-request-id'], 'the gateway’s own id, as answered');
      assert.equal(e?.outcome, 'denied');
      assert.equal((e as unknown as { errorCode: string }).errorCode, res.body.code);
    }
    const [policyEvent] = ((await get('/_gatehouse/audit/events?clientRequestId=api-policy')).body as Page).events;
    assert.equal(policyEvent?.principal.subject, 'alice');
    assert.equal(policyEvent?.operationId, 'deleteCustomer');
  });

  it('when /openapi.json is read, then it lists the auditor endpoints with scope audit:read', async () => {
    const doc = (await gw.http.get('/openapi.json')).body as { paths: Record<string, { get: { security: unknown } }> };
    for (const p of ['/_gatehouse/audit/events', '/_gatehouse/audit/events/{id}', '/_gatehouse/audit/verify']) {
      assert.deepEqual(doc.paths[p]?.get.security, [{ bearer: ['audit:read'] }], p);
    }
  });
});

describe('audit of requests refused by the source allowlist', { skip }, () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_ip_data') },
        store: await freshDatabase('audit_ip_store'),
        extra: { network: { allow: ['10.0.0.0/8'] } },
      }),
      seed: seedErp,
    });
  });
  after(async () => gw?.close());

  it('when the caller address is not allowed, then 403 ip_not_allowed and an event with the address', async () => {
    const res = await gw.http.get('/customers/1').set('X-Request-Id', 'ip-refused');
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'ip_not_allowed');
    const [e] = (await gw.storeDb('audit_events').whereRaw(`detail->>'clientRequestId' = ?`, ['ip-refused'])) as Array<Record<string, unknown>>;
    assert.equal(e?.request_id, res.headers['x-request-id'], 'stored under the gateway’s own id');
    assert.equal(e?.status, 403);
    assert.equal(e?.error_code, 'ip_not_allowed');
    assert.equal(e?.outcome, 'denied');
    assert.equal(e?.client_ip, '127.0.0.1');
    assert.deepEqual(e?.statements, []);
  });
});

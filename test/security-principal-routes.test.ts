// Every route that needs a principal goes through the same admission as data operations: the auditor API and the
// scoped contract honour per-scope and per-client source allowlists (an audit:read token restricted to on-prem is
// refused from the VPN; a client restricted to one zone is refused from the others), and the refusal is audited.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');

const network = {
  // The tests' own loopback connection plays the ingress proxy, so X-Forwarded-For picks the caller's zone.
  trustedProxies: ['127.0.0.1/32'],
  zones: { 'cloud-vpn': ['10.20.0.0/16'], onprem: ['192.168.0.0/16'] },
  allow: ['cloud-vpn', 'onprem', '127.0.0.0/8'],
  clients: { 'vpn-only-app': ['cloud-vpn'] },
  scopes: { 'audit:read': ['onprem'] },
};
const policies = { rules: [{ name: 'customers', scopes: ['customers:read'], resource: 'customers' }] };

const CLOUD = '10.20.1.7';
const ONPREM = '192.168.4.2';

describe('principal routes honour per-scope and per-client source allowlists', { skip }, () => {
  let gw: TestGateway;
  const bearer = async (clientId: string, scopes: string[]): Promise<string> =>
    `Bearer ${await mintToken(gw.config.auth, { subject: `${clientId}-user`, clientId, scopes })}`;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('principal_routes_data') },
        store: await freshDatabase('principal_routes_store'),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, network, rateLimit: { enabled: false } },
      }),
      seed: seedErp,
    });
  });
  after(async () => gw?.close());

  test('when an audit:read token restricted to on-prem reads the audit events from the VPN, then 403 ip_not_allowed', async () => {
    const auth = await bearer('auditor-console', ['audit:read']);
    const fromVpn = await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', auth).set('X-Forwarded-For', CLOUD).set('X-Request-Id', 'pr-events-vpn');
    assert.equal(fromVpn.status, 403, fromVpn.text);
    assert.equal(fromVpn.body.code, 'ip_not_allowed');
    assert.equal(fromVpn.body.events, undefined);
    const fromOnprem = await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', auth).set('X-Forwarded-For', ONPREM);
    assert.equal(fromOnprem.status, 200, fromOnprem.text);
    // A refused caller's X-Request-Id is kept apart from the request id (detail.clientRequestId).
    const [event] = (await gw.storeDb('audit_events').where({ kind: 'request' }).whereRaw(`detail->>'clientRequestId' = ?`, ['pr-events-vpn'])) as Array<
      Record<string, unknown>
    >;
    assert.equal(event?.status, 403);
    assert.equal(event?.denied_by, 'network.scopes.audit:read');
    assert.equal(event?.route, '/_gatehouse/audit/events');
  });

  test('when the same token asks for verification or one event from the VPN, then 403 as well', async () => {
    const auth = await bearer('auditor-console', ['audit:read']);
    for (const path of ['/_gatehouse/audit/verify', '/_gatehouse/audit/events/01a00000-0000-7000-8000-000000000000']) {
      const res = await gw.http.get(path).set('Authorization', auth).set('X-Forwarded-For', CLOUD);
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.equal(res.body.code, 'ip_not_allowed');
    }
  });

  test('when a client restricted to the VPN holds the on-prem-only audit:read scope, then both lists apply: 403 from either zone', async () => {
    // Its audit:read scope is itself on-prem only, so no address satisfies both lists: the restrictions add up.
    const auth = await bearer('vpn-only-app', ['audit:read']);
    for (const from of [ONPREM, CLOUD]) {
      const res = await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', auth).set('X-Forwarded-For', from);
      assert.equal(res.status, 403, `${from}: ${res.text}`);
    }
  });

  test('when a restricted client asks for its scoped contract from another zone, then 403; from its zone, then its contract', async () => {
    const auth = await bearer('vpn-only-app', ['customers:read']);
    const fromOnprem = await gw.http.get('/openapi.json?scoped=true').set('Authorization', auth).set('X-Forwarded-For', ONPREM);
    assert.equal(fromOnprem.status, 403, fromOnprem.text);
    assert.equal(fromOnprem.body.code, 'ip_not_allowed');
    const fromVpn = await gw.http.get('/openapi.json?scoped=true').set('Authorization', auth).set('X-Forwarded-For', CLOUD);
    assert.equal(fromVpn.status, 200, fromVpn.text);
    assert.ok(Object.keys(fromVpn.body.paths as object).includes('/customers'));
  });

  test('when a token without audit:read asks for the audit log, then 403 insufficient_scope (not 401)', async () => {
    const res = await gw.http.get('/_gatehouse/audit/events').set('Authorization', await bearer('auditor-console', ['customers:read'])).set('X-Forwarded-For', ONPREM);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'insufficient_scope');
  });
});

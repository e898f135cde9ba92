// Source-IP allowlists, zones and the coarse limit through the whole gateway (createGateway → buildApp), with real tokens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { erpPglite, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { redisSkipReason, startRedis, type RedisServer } from './support/redis.js';

const secret = randomBytes(32).toString('base64url');

const network = {
  // The tests' own loopback connection plays the ingress proxy, so X-Forwarded-For picks the caller.
  trustedProxies: ['127.0.0.1/32'],
  zones: { 'cloud-vpn': ['10.20.0.0/16'], onprem: ['192.168.0.0/16'] },
  allow: ['cloud-vpn', 'onprem', '127.0.0.0/8'],
  clients: { 'billing-app': ['cloud-vpn'] },
  scopes: { 'customers:write': ['onprem'] },
};

const policies = {
  rules: [
    {
      name: 'customers',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      operations: ['read', 'write'],
    },
  ],
};

const CLOUD = '10.20.1.7';
const ONPREM = '192.168.4.2';
const OUTSIDE = '203.0.113.50';

async function bearer(gw: TestGateway, clientId: string, scopes: string[]): Promise<string> {
  return `Bearer ${await mintToken(gw.config.auth, { subject: `${clientId}-user`, clientId, scopes })}`;
}

describe('source allowlists through the pipeline', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: await erpPglite(),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, network, rateLimit: { enabled: false } },
      }),
    });
  });
  after(() => gw?.close());

  test('when a caller is outside the global allowlist, then 403 ip_not_allowed before any token is looked at', async () => {
    for (const path of ['/customers', '/no-such-endpoint', '/openapi.json']) {
      const res = await gw.http.get(path).set('X-Forwarded-For', OUTSIDE);
      assert.equal(res.status, 403, path);
      assert.equal(res.body.code, 'ip_not_allowed');
      assert.equal(res.headers['www-authenticate'], undefined);
    }
    // The same request from an allowed zone gets as far as authentication.
    assert.equal((await gw.http.get('/customers').set('X-Forwarded-For', CLOUD)).status, 401);
  });

  test('when the liveness probe comes from outside the allowlist, then it still answers (the kubelet is rarely listed)', async () => {
    const res = await gw.http.get('/healthz').set('X-Forwarded-For', OUTSIDE);
    assert.equal(res.status, 200);
  });

  test('when a client with an address list calls from another zone, then 403 ip_not_allowed; from its own zone, then 200', async () => {
    const auth = await bearer(gw, 'billing-app', ['customers:read']);
    const fromOnprem = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', ONPREM);
    assert.equal(fromOnprem.status, 403);
    assert.equal(fromOnprem.body.code, 'ip_not_allowed');
    const fromCloud = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', CLOUD);
    assert.equal(fromCloud.status, 200);
    assert.equal(fromCloud.body.length, 1);
  });

  test('when a token holds a scope restricted to on-prem, then it is refused from the cloud VPN even for reads', async () => {
    const auth = await bearer(gw, 'ops-console', ['customers:read', 'customers:write']);
    const fromCloud = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', CLOUD);
    assert.equal(fromCloud.status, 403);
    assert.equal(fromCloud.body.code, 'ip_not_allowed');
    const fromOnprem = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', ONPREM);
    assert.equal(fromOnprem.status, 200);
    // A read-only token is not restricted by the write scope's list.
    const reader = await bearer(gw, 'ops-console', ['customers:read']);
    assert.equal((await gw.http.get('/customers?limit=1').set('Authorization', reader).set('X-Forwarded-For', CLOUD)).status, 200);
  });

  test('when X-Forwarded-For carries a non-canonical address, then 403 even with a valid token', async () => {
    const auth = await bearer(gw, 'ops-console', ['customers:read']);
    for (const forged of ['010.20.1.7', '0x0a.20.1.7', '169083143', '10.20.1.7:443', '[::ffff:10.20.1.7]']) {
      const res = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', forged);
      assert.equal(res.status, 403, forged);
      assert.equal(res.body.code, 'ip_not_allowed');
    }
    // The mapped spelling is the same caller as the IPv4 one, and is let in.
    const mapped = await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', `::ffff:${CLOUD}`);
    assert.equal(mapped.status, 200);
  });
});

describe('coarse rate limit through the pipeline', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: await erpPglite(),
        auth: { ...demoAuth(secret), disabled: false },
        extra: { policies, network, rateLimit: { coarse: { limit: 3, windowMs: 60_000 } } },
      }),
    });
  });
  after(() => gw?.close());

  test('when an address sends bad tokens past its budget, then 429 before authentication, while another address still gets 401', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await gw.http.get('/customers').set('Authorization', 'Bearer not-a-token').set('X-Forwarded-For', CLOUD);
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal(res.body.code, 'rate_limited');
        assert.match(String(res.headers.ratelimit), /^"address"; r=0; t=\d+$/);
        assert.match(String(res.headers['ratelimit-policy']), /^"address"; q=3; w=60; pk=:/);
        assert.ok(Number(res.headers['retry-after']) >= 1);
      }
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.equal((await gw.http.get('/customers').set('Authorization', 'Bearer not-a-token').set('X-Forwarded-For', ONPREM)).status, 401);
  });
});

describe('gateways sharing one Redis', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  const gateways: TestGateway[] = [];
  before(async () => {
    redis = await startRedis();
    // One prefix for both: replicas of one deployment share their counters by key.
    const keyPrefix = `gatehouse-test:${randomBytes(4).toString('hex')}:`;
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startGateway({
          config: testConfig({
            source: await erpPglite(),
            auth: { ...demoAuth(secret), disabled: false },
            extra: {
              policies,
              network,
              rateLimit: { coarse: { limit: 100, windowMs: 60_000 }, principal: { read: { limit: 4, windowMs: 60_000 } } },
              redis: { url: redis.url, keyPrefix },
            },
          }),
            }),
      );
    }
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await redis?.destroy();
  });

  test('when one principal reads through two replicas, then they enforce one shared budget', async () => {
    const [a, b] = gateways as [TestGateway, TestGateway];
    const auth = await bearer(a, 'ops-console', ['customers:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const gw = i % 2 === 0 ? a : b;
      statuses.push((await gw.http.get('/customers?limit=1').set('Authorization', auth).set('X-Forwarded-For', ONPREM)).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    // Readiness reflects the shared store.
    assert.equal((await a.http.get('/readyz')).status, 200);
  });
});

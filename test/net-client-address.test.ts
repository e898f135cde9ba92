// Client address resolution over real sockets: spoofed X-Forwarded-For, trusted proxy chains, non-canonical entries, allowlists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { compileNetwork } from '../src/net/network-policy.js';
import { resolveClientAddress } from '../src/net/resolve-client-address.js';
import { NON_CANONICAL } from './support/addresses.js';
import { startEdgeApp, type EdgeApp, type Seen } from './support/edge-app.js';

function configWith(network: Record<string, unknown>) {
  return loadConfig({
    raw: { spec: 'openapi/erp.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, network },
    env: {},
  });
}

async function withApp(network: Record<string, unknown>, fn: (app: EdgeApp) => Promise<void>): Promise<void> {
  const app = await startEdgeApp({ config: configWith(network) });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

/** The 'finish' hook may run just after the client has its response. */
async function lastSeen(app: EdgeApp, count: number): Promise<Seen> {
  const deadline = Date.now() + 2000;
  while (app.seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const entry = app.seen[count - 1];
  assert.ok(entry, `request ${count} was not recorded`);
  return entry;
}

describe('client address through trusted proxies', () => {
  test('when an untrusted peer sends X-Forwarded-For, then it is ignored and the socket address is used', async () => {
    await withApp({ allow: ['127.0.0.0/8'] }, async (app) => {
      const res = await app.get('/whoami', { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '10.9.9.9' } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.client, { ip: '127.0.0.2', forwardedFor: ['10.9.9.9'] });
    });
  });

  test('when an untrusted peer spoofs an allowed address in X-Forwarded-For, then it is still denied by its socket address', async () => {
    await withApp({ allow: ['10.0.0.0/8'] }, async (app) => {
      const res = await app.get('/whoami', { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '10.0.0.1' } });
      assert.equal(res.status, 403);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(res.body.code, 'ip_not_allowed');
      // The denial is recorded with the real address, for the audit log.
      const seen = await lastSeen(app, 1);
      assert.equal(seen.client?.ip, '127.0.0.2');
      assert.deepEqual(seen.client?.forwardedFor, ['10.0.0.1']);
      assert.equal(seen.deniedBy, 'network.allow');
    });
  });

  test('when the peer is trusted but another loopback peer is not, then only the trusted one may forward', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32'], allow: ['0.0.0.0/0'] }, async (app) => {
      const viaProxy = await app.get('/whoami', { localAddress: '127.0.0.1', headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.equal((viaProxy.body.client as { ip: string }).ip, '203.0.113.9');
      const direct = await app.get('/whoami', { localAddress: '127.0.0.3', headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.equal((direct.body.client as { ip: string }).ip, '127.0.0.3');
    });
  });

  test('when a request crosses two trusted proxies, then the walk from the right stops at the first untrusted address', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32', '10.1.0.0/16'], allow: ['0.0.0.0/0'] }, async (app) => {
      // client → 10.1.0.5 (inner proxy) → 127.0.0.1 (edge proxy) → gateway
      const plain = await app.get('/whoami', { headers: { 'X-Forwarded-For': '203.0.113.9, 10.1.0.5' } });
      assert.deepEqual(plain.body.client, { ip: '203.0.113.9', forwardedFor: ['203.0.113.9', '10.1.0.5'] });
      // A client that pre-fills the header cannot choose its address: entries left of it are its own words.
      const forged = await app.get('/whoami', { headers: { 'X-Forwarded-For': '10.1.0.77,192.0.2.1 , 203.0.113.9,10.1.0.5' } });
      assert.equal((forged.body.client as { ip: string }).ip, '203.0.113.9');
      // Every hop trusted: the leftmost (furthest) one is the client.
      const internal = await app.get('/whoami', { headers: { 'X-Forwarded-For': '10.1.0.8, 10.1.0.5' } });
      assert.equal((internal.body.client as { ip: string }).ip, '10.1.0.8');
    });
  });

  test('when several X-Forwarded-For headers arrive, then they are joined in order before the walk', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32'], allow: ['0.0.0.0/0'] }, async (app) => {
      const one = await app.get('/whoami', { headers: { 'X-Forwarded-For': ['198.51.100.1', '203.0.113.9'] } });
      assert.deepEqual(one.body.client, { ip: '203.0.113.9', forwardedFor: ['198.51.100.1', '203.0.113.9'] });
      const other = await app.get('/whoami', { headers: { 'X-Forwarded-For': ['203.0.113.9', '198.51.100.1'] } });
      assert.equal((other.body.client as { ip: string }).ip, '198.51.100.1');
    });
  });

  test('when a trusted proxy forwards a non-canonical address, then the request is denied, never reinterpreted', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32'], allow: ['0.0.0.0/0', '::/0'] }, async (app) => {
      // Leading/trailing blanks around list elements are list syntax (RFC 9110), so blanks are tested inside entries.
      const sendable = NON_CANONICAL.filter((text) => /^[\x21-\x7e]+$/.test(text)).concat(['10.0.0. 1', '10.0.0.1 10.0.0.2', 'unknown', '_hidden']);
      assert.ok(sendable.length >= 20);
      let count = 0;
      for (const entry of sendable) {
        const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': `203.0.113.9, ${entry}` } });
        count++;
        assert.equal(res.status, 403, `${JSON.stringify(entry)} was accepted as ${JSON.stringify(res.body.client)}`);
        assert.equal(res.body.code, 'ip_not_allowed');
        assert.equal((await lastSeen(app, count)).client, undefined);
      }
      // The same entries are not even looked at once an untrusted address was found to their right.
      const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': '010.0.0.1, 203.0.113.9' } });
      assert.equal((res.body.client as { ip: string }).ip, '203.0.113.9');
    });
  });

  test('when a trusted proxy forwards an IPv4-mapped IPv6 address, then it is normalised and matched against IPv4 CIDRs', async () => {
    await withApp(
      { trustedProxies: ['127.0.0.1/32'], allow: ['cloud-vpn'], zones: { 'cloud-vpn': ['10.20.0.0/16'] } },
      async (app) => {
        const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': '::ffff:10.20.3.4' } });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.client, { ip: '10.20.3.4', forwardedFor: ['::ffff:10.20.3.4'], zone: 'cloud-vpn' });
        const outside = await app.get('/whoami', { headers: { 'X-Forwarded-For': '::ffff:10.21.0.1' } });
        assert.equal(outside.status, 403);
      },
    );
  });

  test('when IPv6 spellings differ, then they resolve to one canonical address', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32'], allow: ['2001:db8::/32'] }, async (app) => {
      for (const spelling of ['2001:DB8::1', '2001:db8:0:0::1', '2001:0db8:0000:0000:0000:0000:0000:0001']) {
        const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': spelling } });
        assert.equal((res.body.client as { ip: string }).ip, '2001:db8::1', spelling);
      }
    });
  });

  test('when the gateway is reached over IPv6 loopback, then the peer ::1 is allowed by the default allowlist', async () => {
    const app = await startEdgeApp({ config: configWith({}), host: '::1' });
    try {
      const res = await app.get('/whoami');
      assert.equal(res.status, 200);
      assert.equal((res.body.client as { ip: string }).ip, '::1');
    } finally {
      await app.close();
    }
  });

  test('when the address is outside the global allowlist, then 403 ip_not_allowed without echoing the address', async () => {
    await withApp({ trustedProxies: ['127.0.0.1/32'], allow: ['10.0.0.0/8'] }, async (app) => {
      const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': '192.0.2.44' } });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'ip_not_allowed');
      assert.doesNotMatch(JSON.stringify(res.body), /192\.0\.2\.44/);
      assert.equal((await lastSeen(app, 1)).client?.ip, '192.0.2.44');
    });
  });

  describe('pure resolution', () => {
    const policy = compileNetwork(configWith({ trustedProxies: ['10.0.0.0/8'] }).network);
    test('when the peer address is unknown, then resolution fails (and the middleware denies)', () => {
      const resolved = resolveClientAddress(policy, undefined, '203.0.113.9');
      assert.equal(resolved.ok, false);
      assert.deepEqual(!resolved.ok && resolved.forwardedFor, ['203.0.113.9']);
    });
    test('when the peer itself is non-canonical, then resolution fails', () => {
      assert.equal(resolveClientAddress(policy, '010.0.0.1', undefined).ok, false);
    });
    test('when a trusted proxy sends an empty element, then resolution fails', () => {
      assert.equal(resolveClientAddress(policy, '10.0.0.1', '203.0.113.9,,10.0.0.2').ok, false);
    });
  });
});

describe('default allowlist', () => {
  let app: EdgeApp;
  before(async () => {
    app = await startEdgeApp({ config: configWith({}) });
  });
  after(() => app.close());

  test('when nothing is configured, then loopback callers pass and forwarded addresses are ignored', async () => {
    const res = await app.get('/whoami', { headers: { 'X-Forwarded-For': '8.8.8.8' } });
    assert.equal(res.status, 200);
    assert.equal((res.body.client as { ip: string }).ip, '127.0.0.1');
  });
});

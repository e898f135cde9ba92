// Rate limiting with the in-memory store: 429 problems with draft-8 headers, IPv6 subnets, per-principal budgets per class.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import type { OperationClass } from '../src/config/types.js';
import { createLogger } from '../src/observability/logger.js';
import { createRateLimitStores } from '../src/ratelimit/rate-limit-stores.js';
import { startEdgeApp, type EdgeApp } from './support/edge-app.js';

const logger = createLogger({ level: 'error', silent: true });

function configWith(rateLimit: Record<string, unknown>, network: Record<string, unknown> = {}) {
  return loadConfig({
    raw: { spec: 'openapi/erp.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, network, rateLimit },
    env: {},
  });
}

async function withApp(
  rateLimit: Record<string, unknown>,
  network: Record<string, unknown>,
  fn: (app: EdgeApp) => Promise<void>,
  operationClass?: OperationClass,
): Promise<void> {
  const config = configWith(rateLimit, network);
  const stores = await createRateLimitStores(config, logger);
  assert.equal(stores.kind, 'memory');
  const app = await startEdgeApp({ config, stores, operationClass });
  try {
    await fn(app);
  } finally {
    await app.close();
    await stores.close();
  }
}

const PROXIED = { trustedProxies: ['127.0.0.1/32'], allow: ['0.0.0.0/0', '::/0'] };
const from = (ip: string, subject?: string) => ({
  headers: { 'X-Forwarded-For': ip, ...(subject === undefined ? {} : { 'X-Test-Subject': subject }) },
});

describe('coarse limit per client address', () => {
  test('when an address exceeds its budget, then 429 rate_limited with RateLimit, RateLimit-Policy and Retry-After', async () => {
    await withApp({ coarse: { limit: 3, windowMs: 60_000 } }, {}, async (app) => {
      for (let i = 1; i <= 3; i++) {
        const ok = await app.get('/whoami');
        assert.equal(ok.status, 200);
        assert.match(String(ok.headers.ratelimit), new RegExp(`^"address"; r=${3 - i}; t=(60|59),`));
      }
      const limited = await app.get('/whoami');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(limited.body.code, 'rate_limited');
      assert.equal(limited.body.status, 429);
      assert.match(String(limited.headers.ratelimit), /^"address"; r=0; t=(60|59)$/);
      assert.match(String(limited.headers['ratelimit-policy']), /^"address"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
      assert.equal(await settle(app, 4), 'rateLimit.address');
    });
  });

  test('when different IPv4 addresses call, then each has its own budget', async () => {
    await withApp({ coarse: { limit: 1, windowMs: 60_000 } }, PROXIED, async (app) => {
      assert.equal((await app.get('/whoami', from('198.51.100.1'))).status, 200);
      assert.equal((await app.get('/whoami', from('198.51.100.1'))).status, 429);
      assert.equal((await app.get('/whoami', from('198.51.100.2'))).status, 200);
      // The mapped spelling of the same address is the same caller.
      assert.equal((await app.get('/whoami', from('::ffff:198.51.100.2'))).status, 429);
    });
  });

  test('when IPv6 addresses share a /56, then they share one budget; another /56 has its own', async () => {
    await withApp({ coarse: { limit: 2, windowMs: 60_000 } }, PROXIED, async (app) => {
      assert.equal((await app.get('/whoami', from('2001:db8:0:100::1'))).status, 200);
      assert.equal((await app.get('/whoami', from('2001:db8:0:1ff:ffff::9'))).status, 200);
      assert.equal((await app.get('/whoami', from('2001:DB8:0:1ab::42'))).status, 429);
      assert.equal((await app.get('/whoami', from('2001:db8:0:200::1'))).status, 200);
    });
  });

  test('when ipv6Subnet is 64, then addresses in one /56 but different /64s have separate budgets', async () => {
    await withApp({ coarse: { limit: 1, windowMs: 60_000 }, ipv6Subnet: 64 }, PROXIED, async (app) => {
      assert.equal((await app.get('/whoami', from('2001:db8:0:100::1'))).status, 200);
      assert.equal((await app.get('/whoami', from('2001:db8:0:101::1'))).status, 200);
      assert.equal((await app.get('/whoami', from('2001:db8:0:101::2'))).status, 429);
    });
  });

  test('when rate limiting is disabled, then no RateLimit headers are sent and nothing is refused', async () => {
    await withApp({ enabled: false, coarse: { limit: 1, windowMs: 60_000 } }, {}, async (app) => {
      for (let i = 0; i < 5; i++) {
        const res = await app.get('/whoami');
        assert.equal(res.status, 200);
        assert.equal(res.headers.ratelimit, undefined);
      }
    });
  });
});

describe('per-principal limits per operation class', () => {
  const limits = {
    coarse: { limit: 1000, windowMs: 60_000 },
    principal: { read: { limit: 2, windowMs: 60_000 }, write: { limit: 1, windowMs: 30_000 }, audit: { limit: 1, windowMs: 60_000 } },
  };

  test('when a principal exhausts its read budget, then it gets 429 while another principal and its own writes still pass', async () => {
    await withApp(limits, {}, async (app) => {
      const alice = { headers: { 'X-Test-Subject': 'alice@example.com' } };
      const bob = { headers: { 'X-Test-Subject': 'bob@example.com' } };
      assert.equal((await app.get('/whoami', alice)).status, 200);
      const second = await app.get('/whoami', alice);
      assert.equal(second.status, 200);
      // Both limiters report: the coarse one by address and the principal one by class.
      assert.match(String(second.headers.ratelimit), /"address"; r=998; t=\d+, "principal-read"; r=0; t=\d+/);
      const limited = await app.get('/whoami', alice);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, 'rate_limited');
      assert.match(String(limited.headers['ratelimit-policy']), /"principal-read"; q=2; w=60; pk=:/);
      assert.equal((await app.get('/whoami', bob)).status, 200);
      const write = await app.get('/whoami', { ...alice, method: 'POST' });
      assert.equal(write.status, 200);
      assert.match(String(write.headers['ratelimit-policy']), /"principal-write"; q=1; w=30;/);
      assert.equal((await app.get('/whoami', { ...alice, method: 'POST' })).status, 429);
    });
  });

  test('when a limiter is fixed to the audit class, then every method draws on the audit budget', async () => {
    await withApp(
      limits,
      {},
      async (app) => {
        const auditor = { headers: { 'X-Test-Subject': 'auditor' } };
        assert.equal((await app.get('/whoami', auditor)).status, 200);
        const limited = await app.get('/whoami', { ...auditor, method: 'POST' });
        assert.equal(limited.status, 429);
        assert.match(String(limited.headers['ratelimit-policy']), /"principal-audit"; q=1; w=60;/);
      },
      'audit',
    );
  });

  test('when no principal was authenticated, then the principal limiter keys by client address', async () => {
    await withApp(limits, PROXIED, async (app) => {
      assert.equal((await app.get('/whoami', from('192.0.2.1'))).status, 200);
      assert.equal((await app.get('/whoami', from('192.0.2.1'))).status, 200);
      assert.equal((await app.get('/whoami', from('192.0.2.1'))).status, 429);
      assert.equal((await app.get('/whoami', from('192.0.2.2'))).status, 200);
    });
  });
});

async function settle(app: EdgeApp, count: number): Promise<string | undefined> {
  const deadline = Date.now() + 2000;
  while (app.seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return app.seen[count - 1]?.deniedBy;
}

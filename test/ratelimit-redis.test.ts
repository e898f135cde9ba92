// Rate limiting on a real Redis: replicas share one budget; Redis down fails open or closed as configured, never hangs; recovery.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/observability/logger.js';
import { createRateLimitStores, type RateLimitStores } from '../src/ratelimit/rate-limit-stores.js';
import { startEdgeApp, type EdgeApp } from './support/edge-app.js';
import { redisSkipReason, startRedis, type RedisServer } from './support/redis.js';

const logger = createLogger({ level: 'error', silent: true });
const skip = redisSkipReason();
/** Upper bound for any single request while Redis is down: connect + command timeouts are far below it. */
const NO_HANG_MS = 2000;

interface Replica {
  readonly app: EdgeApp;
  readonly stores: RateLimitStores;
}

async function startReplica(redisUrl: string, rateLimit: Record<string, unknown>, keyPrefix: string): Promise<Replica> {
  const config = loadConfig({
    raw: {
      spec: 'openapi/erp.yaml',
      sources: { erp: { client: 'pglite', connection: 'memory://' } },
      rateLimit,
      redis: { url: redisUrl, keyPrefix, connectTimeoutMs: 500, commandTimeoutMs: 300 },
    },
    env: {},
  });
  const stores = await createRateLimitStores(config, logger);
  assert.equal(stores.kind, 'redis');
  const app = await startEdgeApp({ config, stores });
  return { app, stores };
}

async function stopReplica(replica: Replica): Promise<void> {
  await replica.app.close();
  await replica.stores.close();
}

/** A request that must answer (whatever it answers) well within NO_HANG_MS. */
async function timedGet(replica: Replica): Promise<{ status: number; code: unknown; ms: number; ratelimit: unknown }> {
  const started = Date.now();
  const res = await replica.app.get('/whoami', { timeoutMs: NO_HANG_MS });
  return { status: res.status, code: res.body.code, ms: Date.now() - started, ratelimit: res.headers.ratelimit };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const prefix = () => `gatehouse-test:${randomBytes(4).toString('hex')}:`;

describe('rate limiting on a shared Redis', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.destroy());

  test('when two gateway instances share one Redis, then requests split across them hit 429 at the shared limit', async () => {
    const keyPrefix = prefix();
    const limits = { coarse: { limit: 6, windowMs: 60_000 } };
    const a = await startReplica(redis.url, limits, keyPrefix);
    const b = await startReplica(redis.url, limits, keyPrefix);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await (i % 2 === 0 ? a : b).app.get('/whoami')).status);
      // Alone, each instance would have allowed 6; together they allow 6 in all.
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
      const fromB = await b.app.get('/whoami');
      assert.equal(fromB.status, 429);
      assert.equal(fromB.body.code, 'rate_limited');
      assert.match(String(fromB.headers['ratelimit-policy']), /^"address"; q=6; w=60; pk=:/);
      assert.ok(Number(fromB.headers['retry-after']) >= 1);
    } finally {
      await stopReplica(a);
      await stopReplica(b);
    }
  });

  test('when Redis stops, then fail-open passes requests, fail-closed answers 503, neither hangs; after a restart limiting resumes', { timeout: 60_000 }, async () => {
    const limits = { coarse: { limit: 3, windowMs: 60_000 } };
    const open = await startReplica(redis.url, { ...limits, failOpen: true }, prefix());
    const closed = await startReplica(redis.url, { ...limits, failOpen: false }, prefix());
    try {
      assert.equal((await timedGet(open)).status, 200);
      assert.equal((await timedGet(closed)).status, 200);

      await redis.stop();
      for (let i = 0; i < 5; i++) {
        const passed = await timedGet(open);
        assert.equal(passed.status, 200, 'fail-open must let the request through');
        assert.equal(passed.ratelimit, undefined, 'no counter, so no RateLimit header');
        assert.ok(passed.ms < NO_HANG_MS, `fail-open took ${passed.ms} ms`);
        const refused = await timedGet(closed);
        assert.equal(refused.status, 503);
        assert.equal(refused.code, 'rate_limiter_unavailable');
        assert.ok(refused.ms < NO_HANG_MS, `fail-closed took ${refused.ms} ms`);
      }
      assert.equal(closed.stores.isAvailable(), false);

      await redis.start();
      await until(async () => (await timedGet(closed)).status === 200, 10_000, 'the fail-closed instance recovering');
      // Redis restarted empty (no persistence): the instance counted one request above; two more fit, then 429.
      const after = [await timedGet(closed), await timedGet(closed), await timedGet(closed)].map((r) => r.status);
      assert.deepEqual(after, [200, 200, 429]);
      await until(async () => (await timedGet(open)).ratelimit !== undefined, 10_000, 'the fail-open instance counting again');
      // The request that showed the header was counted: two more fit.
      const openAfter = [await timedGet(open), await timedGet(open), await timedGet(open)].map((r) => r.status);
      assert.deepEqual(openAfter, [200, 200, 429]);
    } finally {
      await stopReplica(open);
      await stopReplica(closed);
    }
  });

  test('when Redis hangs without closing connections, then requests end within the command timeout, and counting resumes correctly', { timeout: 60_000 }, async () => {
    const limits = { coarse: { limit: 4, windowMs: 60_000 } };
    const open = await startReplica(redis.url, { ...limits, failOpen: true }, prefix());
    const closed = await startReplica(redis.url, { ...limits, failOpen: false }, prefix());
    try {
      assert.equal((await timedGet(closed)).status, 200);
      assert.equal((await timedGet(open)).status, 200);
      redis.pause();
      const during = [];
      for (let i = 0; i < 3; i++) during.push(await timedGet(closed), await timedGet(open));
      redis.resume();
      for (const [i, r] of during.entries()) {
        assert.equal(r.status, i % 2 === 0 ? 503 : 200, JSON.stringify(r));
        assert.ok(r.ms < NO_HANG_MS, `a request took ${r.ms} ms while Redis hung`);
      }
      // Only a request that probes Redis waits out the 300 ms command timeout; the rest fail fast.
      const slow = during.filter((r) => r.ms >= 250).length;
      assert.ok(slow >= 1 && slow <= 2, `waits: ${during.map((r) => r.ms).join(', ')} ms`);
      // Increments sent while Redis was frozen may still have been applied once it woke up, so the
      // exact count is not asserted; what must hold is that replies are matched to their commands
      // again: remaining counts fall by one per request until 429.
      await until(async () => (await timedGet(closed)).status !== 503, 10_000, 'recovery');
      const remaining: number[] = [];
      let status = 200;
      for (let i = 0; i < 10 && status === 200; i++) {
        const res = await closed.app.get('/whoami');
        status = res.status;
        if (status === 200) remaining.push(Number(/"address"; r=(\d+)/.exec(String(res.headers.ratelimit))?.[1]));
      }
      assert.equal(status, 429);
      for (let i = 1; i < remaining.length; i++) assert.equal(remaining[i], remaining[i - 1]! - 1, `remaining ${remaining.join(',')}`);
    } finally {
      redis.resume();
      await stopReplica(open);
      await stopReplica(closed);
    }
  });

  test('when Redis is down while the gateway starts, then start-up does not wait on it and limiting begins once Redis is up', { timeout: 60_000 }, async () => {
    await redis.stop();
    const started = Date.now();
    const replica = await startReplica(redis.url, { coarse: { limit: 2, windowMs: 60_000 } }, prefix());
    try {
      assert.ok(Date.now() - started < 3000, `start-up took ${Date.now() - started} ms`);
      const refused = await timedGet(replica);
      assert.equal(refused.status, 503);
      assert.equal(refused.code, 'rate_limiter_unavailable');

      await redis.start();
      await until(async () => (await timedGet(replica)).status === 200, 10_000, 'the instance recovering');
      assert.deepEqual([(await timedGet(replica)).status, (await timedGet(replica)).status], [200, 429]);
    } finally {
      await stopReplica(replica);
      await redis.start();
    }
  });
});

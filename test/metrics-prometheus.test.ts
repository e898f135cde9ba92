// Prometheus metrics of a real gateway (the composition root, main.ts) on PostgreSQL with strict audit: a scrape of
// the metrics listener after known requests shows them by operation, status and code, with the audit, pool,
// rate-limit, token-cache and readiness figures; the data port never serves metrics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import knex, { type Knex } from 'knex';
import { Client, escapeIdentifier } from 'pg';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { loadConfig } from '../src/config/load.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { startGateway, type RunningGateway } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { freePort } from './support/processes.js';
import { scrape, type Scrape } from './support/prometheus.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const secret = randomBytes(32).toString('base64url');
const POOL_MAX = 4;
const READ_LIMIT = 8;

const policies = {
  rules: [{ name: 'customers', scopes: ['customers:read', 'customers:write'], resource: 'customers', operations: ['read', 'write'] }],
};

async function start(dataUrl: string, storeUrl: string): Promise<RunningGateway> {
  const config = loadConfig({
    raw: {
      server: { host: '127.0.0.1', port: await freePort() },
      metrics: { enabled: true, host: '127.0.0.1', port: await freePort() },
      spec: ERP_SPEC,
      sources: { erp: { client: 'pg', connection: dataUrl, pool: { max: POOL_MAX } } },
      store: { client: 'pg', connection: storeUrl },
      audit: { instanceId: 'metrics-test', sink: { stdout: false } },
      auth: demoAuth(secret),
      policies,
      rateLimit: { coarse: { limit: 1000, windowMs: 60_000 }, principal: { read: { limit: READ_LIMIT, windowMs: 60_000 } } },
      log: { level: 'error', requests: false },
    },
    env: {},
    baseDir: projectRoot,
  });
  return startGateway(config, createLogger({ level: 'error', silent: true }));
}

async function bearer(running: RunningGateway, scopes: string[]): Promise<Record<string, string>> {
  const token = await mintToken(running.gateway.config.auth, { subject: 'metrics-user', clientId: 'metrics-app', scopes });
  return { Authorization: `Bearer ${token}` };
}

/** Scrapes until `done` holds (a gauge is read when scraped, so a changing state needs a few looks). */
async function scrapeUntil(url: string, done: (s: Scrape) => boolean, timeoutMs = 10_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  let last = await scrape(url);
  while (!done(last) && Date.now() < deadline) {
    await sleep(50);
    last = await scrape(url);
  }
  return last;
}

describe('metrics on their own listener', { skip }, () => {
  let running: RunningGateway;
  let dataDb: Knex;

  before(async () => {
    const dataUrl = await freshDatabase('metrics_data');
    dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
    await seedErp(dataDb);
    running = await start(dataUrl, await freshDatabase('metrics_store'));
  });
  after(async () => {
    await running?.stop();
    await dataDb?.destroy();
  });

  it('when known requests have been answered, then the scrape counts them by operation, status and code, with audit, token and rate-limit figures', async () => {
    const { url, metricsUrl } = running;
    assert.ok(metricsUrl);
    const auth = await bearer(running, ['customers:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/customers/1`, { headers: auth })).status);
    statuses.push((await fetch(`${url}/customers/999999`, { headers: auth })).status);
    statuses.push((await fetch(`${url}/customers/1`)).status);
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/customers/1`, { headers: auth })).status);
    // The 9th read of this principal passes the limit of 8.
    assert.deepEqual(statuses, [200, 200, 200, 404, 401, 200, 200, 200, 200, 429]);
    assert.equal((await fetch(`${url}/openapi.json`)).status, 200);

    // The data port has no metrics: with a valid token it is an unknown endpoint, answered as a problem.
    const onDataPort = await fetch(`${url}${new URL(metricsUrl).pathname}`, { headers: auth });
    assert.equal(onDataPort.status, 404);
    assert.match(onDataPort.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.doesNotMatch(await onDataPort.text(), /gatehouse_requests_total/);

    const s = await scrape(metricsUrl);
    const requests = (operation: string, status: string, code = ''): number | undefined =>
      s.value('gatehouse_requests_total', { operation, status, code });
    assert.equal(requests('getCustomer', '200'), 7);
    assert.equal(requests('getCustomer', '404', 'row_not_found'), 1);
    assert.equal(requests('getCustomer', '429', 'rate_limited'), 1);
    // Refused while authenticating, before the path was matched to an operation.
    assert.equal(requests('unrouted', '401', 'missing_token'), 1);
    assert.equal(requests('/openapi.json', '200'), 1);
    assert.equal(requests('other', '404', 'not_found'), 1);
    assert.equal(s.value('gatehouse_request_duration_seconds_count', { operation: 'getCustomer' }), 9);
    assert.equal(s.value('gatehouse_request_duration_seconds_bucket', { operation: 'getCustomer', le: '+Inf' }), 9);
    assert.ok(s.value('gatehouse_request_duration_seconds_sum', { operation: 'getCustomer' })! > 0);
    assert.equal(s.value('gatehouse_rate_limit_refusals_total', { limiter: 'rateLimit.principal-read' }), 1);
    // One verification, then the cache: 9 data requests and the data-port probe carried the same token.
    assert.equal(s.value('gatehouse_token_verifications_total', { cache: 'miss' }), 1);
    assert.equal(s.value('gatehouse_token_verifications_total', { cache: 'hit' }), 9);
    assert.equal(s.value('gatehouse_token_rejections_total', { code: 'missing_token' }), undefined, 'no token is not a rejected token');

    // Every request above has its audit event (strict mode): 12 records in group commits, none pending or refused.
    assert.equal(s.value('gatehouse_audit_batch_records_sum'), 12);
    assert.ok(s.value('gatehouse_audit_batch_records_count')! >= 1);
    assert.equal(s.value('gatehouse_audit_commit_duration_seconds_count'), s.value('gatehouse_audit_batch_records_count'));
    assert.equal(s.value('gatehouse_audit_pending_records'), 0);
    assert.equal(s.sum('gatehouse_audit_refused_total'), 0);

    assert.equal(s.value('gatehouse_db_pool_max_connections', { source: 'erp' }), POOL_MAX);
    assert.equal(s.value('gatehouse_db_pool_connections', { source: 'erp', state: 'used' }), 0);
    assert.equal(s.value('gatehouse_db_pool_connections', { source: 'erp', state: 'pending' }), 0);
    assert.equal(s.value('gatehouse_requests_in_flight'), 0);
    assert.equal(s.value('gatehouse_ready'), 1);
    assert.ok(s.value('gatehouse_config_loaded_timestamp_seconds')! > Date.now() / 1000 - 600);
    // The process: CPU, memory, event loop.
    assert.ok(s.value('process_cpu_user_seconds_total')! > 0);
    assert.ok(s.value('process_resident_memory_bytes')! > 0);
    assert.ok(s.samples.some((x) => x.name === 'nodejs_eventloop_lag_seconds'));

    // Only the configured path is served on the metrics listener.
    assert.equal((await fetch(new URL('/', metricsUrl))).status, 404);
    assert.equal((await fetch(metricsUrl, { method: 'POST' })).status, 405);
  });

  it('when a request waits on a row lock, then the scrape shows its pool connection in use and the request in flight', async () => {
    const { url, metricsUrl } = running;
    const auth = { ...(await bearer(running, ['customers:write'])), 'Content-Type': 'application/json' };
    const trx = await dataDb.transaction();
    try {
      await trx.raw('select 1 from "CUST_MSTR" where "CUST_ID" = 2 for update');
      const patch = fetch(`${url}/customers/2`, { method: 'PATCH', headers: auth, body: JSON.stringify({ street: 'Lock Street 1' }) });
      const busy = await scrapeUntil(metricsUrl!, (s) => s.value('gatehouse_db_pool_connections', { source: 'erp', state: 'used' }) === 1);
      assert.equal(busy.value('gatehouse_db_pool_connections', { source: 'erp', state: 'used' }), 1);
      assert.equal(busy.value('gatehouse_requests_in_flight'), 1);
      await trx.commit();
      assert.equal((await patch).status, 204);
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
    const idle = await scrapeUntil(metricsUrl!, (s) => s.value('gatehouse_db_pool_connections', { source: 'erp', state: 'used' }) === 0);
    assert.equal(idle.value('gatehouse_db_pool_connections', { source: 'erp', state: 'used' }), 0);
    assert.equal(idle.value('gatehouse_requests_total', { operation: 'updateCustomer', status: '204', code: '' }), 1);
  });
});

describe('metrics while the audit store is down', { skip }, () => {
  const role = `gh_metrics_store_${randomBytes(4).toString('hex')}`;
  let running: RunningGateway;
  let dataDb: Knex;
  let admin: Client;

  before(async () => {
    const adminUrl = (pg as { adminUrl: string }).adminUrl;
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    // The store is reached as its own role, so the test can lock it out as a failed store would.
    const storeAdminUrl = await freshDatabase('metrics_down_store');
    const storeName = decodeURIComponent(new URL(storeAdminUrl).pathname.slice(1));
    await admin.query(`create role ${escapeIdentifier(role)} login`);
    await admin.query(`alter database ${escapeIdentifier(storeName)} owner to ${escapeIdentifier(role)}`);
    const storeUrl = new URL(storeAdminUrl);
    storeUrl.username = role;
    const dataUrl = await freshDatabase('metrics_down_data');
    dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
    await seedErp(dataDb);
    running = await start(dataUrl, storeUrl.toString());
  });
  after(async () => {
    await running?.stop();
    await dataDb?.destroy();
    await admin?.query(`alter role ${escapeIdentifier(role)} login`).catch(() => undefined);
    await admin?.end();
  });

  it('when the store cannot be reached, then every refused record is counted and readiness is 0; when it is back, readiness is 1 again', async () => {
    const { url, metricsUrl } = running;
    const auth = await bearer(running, ['customers:read']);
    assert.equal((await fetch(`${url}/customers/1`, { headers: auth })).status, 200);
    await admin.query(`alter role ${escapeIdentifier(role)} nologin`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role]);

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/customers/1`, { headers: auth })).status);
    assert.deepEqual(statuses, [503, 503, 503]);
    const down = await scrape(metricsUrl!);
    assert.equal(down.value('gatehouse_audit_refused_total', { reason: 'store_unavailable' }), 3);
    // The first reached its commit; the next two were refused at the first stage, before routing.
    assert.equal(down.value('gatehouse_requests_total', { operation: 'getCustomer', status: '503', code: 'audit_unavailable' }), 1);
    assert.equal(down.value('gatehouse_requests_total', { operation: 'unrouted', status: '503', code: 'audit_unavailable' }), 2);
    assert.equal(down.value('gatehouse_audit_pending_records'), 0);
    assert.equal(down.value('gatehouse_ready'), 0);

    await admin.query(`alter role ${escapeIdentifier(role)} login`);
    const back = await scrapeUntil(metricsUrl!, (s) => s.value('gatehouse_ready') === 1, 15_000);
    assert.equal(back.value('gatehouse_ready'), 1);
    assert.equal((await fetch(`${url}/customers/1`, { headers: auth })).status, 200);
  });
});

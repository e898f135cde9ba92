// The database going away under a running gateway: 503 database_unavailable and readiness false, then recovery without a restart.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { seedErp } from '../src/demo/erp-schema.js';
import { testPostgres } from './support/pg-env.js';
import { createDatabase, startPostgres, type PgServer } from './support/postgres.js';
import { assertProblem, startGateway, testConfig, type TestGateway } from './support/gateway.js';

const pg = testPostgres();

describe('when the database goes away mid-run', { skip: 'skip' in pg ? pg.skip : undefined }, () => {
  let server: PgServer;
  let t: TestGateway;

  before(async () => {
    server = await startPostgres();
    const url = await createDatabase(server, 'erp_outage');
    t = await startGateway({
      config: testConfig({
        source: { client: 'pg', url },
        // Short waits, so that a dead server is reported within a second or two rather than after the defaults.
        sourceOptions: { pool: { min: 0, max: 4, acquireTimeoutMs: 1000 }, statementTimeoutMs: 5000 },
      }),
      seed: (db) => seedErp(db, { scale: 0.1 }),
    });
  });

  after(async () => {
    await t?.close();
    await server?.destroy();
  });

  /** Retries a request until it answers `status`, at most `timeoutMs`; returns the last response. */
  async function until(status: number, send: () => Promise<{ status: number; text: string }>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last = await send();
    while (last.status !== status && Date.now() < deadline) {
      await sleep(200);
      last = await send();
    }
    assert.equal(last.status, status, `still ${last.status} after ${timeoutMs} ms: ${last.text}`);
    return last;
  }

  it('then while it is up, reads, writes and readiness work', async () => {
    await t.http.get('/customers?limit=3').expect(200);
    await t.http.patch('/customers/1').send({ status: 'H' }).expect(204);
    await t.http.get('/readyz').expect(200);
  });

  it('then after a clean shutdown, reads and writes answer 503 database_unavailable promptly, and /readyz 503', async () => {
    await server.stop();
    const started = Date.now();
    const read = await t.http.get('/customers?limit=3');
    const problem = assertProblem(read, 503, 'database_unavailable');
    assert.equal(read.headers['retry-after'], '5');
    assert.doesNotMatch(JSON.stringify(problem), /ECONNREFUSED|127\.0\.0\.1|terminat/i);
    assertProblem(await t.http.get('/customers/1'), 503, 'database_unavailable');
    assertProblem(await t.http.post('/customers').send({ name: 'Lost', region: 'EMEA' }), 503, 'database_unavailable');
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    // Readiness is cached for a second (so probes cannot drive load onto the databases): it turns within that.
    await until(503, () => t.http.get('/readyz'), 3000);
    const ready = await t.http.get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { status: 'unavailable', reasons: ['source erp is unreachable'] });
    await t.http.get('/healthz').expect(200);
  });

  it('then once it is back, the same gateway serves again without a restart', async () => {
    await server.start();
    await until(200, () => t.http.get('/customers?limit=3'));
    await t.http.patch('/customers/1').send({ status: 'A' }).expect(204);
    await until(200, () => t.http.get('/readyz'));
  });

  it('then after a crash (kill -9) with idle pooled connections, it answers 503 and recovers again', async () => {
    // Fill the pool with idle connections that the crash will break under the gateway.
    await Promise.all(Array.from({ length: 4 }, () => t.http.get('/customers?limit=1').expect(200)));
    await server.kill9();
    for (let i = 0; i < 6; i++) assertProblem(await t.http.get('/customers?limit=1'), 503, 'database_unavailable');
    await until(503, () => t.http.get('/readyz'), 3000);
    await server.start();
    await until(200, () => t.http.get('/customers?limit=1'));
    // Every pooled connection is usable again, not just the first one.
    const burst = await Promise.all(Array.from({ length: 8 }, () => t.http.get('/customers?limit=1')));
    assert.deepEqual(burst.map((r) => r.status), Array(8).fill(200));
    await until(200, () => t.http.get('/readyz'));
  });
});

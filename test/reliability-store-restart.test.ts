// Recovery after the audit store comes back, under load and without restarting the gateway: the chain resumes
// exactly once, requests are all 2xx again within a second of the store accepting connections, every 2xx has its
// event, and no intent is closed as unknown while its request could still record (or has recorded) its event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startPostgres, type PgServer } from './support/postgres.js';
import { listen, steadyLoad, tally, type LoadAnswer } from './support/steady-load.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const CYCLES = 10;
/** How long after the store accepts connections every request must be 2xx again. */
const RECOVERY_MS = 1_000;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('audit store stopped and restarted under load', { skip }, () => {
  let store: PgServer;
  let gw: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    store = await startPostgres();
    gw = await startGateway({ config: testConfig({ source: { client: 'pg', url: await freshDatabase('reliability_restart_data') }, store: store.url('postgres') }), seed: seedErp });
    server = await listen(gw.gateway.app);
  });
  after(async () => {
    await server?.close();
    await gw?.close().catch(() => undefined);
    await store?.destroy();
  });

  it(`when the store is stopped and restarted ${CYCLES} times in a row, then each time every request is 2xx within 1 s of it accepting connections, every 2xx is audited and no outcome is falsely unknown`, async () => {
    const answers: LoadAnswer[] = [];
    let stopLoad = false;
    const load = steadyLoad({
      baseUrl: server.baseUrl,
      connections: 8,
      durationMs: 180_000,
      maxRequests: 200_000,
      prefix: 'restart',
      stop: () => stopLoad,
      onAnswer: (a) => answers.push(a),
      request: (n) =>
        n % 5 === 0
          ? { method: 'POST', path: '/customers', body: { name: `restart customer restart-${n}`, region: 'APAC' } }
          : n % 5 === 1
            ? { method: 'PATCH', path: `/customers/${(n % 200) + 1}`, body: { region: n % 2 === 0 ? 'EMEA' : 'APAC' } }
            : { method: 'GET', path: `/customers/${(n % 300) + 1}` },
    });
    const windows: Array<{ stoppedAt: number; acceptingAt: number; failuresAtRecovery: number }> = [];
    try {
      await waitFor('requests are served', async () => answers.filter((a) => a.status === 200).length >= 50);
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const stoppedAt = Date.now();
        // Alternate a clean fast shutdown and a crash (every backend killed at once).
        if (cycle % 2 === 0) await store.stop();
        else await store.kill9();
        await waitFor('requests are refused', async () => answers.slice(-3).every((a) => a.status === 503 && a.at > stoppedAt), 10_000);
        await sleep(300);
        await store.start();
        const acceptingAt = Date.now();
        await sleep(RECOVERY_MS);
        windows.push({ stoppedAt, acceptingAt, failuresAtRecovery: gw.auditor.writer.stats().failures });
        await sleep(800);
      }
    } finally {
      stopLoad = true;
      await load;
    }

    // Back within 1 s each time, and only refusals from the audit log in between.
    for (const [i, w] of windows.entries()) {
      const late = answers.filter((a) => a.sentAt >= w.acceptingAt + RECOVERY_MS && (windows[i + 1]?.stoppedAt ?? Infinity) > a.at);
      const lateFailures = late.filter((a) => a.status < 200 || a.status >= 300);
      assert.ok(late.length > 0, `cycle ${i}: no requests after recovery`);
      assert.equal(lateFailures.length, 0, `cycle ${i}: ${lateFailures.length} of ${late.length} not 2xx 1 s after the store came back: ${tally(lateFailures)}`);
    }
    const odd = answers.filter((a) => (a.status < 200 || a.status >= 300) && !(a.status === 503 && a.code === 'audit_unavailable'));
    assert.equal(odd.length, 0, `answers other than 2xx and 503 audit_unavailable: ${tally(odd)}`);
    // Once recovered, the writer did not fail again on its own (no duplicate key, no "head not at seq").
    const failuresAfter = windows.map((w, i) => (windows[i + 1] ? 0 : gw.auditor.writer.stats().failures - w.failuresAtRecovery));
    assert.deepEqual(failuresAfter, windows.map(() => 0));

    // Every 2xx has its request event.
    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const stored = new Set(
      ((await gw.storeDb('audit_events').where({ kind: 'request' }).select('request_id')) as Array<{ request_id: string }>).map((r) => r.request_id),
    );
    const unaudited = ok.filter((a) => !stored.has(a.requestId));
    assert.equal(unaudited.length, 0, `${unaudited.length} 2xx without an event, e.g. ${unaudited[0]?.requestId}`);

    // Every intent is closed, and never as unknown when its request recorded its own event.
    await waitFor('every intent is closed', async () => {
      const open = await gw.storeDb('audit_events as i')
        .where('i.kind', 'intent')
        .whereNotExists(function () {
          this.select(gw.storeDb.raw('1')).from('audit_events as e').whereRaw('e.ref = i.ref').whereIn('e.kind', ['request', 'outcome']);
        })
        .count({ n: '*' })
        .first();
      return Number((open as { n: string }).n) === 0;
    });
    const falseUnknown = (await gw.storeDb('audit_events as o')
      .where({ 'o.kind': 'outcome', 'o.outcome': 'unknown' })
      .whereExists(function () {
        this.select(gw.storeDb.raw('1')).from('audit_events as r').whereRaw('r.id = o.ref');
      })
      .select('o.request_id')) as Array<{ request_id: string }>;
    assert.deepEqual(falseUnknown, []);
    // Each record is stored once: one request event per request id.
    const twice = (await gw.storeDb('audit_events')
      .where({ kind: 'request' })
      .groupBy('id')
      .havingRaw('count(*) > 1')
      .select('id')) as unknown[];
    assert.deepEqual(twice, []);
    assert.deepEqual((await gw.auditor.verify()).problems, []);
    const refused = answers.length - ok.length;
    // How long after the store accepted connections the last refused request was sent, per cycle.
    const recoveries = windows.map((w, i) => {
      const until = windows[i + 1]?.stoppedAt ?? Infinity;
      const lastRefused = answers.filter((a) => (a.status < 200 || a.status >= 300) && a.sentAt >= w.acceptingAt && a.at < until);
      return lastRefused.length === 0 ? 0 : Math.max(...lastRefused.map((a) => a.sentAt)) - w.acceptingAt;
    });
    console.log(
      `store restarts: ${CYCLES}, requests ${answers.length}, 2xx ${ok.length}, 503 ${refused}, unknown outcomes ${gw.auditor.writer.stats().unknownOutcomes}; ` +
        `last refusal after the store accepted connections: ${recoveries.map((ms) => `${ms} ms`).join(', ')}`,
    );
  });
});

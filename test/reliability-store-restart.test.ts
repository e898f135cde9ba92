// Recovery after the audit store comes back, under load and without restarting the gateway, on a store with durable
// commits: the chain resumes exactly once, requests are all 2xx again within a second of the store accepting
// connections, every 2xx has its event, and no intent is closed as unknown while its request could still record (or
// has recorded) its event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startPostgres, type PgServer } from './support/postgres.js';
import { listen, steadyLoad, tally, type LoadAnswer } from './support/steady-load.js';
import { restartFigures, restartLoadRequest, restartStoreCycles } from './support/store-restarts.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const CYCLES = 10;
/** How long after the store accepts connections every request must be 2xx again. */
const RECOVERY_MS = 1_000;

describe('audit store stopped and restarted under load', { skip }, () => {
  let store: PgServer;
  let gw: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    store = await startPostgres({ durable: true });
    gw = await startGateway({ config: testConfig({ source: { client: 'pg', url: await freshDatabase('reliability_restart_data') }, store: store.url('postgres') }), seed: seedErp });
    server = await listen(gw.gateway.app);
  });
  after(async () => {
    await server?.close();
    await gw?.close().catch(() => undefined);
    await store?.destroy();
  });

  it(`when the durable store is stopped and restarted ${CYCLES} times in a row, then each time every request is 2xx within 1 s of it accepting connections, every 2xx is audited and no outcome is falsely unknown`, async () => {
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
      request: restartLoadRequest,
    });
    const failuresAtRecovery: number[] = [];
    let windows;
    try {
      windows = await restartStoreCycles({
        store,
        answers,
        cycles: CYCLES,
        afterRecovery: { ms: RECOVERY_MS, call: () => failuresAtRecovery.push(gw.auditor.writer.stats().failures) },
      });
    } finally {
      stopLoad = true;
      await load;
    }
    const figures = await restartFigures(answers, windows, gw.storeDb, RECOVERY_MS);

    // Back within 1 s each time, and only refusals from the audit log in between.
    for (const [i, c] of figures.cycles.entries()) {
      assert.ok(c.answered > c.refused.length, `cycle ${i}: no 2xx after the store came back`);
      assert.equal(c.lateFailures.length, 0, `cycle ${i}: ${c.lateFailures.length} answers not 2xx 1 s or more after the store came back: ${tally(c.lateFailures)}`);
      assert.ok(c.backToAll2xxMs < RECOVERY_MS, `cycle ${i}: back to 2xx only ${c.backToAll2xxMs} ms after the store accepted connections`);
    }
    assert.equal(figures.odd.length, 0, `answers other than 2xx and 503 audit_unavailable: ${tally(figures.odd)}`);
    // Once recovered, the writer did not fail again on its own (no duplicate key, no "head not at seq").
    const failuresAfter = failuresAtRecovery.map((f, i) => (failuresAtRecovery[i + 1] === undefined ? gw.auditor.writer.stats().failures - f : 0));
    assert.deepEqual(failuresAfter, failuresAtRecovery.map(() => 0));

    assert.equal(figures.unaudited.length, 0, `${figures.unaudited.length} 2xx without an event, e.g. ${figures.unaudited[0]?.requestId}`);
    assert.equal(figures.openIntents, 0, 'every intent is closed');
    assert.deepEqual(figures.falseUnknown, []);
    assert.equal(figures.duplicated, 0, 'each record is stored once');
    assert.deepEqual((await gw.auditor.verify()).problems, []);
    console.log(
      `store restarts: ${CYCLES}, requests ${figures.requests}, 2xx ${figures.ok}, refused ${figures.requests - figures.ok}, ` +
        `unknown outcomes ${figures.unknownOutcomes}; back to only 2xx after the store accepted connections: ` +
        figures.cycles.map((c) => `${c.backToAll2xxMs} ms`).join(', '),
    );
  });
});

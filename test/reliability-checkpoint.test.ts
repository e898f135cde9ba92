// The audit writer under steady load with no fault injected: periodic checkpoints are signed while commits keep
// coming, and no request is refused for it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { listen, steadyLoad, tally } from './support/steady-load.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('audit checkpoints under steady load', { skip }, () => {
  let gw: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('reliability_cp_data') },
        store: await freshDatabase('reliability_cp_store'),
        audit: { checkpoint: { everyMs: 500 } },
      }),
      seed: seedErp,
    });
    server = await listen(gw.gateway.app);
  });
  after(async () => {
    await server?.close();
    await gw?.close();
  });

  it('when checkpoints are due every 500 ms under a 20-connection read load, then every request is answered 2xx', async () => {
    const answers = await steadyLoad({
      baseUrl: server.baseUrl,
      connections: 20,
      durationMs: 8_000,
      maxRequests: 40_000,
      prefix: 'steady',
      request: (n) => ({ method: 'GET', path: `/customers/${(n % 300) + 1}` }),
    });
    const failed = answers.filter((a) => a.status < 200 || a.status >= 300);
    // However slow the machine, commits keep overlapping the checkpoints (asserted below: one every 500 ms).
    assert.ok(answers.length >= 100, `only ${answers.length} requests were answered`);
    assert.equal(failed.length, 0, `${failed.length} of ${answers.length} not 2xx: ${tally(failed)}`);
    const checkpoints = await gw.storeDb('audit_checkpoints').where({ instance_id: 'test-instance' }).count({ n: '*' }).first();
    assert.ok(Number((checkpoints as { n: string }).n) >= 8, `checkpoints signed: ${JSON.stringify(checkpoints)}`);
    assert.equal(gw.auditor.writer.stats().failures, 0);
    assert.deepEqual((await gw.auditor.verify()).problems, []);
  });
});

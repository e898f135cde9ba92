// An outage does not flood the log: the first 503 of a kind is logged in full with its stack, the rest as a count
// once per window while they last.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import winston from 'winston';
import { createDataSources } from '../src/db/sources.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { testConfig } from './support/gateway.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startPostgres, type PgServer } from './support/postgres.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('request failures in the log', { skip }, () => {
  let store: PgServer;
  let gateway: Gateway;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    store = await startPostgres();
    const config = testConfig({ source: { client: 'pg', url: await freshDatabase('reliability_log_data') }, store: store.url('postgres') });
    const sources = createDataSources(config.sources);
    await seedErp(sources.get('erp')!.db);
    // The gateway's own logger, writing its JSON lines where the test can read them.
    const logger = winston.createLogger({
      level: 'info',
      format: winston.format.json(),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _encoding, done) {
              lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
              done();
            },
          }),
        }),
      ],
    });
    gateway = await createGateway(config, logger, { sources });
  });
  after(async () => {
    await gateway?.close().catch(() => undefined);
    await store?.destroy();
  });

  it('when the audit store is down and 300 requests are refused, then one error line has the stack and the rest are one count per 10 s', async () => {
    const http = supertest.agent(gateway.app);
    assert.equal((await http.get('/customers/1')).status, 200);
    await store.stop();
    const started = Date.now();
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const res = await http.get(`/customers/${(i % 50) + 1}`);
      if (res.status === 503) refused += 1;
    }
    assert.ok(refused >= 290, `refused ${refused}`);
    // One window passes: the count is written.
    const deadline = started + 20_000;
    while (!lines.some((l) => l.event === 'request_error_repeated') && Date.now() < deadline) await sleep(200);

    const full = lines.filter((l) => l.event === 'request_error');
    const counts = lines.filter((l) => l.event === 'request_error_repeated');
    const withStack = lines.filter((l) => JSON.stringify(l).includes('"stack"'));
    assert.equal(full.filter((l) => l.code === 'audit_unavailable').length, 1, `${full.length} full error lines`);
    assert.equal(withStack.length, full.length, 'only the first line of each kind carries a stack');
    const auditCounts = counts.filter((l) => l.code === 'audit_unavailable');
    assert.equal(auditCounts.length, 1, JSON.stringify(counts));
    // A refusal found only when its own record failed to commit is answered without the error handler: a few at most.
    const counted = Number(auditCounts[0]!.count);
    assert.ok(counted < refused && counted >= refused - 5, `counted ${counted} of ${refused} refusals`);
    assert.ok(lines.length < 20, `${lines.length} log lines for ${refused} refusals`);
  });
});

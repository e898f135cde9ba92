// The demo's simulated month of access history: the migration report on the demo shows all four recommendations,
// and the history, appended through the audit writer, verifies like any other record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '../src/auth/mint-token.js';
import { createDataSources } from '../src/db/sources.js';
import { seedAccessHistory } from '../src/demo/access-history.js';
import { demoConfig, DEMO_SCOPES } from '../src/demo/demo-config.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { startGateway, type RunningGateway } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';

describe('migration report on the demo', () => {
  let running: RunningGateway;
  let token: string;
  let seeded: number;

  before(async () => {
    const config = demoConfig({ port: 0 }, {});
    const logger = createLogger({ level: 'error', silent: true });
    const sources = createDataSources(config.sources, logger);
    await seedErp(sources.get('erp')!.db);
    running = await startGateway(config, logger, { sources });
    seeded = await seedAccessHistory(running.gateway.auditor!, running.gateway.spec.operations);
    token = await mintToken(config.auth, { subject: 'demo-user', scopes: DEMO_SCOPES });
  });
  after(async () => running?.stop());

  it('when the demo has seeded its history, then the report recommends migrate, replicate, keep and retire', async () => {
    assert.ok(seeded > 5000, `seeded ${seeded}`);
    const res = await fetch(`${running.url}/_gatehouse/reports/migration?since=30d`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const report = (await res.json()) as { tables: Array<{ resource: string; recommendation: string }> };
    assert.deepEqual(Object.fromEntries(report.tables.map((t) => [t.resource, t.recommendation])), {
      items: 'migrate',
      orders: 'replicate',
      'order-lines': 'replicate',
      'customer-notes': 'keep',
      customers: 'keep',
      'customer-balances': 'retire',
    });
  });

  it('when the demo restarts on its store, then the history is not added twice; the log still verifies', async () => {
    assert.equal(await seedAccessHistory(running.gateway.auditor!, running.gateway.spec.operations), 0);
    const verify = await running.gateway.auditor!.verify();
    assert.equal(verify.ok, true, JSON.stringify(verify.problems));
  });
});

// Bytes out and column usage, which the migration report reads, are stored with each request event in columns of
// their own (copies of the event's detail, outside its hash). Events stored before those columns existed, and stores
// never migrated that far, give the same report from the detail itself; so does aggregating on one store connection
// or on several.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GatehouseConfig } from '../src/config/types.js';
import { createDataSources } from '../src/db/sources.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { loadSpecModel } from '../src/openapi/load-spec.js';
import { buildMigrationReport } from '../src/reports/build-report.js';
import type { MigrationReport } from '../src/reports/types.js';
import { createStore } from '../src/store/create-store.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

interface EventColumns {
  operation_id: string;
  detail: { bytesOut?: number; columns?: unknown } | string | null;
  bytes_out: string | number | null;
  column_usage: unknown;
}

describe('migration report: bytes out and column usage as event columns', { skip }, () => {
  let gw: TestGateway;
  let config: GatehouseConfig;
  let window: { from: Date; to: Date };

  before(async () => {
    const dataUrl = await freshDatabase('report_columns_data');
    const storeUrl = await freshDatabase('report_columns_store');
    config = testConfig({ source: { client: 'pg', url: dataUrl }, store: storeUrl });
    gw = await startGateway({ config, seed: seedErp });
    const from = new Date(Date.now() - 60_000);
    const ok = (res: { status: number; body: unknown }, status = 200): void => assert.equal(res.status, status, JSON.stringify(res.body));
    for (let i = 0; i < 4; i += 1) ok(await gw.http.get(`/items?select=code,description&order=code&limit=${i + 2}`));
    ok(await gw.http.get('/items?discontinued=is.false&limit=3'));
    ok(await gw.http.get('/customers/1?select=id,name'));
    ok(await gw.http.get('/order-lines?orderNo=eq.10001'));
    ok(await gw.http.patch('/orders/10001').send({ status: 'SHIPPED' }), 204);
    // Refused before any plan: bytes out (the problem document), no column usage.
    ok(await gw.http.get('/items?colour=eq.blue'), 400);
    window = { from, to: new Date(Date.now() + 60_000) };
  });
  after(async () => gw?.close());

  /** The report on the test's window, as the command line builds it, on `connections` store connections. */
  async function report(connections: number): Promise<MigrationReport> {
    const store = createStore(config.store!);
    const sources = createDataSources(config.sources);
    try {
      return await buildMigrationReport(
        { store: store.db, sources, operations: async () => (await loadSpecModel(config.spec)).operations, config },
        { window, storeConnections: connections, now: window.to },
      );
    } finally {
      await store.destroy();
      await sources.destroy();
    }
  }

  const usage = (r: MigrationReport) =>
    r.tables.map((t) => ({ resource: t.resource, bytesOut: t.metrics.bytesOut, columns: t.columns.map((c) => [c.property, c.selected, c.filtered, c.ordered]) }));

  it('when a data request is audited, then its event stores its bytes out and column usage in their own columns, as its detail has them, and the log verifies', async () => {
    const rows = (await gw.storeDb('audit_events')
      .where({ kind: 'request' })
      .whereNotNull('resource')
      .select('operation_id', 'detail', 'bytes_out', 'column_usage')) as EventColumns[];
    assert.equal(rows.length, 9);
    for (const row of rows) {
      const detail = (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as { bytesOut?: number; columns?: unknown } | null;
      // Every data request records its response's size (0 for a 204).
      assert.ok(detail !== null && typeof detail.bytesOut === 'number', row.operation_id);
      assert.equal(Number(row.bytes_out), detail.bytesOut, row.operation_id);
      if (detail.columns === undefined) assert.equal(row.column_usage, null, row.operation_id);
      else assert.deepEqual(typeof row.column_usage === 'string' ? JSON.parse(row.column_usage) : row.column_usage, detail.columns, row.operation_id);
    }
    assert.equal(rows.filter((r) => r.column_usage !== null).length, 8);
    const verify = await gw.auditor.verify();
    assert.equal(verify.ok, true, JSON.stringify(verify.problems));
  });

  it('when the store aggregates on one connection or on four, then the report is the same', async () => {
    const one = await report(1);
    assert.equal(one.summary.requests, 9);
    assert.deepEqual(await report(4), one);
  });

  it('when events were stored before those columns, or the store was never migrated that far, then the report reads the same bytes and columns from their detail', async () => {
    const current = await report(4);
    const items = current.tables.find((t) => t.resource === 'items')!;
    assert.ok(items.metrics.bytesOut > 0);
    // Four lists selected it, one selected every column.
    assert.equal(items.columns.find((c) => c.property === 'description')?.selected, 5);
    assert.equal(items.columns.find((c) => c.property === 'discontinued')?.filtered, 1);
    // As a gateway before this version stored them: nothing in the columns, the facts in detail only.
    await gw.storeDb.raw('update audit_events set bytes_out = null, column_usage = null');
    const older = await report(4);
    assert.deepEqual(usage(older), usage(current));
    assert.deepEqual(older, current);
    // A store whose migrations stop before the columns.
    await gw.storeDb.raw('alter table audit_events drop column bytes_out, drop column column_usage');
    assert.deepEqual(await report(1), current);
  });
});

// The SQL Server catalog as init, check and the migration report read it: the shipped ERP contract checks clean against
// the T-SQL ERP database, a dropped column is drift, and statistics describe each table. PostgreSQL's statistics too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { createDataSources, type DataSources } from '../src/db/sources.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { detectDrift } from '../src/drift/drift.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import { ERP_SPEC } from './support/project.js';
import { freshMssqlDatabase, testMssql } from './support/mssql-env.js';

const env = testMssql();

function sourcesFor(client: 'mssql' | 'pglite', connection: string): DataSources {
  const config = loadConfig({ raw: { spec: 'unused.yaml', sources: { erp: { client, connection } } }, env: {} });
  return createDataSources(config.sources);
}

describe('the ERP catalog on SQL Server', { skip: 'skip' in env ? env.skip : undefined }, () => {
  let sources: DataSources;
  before(async () => {
    sources = sourcesFor('mssql', await freshMssqlDatabase('mssql_catalog'));
    await seedErp(sources.get('erp')!.db);
  });
  after(() => sources?.destroy());

  it('when the shipped ERP contract is checked against the T-SQL ERP database, then there is no drift', async () => {
    const report = await detectDrift(await loadSpecFile(ERP_SPEC), sources);
    assert.deepEqual(
      report.findings.filter((f) => f.severity === 'error').map((f) => f.message),
      [],
    );
  });

  it('when introspected, then keys, the filtered unique index, foreign keys, identity, comments and the view come back as declared', async () => {
    const source = sources.get('erp')!;
    const catalog = await source.dialect.introspect(source.db, { schemas: ['dbo'] });
    const byName = new Map(catalog.relations.map((r) => [r.name.toUpperCase(), r]));
    const customers = byName.get('CUST_MSTR')!;
    assert.equal(customers.name, 'CUST_MSTR');
    assert.deepEqual(customers.primaryKey, ['CUST_ID']);
    assert.deepEqual(customers.uniqueKeys, [['EMAIL_ADDR']]);
    assert.equal(customers.comment, 'Customer master: one row per billable customer account.');
    const id = customers.columns.find((c) => c.name === 'CUST_ID')!;
    assert.equal(id.generated, true);
    const credit = customers.columns.find((c) => c.name === 'Credit Limit')!;
    assert.deepEqual([credit.dataType, credit.precision, credit.scale, credit.nullable], ['decimal', 12, 2, true]);
    assert.equal(credit.comment, 'Maximum open order amount; null means no limit has been set.');
    assert.equal(customers.columns.find((c) => c.name === 'STATUS_CD')!.defaultValue, "'A'");
    assert.equal(byName.get('ITEM_MSTR')!.columns.find((c) => c.name === 'DISCONTINUED')!.defaultValue, 'false');
    assert.deepEqual(byName.get('ORD_LINE')!.primaryKey, ['ORD_NO', 'LINE_NO']);
    assert.deepEqual(
      byName.get('ORD_LINE')!.foreignKeys.map((f) => [f.columns, f.refTable, f.refColumns]).sort(),
      [
        [['ITEM_CD'], 'ITEM_MSTR', ['ITEM_CD']],
        [['ORD_NO'], 'ORD_HDR', ['ORD_NO']],
      ],
    );
    assert.deepEqual(byName.get('CUST_NOTE')!.primaryKey, []);
    assert.equal(byName.get('V_CUST_BALANCE')!.kind, 'view');
    assert.equal(catalog.caseInsensitiveNames, true);
  });

  it('when the migration report asks for statistics, then each table says its kind, keys, foreign keys and rows where the server keeps them', async () => {
    const source = sources.get('erp')!;
    const stats = await source.dialect.statistics(source.db, [
      { schema: 'dbo', name: 'CUST_MSTR' },
      { schema: 'dbo', name: 'ORD_LINE' },
      { schema: 'dbo', name: 'CUST_NOTE' },
      { schema: 'dbo', name: 'V_CUST_BALANCE' },
    ]);
    const customers = stats.get('dbo.CUST_MSTR')!;
    assert.equal(customers.kind, 'table');
    assert.equal(customers.hasKey, true);
    assert.deepEqual(customers.unportable, []);
    // sys.dm_db_partition_stats on SQL Server; Babelfish keeps no row counts (docs/sql-server.md).
    if ('kind' in env && env.kind === 'sqlserver') assert.equal(customers.estimatedRows, 500);
    else assert.ok(customers.estimatedRows === null || customers.estimatedRows === 500);
    assert.equal(stats.get('dbo.ORD_LINE')!.foreignKeys.length, 2);
    assert.equal(stats.get('dbo.CUST_NOTE')!.hasKey, false);
    const view = stats.get('dbo.V_CUST_BALANCE')!;
    assert.equal(view.kind, 'view');
    assert.equal(view.bytes, null);
  });

  it('when a bound column is dropped, then check reports the drift as an error', async () => {
    const source = sources.get('erp')!;
    await source.db.raw('ALTER TABLE [dbo].[CUST_NOTE] DROP COLUMN [ENTERED_BY]');
    const report = await detectDrift(await loadSpecFile(ERP_SPEC), sources);
    assert.deepEqual(
      report.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.column}`),
      ['column_missing ENTERED_BY'],
    );
  });
});

describe('statistics on PostgreSQL (PGlite)', () => {
  it('when the migration report asks for statistics, then rows, size, keys and foreign keys come from pg_catalog', async () => {
    const sources = sourcesFor('pglite', 'memory://');
    try {
      const source = sources.get('erp')!;
      await seedErp(source.db);
      await source.db.raw('analyze');
      const stats = await source.dialect.statistics(source.db, [
        { schema: 'public', name: 'ORD_LINE' },
        { schema: 'public', name: 'V_CUST_BALANCE' },
      ]);
      const lines = stats.get('public.ORD_LINE')!;
      assert.equal(lines.kind, 'table');
      assert.ok((lines.estimatedRows ?? 0) > 1000);
      assert.ok((lines.bytes ?? 0) > 0);
      assert.equal(lines.hasKey, true);
      assert.equal(lines.foreignKeys.length, 2);
      const view = stats.get('public.V_CUST_BALANCE')!;
      assert.equal(view.kind, 'view');
      assert.deepEqual(view.dependsOn, ['public.CUST_MSTR', 'public.ORD_HDR']);
    } finally {
      await sources.destroy();
    }
  });
});

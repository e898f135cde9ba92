// `gatehouse check` findings: the legacy fixture changed after init, and the shipped ERP contract against its database.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { createDataSources, type DataSource, type DataSources } from '../src/db/sources.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { detectDrift, type DriftFinding } from '../src/drift/drift.js';
import { generateFromSource } from '../src/init/generate-from-source.js';
import { loadSpec, loadSpecFile, type LoadedSpec } from '../src/openapi/load-spec.js';
import { ERP_SPEC } from './support/project.js';
import { loadLegacyFixture } from './support/legacy-fixture.js';

function pglite(name: string): DataSources {
  const config = loadConfig({ raw: { spec: 'unused.yaml', sources: { [name]: { client: 'pglite', connection: 'memory://' } } }, env: {} });
  return createDataSources(config.sources);
}

const summary = (findings: readonly DriftFinding[]): string[] =>
  findings.map((f) => `${f.severity} ${f.code} ${f.resource ?? f.relation}${f.property ? `.${f.property}` : f.column ? `.${f.column}` : ''}`);

describe('check on the legacy fixture after init', () => {
  // One database for the whole describe: each test changes the schema inside a transaction that is rolled back after
  // it (PostgreSQL's DDL is transactional, and PGlite's single connection sees its own uncommitted changes), so every
  // test still starts from the fixture as init saw it, without paying for a PGlite start-up and an init of its own.
  let sources: DataSources;
  let source: DataSource;
  let spec: LoadedSpec;

  before(async () => {
    sources = pglite('legacy');
    source = sources.get('legacy')!;
    await loadLegacyFixture(source.db);
    const generated = await generateFromSource(source, { schemas: ['legacy'], verify: false });
    spec = await loadSpec(generated.document);
  });
  after(async () => sources?.destroy());
  beforeEach(async () => source.db.raw('begin'));
  afterEach(async () => source.db.raw('rollback'));
  const drift = () => detectDrift(spec, sources);

  it('when nothing changed since init, then there is no drift at all', async () => {
    const report = await drift();
    assert.deepEqual(summary(report.findings), []);
    assert.equal(report.resources, 7);
  });

  it('when a column type changes, then check reports an error naming both types', async () => {
    await source.db.raw('alter table legacy.currency_rate alter column rate type double precision');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['error type_changed currency-rate.rate']);
    assert.match(report.findings[0]!.message, /the document says string \(decimal\); the column is now float8, which is number/);
  });

  it('when a column is dropped, then check reports an error', async () => {
    await source.db.raw('alter table legacy."Customer Master" drop column "Größe"');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['error column_missing customer-master.grosse']);
    assert.equal(report.errors, 1);
  });

  it('when a nullable column is added, then check reports it for information only', async () => {
    await source.db.raw('alter table legacy.sales_order add column note text');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['info column_unexposed sales-order.note']);
    assert.equal(report.errors, 0);
  });

  it('when a NOT NULL column without a default is added, then every create would fail, so it is an error', async () => {
    await source.db.raw('delete from legacy.audit_trail');
    await source.db.raw('alter table legacy.audit_trail add column host varchar(40) not null');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['error column_unexposed audit-trail.host']);
  });

  it('when nullability changes either way, then both directions break the contract', async () => {
    await source.db.raw('alter table legacy."Customer Master" alter column "Full Name" drop not null');
    await source.db.raw('update legacy."Customer Master" set updated_at = now() where updated_at is null');
    await source.db.raw('alter table legacy."Customer Master" alter column updated_at set not null');
    const report = await drift();
    assert.deepEqual(summary(report.findings), [
      'error now_nullable customer-master.fullName',
      'error now_not_null customer-master.updatedAt',
    ]);
  });

  it('when an enum gains a label or a varchar shrinks or grows, then check says what clients would see', async () => {
    await source.db.raw(`alter type legacy.order_status add value 'RETURNED'`);
    await source.db.raw('alter table legacy."OrderLine" alter column sku type varchar(12)');
    await source.db.raw('alter table legacy.audit_trail alter column who type varchar(60)');
    const report = await drift();
    assert.deepEqual(summary(report.findings), [
      'error enum_changed open-orders.status',
      'error length_narrowed order-line.sku',
      'error enum_changed sales-order.status',
      'info length_widened audit-trail.who',
    ]);
    assert.match(report.findings[0]!.message, /it may now return RETURNED, which the document does not list/);
  });

  it('when the primary key changes, then the document\'s key is reported as broken', async () => {
    await source.db.raw('alter table legacy."OrderLine" drop constraint order_line_pk');
    await source.db.raw('alter table legacy."OrderLine" add constraint order_line_pk primary key (order_no, line_no, sku)');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['error key_changed order-line']);
    assert.match(report.findings[0]!.message, /key \(order_no, line_no\) is no longer a primary or unique key \(the primary key is \(order_no, line_no, sku\)\)/);
  });

  it('when a table is renamed, then its resource is missing (with a suggestion) and the new name is new', async () => {
    await source.db.raw('alter table legacy.currency_rate rename to currency_rates');
    const report = await drift();
    assert.deepEqual(summary(report.findings), ['error relation_missing currency-rate', 'info relation_unexposed legacy.currency_rates']);
    assert.match(report.findings[0]!.message, /legacy\.currency_rate no longer exists \(did you mean "currency_rates"\?\)/);
  });
});

describe('check on the shipped ERP contract', () => {
  let sources: DataSources;
  before(async () => {
    sources = pglite('erp');
    await seedErp(sources.get('erp')!.db);
  });
  after(async () => sources?.destroy());

  it('when openapi/erp.yaml is compared with the seeded ERP database, then nothing breaks', async () => {
    const report = await detectDrift(await loadSpecFile(ERP_SPEC), sources);
    assert.equal(report.errors, 0, summary(report.findings).join('\n'));
    // Hand-curated: notes have a key no constraint enforces (unitCost's pattern forbids negative costs, which
    // still follows the column's precision).
    assert.deepEqual(summary(report.findings), ['info key_unenforced customer-notes']);
  });
});

// The pure parts of the migration report: the recommendation against configurable thresholds, the window's parsing,
// and which properties a plan uses (recorded in each request's audit event).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import type { Resource, ResourceColumn } from '../src/openapi/resource.js';
import { columnUsage } from '../src/reports/column-usage.js';
import { recommend, type RecommendInput } from '../src/reports/recommend.js';
import { parseReportWindow } from '../src/reports/report-window.js';

const defaults = loadConfig({ raw: { spec: 'x.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } } }, env: {} }).report;

function input(usage: Partial<RecommendInput['usage']>, extra: Partial<RecommendInput> = {}): RecommendInput {
  return {
    usage: { used: 0, usedReads: 0, usedWrites: 0, cloudUsed: 0, cloudReads: 0, onPremWrites: 0, ...usage },
    denied: 0,
    sensitive: { pii: [], confidential: [] },
    blockers: [],
    cloudZones: ['cloud-vpn'],
    window: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
    ...extra,
  };
}

describe('migration report: recommendation', () => {
  it('when the defaults apply, then each kind of use gets its documented recommendation', () => {
    const t = defaults.thresholds;
    assert.equal(recommend(input({}), t).recommendation, 'retire');
    assert.equal(recommend(input({ used: 100, usedReads: 100, cloudUsed: 80, cloudReads: 80 }), t).recommendation, 'migrate');
    const replicate = recommend(input({ used: 100, usedReads: 60, usedWrites: 40, cloudUsed: 60, cloudReads: 60, onPremWrites: 40 }), t);
    assert.equal(replicate.recommendation, 'replicate');
    assert.equal(replicate.score, Math.round(100 * 0.6 * (1 - 1 * 0.4)));
    assert.equal(recommend(input({ used: 100, usedReads: 100, cloudUsed: 20, cloudReads: 20 }), t).recommendation, 'keep');
    assert.equal(recommend(input({ used: 5, usedReads: 5, cloudUsed: 5, cloudReads: 5 }), t).reasons[0]?.code, 'little_traffic');
    const blocked = recommend(input({ used: 100, usedReads: 100, cloudUsed: 100, cloudReads: 100 }, { blockers: [{ code: 'no_key', text: 'No key.' }] }), t);
    assert.deepEqual([blocked.recommendation, blocked.reasons.map((r) => r.code)], ['keep', ['blocked', 'no_key', 'cloud_traffic']]);
    const sensitive = recommend(input({ used: 50, usedReads: 50 }, { sensitive: { pii: ['email'], confidential: [] } }), t);
    assert.deepEqual(sensitive.reasons.map((r) => r.code), ['sensitive_onprem_only', 'sensitive_data']);
  });

  it('when report.thresholds are configured, then they move the boundaries', () => {
    const usage = { used: 100, usedReads: 100, cloudUsed: 60, cloudReads: 60 };
    assert.equal(recommend(input(usage), defaults.thresholds).recommendation, 'keep');
    const config = loadConfig({
      raw: { spec: 'x.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, report: { thresholds: { migrateCloudShare: 0.5, retireMaxRequests: 2 } } },
      env: {},
    }).report;
    assert.equal(recommend(input(usage), config.thresholds).recommendation, 'migrate');
    assert.equal(recommend(input({ used: 2, usedReads: 2 }), config.thresholds).recommendation, 'retire');
    assert.throws(
      () => loadConfig({ raw: { spec: 'x.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, report: { thresholds: { migrateCloudShare: 1.5 } } }, env: {} }),
      /report\.thresholds\.migrateCloudShare/,
    );
  });
});

describe('migration report: window', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  it('when durations and dates are given, then the window is counted back from until', () => {
    assert.deepEqual(parseReportWindow({ since: '30d' }, '7d', now), { from: new Date('2026-11-06T12:00:00Z'), to: now });
    assert.deepEqual(parseReportWindow({}, '12h', now).from, new Date('2026-12-06T00:00:00Z'));
    assert.deepEqual(parseReportWindow({ since: '2w', until: '2026-12-01' }, '30d', now).from, new Date('2026-11-17T00:00:00Z'));
  });
  it('when since is not before until, or a value cannot be read, then invalid_window', () => {
    for (const bad of [{ since: '2026-12-07' }, { since: 'yesterday' }, { since: '30' }, { until: '0d' }, { since: '2026-13-45' }]) {
      assert.throws(() => parseReportWindow(bad, '30d', now), (err: { code?: string }) => err.code === 'invalid_window', JSON.stringify(bad));
    }
  });
});

describe('migration report: column usage from plans', () => {
  const col = (name: string, column: string): ResourceColumn => ({ name, column, kind: 'string', schema: {}, nullable: true, readOnly: false, classification: undefined });
  const columns = [col('id', 'CUST_ID'), col('name', 'CUST_NAME'), col('region', 'REGION')];
  const resource = { name: 'customers', byColumn: new Map(columns.map((c) => [c.column, c])) } as unknown as Resource;
  const table = { schema: undefined, name: 'CUST_MSTR' };
  it('when a list is planned, then its selected, filtered and ordered properties are named in API terms', () => {
    const usage = columnUsage(
      {
        kind: 'select',
        table,
        columns: ['CUST_ID', 'CUST_NAME'],
        filters: [{ column: 'REGION', op: 'eq', value: 'EMEA', negate: false }],
        order: [{ column: 'CUST_NAME', direction: 'asc', nulls: undefined }, { column: 'CUST_ID', direction: 'asc', nulls: undefined }],
        after: undefined,
        limit: 11,
        offset: undefined,
        count: false,
      },
      resource,
    );
    assert.deepEqual(usage, { select: ['id', 'name'], filter: ['region'], order: ['id', 'name'] });
  });
  it('when a write is planned, then its key and filters count as filtered and its returned columns as selected', () => {
    const usage = columnUsage({ kind: 'replace', table, set: { CUST_NAME: 'x' }, key: { CUST_ID: 1 }, returning: ['CUST_ID'], check: undefined }, resource);
    assert.deepEqual(usage, { select: ['id'], filter: ['id'], order: [] });
  });
});

// `gatehouse check` as a command: exit status 0 / 1 for CI, text and JSON output, and bad input (exit status 2).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import YAML from 'yaml';
import { gatehouse } from './support/gatehouse-cli.js';
import { loadLegacyFixture } from './support/legacy-fixture.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();

describe('gatehouse check (command line)', { skip: 'skip' in pg ? pg.skip : undefined }, () => {
  let dir: string;
  let config: string;
  let db: Knex;
  before(async () => {
    const url = await freshDatabase('check_cli');
    db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await loadLegacyFixture(db);
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-check-cli-'));
    config = path.join(dir, 'gatehouse.yaml');
    await writeFile(config, YAML.stringify({ spec: 'legacy.yaml', sources: { legacy: { client: 'pg', connection: url } } }));
    const init = await gatehouse(['init', '--config', config, '--schema', 'legacy', '--quiet']);
    assert.equal(init.code, 0, init.stderr);
  });
  after(async () => {
    await db?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('when the database matches the document, then check exits 0 and says there is no drift', async () => {
    const result = await gatehouse(['check', '--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'check: no drift (7 resources on legacy)\n');
  });

  it('when a column is added, then check exits 0 and lists it for information', async () => {
    await db.raw('alter table legacy.sales_order add column note text');
    try {
      const result = await gatehouse(['check', '--config', config]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^info {3}column_unexposed {3}resource "sales-order": column "note" \(text\) is not exposed by the document$/m);
      assert.match(result.stdout, /check: no breaking changes, 1 for information/);
    } finally {
      await db.raw('alter table legacy.sales_order drop column note');
    }
  });

  it('when a column is dropped or changes type, then check exits 1; --format json says the same for machines', async () => {
    await db.raw('alter table legacy.audit_trail drop column what');
    await db.raw('alter table legacy.currency_rate alter column rate type real');
    try {
      const text = await gatehouse(['check', '--config', config]);
      assert.equal(text.code, 1, text.stderr);
      assert.match(text.stdout, /^error {2}column_missing {5}resource "audit-trail", property "what": legacy\.audit_trail no longer has this column/m);
      assert.match(text.stdout, /^error {2}type_changed .*property "rate": the document says string \(decimal\); the column is now float4, which is number$/m);
      assert.match(text.stdout, /check: 2 breaking changes \(7 resources on legacy\)/);
      const json = await gatehouse(['check', '--config', config, '--format', 'json']);
      assert.equal(json.code, 1, json.stderr);
      const report = JSON.parse(json.stdout) as { ok: boolean; errors: number; findings: Array<{ code: string; severity: string; column?: string }> };
      assert.equal(report.ok, false);
      assert.equal(report.errors, 2);
      assert.deepEqual(
        report.findings.map((f) => [f.severity, f.code, f.column]),
        [
          ['error', 'column_missing', 'what'],
          ['error', 'type_changed', 'rate'],
        ],
      );
    } finally {
      await db.raw('alter table legacy.audit_trail add column what text');
      await db.raw('alter table legacy.currency_rate alter column rate type numeric(18,6)');
    }
  });

  it('when the source cannot be reached or --source is unknown, then check exits 2 with a clear message', async () => {
    const unreachable = path.join(dir, 'unreachable.yaml');
    await writeFile(
      unreachable,
      YAML.stringify({ spec: 'legacy.yaml', sources: { legacy: { client: 'pg', connection: 'postgres://u:pw@127.0.0.1:1/x', pool: { acquireTimeoutMs: 2000 } } } }),
    );
    const down = await gatehouse(['check', '--config', unreachable]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot reach source "legacy" \(pg 127\.0\.0\.1:1\/x\)/);
    const unknown = await gatehouse(['check', '--config', config, '--source', 'legazy']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--source legazy: the document binds no resource to it \(did you mean "legacy"\?\)/);
  });
});

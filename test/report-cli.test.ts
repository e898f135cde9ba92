// `gatehouse report migration` on bad input: a clear message and exit status 2; an empty window is a valid report.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import knex from 'knex';
import YAML from 'yaml';
import { seedErp } from '../src/demo/erp-schema.js';
import { runMigrations } from '../src/store/migrations.js';
import { ERP_SPEC } from './support/project.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('gatehouse report migration on bad input', { skip }, () => {
  let dir: string;
  let config: string;
  let bare: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-report-cli-'));
    const dataUrl = await freshDatabase('report_cli_data');
    const storeUrl = await freshDatabase('report_cli_store');
    const data = knex({ client: 'pg', connection: dataUrl });
    const store = knex({ client: 'pg', connection: storeUrl });
    try {
      await seedErp(data);
      await runMigrations(store);
    } finally {
      await data.destroy();
      await store.destroy();
    }
    const base = { spec: ERP_SPEC, sources: { erp: { client: 'pg', connection: dataUrl } }, auth: { disabled: true } };
    config = path.join(dir, 'gatehouse.yaml');
    await writeFile(config, YAML.stringify({ ...base, store: { client: 'pg', connection: storeUrl } }));
    // A store database that was never migrated: no audit log to read.
    bare = path.join(dir, 'bare.yaml');
    await writeFile(bare, YAML.stringify({ ...base, store: { client: 'pg', connection: await freshDatabase('report_cli_bare') } }));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const report = (...args: string[]) => gatehouse(['report', 'migration', '--quiet', ...args]);

  it('when the source is unknown, then exit 2 naming the closest one', async () => {
    const res = await report('--config', config, '--source', 'epr');
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /no source is named "epr" \(did you mean "erp"\?\)/);
    assert.equal(res.stdout, '');
  });

  it('when --since is after --until, or a duration cannot be read, then exit 2 saying which', async () => {
    const reversed = await report('--config', config, '--since', '2026-12-01', '--until', '2026-11-01');
    assert.equal(reversed.code, 2);
    assert.match(reversed.stderr, /"since" \(2026-12-01T00:00:00.000Z\) must be before "until" \(2026-11-01T00:00:00.000Z\)/);
    const unreadable = await report('--config', config, '--since', '30 days');
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /"since" must be a duration such as 30d/);
  });

  it('when the store has no audit table, then exit 2 telling to migrate it', async () => {
    const res = await report('--config', bare);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /the store has no audit log .*gatehouse migrate/);
  });

  it('when the window holds no request, then a valid report that says so, exit 0', async () => {
    const res = await report('--config', config, '--since', '2001-01-01', '--until', '2001-01-31', '--format', 'md');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /No request reached any table between 2001-01-01T00:00:00.000Z and 2001-01-31T00:00:00.000Z/);
    assert.match(res.stdout, /6 tables, 0 requests: \*\*0 migrate\*\*, \*\*0 replicate\*\*, \*\*0 keep\*\*, \*\*6 retire\*\*/);
  });
});

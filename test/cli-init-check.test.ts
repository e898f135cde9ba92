// `gatehouse init` and `gatehouse check` as a first user runs them on the demo's ERP database: init needs no spec:
// in the configuration when --out names the file, and check finds no drift in the shipped contract.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { createDataSources } from '../src/db/sources.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { ERP_SPEC } from './support/project.js';

/** Runs `work` on the ERP database kept in `dataDir` (PGlite: one process at a time, so it is closed after). */
async function withErp(dataDir: string, work: (db: ReturnType<typeof createDataSources>) => Promise<unknown>): Promise<void> {
  const config = loadConfig({ raw: { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: dataDir } } }, env: {} });
  const sources = createDataSources(config.sources);
  try {
    await work(sources);
  } finally {
    await sources.destroy();
  }
}

describe('init and check on the demo ERP database', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-init-check-'));
    dataDir = path.join(dir, 'erp');
    await withErp(dataDir, (sources) => seedErp(sources.get('erp')!.db));
  });
  after(async () => dir && rm(dir, { recursive: true, force: true }));

  it('when the configuration names no spec and --out names the file, then init writes it', async () => {
    const config = path.join(dir, 'sources-only.yaml');
    await writeFile(config, YAML.stringify({ sources: { erp: { client: 'pglite', connection: 'erp' } } }));
    const out = path.join(dir, 'generated.yaml');
    const result = await gatehouse(['init', '--config', config, '--out', out, '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(out));
    assert.equal((await loadSpecFile(out)).resources.length, 6);

    const withoutOut = await gatehouse(['init', '--config', config, '--quiet']);
    assert.equal(withoutOut.code, 2, 'without --out, the document has nowhere to go');
    assert.match(withoutOut.stderr, /spec: is required/);
  });

  it('when check compares the shipped contract with the unchanged demo database, then it finds nothing to change', async () => {
    const config = path.join(dir, 'shipped.yaml');
    await writeFile(config, YAML.stringify({ spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'erp' } } }));
    const result = await gatehouse(['check', '--config', config]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /precision_changed/);
    assert.equal(result.stdout, 'info   key_unenforced     resource "customer-notes": no primary or unique key in the database enforces the document\'s key (NOTE_ID)\n' +
      'check: no breaking changes, 1 for information (6 resources on erp)\n');
  });

  it('when a decimal column\'s precision does change, then check still says so', async () => {
    await withErp(dataDir, (sources) => sources.get('erp')!.db.raw('alter table "ITEM_MSTR" alter column "UNIT_COST" type numeric(12,4)'));
    const config = path.join(dir, 'shipped.yaml');
    const result = await gatehouse(['check', '--config', config, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { findings: Array<{ code: string; resource?: string; property?: string; message: string }> };
    const precision = report.findings.filter((f) => f.code === 'precision_changed');
    assert.deepEqual(precision.map((f) => `${f.resource}.${f.property}`), ['items.unitCost']);
    assert.match(precision[0]!.message, /precision is now \(12,4\)/);
  });
});

// The embedded store: the audit log on a PGlite data directory survives a restart and verifies;
// `gatehouse migrate` prepares a new store and is idempotent; a gateway told not to migrate refuses a store that
// still needs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { createSigner, trustedKeysFor } from '../src/audit/signing.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import { createStore } from '../src/store/create-store.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { ed25519Pem } from './support/audit-log.js';
import { startGateway, testConfig } from './support/gateway.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('audit log on a PGlite store', { skip }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-audit-pglite-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('when requests are audited into a PGlite data dir, then the events survive a restart and verify', async () => {
    const keys = ed25519Pem();
    const storeDir = path.join(dir, 'store');
    const gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('audit_pglite_data') },
        store: { pglite: storeDir },
        audit: { signingKey: keys.privateKey },
      }),
      seed: seedErp,
    });
    try {
      assert.equal((await gw.http.get('/customers/5').set('X-Request-Id', 'pgl-read')).status, 200);
      const created = await gw.http.post('/customers').set('X-Request-Id', 'pgl-create').send({ name: 'Embedded', region: 'APAC' });
      assert.equal(created.status, 201);
      assert.equal((await gw.http.get('/nope').set('X-Request-Id', 'pgl-404')).status, 404);
    } finally {
      await gw.close();
    }
    const store = createStore({
      client: 'pglite',
      connection: storeDir,
      pool: { min: 0, max: 1, acquireTimeoutMs: 3000 },
      statementTimeoutMs: 5000,
      migrate: false,
    });
    try {
      const rows = (await store.db('audit_events').orderBy('seq').select('kind', 'request_id', 'detail')) as Array<{
        kind: string;
        request_id: string;
        detail: { clientRequestId?: string } | null;
      }>;
      // The 404 was not admitted (no operation to authorize): its X-Request-Id is kept apart from its request id.
      assert.deepEqual(
        rows.map((r) => `${r.kind}:${r.detail?.clientRequestId ?? r.request_id}`),
        ['request:pgl-read', 'intent:pgl-create', 'request:pgl-create', 'request:pgl-404'],
      );
      const report = await verifyAuditLog(store.db, { trustedKeys: trustedKeysFor(createSigner(keys.privateKey), []) });
      assert.deepEqual(report.problems, []);
      // The clean shutdown signed a checkpoint over the last record.
      assert.equal(report.instances[0]?.lastCheckpointSeq, 4);
    } finally {
      await store.destroy();
    }
  });

  it('when gatehouse migrate runs on a new store, then it applies the audit tables once and reports up to date after', async () => {
    const configFile = path.join(dir, 'migrate.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        spec: ERP_SPEC,
        sources: { erp: { client: 'pglite', connection: 'memory://' } },
        store: { client: 'pglite', connection: path.join(dir, 'migrated') },
      }),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    const migrate = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'migrate', '--config', configFile], {
        cwd: projectRoot,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = migrate();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /applied \(batch 1\):\n {2}20261121000000_audit_log\.js/);
    const second = migrate();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, 'up to date\n');
  });

  it('when store.migrate is false and the store has migrations to apply, then the gateway refuses to start and names them', async () => {
    await assert.rejects(
      startGateway({
        config: testConfig({
          source: { client: 'pg', url: await freshDatabase('audit_unmigrated_data') },
          store: await freshDatabase('audit_unmigrated_store'),
          storeOptions: { migrate: false },
        }),
        seed: seedErp,
      }),
      (err: Error) => {
        assert.match(err.message, /store: \d+ migration\(s\) not applied \(20261121000000_audit_log\.js, .*\): run `gatehouse migrate`/);
        return true;
      },
    );
  });
});

// Cutting the tail of the log: whoever can write to the store can delete the newest checkpoint and every event after
// the one before it (and move the chain head back), and the store then verifies on its own. Every signed checkpoint is
// also published outside the store (the sink, the witness file), and `gatehouse audit verify --witness` catches it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { recordToRow, rowToRecord } from '../src/audit/event-row.js';
import { recordHash } from '../src/audit/hash-chain.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import { readPublished } from '../src/audit/witness-check.js';
import { ed25519Pem } from './support/audit-log.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const INSTANCE = 'test-instance';

describe('checkpoints published outside the store', { skip }, () => {
  let gw: TestGateway | undefined;
  let dir: string;
  let configFile: string;
  let witnessFile: string;
  let sinkFile: string;

  const verifyCli = (args: readonly string[], input?: string): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'audit', 'verify', '--config', configFile, '--quiet', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      input,
      // The test runner's own GATEHOUSE_TEST_* variables would read as configuration overrides.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_'))),
      timeout: 60_000,
    });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-audit-witness-'));
    const keyFile = path.join(dir, 'audit-key.pem');
    await writeFile(keyFile, ed25519Pem().privateKey);
    witnessFile = path.join(dir, 'witness', 'checkpoints.jsonl');
    await mkdir(path.dirname(witnessFile));
    sinkFile = path.join(dir, 'audit.jsonl');
    const dataUrl = await freshDatabase('audit_witness_data');
    const storeUrl = await freshDatabase('audit_witness_store');
    const audit = {
      signingKey: `\${file:${keyFile}}`,
      instanceId: INSTANCE,
      checkpoint: { everyEvents: 5, everyMs: 3_600_000 },
      sink: { stdout: false, file: sinkFile },
      witness: { file: witnessFile },
    };
    gw = await startGateway({ config: testConfig({ source: { client: 'pg', url: dataUrl }, store: storeUrl, audit }), seed: seedErp });
    configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        spec: ERP_SPEC,
        sources: { erp: { client: 'pg', connection: dataUrl } },
        store: { client: 'pg', connection: storeUrl, migrate: false },
        audit: { signingKey: audit.signingKey, instanceId: INSTANCE },
      }),
    );
    for (let i = 1; i <= 17; i++) assert.equal((await gw.http.get(`/customers/${i}`).set('X-Request-Id', `witness-${i}`)).status, 200);
  });
  after(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the gateway signs checkpoints, then each is published to the witness file and the sink, and verify --witness passes', async () => {
    // Closing signs a shutdown checkpoint at the last record and flushes the sink.
    const storeDb = gw!.storeDb;
    await gw!.gateway.close();
    const published = await readPublished(createInterface({ input: createReadStream(witnessFile), crlfDelay: Infinity }));
    assert.deepEqual(
      published.map((cp) => [cp.kind, cp.seq]),
      [
        ['periodic', 5],
        ['periodic', 10],
        ['periodic', 15],
        ['shutdown', 17],
      ],
    );
    const stored = (await storeDb('audit_checkpoints').where({ instance_id: INSTANCE }).orderBy('seq').select('seq', 'signature')) as Array<{
      seq: string;
      signature: string;
    }>;
    assert.deepEqual(
      stored.map((r) => [Number(r.seq), r.signature]),
      published.map((cp) => [cp.seq, cp.signature]),
    );
    const sinkLines = (await readFile(sinkFile, 'utf8')).trim().split('\n');
    assert.equal(sinkLines.filter((l) => l.includes('"log":"audit-checkpoint"')).length, 4);
    assert.equal(sinkLines.filter((l) => l.includes('"log":"audit"')).length, 17);

    const good = verifyCli(['--witness', witnessFile]);
    assert.equal(good.status, 0, `${good.stdout}${good.stderr}`);
    assert.match(String(good.stdout), /newest published at seq 17 .*: held by the store/);
  });

  it('when the newest checkpoint and every event after the one before it are deleted and the head moved back, then verify alone passes but verify --witness fails naming the cut', async () => {
    const db = gw!.storeDb;
    const before = (await db('audit_checkpoints').where({ instance_id: INSTANCE }).orderBy('seq', 'desc').limit(2).select('id', 'seq')) as Array<{
      id: string;
      seq: string;
    }>;
    const [newest, previous] = before.map((r) => ({ id: Number(r.id), seq: Number(r.seq) }));
    assert.deepEqual([newest!.seq, previous!.seq], [17, 15]);
    const kept = (await db('audit_events').where({ instance_id: INSTANCE, seq: previous!.seq }).first('hash')) as { hash: string };
    await db.transaction(async (trx) => {
      await trx('audit_checkpoints').where({ id: newest!.id }).delete();
      await trx('audit_events').where({ instance_id: INSTANCE }).andWhere('seq', '>', previous!.seq).delete();
      await trx('audit_chain_heads').where({ instance_id: INSTANCE }).update({ seq: previous!.seq, hash: kept.hash });
    });

    const alone = verifyCli([]);
    assert.equal(alone.status, 0, 'the store on its own cannot tell');
    assert.match(String(alone.stdout), /^OK: 15 records verified/);

    const withWitness = verifyCli(['--witness', witnessFile]);
    assert.equal(withWitness.status, 1, `${withWitness.stdout}${withWitness.stderr}`);
    assert.match(String(withWitness.stdout), /^FAILED: 1 problem/);
    assert.match(
      String(withWitness.stdout),
      /witness_truncated: \[test-instance\] the checkpoint published at .* covers events up to seq 17, but the store's log ends at seq 15/,
    );

    // The sink's own output (events and checkpoints, as shipped to a log pipeline) read from stdin proves the same.
    const fromSink = verifyCli(['--witness', '-', '--format', 'json'], await readFile(sinkFile, 'utf8'));
    assert.equal(fromSink.status, 1, `${fromSink.stdout}${fromSink.stderr}`);
    const report = JSON.parse(String(fromSink.stdout)) as { problems: Array<{ kind: string; seq: number; toSeq: number }> };
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.seq, p.toSeq]),
      [['witness_truncated', 16, 17]],
    );
  });

  it('when the cut tail is replaced by forged events rehashed into a valid chain, then verify --witness names the rewrite', async () => {
    const db = gw!.storeDb;
    const last = rowToRecord((await db('audit_events').where({ instance_id: INSTANCE }).orderBy('seq', 'desc').first()) as Record<string, unknown>);
    let prev = { seq: last.seq, hash: last.hash };
    for (const seq of [16, 17]) {
      const forged = { ...last, id: `forged-${seq}`, ref: `forged-${seq}`, requestId: `forged-${seq}`, seq, prevHash: prev.hash };
      const hash = recordHash(forged);
      const row = recordToRow({ ...forged, hash });
      await db('audit_events').insert({
        ...row,
        scopes: JSON.stringify(row.scopes),
        roles: JSON.stringify(row.roles),
        forwarded_for: JSON.stringify(row.forwarded_for),
        statements: JSON.stringify(row.statements),
        detail: row.detail === null ? null : JSON.stringify(row.detail),
      });
      prev = { seq, hash };
    }
    const witness = await readPublished(createInterface({ input: createReadStream(witnessFile), crlfDelay: Infinity }));
    const alone = await verifyAuditLog(db, { trustedKeys: gw!.auditor.trustedKeys });
    assert.deepEqual(alone.problems, [], 'the forged chain verifies on its own');
    const checked = await verifyAuditLog(db, { trustedKeys: gw!.auditor.trustedKeys, witness });
    assert.deepEqual(
      checked.problems.map((p) => [p.kind, p.seq]),
      [['witness_mismatch', 17]],
    );
  });
});

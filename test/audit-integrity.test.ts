// Tamper evidence: the verifier (API, function and `gatehouse audit verify`) names edited, deleted and reordered
// events, truncation after the last checkpoint and bad signatures; retention leaves a log that still verifies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import YAML from 'yaml';
import { verifyAuditLog, type VerifyReport } from '../src/audit/verify.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { ed25519Pem } from './support/audit-log.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const INSTANCE = 'test-instance';

/** Runs `tamper` in a transaction, verifies inside it, and rolls back: each case starts from the intact log. */
async function verifyTampered(
  gw: TestGateway,
  tamper: (trx: Knex.Transaction) => Promise<void>,
  range: { from?: Date; to?: Date } = {},
): Promise<VerifyReport> {
  let report: VerifyReport | undefined;
  await gw.storeDb
    .transaction(async (trx) => {
      await tamper(trx);
      report = await verifyAuditLog(trx, { ...range, trustedKeys: gw.auditor.trustedKeys });
      throw new Error('rollback');
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err;
    });
  return report!;
}

async function eventAt(db: Knex, seq: number): Promise<Record<string, unknown>> {
  return (await db('audit_events').where({ instance_id: INSTANCE, seq }).first()) as Record<string, unknown>;
}

function kinds(report: VerifyReport): string[] {
  return report.problems.map((p) => `${p.kind}@${p.seq}`);
}

describe('audit log integrity', { skip }, () => {
  let gw: TestGateway;
  let dir: string;
  let configFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-audit-integrity-'));
    const keys = ed25519Pem();
    const keyFile = path.join(dir, 'audit-key.pem');
    await writeFile(keyFile, keys.privateKey);
    const dataUrl = await freshDatabase('audit_int_data');
    const storeUrl = await freshDatabase('audit_int_store');
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: dataUrl },
        store: storeUrl,
        audit: {
          signingKey: `\${file:${keyFile}}`,
          checkpoint: { everyEvents: 10, everyMs: 3_600_000 },
          retention: { days: 30, intervalMs: 3_600_000 },
        },
      }),
      seed: seedErp,
    });
    configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        spec: ERP_SPEC,
        sources: { erp: { client: 'pg', connection: dataUrl } },
        store: { client: 'pg', connection: storeUrl, migrate: false },
        audit: { signingKey: `\${file:${keyFile}}`, instanceId: INSTANCE },
      }),
    );
    for (let i = 1; i <= 24; i++) {
      const res = await gw.http.get(`/customers/${i}`).set('X-Request-Id', `int-${i}`);
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when nothing was changed, then verify passes with checkpoints every 10 events', async () => {
    const report = await gw.auditor.verify();
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    const [instance] = report.instances;
    assert.equal(instance?.events, 24);
    assert.equal(instance?.lastCheckpointSeq, 20);
    assert.equal(instance?.uncheckpointed, 4);
  });

  it('when one event is edited, then verify fails and names that event', async () => {
    const victim = await eventAt(gw.storeDb, 5);
    const report = await verifyTampered(gw, async (trx) => {
      await trx('audit_events').where({ instance_id: INSTANCE, seq: 5 }).update({ status: 404 });
    });
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['edited@5']);
    assert.equal(report.problems[0]?.eventId, victim.id);
  });

  it('when one event is edited and the chain after it rehashed, then the signed checkpoint exposes it', async () => {
    const report = await verifyTampered(gw, async (trx) => {
      const { recordHash } = await import('../src/audit/hash-chain.js');
      const { rowToRecord } = await import('../src/audit/event-row.js');
      let prevHash: string | undefined;
      for (let seq = 5; seq <= 24; seq++) {
        const record = rowToRecord(await eventAt(trx, seq));
        const edited = { ...record, ...(seq === 5 ? { status: 404 } : {}), prevHash: prevHash ?? record.prevHash };
        const hash = recordHash(edited);
        prevHash = hash;
        await trx('audit_events')
          .where({ instance_id: INSTANCE, seq })
          .update({ ...(seq === 5 ? { status: 404 } : {}), prev_hash: edited.prevHash, hash });
      }
    });
    assert.equal(report.ok, false);
    assert.ok(kinds(report).includes('checkpoint_mismatch@10'), kinds(report).join(', '));
  });

  it('when one event is deleted, then verify fails and names the missing seq', async () => {
    const report = await verifyTampered(gw, async (trx) => {
      await trx('audit_events').where({ instance_id: INSTANCE, seq: 7 }).delete();
    });
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['missing@7']);
    assert.match(report.problems[0]!.detail, /seq 7 is missing/);
  });

  it('when two events swap places, then verify fails and names both as reordered', async () => {
    const [a, b] = [await eventAt(gw.storeDb, 12), await eventAt(gw.storeDb, 13)];
    const report = await verifyTampered(gw, async (trx) => {
      await trx('audit_events').where({ instance_id: INSTANCE, seq: 12 }).update({ seq: -1 });
      await trx('audit_events').where({ instance_id: INSTANCE, seq: 13 }).update({ seq: 12 });
      await trx('audit_events').where({ instance_id: INSTANCE, seq: -1 }).update({ seq: 13 });
    });
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['reordered@12', 'reordered@13']);
    assert.equal(report.problems[0]?.eventId, b.id);
    assert.equal(report.problems[1]?.eventId, a.id);
    assert.match(report.problems[0]!.detail, /recorded as seq 13 and now stands at seq 12/);
  });

  it('when events covered by the last checkpoint are cut off the end, then verify reports truncation', async () => {
    const report = await verifyTampered(gw, async (trx) => {
      await trx('audit_events').where({ instance_id: INSTANCE }).andWhere('seq', '>=', 18).delete();
    });
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['truncated@18']);
    assert.match(report.problems[0]!.detail, /covers events up to seq 20, but the log ends at seq 17/);
  });

  it('when a checkpoint is altered, then verify reports its bad signature', async () => {
    const report = await verifyTampered(gw, async (trx) => {
      await trx('audit_checkpoints').where({ instance_id: INSTANCE, seq: 10 }).update({ seq: 11 });
    });
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['bad_signature@11']);
  });

  it('when verify is limited to a time range, then it checks that range, linked to the record before it', async () => {
    const from = (await eventAt(gw.storeDb, 5)).recorded_at as Date;
    const to = (await eventAt(gw.storeDb, 15)).recorded_at as Date;
    const expected = (await gw.storeDb('audit_events')
      .where('recorded_at', '>=', from.toISOString())
      .andWhere('recorded_at', '<', to.toISOString())
      .count({ n: '*' })
      .first()) as { n: string };
    assert.ok(Number(expected.n) >= 5, `range holds ${expected.n} records`);
    const intact = await gw.auditor.verify({ from, to });
    assert.equal(intact.ok, true, JSON.stringify(intact.problems));
    assert.equal(intact.events, Number(expected.n));
    const inside = await verifyTampered(
      gw,
      async (trx) => {
        await trx('audit_events').where({ instance_id: INSTANCE, seq: 8 }).delete();
      },
      { from, to },
    );
    assert.deepEqual(kinds(inside), ['missing@8']);
    const outside = await verifyTampered(
      gw,
      async (trx) => {
        await trx('audit_events').where({ instance_id: INSTANCE, seq: 20 }).delete();
      },
      { from, to },
    );
    assert.deepEqual(outside.problems, [], 'a deletion outside the range is not this range’s problem');
  });

  it('when the CLI verifies an intact log, then exit 0; after an edit, exit 1 naming the event', async () => {
    const cli = (): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'audit', 'verify', '--config', configFile, '--quiet'], {
        cwd: projectRoot,
        encoding: 'utf8',
        // The test runner's own GATEHOUSE_TEST_* variables would read as configuration overrides.
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_'))),
        timeout: 60_000,
      });
    const good = cli();
    assert.equal(good.status, 0, `${good.stdout}${good.stderr}`);
    assert.match(String(good.stdout), /^OK: 24 records verified/);
    const victim = await eventAt(gw.storeDb, 3);
    await gw.storeDb('audit_events').where({ instance_id: INSTANCE, seq: 3 }).update({ path: '/customers/999' });
    try {
      const bad = cli();
      assert.equal(bad.status, 1, `${bad.stdout}${bad.stderr}`);
      assert.match(String(bad.stdout), /^FAILED: 1 problem/);
      assert.ok(String(bad.stdout).includes(`edited: [${INSTANCE}] event ${String(victim.id)} (seq 3)`), String(bad.stdout));
    } finally {
      await gw.storeDb('audit_events').where({ instance_id: INSTANCE, seq: 3 }).update({ path: victim.path });
    }
  });

  it('when the CLI exports a time range, then NDJSON and CSV hold every record of it, oldest first', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    const exportAs = (format: string): ReturnType<typeof spawnSync> =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/index.ts', 'audit', 'export', '--config', configFile, '--from', '2000-01-01', '--to', '2100-01-01', '--format', format, '--quiet'],
        { cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env },
      );
    const ndjson = exportAs('ndjson');
    assert.equal(ndjson.status, 0, String(ndjson.stderr));
    const lines = String(ndjson.stdout).trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; seq: number });
    assert.deepEqual(lines.map((l) => l.requestId), Array.from({ length: 24 }, (_, i) => `int-${i + 1}`));
    assert.match(String(ndjson.stderr), /exported 24 records/);
    const csv = exportAs('csv');
    assert.equal(csv.status, 0, String(csv.stderr));
    const rows = String(csv.stdout).trim().split('\r\n');
    assert.equal(rows.length, 25);
    assert.ok(rows[1]!.startsWith(`${INSTANCE},1,`));
  });

  it('when retention removes old events, then a signed checkpoint states what was removed and verify still passes', async () => {
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 1; i <= 3; i++) assert.equal((await gw.http.get(`/items?limit=1&offset=${i}`)).status, 200);
    // As the retention timer would, 30 days after `cutoff`.
    const applied = await gw.auditor.retain(new Date(cutoff.getTime() + 30 * 86_400_000));
    assert.equal(applied.length, 1);
    assert.equal(applied[0]!.removed, 24);
    const cp = (await gw.storeDb('audit_checkpoints').where({ kind: 'retention' }).first()) as Record<string, unknown>;
    assert.equal(Number(cp.removed_from_seq), 1);
    assert.equal(Number(cp.seq), 24);
    assert.equal(Number(cp.removed_count), 24);
    assert.equal(new Date(cp.removed_before as string).toISOString(), cutoff.toISOString());
    const remaining = (await gw.storeDb('audit_events').min({ seq: 'seq' }).count({ n: '*' }).first()) as { seq: string; n: string };
    assert.equal(Number(remaining.seq), 25);
    // New events keep chaining after the removed prefix, and the whole log verifies.
    assert.equal((await gw.http.get('/customers/1')).status, 200);
    const report = await gw.auditor.verify();
    assert.deepEqual(report.problems, []);
    assert.equal(report.instances[0]?.removedThroughSeq, 24);
  });
});

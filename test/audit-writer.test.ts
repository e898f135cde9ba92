// The group-commit writer with several commits in flight, on a real PostgreSQL store: commits that overlap are
// stored in chain order; when one fails, the ones sent after it store nothing, so the chain never has a gap; and a
// second process writing under the same instance id cannot fork the chain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import { AuditUnavailableError } from '../src/audit/audit-unavailable-error.js';
import type { AuditContent, AuditRecord } from '../src/audit/event.js';
import { recordToRow } from '../src/audit/event-row.js';
import { chain, GENESIS_HASH, recordHashV2 } from '../src/audit/hash-chain.js';
import { createSigner, trustedKeysFor } from '../src/audit/signing.js';
import { verifyAuditLog, type VerifyReport } from '../src/audit/verify.js';
import { createAuditWriter, type AuditWriter, type AuditWriterOptions } from '../src/audit/writer.js';
import { createLogger } from '../src/observability/logger.js';
import { runMigrations } from '../src/store/migrations.js';
import { newId } from '../src/util/ids.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const signer = createSigner(undefined);
const trustedKeys = trustedKeysFor(signer, []);

function content(requestId: string, id = newId()): AuditContent {
  return {
    id,
    kind: 'request',
    ref: id,
    occurredAt: new Date().toISOString(),
    requestId,
    method: 'GET',
    path: '/customers/1',
    route: '/customers/{customerId}',
    operationId: 'getCustomer',
    resource: 'customers',
    status: 200,
    outcome: 'success',
    errorCode: null,
    deniedBy: null,
    latencyMs: 1.5,
    rows: 1,
    principal: null,
    client: { ip: '127.0.0.1', forwardedFor: [], zone: null, peer: '127.0.0.1' },
    statements: [],
    detail: null,
  };
}

/** Lets the writer send what is queued as its own commit before more is appended. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function writerOptions(db: Knex, instanceId: string, maxInFlight: number, maxWaitMs = 0): AuditWriterOptions {
  return {
    db,
    instanceId,
    queueSize: 1000,
    maxBatch: 100,
    maxWaitMs,
    maxInFlight,
    checkpointEveryEvents: 1000,
    checkpointEveryMs: 60_000,
    signer,
    logger: createLogger({ level: 'error', silent: true }),
    retryMs: 50,
  };
}

function writer(db: Knex, instanceId: string, maxInFlight: number, maxWaitMs = 0): AuditWriter {
  return createAuditWriter(writerOptions(db, instanceId, maxInFlight, maxWaitMs));
}

/** An intent of the request whose event id is `ref`. */
function intent(requestId: string, ref: string): AuditContent {
  return { ...content(requestId), id: newId(), kind: 'intent', ref, outcome: 'intent', status: null, latencyMs: null, rows: null };
}

/** Runs `during` while the instance's head row is held: every commit for it waits at its first step meanwhile. */
async function whileHeadHeld(db: Knex, instanceId: string, during: () => Promise<void>): Promise<void> {
  const trx = await db.transaction();
  try {
    await trx('audit_chain_heads').where({ instance_id: instanceId }).forUpdate().select('seq');
    await during();
  } finally {
    await trx.commit();
  }
}

/** Verifies the whole store, asserts it has no problems, and returns the report. */
async function assertVerifies(db: Knex): Promise<VerifyReport> {
  const report = await verifyAuditLog(db, { trustedKeys });
  assert.deepEqual(report.problems, []);
  return report;
}

/** Commits waiting on a head row (sent, not yet stored). */
async function waitingNow(db: Knex): Promise<number> {
  const { rows } = (await db.raw(
    `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%audit_chain_heads%'`,
  )) as { rows: Array<{ n: number }> };
  return rows[0]!.n;
}

/** Waits until `count` commits wait on a head row. */
async function waitingCommits(db: Knex, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const n = await waitingNow(db);
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`expected ${count} commits waiting on the head, saw ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stored(db: Knex, instanceId: string): Promise<Array<{ seq: number; request_id: string; prev_hash: string; hash: string }>> {
  const rows = (await db('audit_events').where({ instance_id: instanceId }).orderBy('seq').select('seq', 'request_id', 'prev_hash', 'hash')) as Array<{
    seq: string;
    request_id: string;
    prev_hash: string;
    hash: string;
  }>;
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

describe('audit writer with commits in flight', { skip }, () => {
  let db: Knex;

  before(async () => {
    db = knex({ client: 'pg', connection: await freshDatabase('audit_writer_store'), pool: { min: 0, max: 8 } });
    await runMigrations(db);
  });

  after(async () => {
    await db?.destroy();
  });

  it('when three commits are in flight at once, then all are stored in chain order and verify passes', async () => {
    const w = writer(db, 'overlap', 3);
    await w.start();
    await w.append(content('first'));
    // Appended one after another, each goes out as its own commit while the ones before it are still waiting.
    const appended: Array<Promise<AuditRecord>> = [];
    await whileHeadHeld(db, 'overlap', async () => {
      for (const id of ['a', 'b', 'c']) {
        appended.push(w.append(content(id)));
        await nextTurn();
      }
      await waitingCommits(db, 3);
      assert.equal((await stored(db, 'overlap')).length, 1, 'nothing is stored while the head is held');
    });
    const records = await Promise.all(appended);
    assert.deepEqual(
      records.map((r) => r.seq),
      [2, 3, 4],
    );
    const rows = await stored(db, 'overlap');
    assert.deepEqual(
      rows.map((r) => [r.seq, r.request_id]),
      [
        [1, 'first'],
        [2, 'a'],
        [3, 'b'],
        [4, 'c'],
      ],
    );
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.prev_hash, rows[i - 1]!.hash);
    assert.equal(w.stats().commits, 4);
    await w.close();
    await assertVerifies(db);
  });

  it('when commits wait for company (maxWaitMs > 0), then a second one goes out only once the queue would fill a batch like the last', async () => {
    const w = writer(db, 'on-demand', 2, 5);
    await w.start();
    await w.append(content('first'));
    const appended: Array<Promise<AuditRecord>> = [];
    await whileHeadHeld(db, 'on-demand', async () => {
      appended.push(w.append(content('a')));
      await waitingCommits(db, 1);
      // One record queued behind a commit in flight: it waits for that commit rather than going out alone.
      appended.push(w.append(content('b')));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await waitingNow(db), 1, 'b is not sent while a is in flight and the queue holds one record');
      // Two queued: as many as a batch of two, so they go out alongside the commit in flight.
      appended.push(w.append(content('c')));
      await waitingCommits(db, 2);
    });
    const records = await Promise.all(appended);
    assert.deepEqual(
      records.map((r) => r.seq),
      [2, 3, 4],
    );
    assert.equal(records[1]!.recordedAt, records[2]!.recordedAt, 'b and c were one commit');
    await w.close();
    await assertVerifies(db);
  });

  it('when a commit fails, then the commit sent after it stores nothing, and after recovery the chain goes on with no gap', async () => {
    const w = writer(db, 'failing', 2);
    await w.start();
    const first = await w.append(content('first'));
    let failing: Promise<AuditRecord> | undefined;
    let after: Promise<AuditRecord> | undefined;
    await whileHeadHeld(db, 'failing', async () => {
      // The first batch reuses a stored event id: the store refuses it (unique id) once it gets the head.
      failing = w.append(content('duplicate', first.id));
      failing.catch(() => undefined);
      await nextTurn();
      after = w.append(content('sent-after-it'));
      after.catch(() => undefined);
      await waitingCommits(db, 2);
    });
    await assert.rejects(failing!, AuditUnavailableError);
    await assert.rejects(after!, AuditUnavailableError);
    assert.deepEqual(
      (await stored(db, 'failing')).map((r) => r.request_id),
      ['first'],
      'the commit sent after the failed one stored nothing',
    );
    assert.equal(await w.probe(), true);
    const next = await w.append(content('after-recovery'));
    assert.equal(next.seq, 2);
    assert.equal(next.prevHash, first.hash);
    await w.close();
    await assertVerifies(db);
  });

  it('when a request ends while the store is down and its event cannot be kept, then recovery closes the intent of that request as unknown, and no other', async () => {
    // Room to keep two events for later: the third request's event is dropped.
    const w = createAuditWriter({ ...writerOptions(db, 'lost', 2), queueSize: 2 });
    await w.start();
    const first = await w.append(content('lost-first'));
    const [refA, refD] = [newId(), newId()];
    const releaseA = w.holdRef(refA);
    const releaseD = w.holdRef(refD);
    await w.append(intent('lost-a', refA));
    await w.append(intent('lost-d', refD));
    // A commit the store refuses (a stored id): the writer fails, and nothing is accepted until it recovers.
    await assert.rejects(w.append(content('lost-dup', first.id)), AuditUnavailableError);
    await assert.rejects(w.append(content('lost-a', refA)), AuditUnavailableError);
    w.defer(content('lost-d', refD));
    w.defer(content('lost-b'));
    w.defer(content('lost-a', refA));
    releaseA();
    releaseD();
    assert.equal(await w.probe(), true);
    await w.checkpoint();
    const rows = (await db('audit_events').where({ instance_id: 'lost' }).orderBy('seq')) as Array<Record<string, unknown>>;
    const unknown = rows.filter((r) => r.outcome === 'unknown');
    assert.deepEqual(
      unknown.map((r) => [r.ref, r.request_id]),
      [[refA, 'lost-a']],
    );
    assert.match(String((unknown[0]!.detail as { reason: string }).reason), /queueSize/);
    assert.ok(rows.some((r) => r.id === refD && r.kind === 'request'), 'the kept event of the other request is stored');
    assert.ok(rows.some((r) => r.request_id === 'lost-b'));
    assert.equal(w.stats().unknownOutcomes, 1);
    await w.close();
    await assertVerifies(db);
  });

  it('when an event kept for later is already in the store (its acknowledgement was lost), then it is stored once and the writer goes on', async () => {
    const w = writer(db, 'lost-ack', 2);
    await w.start();
    const ref = newId();
    const release = w.holdRef(ref);
    await w.append(intent('ack-1', ref));
    await w.append(content('ack-1', ref));
    // As if the commit had reached the store but its answer had not come back.
    w.defer(content('ack-1', ref));
    release();
    assert.equal(await w.probe(), true);
    const next = await w.append(content('ack-2'));
    assert.equal(next.seq, 3);
    const rows = (await db('audit_events').where({ instance_id: 'lost-ack' }).select('id', 'kind')) as Array<{ id: string; kind: string }>;
    assert.equal(rows.filter((r) => r.id === ref).length, 1);
    assert.equal(rows.filter((r) => r.kind === 'outcome').length, 0);
    assert.equal(w.stats().failures, 0);
    await w.close();
    await assertVerifies(db);
  });

  it('when two processes write under the same instance id, then the stale one is refused and the chain does not fork', async () => {
    const one = writer(db, 'shared', 2);
    const two = writer(db, 'shared', 2);
    await one.start();
    await two.start();
    await one.append(content('one-1'));
    // two still chains on the head it loaded at start: the store refuses that commit.
    await assert.rejects(two.append(content('two-1')), (err: Error) => {
      assert.ok(err instanceof AuditUnavailableError);
      assert.match((err as AuditUnavailableError).reason, /another process writes instance shared/);
      return true;
    });
    // Its probe reloads the head from the store; it then chains after what one wrote.
    assert.equal(await two.probe(), true);
    const r = await two.append(content('two-2'));
    assert.equal(r.seq, 2);
    assert.deepEqual(
      (await stored(db, 'shared')).map((row) => row.request_id),
      ['one-1', 'two-2'],
    );
    await one.close();
    await two.close();
    await assertVerifies(db);
  });

  it('when records carry free-form values with keys in any order, then after the store keeps them verify re-hashes them', async () => {
    const w = writer(db, 'free-form', 2);
    await w.start();
    await w.append({
      ...content('odd'),
      detail: { zeta: 1, '10': 'ten', alpha: { y: [1, { b: 2, a: 1 }], x: null }, '2': 'two', 'ä': 'umlaut 東京 🚀', q: 'quote " \\ \n' },
      statements: [
        { source: 'erp', sql: 'select 1 where "a" = $1', bindings: [{ z: 1, a: [2, 1] }, 'v', 1.5, null, 1e21], rows: 1, durationMs: 0.125, error: null },
      ],
    });
    await w.close();
    const report = await assertVerifies(db);
    assert.equal(report.instances.find((i) => i.instanceId === 'free-form')?.events, 1);
  });

  it('when a chain holds records hashed by version 2 (stored before version 3), then verify passes and new records chain after them', async () => {
    // As an older gateway stored them: the version 2 hash, each linked to the one before.
    const contents = [content('v2-1'), content('v2-2')];
    let head = { seq: 0, hash: GENESIS_HASH, recordedAt: undefined as string | undefined };
    for (const c of contents) {
      const [record] = chain('upgraded', head, [c], new Date().toISOString()).records;
      const old = { ...record!, hash: recordHashV2(record!) };
      await db('audit_events').insert({
        ...recordToRow(old),
        scopes: null,
        roles: null,
        forwarded_for: JSON.stringify(old.client.forwardedFor),
        statements: JSON.stringify(old.statements),
      });
      head = { seq: old.seq, hash: old.hash, recordedAt: old.recordedAt };
    }
    const w = writer(db, 'upgraded', 2);
    await w.start();
    const next = await w.append(content('v3-1'));
    assert.equal(next.seq, 3);
    assert.equal(next.prevHash, head.hash);
    await w.close();
    const report = await assertVerifies(db);
    assert.equal(report.instances.find((i) => i.instanceId === 'upgraded')?.events, 3);
  });
});

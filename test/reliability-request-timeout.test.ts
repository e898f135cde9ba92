// A request that outlives server.requestTimeoutMs is stopped, not just answered: its running statement is cancelled,
// its transaction rolled back, its pool connection given back clean, and its audit event says what became of the data.
// A write whose COMMIT was already under way when the timeout passed is answered with what happened: the commit wins.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { eventsFor, startAuditedGateway, type AuditedGateway } from './support/audit-gateway.js';
import { assertProblem } from './support/gateway.js';
import { freshMssqlDatabase, testMssql } from './support/mssql-env.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();
const mssql = testMssql();
const pgSkip = 'skip' in pg ? pg.skip : undefined;

interface Statement {
  sql: string;
  rows: number | null;
  error: string | null;
}

const targets = [
  // slackMs: how long past the timeout the 504 may take (the cancel, the rollback, the audit event's commit).
  { name: 'PostgreSQL', client: 'pg' as const, skip: pgSkip, cancelledCode: /^57014$/, timeoutMs: 1000, slackMs: 1500 },
  {
    name: 'SQL Server',
    client: 'mssql' as const,
    skip: pgSkip ?? ('skip' in mssql ? mssql.skip : undefined),
    // tedious reports a statement stopped by an attention as ECANCEL; Babelfish finishes a lock wait before it reads
    // the attention, so there the statement's session is ended instead and the statement fails with its connection.
    cancelledCode: /^(ECANCEL|ESOCKET|ECONNRESET)$/,
    // Babelfish takes about half a second to log a connection in: the session's end and the pool's new connection.
    timeoutMs: 2000,
    slackMs: 2500,
  },
];

for (const target of targets) {
  describe(`a request past its timeout on ${target.name}`, { skip: target.skip }, () => {
    const TIMEOUT_MS = target.timeoutMs;
    const SLACK_MS = target.slackMs;
    let gw: AuditedGateway;
    before(async () => {
      gw = await startAuditedGateway({
        dataUrl: target.client === 'pg' ? await freshDatabase('timeout_data') : await freshMssqlDatabase('timeout_data'),
        dataClient: target.client,
        store: await freshDatabase('timeout_store'),
        server: { requestTimeoutMs: TIMEOUT_MS },
        // One connection: a request that kept it after its timeout would starve every request after it.
        sourceOptions: { pool: { min: 0, max: 1, acquireTimeoutMs: 3000 } },
      });
    });
    after(() => gw?.close());

    async function requestEvent(requestId: string): Promise<Record<string, unknown>> {
      const events = (await eventsFor(gw.storeDb, requestId)).filter((e) => e.kind === 'request');
      assert.equal(events.length, 1, `one request event for ${requestId}`);
      return events[0]!;
    }

    /** Another session holds a lock on the customer's row until the returned transaction ends. */
    async function lockCustomer(id: number): Promise<Knex.Transaction> {
      const trx = await gw.dataDb.transaction();
      await trx.raw('update ?? set ?? = ?? where ?? = ?', ['CUST_MSTR', 'CUST_NAME', 'CUST_NAME', 'CUST_ID', id]);
      return trx;
    }

    async function street(id: number): Promise<string | null> {
      const [row] = (await gw.dataDb('CUST_MSTR').where({ CUST_ID: id }).select('Straße')) as Array<Record<string, string | null>>;
      return row?.['Straße'] ?? null;
    }

    /** The gateway's sessions on the data database that are doing anything (running, waiting, or inside a transaction). */
    async function busyGatewayBackends(): Promise<string[]> {
      if (target.client !== 'pg') return [];
      const rows = (await gw.dataDb.raw(
        `select state, query from pg_stat_activity where datname = current_database() and application_name = 'gatehouse' and state <> 'idle'`,
      )) as { rows: Array<{ state: string; query: string }> };
      return rows.rows.map((r) => `${r.state}: ${r.query}`);
    }

    it('when a PATCH waits on a row lock past the timeout, then it answers 504 at once and the row is never changed', async () => {
      const before = await street(5);
      const lock = await lockCustomer(5);
      try {
        const started = Date.now();
        const res = await gw.http.patch('/customers/5').set('X-Request-Id', `${target.client}-patch-locked`).send({ street: 'Timeout Street 5' });
        const took = Date.now() - started;
        assertProblem(res, 504, 'request_timeout');
        assert.ok(took >= TIMEOUT_MS && took < TIMEOUT_MS + SLACK_MS, `answered after ${took} ms`);
        assert.match(String(res.body.detail), /nothing was changed/);
        // While the lock is still held: nothing of the gateway's is left running or open on the database…
        assert.deepEqual(await busyGatewayBackends(), []);
        // …and the one pooled connection serves the next request.
        const next = Date.now();
        await gw.http.get('/customers/6').expect(200);
        assert.ok(Date.now() - next < TIMEOUT_MS, 'the next request did not wait for a connection');
      } finally {
        await lock.commit();
      }
      // Had the update only been abandoned, it would take the lock now and commit.
      await sleep(500);
      assert.equal(await street(5), before);

      const event = await requestEvent(`${target.client}-patch-locked`);
      assert.equal(event.status, 504);
      assert.equal(event.outcome, 'failed');
      assert.equal(event.error_code, 'request_timeout');
      assert.deepEqual(pick(event.detail, ['dataChanged', 'cancelled']), { dataChanged: false, cancelled: true });
      const statements = event.statements as Statement[];
      const update = statements.find((s) => /^update /i.test(s.sql));
      assert.ok(update, JSON.stringify(statements));
      assert.match(String(update.error), target.cancelledCode);
      assert.equal(update.rows, null);
      assert.match(statements.at(-1)!.sql, /ROLLBACK/, 'the transaction was rolled back');
    });

    it('when an insert (no transaction of its own) waits past the timeout, then it is cancelled and no row appears', async () => {
      const email = `timeout.${target.client}@example.com`;
      // Another session's uncommitted row with the same unique email makes the insert wait for its outcome.
      const other = await gw.dataDb.transaction();
      try {
        await other('CUST_MSTR').insert({ CUST_NAME: 'Other', EMAIL_ADDR: email, REGION: 'EMEA' });
        const res = await gw.http
          .post('/customers')
          .set('X-Request-Id', `${target.client}-insert-blocked`)
          .send({ name: 'Timed Out', email, region: 'EMEA' });
        assertProblem(res, 504, 'request_timeout');
        assert.deepEqual(await busyGatewayBackends(), []);
      } finally {
        // Rolled back, the other row frees the email: an abandoned insert would now go through.
        await other.rollback();
      }
      await sleep(500);
      assert.equal((await gw.dataDb('CUST_MSTR').where({ EMAIL_ADDR: email }).select('CUST_ID')).length, 0);
      const event = await requestEvent(`${target.client}-insert-blocked`);
      assert.equal(event.error_code, 'request_timeout');
      assert.deepEqual(pick(event.detail, ['dataChanged', 'cancelled']), { dataChanged: false, cancelled: true });
      const insert = (event.statements as Statement[]).find((s) => /^insert /i.test(s.sql));
      assert.match(String(insert?.error), target.cancelledCode);
    });

    it('when two writes queue for the one connection behind a lock, then both answer 504 and neither changes the row', async () => {
      const before = await street(7);
      const lock = await lockCustomer(7);
      try {
        // The second waits for the connection the first holds, gets it when the first is cancelled, then waits on the lock.
        const [first, second] = await Promise.all([
          gw.http.patch('/customers/7').set('X-Request-Id', `${target.client}-queued-1`).send({ street: 'First' }),
          sleep(100).then(() => gw.http.patch('/customers/7').set('X-Request-Id', `${target.client}-queued-2`).send({ street: 'Second' })),
        ]);
        assertProblem(first, 504, 'request_timeout');
        assertProblem(second, 504, 'request_timeout');
        assert.deepEqual(await busyGatewayBackends(), []);
      } finally {
        await lock.commit();
      }
      await gw.http.get('/customers/7').expect(200);
      await sleep(300);
      assert.equal(await street(7), before);
      for (const id of ['queued-1', 'queued-2']) {
        const event = await requestEvent(`${target.client}-${id}`);
        assert.deepEqual(pick(event.detail, ['dataChanged']), { dataChanged: false });
      }
    });

    if (target.client === 'pg') {
      it('when a SELECT runs past the timeout, then its statement is cancelled on the server', async () => {
        // A view that takes 30 s to answer: only a cancel stops it before then.
        const { rows } = (await gw.dataDb.raw(`select pg_get_viewdef('"V_CUST_BALANCE"'::regclass) as definition`)) as { rows: Array<{ definition: string }> };
        const definition = rows[0]!.definition;
        const slow = `select * from (${definition.replace(/;\s*$/, '')}) v where (select true from pg_sleep(30))`;
        await gw.dataDb.raw(`create or replace view "V_CUST_BALANCE" as ${slow}`);
        try {
          const started = Date.now();
          const res = await gw.http.get('/customer-balances?limit=1').set('X-Request-Id', 'pg-slow-select');
          assertProblem(res, 504, 'request_timeout');
          assert.ok(Date.now() - started < TIMEOUT_MS + SLACK_MS);
          assert.deepEqual(await busyGatewayBackends(), []);
        } finally {
          await gw.dataDb.raw(`create or replace view "V_CUST_BALANCE" as ${definition}`);
        }
        const event = await requestEvent('pg-slow-select');
        const [select] = event.statements as Statement[];
        assert.equal(select?.error, '57014');
        await gw.http.get('/customer-balances?limit=1').expect(200);
      });

      it('when the timeout passes while the COMMIT is under way, then the commit wins: the caller is told the change was made', async () => {
        // A deferred trigger makes this customer's COMMIT take longer than the request timeout.
        await gw.dataDb.raw(`create function slow_commit() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return null; end $$`);
        await gw.dataDb.raw(
          `create constraint trigger slow_commit after update on "CUST_MSTR" deferrable initially deferred for each row
             when (new."Straße" = 'Slow Commit Street') execute function slow_commit()`,
        );
        try {
          const started = Date.now();
          const res = await gw.http
            .patch('/customers/9')
            .set('X-Request-Id', 'pg-slow-commit')
            .set('Prefer', 'return=representation')
            .send({ street: 'Slow Commit Street' });
          assert.equal(res.status, 200, res.text);
          assert.equal(res.body.street, 'Slow Commit Street');
          assert.ok(Date.now() - started > TIMEOUT_MS, 'answered after the timeout had passed');
        } finally {
          await gw.dataDb.raw(`drop trigger slow_commit on "CUST_MSTR"`);
          await gw.dataDb.raw(`drop function slow_commit()`);
        }
        assert.equal(await street(9), 'Slow Commit Street');
        const event = await requestEvent('pg-slow-commit');
        assert.equal(event.outcome, 'success');
        assert.equal(event.status, 200);
        assert.deepEqual(pick(event.detail, ['dataChanged', 'cancelled']), { dataChanged: true, cancelled: false });
        assert.match(String((event.detail as Record<string, unknown>).requestTimeout), /passed during the commit/);
        assert.match((event.statements as Statement[]).at(-1)!.sql, /^COMMIT/);
      });
    }
  });
}

function pick(detail: unknown, keys: readonly string[]): Record<string, unknown> {
  const d = (detail ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => k in d).map((k) => [k, d[k]]));
}

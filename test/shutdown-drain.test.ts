// Graceful shutdown of a running `gatehouse serve` (a child process) on PostgreSQL with strict audit, under keep-alive
// load: readiness fails first, the gateway keeps serving through server.shutdownDelayMs with every answer closing
// its connection, then drains; nothing that reached the database loses its statements in the audit log, even a
// request that outlives the grace.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import knex, { type Knex } from 'knex';
import YAML from 'yaml';
import { seedErp } from '../src/demo/erp-schema.js';
import { ERP_SPEC } from './support/project.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { freePort } from './support/processes.js';
import { startServe, type ServeProcess } from './support/serve-process.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const WORKERS = 8;
const MAX_PER_WORKER = 1500;
const DELAY_MS = 1500;
const GRACE_MS = 5000;

interface Exchange {
  readonly kind: 'read' | 'create';
  readonly name: string;
  readonly sentAt: number;
  status?: number;
  connection?: string;
  error?: string;
}

/** One request on the given agent; resolves with what the client saw (never rejects). */
function send(url: string, agent: Agent | false, exchange: Exchange, body?: unknown): Promise<Exchange> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, {
      agent,
      method: payload === undefined ? 'GET' : 'POST',
      headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        exchange.status = res.statusCode;
        exchange.connection = String(res.headers.connection ?? '');
        resolve(exchange);
      });
      res.on('error', (err) => {
        exchange.error = (err as NodeJS.ErrnoException).code ?? err.message;
        resolve(exchange);
      });
    });
    req.on('error', (err) => {
      exchange.error = (err as NodeJS.ErrnoException).code ?? err.message;
      resolve(exchange);
    });
    req.end(payload);
  });
}

async function configure(dir: string, server: Record<string, unknown>): Promise<{ configFile: string; url: string; dataDb: Knex; storeDb: Knex }> {
  const dataUrl = await freshDatabase('shutdown_data');
  const storeUrl = await freshDatabase('shutdown_store');
  const dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
  const storeDb = knex({ client: 'pg', connection: storeUrl, pool: { min: 0, max: 2 } });
  await seedErp(dataDb);
  const port = await freePort();
  const configFile = path.join(dir, 'gatehouse.yaml');
  await writeFile(
    configFile,
    YAML.stringify({
      server: { host: '127.0.0.1', port, ...server },
      spec: ERP_SPEC,
      sources: { erp: { client: 'pg', connection: dataUrl, pool: { max: 10 } } },
      store: { client: 'pg', connection: storeUrl },
      audit: { instanceId: 'shutdown-test', sink: { stdout: false } },
      auth: { disabled: true },
      rateLimit: { enabled: false },
      log: { level: 'info', requests: false },
    }),
  );
  return { configFile, url: `http://127.0.0.1:${port}`, dataDb, storeDb };
}

describe('shutdown under keep-alive load', { skip }, () => {
  let dir: string;
  let gateway: ServeProcess;
  let dataDb: Knex;
  let storeDb: Knex;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-shutdown-'));
    const setup = await configure(dir, { shutdownDelayMs: DELAY_MS, shutdownGraceMs: GRACE_MS });
    ({ dataDb, storeDb } = setup);
    gateway = await startServe(setup.configFile, setup.url);
  });
  after(async () => {
    await gateway?.kill();
    await dataDb?.destroy();
    await storeDb?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('when SIGTERM arrives, then readiness fails first, answers close their connections, the load drains, and every write is audited with its statements', async () => {
    const { url } = gateway;
    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const exchanges: Exchange[] = [];
    let refused = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < MAX_PER_WORKER && !refused; i++) {
        const kind = i % 3 === 0 ? 'create' : 'read';
        const exchange: Exchange = { kind, name: `drain-${w}-${i}`, sentAt: Date.now() };
        exchanges.push(exchange);
        if (kind === 'create') await send(`${url}/customers`, agent, exchange, { name: exchange.name, region: 'EMEA' });
        else await send(`${url}/customers/${(i % 300) + 1}`, agent, exchange);
        // The listener is closed: the gateway is past its delay and accepts no one.
        if (exchange.error === 'ECONNREFUSED') refused = true;
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const deadline = Date.now() + 60_000;
    while (exchanges.filter((e) => e.status !== undefined).length < 200 && Date.now() < deadline) await sleep(20);

    const sigtermAt = Date.now();
    gateway.signal('SIGTERM');
    let notReadyAt: number | undefined;
    let readyBody: { status?: string; reasons?: string[] } = {};
    while (notReadyAt === undefined && Date.now() < sigtermAt + DELAY_MS) {
      const probe = await send(`${url}/readyz`, false, { kind: 'read', name: 'probe', sentAt: Date.now() });
      if (probe.status === 503) {
        notReadyAt = Date.now();
        readyBody = (await (await fetch(`${url}/readyz`)).json()) as typeof readyBody;
      } else await sleep(20);
    }
    assert.ok(notReadyAt !== undefined, '/readyz turned 503 within the delay');
    assert.deepEqual(readyBody, { status: 'unavailable', reasons: ['the gateway is shutting down'] });

    assert.equal(await gateway.exited(DELAY_MS + GRACE_MS + 20_000), 0);
    const exitedAt = Date.now();
    refused = true;
    await load;
    agent.destroy();
    assert.ok(exitedAt - sigtermAt >= DELAY_MS, `exited ${exitedAt - sigtermAt} ms after SIGTERM, before the delay was over`);

    const answered = exchanges.filter((e) => e.status !== undefined);
    // Every answer was a success: the drain refuses nothing it accepted.
    assert.deepEqual([...new Set(answered.map((e) => e.status))].sort(), [200, 201]);
    // The gateway kept serving while the Service would stop sending: answers to requests sent after readiness failed.
    const late = answered.filter((e) => e.sentAt > notReadyAt!);
    assert.ok(late.length > 0, 'requests sent after readiness failed were still answered');
    // …and each of those told its client to close the connection.
    assert.deepEqual(late.filter((e) => e.connection !== 'close'), []);

    const phases = gateway.logs().filter((l) => typeof l.event === 'string' && /^(shutdown_|stopped)/.test(l.event)).map((l) => l.event);
    assert.deepEqual(phases, ['shutdown_draining', 'shutdown_closing', 'stopped']);

    // Every row the load created has its request event, with its insert statement; nothing was cut off.
    const rows = (await dataDb('CUST_MSTR').where('CUST_NAME', 'like', 'drain-%').select('CUST_NAME')) as Array<{ CUST_NAME: string }>;
    const created = new Set(rows.map((r) => r.CUST_NAME));
    const events = (await storeDb('audit_events').where({ kind: 'request', operation_id: 'createCustomer' })) as Array<Record<string, unknown>>;
    assert.equal(events.length, created.size);
    for (const event of events) {
      assert.equal(event.status, 201);
      assert.equal(event.outcome, 'success');
      const statements = event.statements as Array<{ sql: string; rows: number | null }>;
      assert.ok(statements.some((s) => /^insert into/i.test(s.sql) && s.rows === 1), JSON.stringify(statements));
    }
    const aborted = (await storeDb('audit_events').where({ outcome: 'aborted' }).count({ n: '*' })) as Array<{ n: string }>;
    assert.equal(Number(aborted[0]!.n), 0);
    // A create the client got no answer for never reached the database.
    const unanswered = exchanges.filter((e) => e.kind === 'create' && e.status === undefined);
    assert.deepEqual(unanswered.filter((e) => created.has(e.name)).map((e) => `${e.name}: ${e.error}`), []);
    assert.equal(created.size, answered.filter((e) => e.kind === 'create').length);
  });
});

describe('shutdown when a request outlives the grace', { skip }, () => {
  let dir: string;
  let gateway: ServeProcess;
  let dataDb: Knex;
  let storeDb: Knex;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-shutdown-cut-'));
    const setup = await configure(dir, { shutdownDelayMs: 0, shutdownGraceMs: 500 });
    ({ dataDb, storeDb } = setup);
    gateway = await startServe(setup.configFile, setup.url);
  });
  after(async () => {
    await gateway?.kill();
    await dataDb?.destroy();
    await storeDb?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('when an update is still waiting on a lock after the grace, then its connection is cut but its event keeps its statement', async () => {
    const trx = await dataDb.transaction();
    let patch: Promise<Exchange> | undefined;
    try {
      await trx.raw('select 1 from "CUST_MSTR" where "CUST_ID" = 5 for update');
      const body = JSON.stringify({ street: 'Grace Street 5' });
      patch = new Promise<Exchange>((resolve) => {
        const exchange: Exchange = { kind: 'create', name: 'patch', sentAt: Date.now() };
        const req = request(`${gateway.url}/customers/5`, {
          agent: false,
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          exchange.status = res.statusCode;
          res.resume();
          res.on('end', () => resolve(exchange));
        });
        req.on('error', (err) => {
          exchange.error = (err as NodeJS.ErrnoException).code ?? err.message;
          resolve(exchange);
        });
        req.end(body);
      });
      // The intent is durable and the update waits on the lock.
      const waiting = Date.now() + 10_000;
      while (Date.now() < waiting) {
        const intents = (await storeDb('audit_events').where({ kind: 'intent' }).count({ n: '*' })) as Array<{ n: string }>;
        if (Number(intents[0]!.n) > 0) break;
        await sleep(20);
      }
      await sleep(200);
      gateway.signal('SIGTERM');
      await gateway.waitForLog((l) => l.event === 'shutdown_cutting', 10_000);
      const cut = await patch;
      assert.equal(cut.status, undefined, 'the client got no answer');
      assert.match(String(cut.error), /ECONNRESET|socket hang up/);
      // The statement completes after the cut.
      await trx.commit();
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
    assert.equal(await gateway.exited(20_000), 0);
    const [row] = (await dataDb('CUST_MSTR').where({ CUST_ID: 5 }).select('Straße')) as Array<Record<string, string>>;
    assert.equal(row?.['Straße'], 'Grace Street 5');
    const [event] = (await storeDb('audit_events').where({ kind: 'request', method: 'PATCH' })) as Array<Record<string, unknown>>;
    assert.equal(event?.status, 499);
    assert.equal(event?.outcome, 'aborted');
    const statements = event!.statements as Array<{ sql: string; rows: number | null }>;
    assert.ok(statements.some((s) => /^update /i.test(s.sql) && s.rows === 1), JSON.stringify(statements));
    // Nothing left open for the next start to close as unknown.
    const outcomes = (await storeDb('audit_events').where({ kind: 'outcome' }).count({ n: '*' })) as Array<{ n: string }>;
    assert.equal(Number(outcomes[0]!.n), 0);
  });
});

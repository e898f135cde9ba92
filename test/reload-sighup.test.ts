// Hot reload of a running `gatehouse serve` (a child process) on PostgreSQL with strict audit: SIGHUP re-reads the
// configuration and the contract, checks them against the live database, and swaps them in; a broken one is refused
// with one log line while the old one serves on; requests in flight finish; every reload is in the audit log.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { startServe, type LogLine, type ServeProcess } from './support/serve-process.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

type Doc = { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** The demo contract with the paths under `prefix` (e.g. `/items`) left out. */
function contractWithout(full: Doc, prefix: string): Doc {
  const paths = Object.fromEntries(Object.entries(full.paths).filter(([p]) => p !== prefix && !p.startsWith(`${prefix}/`)));
  return { ...full, paths };
}

/** The demo contract with one resource bound to a table the database does not have. */
function contractWithMissingTable(full: Doc): Doc {
  const paths = structuredClone(full.paths);
  for (const p of ['/customers', '/customers/{id}']) (paths[p]!['x-gatehouse'] as Record<string, unknown>).table = 'CUST_MISSING';
  return { ...full, paths };
}

async function reloadEvents(storeDb: Knex): Promise<Array<Record<string, unknown>>> {
  return (await storeDb('audit_events').where({ kind: 'reload' }).orderBy('seq')) as Array<Record<string, unknown>>;
}

describe('hot reload on SIGHUP', { skip }, () => {
  let dir: string;
  let specFile: string;
  let configFile: string;
  let settings: Record<string, unknown>;
  let full: Doc;
  let gateway: ServeProcess;
  let dataDb: Knex;
  let storeDb: Knex;

  /** Sends SIGHUP and resolves with the reload's log line (applied, unchanged or refused). */
  async function sighup(): Promise<LogLine> {
    const since = gateway.logs().length;
    gateway.signal('SIGHUP');
    return gateway.waitForLog((l) => typeof l.event === 'string' && l.event.startsWith('reload_'), 30_000, since);
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-reload-'));
    full = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as Doc;
    const dataUrl = await freshDatabase('reload_data');
    const storeUrl = await freshDatabase('reload_store');
    dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
    storeDb = knex({ client: 'pg', connection: storeUrl, pool: { min: 0, max: 2 } });
    await seedErp(dataDb);
    specFile = path.join(dir, 'contract.yaml');
    await writeFile(specFile, YAML.stringify(contractWithout(full, '/items')));
    const port = await freePort();
    configFile = path.join(dir, 'gatehouse.yaml');
    settings = {
      server: { host: '127.0.0.1', port },
      spec: specFile,
      sources: { erp: { client: 'pg', connection: dataUrl } },
      store: { client: 'pg', connection: storeUrl },
      audit: { instanceId: 'reload-test', sink: { stdout: false } },
      auth: { disabled: true },
      rateLimit: { enabled: false },
      log: { level: 'info', requests: false },
    };
    await writeFile(configFile, YAML.stringify(settings));
    gateway = await startServe(configFile, `http://127.0.0.1:${port}`);
  });
  after(async () => {
    await gateway?.kill();
    await dataDb?.destroy();
    await storeDb?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('when a resource is added to the contract and SIGHUP is sent, then its paths serve and the audit log records what changed', async () => {
    assert.equal((await fetch(`${gateway.url}/items?limit=1`)).status, 404);
    await writeFile(specFile, YAML.stringify(full));
    const line = await sighup();
    assert.equal(line.event, 'reload_applied', JSON.stringify(line));
    assert.deepEqual(line.resourcesAdded, ['items']);
    const res = await fetch(`${gateway.url}/items?limit=1`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as unknown[]).length, 1);
    const served = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as Doc;
    assert.ok('/items/{code}' in served.paths, 'the served contract is the new one');

    const [event] = await reloadEvents(storeDb);
    assert.equal(event?.method, 'SIGHUP');
    assert.equal(event?.outcome, 'success');
    const detail = event?.detail as Record<string, unknown>;
    assert.equal(detail.result, 'applied');
    assert.deepEqual(detail.resourcesAdded, ['items']);
    assert.deepEqual(detail.changed, ['contract']);
  });

  it('when the new contract names a missing table, then the reload is refused in one log line and the old contract serves on', async () => {
    await writeFile(specFile, YAML.stringify(contractWithMissingTable(full)));
    const line = await sighup();
    assert.equal(line.event, 'reload_refused');
    assert.equal(line.level, 'error');
    assert.match(line.message, /^reload refused, the running configuration keeps serving: .*CUST_MISSING/);
    assert.equal(gateway.logs().filter((l) => l.event === 'reload_refused').length, 1, 'one line, not one per problem');
    assert.equal((await fetch(`${gateway.url}/customers/1`)).status, 200);
    assert.equal((await fetch(`${gateway.url}/items?limit=1`)).status, 200);

    const refused = (await reloadEvents(storeDb)).at(-1)!;
    assert.equal(refused.outcome, 'failed');
    assert.equal(refused.error_code, 'reload_refused');
    assert.match(JSON.stringify((refused.detail as Record<string, unknown>).reasons), /CUST_MISSING/);
  });

  it('when the configuration file is not valid, or changes what needs a restart, then the reload is refused naming why', async () => {
    await writeFile(specFile, YAML.stringify(full));
    await writeFile(configFile, `${YAML.stringify(settings)}\nlimits: { maxPageSize: many }\n`);
    const invalid = await sighup();
    assert.equal(invalid.event, 'reload_refused');
    assert.match(invalid.message, /limits\.maxPageSize/);

    const otherPort = await freePort();
    await writeFile(configFile, YAML.stringify({ ...settings, server: { host: '127.0.0.1', port: otherPort } }));
    const fixed = await sighup();
    assert.equal(fixed.event, 'reload_refused');
    assert.match(fixed.message, /server\.port cannot change while the gateway runs \(the listening port is bound\): restart it to apply/);
    assert.equal((await fetch(`${gateway.url}/customers/1`)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${otherPort}/healthz`));

    // A reloadable change in the same file goes through once the fixed key is back.
    await writeFile(configFile, YAML.stringify({ ...settings, limits: { maxPageSize: 3 } }));
    const applied = await sighup();
    assert.equal(applied.event, 'reload_applied');
    assert.deepEqual(applied.changed, ['limits.maxPageSize']);
    assert.equal((await fetch(`${gateway.url}/customers?limit=4`)).status, 400);
    await writeFile(configFile, YAML.stringify(settings));
    assert.equal((await sighup()).event, 'reload_applied');
  });

  it('when requests are in flight during a reload, then they finish on the contract they started with while new ones get the new one', async () => {
    // A PATCH blocked on a row lock is in flight across the reload; the new contract no longer has /customers.
    const trx = await dataDb.transaction();
    let patch: Promise<Response> | undefined;
    try {
      await trx.raw('select 1 from "CUST_MSTR" where "CUST_ID" = 3 for update');
      patch = fetch(`${gateway.url}/customers/3`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ street: 'Reload Road 7' }),
      });
      await sleep(300);
      // Reads keep arriving while the reload runs.
      let loading = true;
      const reads: number[] = [];
      const load = (async () => {
        while (loading) reads.push((await fetch(`${gateway.url}/orders?limit=1`)).status);
      })();
      await writeFile(specFile, YAML.stringify(contractWithout(full, '/customers')));
      const line = await sighup();
      assert.equal(line.event, 'reload_applied');
      assert.deepEqual(line.resourcesRemoved, ['customers']);
      loading = false;
      await load;
      assert.ok(reads.length > 0);
      assert.deepEqual([...new Set(reads)], [200], 'no request failed during the reload');
      assert.equal((await fetch(`${gateway.url}/customers/4`)).status, 404, 'a new request gets the new contract');
      await trx.commit();
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
    const answered = await patch!;
    assert.equal(answered.status, 204, 'the request in flight finished on the old contract');
    const [row] = (await dataDb('CUST_MSTR').where({ CUST_ID: 3 }).select('Straße')) as Array<Record<string, string>>;
    assert.equal(row?.['Straße'], 'Reload Road 7');
    const events = (await storeDb('audit_events').where({ kind: 'request', method: 'PATCH', path: '/customers/3' })) as Array<Record<string, unknown>>;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.status, 204);
    const statements = events[0]!.statements as Array<{ sql: string; rows: number | null }>;
    assert.ok(statements.some((st) => /^update /i.test(st.sql) && st.rows === 1), JSON.stringify(statements));
  });
});

describe('hot reload when the mounted files change', { skip }, () => {
  let dir: string;
  let gateway: ServeProcess;
  let dataDb: Knex;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-reload-watch-'));
    const full = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as Doc;
    const dataUrl = await freshDatabase('reload_watch_data');
    dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
    await seedErp(dataDb);
    const specFile = path.join(dir, 'contract.yaml');
    await writeFile(specFile, YAML.stringify(contractWithout(full, '/items')));
    const port = await freePort();
    const configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        server: { host: '127.0.0.1', port, watchConfigMs: 200 },
        spec: specFile,
        sources: { erp: { client: 'pg', connection: dataUrl } },
        auth: { disabled: true },
        rateLimit: { enabled: false },
        log: { level: 'info', requests: false },
      }),
    );
    gateway = await startServe(configFile, `http://127.0.0.1:${port}`);
    // The watched contract changes as a ConfigMap update does it: a new file moved over the old name.
    await writeFile(`${specFile}.new`, YAML.stringify(full));
    const { rename } = await import('node:fs/promises');
    await rename(`${specFile}.new`, specFile);
  });
  after(async () => {
    await gateway?.kill();
    await dataDb?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('when server.watchConfigMs is set and the contract file is replaced, then the new contract serves without a signal', async () => {
    const line = await gateway.waitForLog((l) => l.event === 'reload_applied', 20_000);
    assert.deepEqual(line.resourcesAdded, ['items']);
    assert.equal(line.trigger, 'file_change');
    assert.equal((await fetch(`${gateway.url}/items?limit=1`)).status, 200);
  });
});

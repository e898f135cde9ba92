// Crash: the real gateway, as a child process, is killed with SIGKILL during a mixed read / write load. After a
// restart every 2xx the client saw has a committed event, every write has its intent (closed as known or
// 'unknown'), and `gatehouse audit verify` passes.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import knex, { type Knex } from 'knex';
import YAML from 'yaml';
import { seedErp } from '../src/demo/erp-schema.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { ed25519Pem } from './support/audit-log.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { freePort, waitForExit, waitForReady } from './support/processes.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const LOAD_WORKERS = 8;
const MAX_REQUESTS_PER_WORKER = 400;

interface Sent {
  readonly requestId: string;
  readonly kind: 'read' | 'create' | 'update';
  status: number | 'no response';
}

/** The environment without the test runner's GATEHOUSE_TEST_* variables, which would read as configuration. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

function serve(configFile: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--config', configFile], {
    cwd: projectRoot,
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', () => undefined);
  return child;
}

describe('audit across a crash of the gateway', { skip }, () => {
  let dir: string;
  let configFile: string;
  let url: string;
  let dataDb: Knex;
  let storeDb: Knex;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-audit-crash-'));
    const dataUrl = await freshDatabase('audit_crash_data');
    const storeUrl = await freshDatabase('audit_crash_store');
    dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
    storeDb = knex({ client: 'pg', connection: storeUrl, pool: { min: 0, max: 2 } });
    await seedErp(dataDb);
    const keyFile = path.join(dir, 'audit.pem');
    await writeFile(keyFile, ed25519Pem().privateKey);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        server: { host: '127.0.0.1', port },
        spec: ERP_SPEC,
        sources: { erp: { client: 'pg', connection: dataUrl, pool: { max: 10 } } },
        auth: { disabled: true },
        rateLimit: { enabled: false },
        log: { level: 'error', requests: false },
        store: { client: 'pg', connection: storeUrl },
        audit: { instanceId: 'crash-test', signingKey: `\${file:${keyFile}}`, sink: { stdout: false }, checkpoint: { everyEvents: 50 } },
      }),
    );
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 30_000);
    }
    await dataDb?.destroy();
    await storeDb?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the gateway is killed with SIGKILL mid-load, then every 2xx has its event, every write its intent, and verify passes', async () => {
    child = serve(configFile);
    await waitForReady(url, child);

    const sent: Sent[] = [];
    let killed = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < MAX_REQUESTS_PER_WORKER && !killed; i++) {
        const requestId = `crash-${w}-${i}`;
        const kind = (['read', 'create', 'read', 'update'] as const)[i % 4]!;
        const entry: Sent = { requestId, kind, status: 'no response' };
        sent.push(entry);
        const headers = { 'X-Request-Id': requestId, 'Content-Type': 'application/json' };
        const id = ((w * 37 + i) % 400) + 1;
        try {
          const res =
            kind === 'read'
              ? await fetch(`${url}/customers/${id}`, { headers })
              : kind === 'create'
                ? await fetch(`${url}/customers`, {
                    method: 'POST',
                    headers,
                    body: JSON.stringify({ name: `crash ${requestId}`, region: 'EMEA' }),
                  })
                : await fetch(`${url}/customers/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ street: `crash ${requestId}` }) });
          await res.arrayBuffer();
          entry.status = res.status;
        } catch {
          // The connection died with the gateway: the client saw no response.
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_WORKERS }, (_, w) => worker(w)));
    const deadline = Date.now() + 30_000;
    while (sent.filter((s) => s.status !== 'no response').length < 300 && Date.now() < deadline) await sleep(10);
    child.kill('SIGKILL');
    killed = true;
    await waitForExit(child, 30_000);
    await load;
    const answered = sent.filter((s) => typeof s.status === 'number');
    assert.ok(answered.length >= 300, `answered ${answered.length}`);
    assert.ok(sent.some((s) => s.status === 'no response'), 'some requests were in flight at the kill');

    // Restart: the writer closes intents the dead process left open.
    child = serve(configFile);
    await waitForReady(url, child);
    child.kill('SIGTERM');
    await waitForExit(child, 30_000);
    assert.equal(child.exitCode, 0);

    const records = (await storeDb('audit_events').select('kind', 'request_id', 'ref', 'status', 'outcome')) as Array<{
      kind: string;
      request_id: string;
      ref: string;
      status: number | null;
      outcome: string;
    }>;
    const requestEvents = new Map(records.filter((r) => r.kind === 'request').map((r) => [r.request_id, r]));
    const intents = records.filter((r) => r.kind === 'intent');
    const closedRefs = new Set(records.filter((r) => r.kind !== 'intent').map((r) => r.ref));

    for (const s of answered) {
      if (typeof s.status !== 'number' || s.status >= 300) continue;
      const event = requestEvents.get(s.requestId);
      assert.ok(event, `${s.kind} ${s.requestId} answered ${s.status} has a committed event`);
      assert.equal(event.status, s.status);
      if (s.kind !== 'read') assert.ok(intents.some((i) => i.request_id === s.requestId), `${s.requestId} has its intent`);
    }
    // Every row the load wrote (whether or not its client saw the answer) has an intent.
    const intentIds = new Set(intents.map((i) => i.request_id));
    const created = (await dataDb('CUST_MSTR').where('CUST_NAME', 'like', 'crash %').pluck('CUST_NAME')) as string[];
    const updated = (await dataDb('CUST_MSTR').where('Straße', 'like', 'crash %').pluck('Straße')) as string[];
    assert.ok(created.length > 0 && updated.length > 0);
    for (const marker of [...created, ...updated]) {
      const requestId = marker.replace('crash ', '');
      assert.ok(intentIds.has(requestId), `the write by ${requestId} has an intent record`);
    }
    // Every intent's outcome is known (its request event) or explicitly unknown after recovery.
    for (const intent of intents) assert.ok(closedRefs.has(intent.ref), `intent of ${intent.request_id} is closed`);
    const unknown = records.filter((r) => r.kind === 'outcome' && r.outcome === 'unknown').length;
    process.stdout.write(`# crash: ${answered.length} answered, ${sent.length - answered.length} cut off, ${unknown} intents closed as unknown\n`);

    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'audit', 'verify', '--config', configFile, '--quiet'], {
      cwd: projectRoot,
      env: childEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(verify.status, 0, `${verify.stdout}${verify.stderr}`);
    assert.match(verify.stdout, /^OK: \d+ records verified/);
  });
});

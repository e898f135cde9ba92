// Crash: the real gateway, as a child process, is killed with SIGKILL during a mixed read / write load (some writes
// with an Idempotency-Key). After a restart every 2xx the client saw has a committed event, no write answered as a
// failure committed, every write has its intent (closed as known or 'unknown'), and `gatehouse audit verify` passes.
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
import { crashFigures, startMixedLoad } from './support/crash-load.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const LOAD_WORKERS = 8;
const MAX_REQUESTS_PER_WORKER = 400;

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

  it('when the gateway is killed with SIGKILL mid-load, then every 2xx has its event, no write answered as a failure committed, every write its intent, and verify passes', async () => {
    child = serve(configFile);
    await waitForReady(url, child);

    const prefix = 'crash';
    const load = startMixedLoad({ url, workers: LOAD_WORKERS, maxPerWorker: MAX_REQUESTS_PER_WORKER, prefix, readRows: 400, keyEvery: 2 });
    const deadline = Date.now() + 30_000;
    while (load.answered() < 300 && Date.now() < deadline) await sleep(10);
    child.kill('SIGKILL');
    load.stop();
    await waitForExit(child, 30_000);
    await load.done;
    assert.ok(load.answered() >= 300, `answered ${load.answered()}`);
    assert.ok(load.sent.some((s) => s.status === 'no response'), 'some requests were in flight at the kill');

    // Restart: the writer closes intents the dead process left open.
    child = serve(configFile);
    await waitForReady(url, child);
    child.kill('SIGTERM');
    await waitForExit(child, 30_000);
    assert.equal(child.exitCode, 0);

    const figures = await crashFigures({ sent: load.sent, prefix }, dataDb, storeDb);
    assert.deepEqual(figures.unaudited, [], '2xx without a committed event');
    assert.deepEqual(figures.lostWrites, [], 'writes answered 2xx whose change is not in the data');
    assert.deepEqual(figures.acknowledgedThenFailed, [], 'writes answered as failures whose change committed');
    // Every row the load wrote (whether or not its client saw the answer) has an intent, and no change was applied twice.
    assert.deepEqual(figures.withoutIntent, []);
    assert.deepEqual(figures.appliedTwice, []);
    // Every intent's outcome is known (its request event) or explicitly unknown after recovery, never falsely unknown.
    assert.deepEqual(figures.openIntents, []);
    assert.deepEqual(figures.falseUnknown, []);
    const answered2xx = (kind: string): number => load.sent.filter((s) => s.kind === kind && typeof s.status === 'number' && s.status < 300).length;
    assert.ok(answered2xx('create') > 0 && answered2xx('update') > 0, `${answered2xx('create')} creates and ${answered2xx('update')} updates answered 2xx`);
    process.stdout.write(
      `# crash: ${figures.answered} answered, ${load.sent.length - figures.answered} cut off (${figures.cutOffWrites} writes, ` +
        `${figures.cutOffCommitted} of them committed), ${figures.unknown} intents closed as unknown\n`,
    );

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

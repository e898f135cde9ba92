// What the soak's phases share: two durable PostgreSQL servers (the ERP data, the audit store), the compiled gateway
// as a child process with strict audit on them, `gatehouse audit verify`, and the host's load for the printed figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import YAML from 'yaml';
import { seedErp } from '../../src/demo/erp-schema.js';
import { createDatabase, startPostgres, type PgServer } from '../../test/support/postgres.js';
import { freePort, waitForExit, waitForReady } from '../../test/support/processes.js';
import { root } from './compile.js';

export interface DurableDatabases {
  readonly data: PgServer;
  readonly store: PgServer;
  readonly dataUrl: string;
  readonly storeUrl: string;
  /** Connections of the bench's own, to look behind the gateway's back. */
  readonly dataDb: Knex;
  readonly storeDb: Knex;
  destroy(): Promise<void>;
}

/** Two servers with durable commits (fsync, synchronous_commit and full_page_writes on), the ERP demo seeded in one. */
export async function durableDatabases(name: string): Promise<DurableDatabases> {
  const started = await Promise.allSettled([startPostgres({ durable: true }), startPostgres({ durable: true })]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of servers) await s.destroy();
    throw failed.reason;
  }
  const [data, store] = servers as [PgServer, PgServer];
  const dataUrl = await createDatabase(data, `${name}_data`);
  const storeUrl = await createDatabase(store, `${name}_store`);
  const dataDb = knex({ client: 'pg', connection: dataUrl, pool: { min: 0, max: 2 } });
  const storeDb = knex({ client: 'pg', connection: storeUrl, pool: { min: 0, max: 2 } });
  await seedErp(dataDb);
  return {
    data,
    store,
    dataUrl,
    storeUrl,
    dataDb,
    storeDb,
    async destroy() {
      await dataDb.destroy();
      await storeDb.destroy();
      await data.destroy();
      await store.destroy();
    },
  };
}

/** The gateway's configuration: the ERP contract, no auth or rate limit, strict audit with a signing key of the run's. */
export async function writeGatewayConfig(
  dir: string,
  dbs: DurableDatabases,
  audit: Record<string, unknown>,
): Promise<{ configFile: string; url: string }> {
  const port = await freePort();
  const configFile = path.join(dir, `gatehouse-${String(audit.instanceId ?? 'soak')}.yaml`);
  const config = {
    server: { host: '127.0.0.1', port },
    spec: path.join(root, 'openapi', 'erp.yaml'),
    sources: { erp: { client: 'pg', connection: dbs.dataUrl } },
    auth: { disabled: true },
    rateLimit: { enabled: false },
    log: { level: 'error', requests: false },
    store: { client: 'pg', connection: dbs.storeUrl },
    audit: {
      mode: 'strict',
      signingKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      sink: { stdout: false },
      ...audit,
    },
  };
  await writeFile(configFile, YAML.stringify(config));
  return { configFile, url: `http://127.0.0.1:${port}` };
}

/** The environment without GATEHOUSE_* variables, which the gateway would read as configuration. */
function gatewayEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

/** `gatehouse serve` from the compiled CLI; resolves once /readyz answers 200. */
export async function startGatewayProcess(cli: string, configFile: string, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--config', configFile], { cwd: root, env: gatewayEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForReady(url, child);
  } catch (err) {
    await stopGatewayProcess(child, 'SIGKILL');
    throw err;
  }
  return child;
}

/** Signals the gateway (if it still runs) and waits for it to exit; returns its exit code (null when killed). */
export async function stopGatewayProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  if (!(await waitForExit(child, 30_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 30_000);
  }
  return child.exitCode;
}

/** `gatehouse audit verify --quiet`: whether it passed, and its first line. */
export async function auditVerify(cli: string, configFile: string): Promise<{ ok: boolean; line: string }> {
  return new Promise((resolve) => {
    const v = spawn(process.execPath, [cli, 'audit', 'verify', '--config', configFile, '--quiet'], { cwd: root, env: gatewayEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    v.stdout.on('data', (c: Buffer) => (out += c.toString()));
    v.on('close', (code) => resolve({ ok: code === 0, line: out.split('\n')[0] ?? '' }));
  });
}

/** "load average 1.2 0.9 0.8 on 2 CPUs": other work on the host slows every figure. */
export function loadAverage(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`;
}

/** "met" / "NOT met", for the printed targets. */
export const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

// The soak: the compiled gateway with strict audit on real PostgreSQL servers (one for the data, one for the audit
// store), first loaded flat out to measure its capacity, then held at a share of it (80%) for ten minutes. It reports
// every answer that was not 2xx and the gateway's resident memory over time: the figures are 0 non-2xx and RSS flat
// after warm-up. Only run when named (`npm run bench -- soak`).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import knex from 'knex';
import YAML from 'yaml';
import { seedErp } from '../src/demo/erp-schema.js';
import { createDatabase, startPostgres, type PgServer } from '../test/support/postgres.js';
import { freePort, waitForExit, waitForReady } from '../test/support/processes.js';
import { compileGateway, root } from './support/compile.js';

const num = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
// Settings (all optional): how long to hold the load, the warm-up and capacity runs, the load's share of capacity,
// connections, the share of requests that are writes, and audit.checkpoint.everyMs (default: the configuration's).
const SOAK_S = num('BENCH_SOAK_S', 600);
const WARMUP_S = num('BENCH_WARMUP', 15);
const CAPACITY_S = num('BENCH_CAPACITY_S', 15);
const SHARE = num('BENCH_LOAD_SHARE', 0.8);
const CONNECTIONS = num('BENCH_CONNECTIONS', 20);
const WRITES = num('BENCH_WRITES', 0.1);
const CHECKPOINT_MS = process.env.BENCH_CHECKPOINT_MS === undefined ? undefined : Number(process.env.BENCH_CHECKPOINT_MS);
/** RSS is sampled this often; the first samples (until this share of the soak) are the warm-up. */
const SAMPLE_S = num('BENCH_SAMPLE_S', 5);
const WARM_SHARE = 0.2;
const CUSTOMERS = 500;

export async function run(): Promise<void> {
  const servers: PgServer[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-soak-'));
  let child: ChildProcess | undefined;
  let build: string | undefined;
  try {
    const compiled = await compileGateway('bench-soak');
    build = compiled.outDir;
    const [data, store] = await Promise.all([startPostgres(), startPostgres()]);
    servers.push(data, store);
    const dataUrl = await createDatabase(data, 'soak_data');
    const storeUrl = await createDatabase(store, 'soak_store');
    const db = knex({ client: 'pg', connection: dataUrl });
    await seedErp(db);
    await db.destroy();
    const port = await freePort();
    const configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(configFile, YAML.stringify(config(port, dataUrl, storeUrl)));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    child = spawn(process.execPath, [compiled.cli, 'serve', '--config', configFile], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
    const url = `http://127.0.0.1:${port}`;
    await waitForReady(url, child);

    await load(url, WARMUP_S, undefined);
    const capacity = await load(url, CAPACITY_S, undefined);
    const rate = Math.max(1, Math.round(capacity.rps * SHARE));
    console.log(
      `  capacity: ${capacity.rps.toFixed(0)} req/s flat out (${CONNECTIONS} connections, ${(WRITES * 100).toFixed(0)}% writes, ` +
        `${capacity.non2xx} non-2xx); soaking at ${rate} req/s (${(SHARE * 100).toFixed(0)}%) for ${SOAK_S} s`,
    );

    const pid = child.pid!;
    const samples: Array<{ at: number; rssMb: number }> = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const rssMb = rss(pid);
      if (rssMb !== undefined) samples.push({ at: (Date.now() - started) / 1000, rssMb });
      if (samples.length % Math.max(1, Math.round(60 / SAMPLE_S)) === 0) {
        console.log(`  ${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s: RSS ${rssMb?.toFixed(1)} MB`);
      }
    }, SAMPLE_S * 1000);
    const soak = await load(url, SOAK_S, rate).finally(() => clearInterval(sampler));

    child.kill('SIGTERM');
    await waitForExit(child, 30_000);
    const verified = await verify(compiled.cli, configFile, env);
    const audited = await auditCounts(storeUrl);
    report(capacity.rps, rate, soak, samples, audited, verified);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const server of servers) await server.destroy();
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
  }
}

function config(port: number, dataUrl: string, storeUrl: string): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port },
    spec: path.join(root, 'openapi', 'erp.yaml'),
    sources: { erp: { client: 'pg', connection: dataUrl } },
    auth: { disabled: true },
    rateLimit: { enabled: false },
    log: { level: 'error', requests: false },
    store: { client: 'pg', connection: storeUrl },
    audit: {
      mode: 'strict',
      instanceId: 'soak',
      signingKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      sink: { stdout: false },
      ...(CHECKPOINT_MS === undefined ? {} : { checkpoint: { everyMs: CHECKPOINT_MS } }),
    },
  };
}

interface LoadResult {
  readonly rps: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statuses: Record<string, number>;
}

async function load(url: string, seconds: number, overallRate: number | undefined): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    ...(overallRate === undefined ? {} : { overallRate }),
    requests: [
      {
        setupRequest: (req) => {
          n += 1;
          const id = (n % CUSTOMERS) + 1;
          // Every 1/WRITES-th request is a single-row write (intent, statement, outcome), the rest reads by key.
          if (WRITES > 0 && n % Math.round(1 / WRITES) === 0) {
            return { ...req, method: 'PATCH', path: `/customers/${id}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ street: `Soak Street ${n}` }) };
          }
          return { ...req, method: 'GET', path: `/customers/${id}`, body: undefined };
        },
      },
    ],
  });
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (stat as { count: number }).count;
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

/** Resident set size of a process in MB, from /proc (undefined once it is gone). */
function rss(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function verify(cli: string, configFile: string, env: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve) => {
    const v = spawn(process.execPath, [cli, 'audit', 'verify', '--config', configFile, '--quiet'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    v.stdout.on('data', (c: Buffer) => (out += c.toString()));
    v.on('close', () => resolve(out.split('\n')[0] ?? ''));
  });
}

async function auditCounts(storeUrl: string): Promise<{ events: number; checkpoints: number; unknown: number }> {
  const db = knex({ client: 'pg', connection: storeUrl });
  try {
    const { rows } = (await db.raw(
      `select (select count(*)::int from audit_events) as events, (select count(*)::int from audit_checkpoints) as checkpoints,
              (select count(*)::int from audit_events where outcome = 'unknown') as unknown`,
    )) as { rows: Array<{ events: number; checkpoints: number; unknown: number }> };
    return rows[0]!;
  } finally {
    await db.destroy();
  }
}

function report(
  capacity: number,
  rate: number,
  soak: LoadResult,
  samples: ReadonlyArray<{ at: number; rssMb: number }>,
  audited: { events: number; checkpoints: number; unknown: number },
  verified: string,
): void {
  const warm = samples.filter((s) => s.at >= SOAK_S * WARM_SHARE);
  const first = warm[0];
  const last = warm.at(-1);
  const max = Math.max(...warm.map((s) => s.rssMb));
  const slope = trend(warm);
  const bad = soak.non2xx + soak.errors + soak.timeouts;
  console.log(
    `\nSoak: ${SOAK_S} s at ${rate} req/s (${(SHARE * 100).toFixed(0)}% of ${capacity.toFixed(0)} req/s measured), ${CONNECTIONS} connections, ` +
      `${(WRITES * 100).toFixed(0)}% writes, strict audit on its own PostgreSQL server (test servers: fsync=off); ` +
      `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
  );
  console.log(
    `  answers: ${soak.requests} at ${soak.rps.toFixed(0)} req/s; non-2xx ${soak.non2xx}, errors ${soak.errors}, timeouts ${soak.timeouts} ` +
      `[target 0: ${bad === 0 ? 'met' : 'NOT met'}]; by status ${JSON.stringify(soak.statuses)}`,
  );
  if (first && last) {
    const growth = (last.rssMb - first.rssMb) / first.rssMb;
    console.log(
      `  RSS after warm-up (from ${first.at.toFixed(0)} s): ${first.rssMb.toFixed(1)} MB → ${last.rssMb.toFixed(1)} MB, max ${max.toFixed(1)} MB, ` +
        `trend ${slope >= 0 ? '+' : ''}${(slope * 60).toFixed(2)} MB/min [flat, grown by at most 10%: ${growth <= 0.1 ? 'met' : 'NOT met'}]`,
    );
  } else {
    console.log('  RSS: too few samples after warm-up (lengthen BENCH_SOAK_S)');
  }
  console.log(`  audit store: ${audited.events} events, ${audited.checkpoints} checkpoints, ${audited.unknown} unknown outcomes; verify: ${verified}`);
}

/** Least-squares slope of RSS over time (MB per second). */
function trend(samples: ReadonlyArray<{ at: number; rssMb: number }>): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.at, 0) / n;
  const my = samples.reduce((a, s) => a + s.rssMb, 0) / n;
  const num = samples.reduce((a, s) => a + (s.at - mx) * (s.rssMb - my), 0);
  const den = samples.reduce((a, s) => a + (s.at - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

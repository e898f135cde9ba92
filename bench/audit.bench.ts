// What strict audit costs: throughput of GET by key and of single-row writes on a real PostgreSQL, audit on vs off,
// measured in one run: the compiled gateway twice (audit off, audit on) as child processes, both up throughout,
// loaded in turn by autocannon on loopback (off/on, on/off, …).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import knex from 'knex';
import YAML from 'yaml';
import { seedErp } from '../src/demo/erp-schema.js';
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { childPids, freePort } from '../test/support/processes.js';
import { compileGateway, root } from './support/compile.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
// audit.groupCommit.maxWaitMs for the audited gateway (default: the configuration's default).
const MAX_WAIT_MS = process.env.BENCH_MAX_WAIT_MS === undefined ? undefined : Number(process.env.BENCH_MAX_WAIT_MS);
const CUSTOMERS = 500;

type Workload = 'get-by-key' | 'single-row-write';
// BENCH_WORKLOADS=get-by-key (comma-separated): run only these, e.g. to profile one.
const WORKLOADS = (process.env.BENCH_WORKLOADS?.split(',') ?? ['get-by-key', 'single-row-write']).map((w) => {
  if (w !== 'get-by-key' && w !== 'single-row-write') throw new Error(`unknown workload ${w} (get-by-key, single-row-write)`);
  return w as Workload;
});

export async function run(): Promise<void> {
  const server = await startPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-audit-'));
  const children: ChildProcess[] = [];
  let build: string | undefined;
  try {
    const compiled = await compileGateway('bench-audit');
    build = compiled.outDir;
    const dataUrl = await createDatabase(server, 'bench_data');
    const storeUrl = await createDatabase(server, 'bench_store');
    const db = knex({ client: 'pg', connection: dataUrl });
    await seedErp(db);
    await db.destroy();
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const configs = {
      off: await writeConfig(dir, 'off', dataUrl, undefined, key),
      on: await writeConfig(dir, 'on', dataUrl, storeUrl, key),
    };
    const results: Record<Workload, { off: number[]; on: number[] }> = {
      'get-by-key': { off: [], on: [] },
      'single-row-write': { off: [], on: [] },
    };
    // CPU time (gateway process + every PostgreSQL process) per request: what capacity costs, whatever else the
    // machine is doing; throughput on a shared machine also moves with other load.
    const cpu: Record<Workload, { off: number[]; on: number[] }> = {
      'get-by-key': { off: [], on: [] },
      'single-row-write': { off: [], on: [] },
    };
    // The gateway process alone: what audit costs the gateway when the store runs on its own server.
    const gatewayCpu: Record<Workload, { off: number[]; on: number[] }> = {
      'get-by-key': { off: [], on: [] },
      'single-row-write': { off: [], on: [] },
    };
    const postmaster = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Both gateways stay up and take turns (off/on, then on/off: a drift in the machine's speed hits both alike).
    const gateways = { off: await serve(compiled.cli, configs.off), on: await serve(compiled.cli, configs.on) };
    children.push(gateways.off.child, gateways.on.child);
    for (const workload of WORKLOADS) {
      for (const mode of ['off', 'on'] as const) await load(gateways[mode].url, workload, 2); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const { child, url } = gateways[mode];
          const gatewayBefore = cpuTicks([child.pid!]);
          const before = cpuTicks([child.pid!, postmaster, ...childPids(postmaster)]);
          const { rps, requests } = await load(url, workload, DURATION_S);
          const msPerRequest = ((cpuTicks([child.pid!, postmaster, ...childPids(postmaster)]) - before) * TICK_MS) / requests;
          const gatewayMs = ((cpuTicks([child.pid!]) - gatewayBefore) * TICK_MS) / requests;
          results[workload][mode].push(rps);
          cpu[workload][mode].push(msPerRequest);
          gatewayCpu[workload][mode].push(gatewayMs);
          console.log(
            `  round ${round + 1} audit ${mode.padEnd(3)} ${workload.padEnd(16)} ${rps.toFixed(0).padStart(6)} req/s  ${msPerRequest.toFixed(3)} CPU ms/request (gateway ${gatewayMs.toFixed(3)})`,
          );
        }
      }
    }
    for (const { child } of Object.values(gateways)) {
      child.kill('SIGTERM');
      await exited(child);
    }
    const batch = await commitSizes(storeUrl);
    console.log(
      `\nStrict audit, PostgreSQL store (${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} rounds; ` +
        `${batch.records} events in ${batch.commits} commits, ${(batch.records / batch.commits).toFixed(1)} per commit; ` +
        'the test server runs with fsync=off, so a commit costs its round trip and WAL write but no disk flush; ' +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs):`,
    );
    const targets: Record<Workload, number> = { 'get-by-key': 0.1, 'single-row-write': 0.15 };
    for (const workload of WORKLOADS) {
      const cpuOff = mean(cpu[workload].off);
      const cpuOn = mean(cpu[workload].on);
      console.log(
        `  ${workload.padEnd(16)} CPU per request: off ${cpuOff.toFixed(3)} ms, on ${cpuOn.toFixed(3)} ms → ` +
          `capacity on/off ${(cpuOff / cpuOn).toFixed(3)} (cost ${((1 - cpuOff / cpuOn) * 100).toFixed(1)}%); ` +
          `gateway process alone ${mean(gatewayCpu[workload].off).toFixed(3)} → ${mean(gatewayCpu[workload].on).toFixed(3)} ms ` +
          `(cost ${((1 - mean(gatewayCpu[workload].off) / mean(gatewayCpu[workload].on)) * 100).toFixed(1)}%)`,
      );
    }
    for (const workload of WORKLOADS) {
      const off = mean(results[workload].off);
      const on = mean(results[workload].on);
      const ratio = on / off;
      const cost = 1 - ratio;
      console.log(
        `  ${workload.padEnd(16)} off ${off.toFixed(0).padStart(6)} req/s   on ${on.toFixed(0).padStart(6)} req/s   ` +
          `on/off ${ratio.toFixed(3)}   cost ${(cost * 100).toFixed(1)}% (target ≤ ${targets[workload] * 100}%: ${cost <= targets[workload] ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.destroy();
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
  }
}

/** Every record of one commit shares its recorded_at: commits and records, from the store itself. */
async function commitSizes(storeUrl: string): Promise<{ records: number; commits: number }> {
  const db = knex({ client: 'pg', connection: storeUrl });
  try {
    const [row] = (await db('audit_events').select(db.raw('count(*)::int as records, count(distinct recorded_at)::int as commits'))) as Array<{
      records: number;
      commits: number;
    }>;
    return row ?? { records: 0, commits: 0 };
  } finally {
    await db.destroy();
  }
}

async function writeConfig(dir: string, name: string, dataUrl: string, storeUrl: string | undefined, key: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  const config: Record<string, unknown> = {
    server: { host: '127.0.0.1', port: await freePort() },
    spec: path.join(root, 'openapi', 'erp.yaml'),
    sources: { erp: { client: 'pg', connection: dataUrl, pool: { max: 20 } } },
    auth: { disabled: true },
    rateLimit: { enabled: false },
    log: { level: 'error', requests: false },
  };
  if (storeUrl) {
    config.store = { client: 'pg', connection: storeUrl, pool: { max: 4 } };
    config.audit = {
      mode: 'strict',
      instanceId: 'bench',
      signingKey: key,
      sink: { stdout: false },
      ...(MAX_WAIT_MS === undefined ? {} : { groupCommit: { maxWaitMs: MAX_WAIT_MS } }),
    };
  }
  await writeFile(file, YAML.stringify(config));
  return file;
}

async function serve(cli: string, configFile: string): Promise<{ child: ChildProcess; url: string }> {
  const port = (YAML.parse(await import('node:fs/promises').then((fs) => fs.readFile(configFile, 'utf8'))) as { server: { port: number } }).server.port;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  // BENCH_PROFILE=<dir>: write a V8 CPU profile of each gateway run there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, cli, 'serve', '--config', configFile], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { child, url };
    } catch {
      // not yet listening
    }
    await sleep(100);
  }
  throw new Error('gateway did not become ready');
}

async function load(url: string, workload: Workload, seconds: number): Promise<{ rps: number; requests: number }> {
  let n = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      workload === 'get-by-key'
        ? {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: `/customers/${(n++ % CUSTOMERS) + 1}` }),
          }
        : {
            method: 'PATCH',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => {
              n += 1;
              return { ...req, path: `/customers/${(n % CUSTOMERS) + 1}`, body: JSON.stringify({ street: `Bench Street ${n}` }) };
            },
          },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) console.log(`  (${workload}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  return { rps: result.requests.average, requests: result.requests.total };
}

/** Clock ticks per second on Linux (USER_HZ), which /proc reports CPU time in. */
const TICK_MS = 10;

function cpuTicks(pids: readonly number[]): number {
  let total = 0;
  for (const pid of new Set(pids)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime (fields 14–17; here 0-based from field 3).
      total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // The process is gone.
    }
  }
  return total;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

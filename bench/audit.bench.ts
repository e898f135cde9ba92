// What strict audit costs: throughput of GET by key and of single-row writes on a real PostgreSQL, audit on vs off,
// measured in one run: the compiled gateway twice (audit off, audit on) as child processes, both up throughout,
// loaded in turn by autocannon on loopback (off/on, on/off, …).
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
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { childPids, freePort, procStat, waitForExit, waitForReady } from '../test/support/processes.js';
import { compileGateway, root } from './support/compile.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 8);
// The data source's pool size for both gateways (default: the configuration's default).
const POOL = process.env.BENCH_POOL === undefined ? undefined : Number(process.env.BENCH_POOL);
// audit.groupCommit.maxWaitMs for the audited gateway (default: the configuration's default).
const MAX_WAIT_MS = process.env.BENCH_MAX_WAIT_MS === undefined ? undefined : Number(process.env.BENCH_MAX_WAIT_MS);
// audit.groupCommit.maxInFlight for the audited gateway (default: the configuration's default).
const MAX_IN_FLIGHT = process.env.BENCH_MAX_IN_FLIGHT === undefined ? undefined : Number(process.env.BENCH_MAX_IN_FLIGHT);
const CUSTOMERS = 500;

type Workload = 'get-by-key' | 'single-row-write';
const TARGETS: Record<Workload, number> = { 'get-by-key': 0.1, 'single-row-write': 0.15 };

interface Run {
  readonly rps: number;
  /** CPU time of the gateway and every PostgreSQL process, per request. */
  readonly cpuMs: number;
  /** The gateway process alone: what audit costs the gateway when the store runs on its own server. */
  readonly gatewayMs: number;
  /** Share of the run the gateway's main thread was on a CPU: near 100%, the event loop is what limits throughput. */
  readonly mainThread: number;
  /** Share of the machine's CPU time the hypervisor gave to others (noise no pairing can remove). */
  readonly steal: number;
}
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
    const postmaster = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Both gateways stay up and take turns in short runs (off/on, then on/off, …): this machine's speed drifts by
    // tens of percent over seconds, and only back-to-back pairs see the same machine.
    const gateways = { off: await serve(compiled.cli, configs.off), on: await serve(compiled.cli, configs.on) };
    children.push(gateways.off.child, gateways.on.child);
    const summaries: string[] = [];
    for (const workload of WORKLOADS) {
      // Warm-up: until V8 has compiled the hot paths (its compiler threads are busy for several seconds).
      for (const mode of ['off', 'on'] as const) await load(gateways[mode].url, workload, WARMUP_S);
      const rounds: Array<Record<'off' | 'on', Run>> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const pair: Partial<Record<'off' | 'on', Run>> = {};
        for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const { child, url } = gateways[mode];
          const pids = (): number[] => [child.pid!, postmaster, ...childPids(postmaster)];
          const gatewayBefore = cpuTicks([child.pid!]);
          const before = cpuTicks(pids());
          const machineBefore = machine();
          const mainBefore = mainThreadTicks(child.pid!);
          const { rps, requests } = await load(url, workload, DURATION_S);
          const machineAfter = machine();
          const elapsed = machineAfter.total - machineBefore.total;
          pair[mode] = {
            rps,
            cpuMs: ((cpuTicks(pids()) - before) * TICK_MS) / requests,
            gatewayMs: ((cpuTicks([child.pid!]) - gatewayBefore) * TICK_MS) / requests,
            mainThread: (mainThreadTicks(child.pid!) - mainBefore) / (elapsed / cpus().length),
            steal: (machineAfter.steal - machineBefore.steal) / elapsed,
          };
        }
        const { off, on } = pair as Record<'off' | 'on', Run>;
        rounds.push({ off, on });
        console.log(
          `  ${workload} round ${String(round + 1).padStart(2)}: off ${off.rps.toFixed(0).padStart(5)} req/s ${off.cpuMs.toFixed(3)} CPU ms/req | ` +
            `on ${on.rps.toFixed(0).padStart(5)} req/s ${on.cpuMs.toFixed(3)} CPU ms/req | on/off ${(on.rps / off.rps).toFixed(3)} | ` +
            `gateway main thread busy ${pct(off.mainThread)} / ${pct(on.mainThread)}, CPU stolen by the host ${pct(off.steal)} / ${pct(on.steal)}`,
        );
      }
      const target = TARGETS[workload];
      const throughput = median(rounds.map((r) => r.on.rps / r.off.rps));
      const capacity = median(rounds.map((r) => r.off.cpuMs / r.on.cpuMs));
      const gateway = median(rounds.map((r) => r.off.gatewayMs / r.on.gatewayMs));
      const cost = 1 - throughput;
      summaries.push(
        `  ${workload.padEnd(16)} throughput off ${median(rounds.map((r) => r.off.rps)).toFixed(0)} req/s, on ${median(rounds.map((r) => r.on.rps)).toFixed(0)} req/s; ` +
          `on/off ${throughput.toFixed(3)} (rounds ${Math.min(...rounds.map((r) => r.on.rps / r.off.rps)).toFixed(2)}–${Math.max(...rounds.map((r) => r.on.rps / r.off.rps)).toFixed(2)}): ` +
          `cost ${(cost * 100).toFixed(1)}% [target ≤ ${target * 100}%: ${cost <= target ? 'met' : 'NOT met'}]\n` +
          `  ${''.padEnd(16)} CPU per request (gateway + PostgreSQL) off ${median(rounds.map((r) => r.off.cpuMs)).toFixed(3)} ms, on ${median(rounds.map((r) => r.on.cpuMs)).toFixed(3)} ms: ` +
          `cost ${((1 - capacity) * 100).toFixed(1)}%; gateway process alone: cost ${((1 - gateway) * 100).toFixed(1)}%`,
      );
    }
    for (const { child } of Object.values(gateways)) {
      child.kill('SIGTERM');
      await waitForExit(child, 30_000);
    }
    const batch = await commitSizes(storeUrl);
    console.log(
      `\nStrict audit on vs off, PostgreSQL store: medians of ${ROUNDS} back-to-back pairs of ${DURATION_S} s runs, ` +
        `${CONNECTIONS} connections; ${batch.records} events in ${batch.commits} commits (${(batch.records / batch.commits).toFixed(1)} per commit); ` +
        'the test server runs with fsync=off, so a commit costs its round trip and WAL write but no disk flush; ' +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
    );
    for (const line of summaries) console.log(line);
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

interface GatewayConfig {
  readonly file: string;
  readonly port: number;
}

async function writeConfig(dir: string, name: string, dataUrl: string, storeUrl: string | undefined, key: string): Promise<GatewayConfig> {
  const file = path.join(dir, `${name}.yaml`);
  const port = await freePort();
  const config: Record<string, unknown> = {
    server: { host: '127.0.0.1', port },
    spec: path.join(root, 'openapi', 'erp.yaml'),
    sources: { erp: { client: 'pg', connection: dataUrl, ...(POOL === undefined ? {} : { pool: { max: POOL } }) } },
    auth: { disabled: true },
    rateLimit: { enabled: false },
    log: { level: 'error', requests: false },
  };
  if (storeUrl) {
    config.store = { client: 'pg', connection: storeUrl };
    config.audit = {
      mode: 'strict',
      instanceId: 'bench',
      signingKey: key,
      sink: { stdout: false },
      groupCommit: {
        ...(MAX_WAIT_MS === undefined ? {} : { maxWaitMs: MAX_WAIT_MS }),
        ...(MAX_IN_FLIGHT === undefined ? {} : { maxInFlight: MAX_IN_FLIGHT }),
      },
    };
  }
  await writeFile(file, YAML.stringify(config));
  return { file, port };
}

async function serve(cli: string, config: GatewayConfig): Promise<{ child: ChildProcess; url: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  // BENCH_PROFILE=<dir>: write a V8 CPU profile of each gateway run there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const nodeFlags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeFlags, ...profile, cli, 'serve', '--config', config.file], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${config.port}`;
  await waitForReady(url, child);
  return { child, url };
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
  return { rps: result.requests.total / result.duration, requests: result.requests.total };
}

/** Clock ticks per second on Linux (USER_HZ), which /proc reports CPU time in. */
const TICK_MS = 10;

/** CPU ticks (user + system, with reaped children) of these processes; a process that is gone counts 0. */
function cpuTicks(pids: readonly number[]): number {
  let total = 0;
  for (const pid of new Set(pids)) {
    const f = procStat(`/proc/${pid}/stat`);
    if (f) total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return total;
}

/** The main thread's CPU ticks (its task has the process's id). */
function mainThreadTicks(pid: number): number {
  const f = procStat(`/proc/${pid}/task/${pid}/stat`);
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

/** Machine-wide CPU ticks from /proc/stat: all of them, and those stolen by the hypervisor. */
function machine(): { total: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7]! };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

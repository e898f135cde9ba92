// The request pipeline against a floor and Platformatic DB, side by side in one run: GET one row by key and GET a page
// of 50 from table `item` (100k rows, PostgreSQL 15), autocannon on loopback. Every server stays up throughout and
// takes its turn in short interleaved rounds; medians are reported, with the targets of the pipeline work.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import YAML from 'yaml';
import { createDatabase, startPostgres, type PgServer } from '../test/support/postgres.js';
import { childPids } from '../test/support/processes.js';
import { compileGateway } from './support/compile.js';
import { loadLine, machineTicks, median, processTicks, stealBetween } from './support/host.js';
import { ensurePlatformatic } from './support/platformatic.js';
import { COLUMNS, createItems, itemContract, mintToken, writeGatewayConfig, type GatewayMode } from './support/pipeline-fixture.js';
import { startFloor, startGateway, startPlatformatic, stop, type Running } from './support/servers.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 5);
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
/** Every server's database pool: the gateway's default (sources.*.pool.max). */
const POOL = 10;
const PAGE = 50;

type Workload = 'by-key' | 'page';
type ServerName = 'floor' | 'platformatic' | GatewayMode;
const ALL_SERVERS: readonly ServerName[] = ['floor', 'platformatic', 'full', 'audit-off', 'auth-off'];
const LABELS: Record<ServerName, string> = {
  floor: 'floor: node:http + pg Pool, prepared',
  platformatic: 'Platformatic DB 2.61 (no auth, no audit)',
  full: 'Gatehouse: JWT + row rule + strict audit',
  'audit-off': 'Gatehouse: JWT + row rule, audit off',
  'auth-off': 'Gatehouse: auth off, audit off',
};
/** The pipeline work's targets for the full gateway: × floor, × Platformatic (req/s), and p99 × the floor's p99. */
const TARGETS: Record<Workload, { floor: number; platformatic: number; p99: number }> = {
  'by-key': { floor: 0.7, platformatic: 1.0, p99: 2 },
  page: { floor: 0.75, platformatic: 1.0, p99: 2 },
};

const WORKLOADS = (process.env.BENCH_WORKLOADS?.split(',') ?? ['by-key', 'page']).map((w) => {
  if (w !== 'by-key' && w !== 'page') throw new Error(`unknown workload ${w} (by-key, page)`);
  return w as Workload;
});
const SERVERS = (process.env.BENCH_SERVERS?.split(',') ?? [...ALL_SERVERS]).map((s) => {
  if (!ALL_SERVERS.includes(s as ServerName)) throw new Error(`unknown server ${s} (${ALL_SERVERS.join(', ')})`);
  return s as ServerName;
});

interface Target extends Running {
  readonly name: ServerName;
  /** The server's process, the PostgreSQL clusters' processes: what this bench itself runs besides autocannon. */
  pids(): number[];
  readonly headers: Record<string, string>;
  /** The request path for this workload; `n` is a random row id (by key) or the id a page starts after. */
  path(workload: Workload, n: number): string;
}

interface Sample {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly steal: number;
  /** Share of the machine's CPU time used by processes outside this bench (its servers, PostgreSQL, autocannon). */
  readonly others: number;
  readonly bad: number;
}

export async function run(): Promise<void> {
  const servers: PgServer[] = [];
  const targets: Target[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-pipeline-'));
  let build: string | undefined;
  try {
    const platformaticDir = SERVERS.includes('platformatic') ? await ensurePlatformatic() : undefined;
    const data = await startPostgres();
    servers.push(data);
    const gateways = SERVERS.filter((s): s is GatewayMode => s === 'full' || s === 'audit-off' || s === 'auth-off');
    // The audit store on its own cluster with durable commits: what strict mode waits for is a real flush.
    const store = gateways.includes('full') ? await startPostgres({ durable: true }) : undefined;
    if (store) servers.push(store);
    const dataUrl = await createDatabase(data, 'bench_pipeline');
    const storeUrl = store ? await createDatabase(store, 'bench_store') : undefined;
    await createItems(dataUrl, ROWS);
    const spec = path.join(dir, 'items.yaml');
    await writeFile(spec, YAML.stringify(itemContract()));
    const token = await mintToken();
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const setup = { dir, spec, dataUrl, storeUrl, signingKey, requestLog: process.env.BENCH_REQUEST_LOG === '1' };
    const compiled = gateways.length > 0 ? await compileGateway('bench-pipeline') : undefined;
    build = compiled?.outDir;
    const cli = compiled?.cli;

    const postmasters = servers.map((s) => Number(readFileSync(path.join(s.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]));
    const pidsOf = (running: Running) => (): number[] => [running.child.pid!, ...postmasters.flatMap((p) => [p, ...childPids(p)])];
    for (const name of SERVERS) {
      if (name === 'floor') {
        const running = await startFloor(dataUrl, POOL, COLUMNS);
        targets.push({
          ...running,
          name,
          pids: pidsOf(running),
          headers: {},
          path: (w, n) => (w === 'by-key' ? `/items/${n}` : `/items?after=${n}&limit=${PAGE}`),
        });
      } else if (name === 'platformatic') {
        const running = await startPlatformatic(platformaticDir!, dataUrl, POOL);
        targets.push({
          ...running,
          name,
          pids: pidsOf(running),
          headers: {},
          path: (w, n) => (w === 'by-key' ? `/item/${n}` : `/item?where.id.gt=${n}&orderby.id=asc&limit=${PAGE}`),
        });
      } else {
        const running = await startGateway(cli!, await writeGatewayConfig(setup, name));
        targets.push({
          ...running,
          name,
          pids: pidsOf(running),
          headers: name === 'auth-off' ? {} : { authorization: `Bearer ${token}` },
          path: (w, n) => (w === 'by-key' ? `/items/${n}` : `/items?id=gt.${n}&limit=${PAGE}`),
        });
      }
    }
    await checkSameAnswers(targets);

    console.log(
      `item: ${ROWS} rows; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s per server after ${WARMUP_S} s of warm-up; ` +
        `data pool ${POOL} everywhere; by key: random ids; page: ${PAGE} rows after a random id, in id order (the same query on every server); ` +
        `gateway request log ${setup.requestLog ? 'on' : 'off'} (BENCH_REQUEST_LOG=1), rate limiting on with limits never reached; ${loadLine()}`,
    );
    const summaries: string[] = [];
    for (const workload of WORKLOADS) {
      // Warm-up: until V8 has compiled the hot paths (its compiler threads are busy for several seconds).
      for (const target of targets) await load(target, workload, WARMUP_S);
      const rounds: Array<Map<ServerName, Sample>> = [];
      for (let round = 0; round < ROUNDS; round++) {
        // A different server goes first each round, and the order reverses every other round.
        const order = rotate(targets, round);
        const samples = new Map<ServerName, Sample>();
        for (const target of round % 2 === 0 ? order : [...order].reverse()) samples.set(target.name, await load(target, workload, DURATION_S));
        rounds.push(samples);
        console.log(
          `  ${workload} round ${String(round + 1).padStart(2)}: ` +
            targets.map((t) => `${t.name} ${samples.get(t.name)!.rps.toFixed(0)}`).join(' | ') +
            ` req/s; CPU stolen by the host ${pct(median([...samples.values()].map((s) => s.steal)))}, ` +
            `used by other processes ${pct(median([...samples.values()].map((s) => s.others)))}`,
        );
      }
      summaries.push(summarize(workload, rounds));
    }
    for (const target of targets) await stop(target);
    if (storeUrl) console.log(`\naudit store (fsync=on, synchronous_commit=on): ${await commitSizes(storeUrl)}`);
    console.log(`\n${loadLine()}`);
    for (const summary of summaries) console.log(summary);
  } finally {
    for (const target of targets) if (target.child.exitCode === null && target.child.signalCode === null) target.child.kill('SIGKILL');
    for (const server of servers) await server.destroy();
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
  }
}

/** Before measuring: every server answers the same rows for the same request (ids and names, in the same order). */
async function checkSameAnswers(targets: readonly Target[]): Promise<void> {
  for (const workload of WORKLOADS) {
    const n = workload === 'by-key' ? 4242 : 9000;
    const answers = await Promise.all(
      targets.map(async (t) => {
        const res = await fetch(`${t.url}${t.path(workload, n)}`, { headers: t.headers });
        const body = (await res.json()) as unknown;
        if (res.status !== 200) throw new Error(`${t.name}: ${workload} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        const rows = (Array.isArray(body) ? body : [body]) as Array<{ id: number; name: string }>;
        return JSON.stringify(rows.map((r) => [r.id, r.name]));
      }),
    );
    const differing = targets.filter((_, i) => answers[i] !== answers[0]).map((t) => t.name);
    if (differing.length > 0) throw new Error(`${workload}: ${differing.join(', ')} answered other rows than ${targets[0]!.name}`);
  }
}

async function load(target: Target, workload: Workload, seconds: number): Promise<Sample> {
  let seed = (Math.random() * 0x7fffffff) | 0;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >>> 8;
  };
  const ours = (): number => processTicks([process.pid, ...target.pids()]);
  const before = machineTicks();
  const oursBefore = ours();
  const result = await autocannon({
    url: target.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: target.headers,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          path: target.path(workload, workload === 'by-key' ? (random() % ROWS) + 1 : random() % (ROWS - PAGE)),
        }),
      },
    ],
  });
  const after = machineTicks();
  const steal = stealBetween(before, after);
  const others = Math.max(0, (after.busy - before.busy - (ours() - oursBefore)) / (after.total - before.total || 1));
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) console.log(`  (${target.name} ${workload}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  return { rps: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99, steal, others, bad };
}

function summarize(workload: Workload, rounds: ReadonlyArray<Map<ServerName, Sample>>): string {
  const names = [...rounds[0]!.keys()];
  const of = (name: ServerName, f: (s: Sample) => number): number[] => rounds.map((r) => f(r.get(name)!));
  // Ratios are medians of each round's ratio: servers loaded back to back see the same machine.
  const ratio = (name: ServerName, to: ServerName, f: (s: Sample) => number): number | undefined =>
    names.includes(to) ? median(rounds.map((r) => f(r.get(name)!) / f(r.get(to)!))) : undefined;
  const fmt = (v: number | undefined, digits = 2): string => (v === undefined ? '—' : v.toFixed(digits));
  const lines = [
    `\n${workload === 'by-key' ? 'GET one row by key' : `GET a page of ${PAGE}`} (medians of ${rounds.length} rounds):`,
    `| server | req/s | × floor | × Platformatic | p50 ms | p99 ms | p99 × floor p99 |`,
    `|---|---|---|---|---|---|---|`,
  ];
  for (const name of names) {
    lines.push(
      `| ${LABELS[name]} | ${median(of(name, (s) => s.rps)).toFixed(0)} | ${fmt(ratio(name, 'floor', (s) => s.rps))} | ` +
        `${fmt(ratio(name, 'platformatic', (s) => s.rps))} | ${median(of(name, (s) => s.p50)).toFixed(1)} | ` +
        `${median(of(name, (s) => s.p99)).toFixed(1)} | ${fmt(ratio(name, 'floor', (s) => s.p99))} |`,
    );
  }
  if (names.includes('full')) {
    const target = TARGETS[workload];
    const verdict = (value: number | undefined, ok: (v: number) => boolean): string =>
      value === undefined ? 'not measured' : ok(value) ? 'met' : 'NOT met';
    const floor = ratio('full', 'floor', (s) => s.rps);
    const platformatic = ratio('full', 'platformatic', (s) => s.rps);
    const p99 = ratio('full', 'floor', (s) => s.p99);
    lines.push(
      `targets for the full gateway: ≥ ${target.platformatic.toFixed(2)}× Platformatic: ${fmt(platformatic)} ${verdict(platformatic, (v) => v >= target.platformatic)}; ` +
        `≥ ${target.floor.toFixed(2)}× floor: ${fmt(floor)} ${verdict(floor, (v) => v >= target.floor)}; ` +
        `p99 ≤ ${target.p99}× floor p99: ${fmt(p99)} ${verdict(p99, (v) => v <= target.p99)}`,
    );
  }
  return lines.join('\n');
}

/** Every record of one commit shares its recorded_at: records and commits, from the store itself. */
async function commitSizes(storeUrl: string): Promise<string> {
  const client = new Client({ connectionString: storeUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ records: number; commits: number }>(
      'select count(*)::int as records, count(distinct recorded_at)::int as commits from audit_events',
    );
    const { records, commits } = rows[0]!;
    return `${records} events in ${commits} commits (${(records / Math.max(commits, 1)).toFixed(1)} per commit)`;
  } finally {
    await client.end();
  }
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function pct(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

// `gatehouse report migration` over 1,000,000 audit events on 200 tables in a real PostgreSQL store: wall time and
// peak RSS of the compiled CLI against the targets (< 10 s, < 300 MB), and as a ratio to a bare
// `count(*) … group by resource` over the same rows, measured in the same run. The machine may be shared: the rounds
// alternate baseline and report, and the verdict is on the median (the worst is printed too).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import YAML from 'yaml';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import { runMigrations } from '../src/store/migrations.js';
import knex, { type Knex } from 'knex';
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { compileGateway, root } from './support/compile.js';

const EVENTS = Number(process.env.BENCH_REPORT_EVENTS ?? 1_000_000);
const TABLES = Number(process.env.BENCH_REPORT_TABLES ?? 200);
const ROUNDS = Number(process.env.BENCH_REPORT_ROUNDS ?? 5);
const CLIENTS = 40;
const TARGET_SECONDS = 10;
const TARGET_MB = 300;

interface Measured {
  readonly seconds: number;
  readonly peakMb: number;
  /** The process's own CPU time (user + system): the store's work is not in it. */
  readonly cpuSeconds: number;
}

export async function run(): Promise<void> {
  const server = await startPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-report-'));
  let build: string | undefined;
  try {
    const compiled = await compileGateway('bench-report');
    build = compiled.outDir;
    const dataUrl = await createDatabase(server, 'bench_report_data');
    const storeUrl = await createDatabase(server, 'bench_report_store');
    await createTables(dataUrl, TABLES);
    const config = path.join(dir, 'gatehouse.yaml');
    const spec = path.join(dir, 'bench.yaml');
    const zones = { 'cloud-a': ['10.20.0.0/16'], 'cloud-b': ['10.30.0.0/16'], onprem: ['10.0.0.0/16'] };
    await writeFile(
      config,
      YAML.stringify({
        spec: 'bench.yaml',
        sources: { bench: { client: 'pg', connection: dataUrl } },
        store: { client: 'pg', connection: storeUrl },
        network: { zones },
      }),
    );
    await measure([compiled.cli, 'init', '--config', config, '--out', spec, '--force', '--quiet']);
    const operations = (await loadSpecFile(spec)).operations;
    const started = performance.now();
    const size = await fillStore(storeUrl, operations, EVENTS);
    console.log(
      `store: ${EVENTS.toLocaleString('en-US')} request events over ${TABLES} tables, ${CLIENTS} clients, 30 days, 3 zones ` +
        `(${size}; written in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );

    const baseline: Measured[] = [];
    const report: Measured[] = [];
    // Interleaved, so a slow moment on the machine hits both sides alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      baseline.push(await measure([path.join(root, 'bench', 'report-baseline.mjs'), storeUrl]));
      report.push(await measure([compiled.cli, 'report', 'migration', '--config', config, '--since', '31d', '--format', 'html', '--out', path.join(dir, 'report.html'), '--quiet']));
    }
    const worst = (list: readonly Measured[], key: keyof Measured): number => Math.max(...list.map((m) => m[key]));
    const median = (list: readonly Measured[], key: keyof Measured): number => {
      const sorted = list.map((m) => m[key]).sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    const seconds = median(report, 'seconds');
    const mb = median(report, 'peakMb');
    const baseSeconds = median(baseline, 'seconds');
    console.log(`rounds: ${ROUNDS} (median and worst of each); each run is a fresh node process on the compiled build; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (const [i, m] of report.entries()) console.log(`  round ${i + 1}: baseline ${fmt(baseline[i]!)} | report ${fmt(m)}`);
    console.log(
      `baseline (select resource, count(*) … group by resource over the same events): median ${baseSeconds.toFixed(2)} s (worst ${worst(baseline, 'seconds').toFixed(2)} s), ` +
        `peak RSS ${worst(baseline, 'peakMb').toFixed(0)} MB`,
    );
    console.log(
      `gatehouse report migration (aggregate in the store → catalog of ${TABLES} tables → recommend → HTML): ` +
        `median ${seconds.toFixed(2)} s [target < ${TARGET_SECONDS} s: ${verdict(seconds < TARGET_SECONDS)}] (worst ${worst(report, 'seconds').toFixed(2)} s), ` +
        `peak RSS median ${mb.toFixed(0)} MB [target < ${TARGET_MB} MB: ${verdict(mb < TARGET_MB)}] (worst ${worst(report, 'peakMb').toFixed(0)} MB), ` +
        `its own CPU median ${median(report, 'cpuSeconds').toFixed(2)} s`,
    );
    console.log(`ratio report / baseline: wall ×${(seconds / baseSeconds).toFixed(2)} (medians)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
    await server.destroy();
  }
}

function fmt(m: Measured): string {
  return `${m.seconds.toFixed(2)} s, ${m.peakMb.toFixed(0)} MB, CPU ${m.cpuSeconds.toFixed(2)} s`;
}

/** Runs one child (node + the peak-RSS reporter) and returns its wall time, its own peak RSS and CPU time. */
function measure(args: readonly string[]): Promise<Measured> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', path.join(root, 'bench', 'peak-rss.mjs'), ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const line = stderr.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${args.join(' ')} exited ${code}:\n${stderr}`));
        return;
      }
      const { peakRssBytes, cpuSeconds } = JSON.parse(line) as { peakRssBytes: number; cpuSeconds: number };
      resolve({ seconds, peakMb: peakRssBytes / 1024 / 1024, cpuSeconds });
    });
  });
}

async function createTables(url: string, count: number): Promise<void> {
  const statements: string[] = [];
  for (let i = 1; i <= count; i += 1) {
    const name = `T${String(i).padStart(3, '0')}_MSTR`;
    // Every tenth has no key, every twentieth a column type with no portable equivalent: blockers to report.
    const key = i % 10 === 0 ? '' : `, CONSTRAINT "${name}_PK" PRIMARY KEY ("ID")`;
    const extra = i % 20 === 0 ? ', "ADDR" inet' : '';
    statements.push(
      `CREATE TABLE "${name}" ("ID" integer NOT NULL, "NAME" varchar(80), "EMAIL" varchar(120), "AMOUNT" numeric(12,2), "UPDATED" timestamptz${extra}${key})`,
    );
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statements.join(';\n'));
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/**
 * Events as the gateway writes them (request records with statements, detail, hashes), generated in the server.
 * The shape of a real month: 40 clients, each working mostly on its own few tables (a few popular tables shared),
 * cloud and on-prem clients, reads with a few writes, a few denials and errors.
 */
async function fillStore(url: string, operations: ReadonlyArray<{ operationId: string; kind: string; resource: { name: string } }>, events: number): Promise<string> {
  const db = knex({ client: 'pg', connection: url });
  try {
    await runMigrations(db);
    const resources = [...new Set(operations.map((o) => o.resource.name))].sort();
    const op = (kind: string): string[] => resources.map((r) => operations.find((o) => o.resource.name === r && o.kind === kind)?.operationId ?? `${r}-${kind}`);
    const fill = (sql: string, bindings: readonly Knex.RawBinding[]): Promise<unknown> =>
      db.transaction(async (trx) => {
        await trx.raw('set local synchronous_commit = on');
        await trx.raw(sql, bindings);
      });
    await fill(
      `insert into audit_events
       select 'bench-' || (g % 2), g, 'e' || g, 'request', 'e' || g, ts, ts, 'r' || g,
              case when w then 'PATCH' else 'GET' end, '/' || res, '/' || res,
              case when w then (?::text[])[ri + 1] else (?::text[])[ri + 1] end, res,
              case when den then 403 when err then 503 when w then 204 else 200 end,
              case when den then 'denied' when err then 'failed' else 'success' end, null, null,
              3 + (h % 40) * 0.7, case when w then 1 else h % 50 end,
              'user-' || c, 'client-' || c, '["bench:read"]'::json, '[]'::json, null,
              ip, json_build_array(ip), zone, '10.0.0.10',
              json_build_array(json_build_object('source', 'bench', 'sql', 'select "ID", "NAME", "EMAIL" from "public"."' || res || '" where "ID" = $1 limit $2',
                                                 'bindings', json_build_array(h % 1000, 101), 'rows', h % 50, 'durationMs', 1.5, 'error', null)),
              json_build_object('columns', json_build_object('select', json_build_array('id', 'name', 'email'), 'filter', json_build_array('id'), 'order', json_build_array('id')),
                                'bytesOut', 200 + h % 4000),
              md5(g::text) || md5((g + 1)::text), md5((g + 2)::text) || md5((g + 3)::text),
              -- The writer's copies of detail.bytesOut and detail.columns (bytes_out, column_usage).
              200 + h % 4000, '{"select":["id","name","email"],"filter":["id"],"order":["id"]}'::json
         from (select g, c, h, ri, (?::text[])[ri + 1] as res,
                      now() - interval '30 days' + g * (interval '30 days' / ?) as ts,
                      h % 10 = 0 and c % 4 = 3 as w, h % 97 = 0 as den, h % 211 = 0 as err,
                      case when c % 4 = 3 then '10.0.' || c || '.1' when c % 2 = 0 then '10.20.' || c || '.1' else '10.30.' || c || '.1' end as ip,
                      case when c % 4 = 3 then 'onprem' when c % 2 = 0 then 'cloud-a' else 'cloud-b' end as zone
                 from (select g, g % ${CLIENTS} as c, abs(hashint4(g)) as h,
                              -- Most requests on the client's own 5 tables, one in ten on a popular shared one.
                              case when abs(hashint4(g)) % 10 = 0 then abs(hashint4(g + 7)) % 12
                                   else ((g % ${CLIENTS}) * 5 + abs(hashint4(g + 3)) % 5) % ? end as ri
                         from generate_series(1, ?) g) x) y`,
      [op('update'), op('list'), resources, events, resources.length, events],
    );
    // Committed synchronously (fill), as the audit writer commits, and then vacuumed, as autovacuum does to a store
    // that takes inserts: every page is marked all-visible, so the report's index-only scans stay index-only. (Committed
    // asynchronously, the test server's default, a third of the pages were not yet flushed when VACUUM came by and kept
    // no all-visible bit: the planner then read the whole table for each aggregate, as it would only in a store
    // autovacuum never reached.)
    await db.raw('vacuum analyze audit_events');
    const [row] = (await db.raw(`select pg_size_pretty(pg_total_relation_size('audit_events')) as size`)).rows as Array<{ size: string }>;
    return `audit_events ${row?.size ?? '?'}`;
  } finally {
    await db.destroy();
  }
}

// Streaming export: a whole table of 1M rows as NDJSON and as CSV through `GET /items?limit=all`, rows/s and the
// gateway's RSS against the targets (≥ 100k rows/s, < 150 MB). Until the gateway serves limit=all, it says what the
// gateway answered and measures nothing.
import { readFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { compileGateway } from './support/compile.js';
import { loadLine, median } from './support/host.js';
import { createItems, itemContract, mintToken, writeGatewayConfig } from './support/pipeline-fixture.js';
import { startGateway, stop } from './support/servers.js';

const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_EXPORT_ROUNDS ?? 3);
const TARGET_ROWS_PER_S = 100_000;
const TARGET_MB = 150;
const FORMATS = [
  { name: 'NDJSON', accept: 'application/x-ndjson', headerLines: 0 },
  { name: 'CSV', accept: 'text/csv', headerLines: 1 },
] as const;

interface Exported {
  readonly rows: number;
  readonly seconds: number;
  /** The gateway's largest RSS seen while it streamed (sampled every 20 ms). */
  readonly rssMb: number;
  /** Its RSS just before the request: what streaming added is the difference. */
  readonly rssBeforeMb: number;
}

export async function run(): Promise<void> {
  const data = await startPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-export-'));
  let build: string | undefined;
  try {
    const compiled = await compileGateway('bench-export');
    build = compiled.outDir;
    const dataUrl = await createDatabase(data, 'bench_export');
    await createItems(dataUrl, ROWS);
    const spec = path.join(dir, 'items.yaml');
    await writeFile(spec, YAML.stringify(itemContract()));
    const setup = { dir, spec, dataUrl, signingKey: '', requestLog: false };
    // JWT + row rule, audit off: the export reads through the same stages as any list.
    const gateway = await startGateway(compiled.cli, await writeGatewayConfig(setup, 'audit-off'));
    const token = await mintToken();
    console.log(`item: ${ROWS} rows; ${ROUNDS} exports per format; the compiled gateway with JWT + row rule, audit off; ${loadLine()}`);
    const results = new Map<string, Exported[]>();
    for (const format of FORMATS) {
      const probe = await fetch(`${gateway.url}/items?limit=all`, { headers: { authorization: `Bearer ${token}`, accept: format.accept } });
      if (probe.status !== 200) {
        const body = await probe.text();
        console.log(
          `  ${format.name}: the gateway answered ${probe.status} to GET /items?limit=all (${body.slice(0, 200)}): ` +
            'it does not stream a whole table yet; nothing measured',
        );
        continue;
      }
      await probe.body?.cancel();
      const runs: Exported[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const exported = await exportOnce(gateway.url, gateway.child.pid!, token, format.accept, format.headerLines);
        if (exported.rows !== ROWS) throw new Error(`${format.name}: ${exported.rows} rows streamed, ${ROWS} expected`);
        runs.push(exported);
        console.log(
          `  ${format.name} round ${round}: ${exported.rows} rows in ${exported.seconds.toFixed(2)} s, ` +
            `${(exported.rows / exported.seconds / 1000).toFixed(0)}k rows/s, gateway RSS up to ${exported.rssMb.toFixed(0)} MB ` +
            `(${exported.rssBeforeMb.toFixed(0)} MB before the request)`,
        );
      }
      results.set(format.name, runs);
    }
    await stop(gateway);
    if (results.size === 0) return;
    console.log(`\nStreaming export of ${ROWS} rows (medians of ${ROUNDS}); ${loadLine()}`);
    for (const [name, runs] of results) {
      const rate = median(runs.map((r) => r.rows / r.seconds));
      const rss = Math.max(...runs.map((r) => r.rssMb));
      console.log(
        `  ${name.padEnd(6)} ${(rate / 1000).toFixed(0)}k rows/s [target ≥ ${TARGET_ROWS_PER_S / 1000}k: ${rate >= TARGET_ROWS_PER_S ? 'met' : 'NOT met'}], ` +
          `gateway RSS at most ${rss.toFixed(0)} MB [target < ${TARGET_MB} MB: ${rss < TARGET_MB ? 'met' : 'NOT met'}]`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
    await data.destroy();
  }
}

/** One export, read as fast as the client can and counted by lines; the gateway's RSS sampled meanwhile. */
async function exportOnce(url: string, pid: number, token: string, accept: string, headerLines: number): Promise<Exported> {
  const rssBeforeMb = rss(pid);
  let rssMb = rssBeforeMb;
  const sampler = setInterval(() => (rssMb = Math.max(rssMb, rss(pid))), 20);
  const started = performance.now();
  try {
    // node:http rather than fetch: a WHATWG stream reader costs the client more than the gateway's own work per row,
    // and the figure is the gateway's.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${url}/items?limit=all`, { headers: { authorization: `Bearer ${token}`, accept } }, resolve).on('error', reject);
    });
    if (res.statusCode !== 200) throw new Error(`export answered ${res.statusCode}`);
    let lines = 0;
    let last = 10;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    }
    // A last line without its newline still counts.
    if (last !== 10) lines += 1;
    return { rows: lines - headerLines, seconds: (performance.now() - started) / 1000, rssMb: Math.max(rssMb, rss(pid)), rssBeforeMb };
  } finally {
    clearInterval(sampler);
  }
}

/** Resident set of a process now, from /proc (MB; 0 once it is gone). */
function rss(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

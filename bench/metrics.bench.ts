// `npm run bench -- metrics`: what metrics cost a request. First the request path's own work in isolation (building
// the observation and updating the counter and histogram), then the compiled demo gateway twice, metrics off and on,
// loaded in turn with autocannon on loopback (short back-to-back pairs, medians: a shared machine drifts).
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import autocannon from 'autocannon';
import { createMetrics } from '../src/observability/metrics.js';
import { requestServed } from '../src/observability/observation.js';
import type { Reached } from '../src/pipeline/exchange.js';
import type { Reply } from '../src/pipeline/reply.js';
import { freePort, waitForExit, waitForReady } from '../test/support/processes.js';
import { compileGateway, root } from './support/compile.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PATH = '/order-lines/10001/1';

export async function run(): Promise<void> {
  micro();
  const { outDir, cli } = await compileGateway('metrics');
  const gateways: Array<{ name: string; child: ChildProcess; url: string; token: string }> = [];
  try {
    for (const metrics of [false, true]) gateways.push({ name: metrics ? 'metrics on ' : 'metrics off', ...(await demo(cli, metrics)) });
    for (const g of gateways) await load(g.url, g.token, 2); // warm-up
    const rps = new Map<string, number[]>(gateways.map((g) => [g.name, []]));
    const p50 = new Map<string, number[]>(gateways.map((g) => [g.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always meets the machine warmer.
      const order = round % 2 === 0 ? gateways : [...gateways].reverse();
      for (const g of order) {
        const result = await load(g.url, g.token, DURATION_S);
        rps.get(g.name)!.push(result.rps);
        p50.get(g.name)!.push(result.p50);
      }
    }
    const off = median(rps.get(gateways[0]!.name)!);
    for (const g of gateways) {
      const r = median(rps.get(g.name)!);
      console.log(`  ${g.name}: ${r.toFixed(0)} req/s (median of ${ROUNDS} × ${DURATION_S} s, ${CONNECTIONS} connections), p50 ${median(p50.get(g.name)!).toFixed(2)} ms, ${((r / off) * 100).toFixed(1)}% of metrics off`);
    }
  } finally {
    for (const g of gateways) {
      g.child.kill('SIGTERM');
      await waitForExit(g.child, 30_000);
    }
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The request path's metrics work alone: one observation built and recorded per request. */
function micro(): void {
  const metrics = createMetrics();
  const reached = { startedAt: process.hrtime.bigint(), operation: { operationId: 'getOrderLine' } } as unknown as Reached;
  const reply: Reply = { status: 200, headers: {}, body: '{}', rows: 1, error: undefined };
  const N = 1_000_000;
  for (let i = 0; i < 100_000; i++) metrics.record(requestServed(reached, reply, false));
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) metrics.record(requestServed(reached, reply, false));
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`  per request, metrics on: ${ns.toFixed(0)} ns to build and record the observation (off: nothing is built)`);
}

async function demo(cli: string, metrics: boolean): Promise<{ child: ChildProcess; url: string; token: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  env.GATEHOUSE_LOG__REQUESTS = 'false';
  if (metrics) {
    env.GATEHOUSE_METRICS__ENABLED = 'true';
    env.GATEHOUSE_METRICS__HOST = '127.0.0.1';
    env.GATEHOUSE_METRICS__PORT = String(await freePort());
  }
  const child = spawn(process.execPath, [cli, 'demo', '--port', String(port)], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  // The demo seeds its database first: on a busy machine that takes a while.
  await waitForReady(url, child, 300_000);
  const deadline = Date.now() + 30_000;
  let token: string | undefined;
  while (!(token = /export TOKEN=(\S+)/.exec(stderr)?.[1]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!token) throw new Error(`the demo printed no token:\n${stderr}`);
  return { child, url, token };
}

async function load(url: string, token: string, seconds: number): Promise<{ rps: number; p50: number }> {
  const result = await autocannon({
    url: `${url}${PATH}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { Authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

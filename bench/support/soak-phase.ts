// The soak phase: the compiled gateway with strict audit on durable PostgreSQL servers, loaded flat out to measure its
// capacity, then held at a share of it (80%) for ten minutes: every answer that was not 2xx, and the gateway's resident
// memory over time (the figures: 0 non-2xx, RSS flat after warm-up).
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import { auditVerify, durableDatabases, loadAverage, met, startGatewayProcess, stopGatewayProcess, writeGatewayConfig } from './soak-gateway.js';

export interface SoakSettings {
  readonly soakS: number;
  readonly warmupS: number;
  readonly capacityS: number;
  readonly share: number;
  readonly connections: number;
  readonly writes: number;
  readonly checkpointMs: number | undefined;
  /** RSS is sampled this often; the samples of the first fifth of the soak are the warm-up. */
  readonly sampleS: number;
}

const WARM_SHARE = 0.2;
const CUSTOMERS = 500;

/** Runs the phase; resolves with whether its targets were met. */
export async function soakPhase(cli: string, dir: string, s: SoakSettings): Promise<boolean> {
  const dbs = await durableDatabases('soak');
  try {
    const { configFile, url } = await writeGatewayConfig(dir, dbs, {
      instanceId: 'soak',
      ...(s.checkpointMs === undefined ? {} : { checkpoint: { everyMs: s.checkpointMs } }),
    });
    const child = await startGatewayProcess(cli, configFile, url);
    let soak: LoadResult;
    let capacity: LoadResult;
    let rate: number;
    let after: LoadResult;
    const samples: Array<{ at: number; rssMb: number }> = [];
    const loadBefore = loadAverage();
    try {
      await load(url, s, s.warmupS, undefined);
      capacity = await load(url, s, s.capacityS, undefined);
      rate = Math.max(1, Math.round(capacity.rps * s.share));
      console.log(
        `  capacity: ${capacity.rps.toFixed(0)} req/s flat out (${s.connections} connections, ${(s.writes * 100).toFixed(0)}% writes, ` +
          `${capacity.non2xx} non-2xx; ${loadBefore}); soaking at ${rate} req/s (${(s.share * 100).toFixed(0)}%) for ${s.soakS} s`,
      );
      const pid = child.pid!;
      const started = Date.now();
      // Per minute: the rate held and its mean latency (a load whose connections are all busy runs flat out, at the
      // capacity the host leaves it then), RSS and the host's load.
      let answered = 0;
      let latencyMs = 0;
      let tickAt = started;
      const sampler = setInterval(() => {
        const rssMb = rss(pid);
        if (rssMb !== undefined) samples.push({ at: (Date.now() - started) / 1000, rssMb });
        if (samples.length % Math.max(1, Math.round(60 / s.sampleS)) === 0) {
          const now = Date.now();
          console.log(
            `  ${String(Math.round((now - started) / 1000)).padStart(4)} s: ${(answered / ((now - tickAt) / 1000)).toFixed(0)} req/s, ` +
              `mean latency ${(latencyMs / Math.max(1, answered)).toFixed(1)} ms, RSS ${rssMb?.toFixed(1)} MB, ${loadAverage()}`,
          );
          answered = 0;
          latencyMs = 0;
          tickAt = now;
        }
      }, s.sampleS * 1000);
      soak = await load(url, s, s.soakS, rate, (ms) => {
        answered += 1;
        latencyMs += ms;
      }).finally(() => clearInterval(sampler));
      // Measured again: on a shared host the capacity left to the gateway drifts.
      after = await load(url, s, s.capacityS, undefined);
    } finally {
      await stopGatewayProcess(child, 'SIGTERM');
    }
    const verified = await auditVerify(cli, configFile);
    return report(s, { before: capacity.rps, after: after.rps }, rate, soak, samples, await auditCounts(dbs.storeDb), verified);
  } finally {
    await dbs.destroy();
  }
}

interface LoadResult {
  readonly rps: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statuses: Record<string, number>;
}

async function load(url: string, s: SoakSettings, seconds: number, overallRate: number | undefined, onResponse?: (ms: number) => void): Promise<LoadResult> {
  let n = 0;
  const options: autocannon.Options = {
    url,
    connections: s.connections,
    duration: seconds,
    ...(overallRate === undefined ? {} : { overallRate }),
    requests: [
      {
        setupRequest: (req) => {
          n += 1;
          const id = (n % CUSTOMERS) + 1;
          // Every 1/writes-th request is a single-row write (intent, statement, outcome), the rest reads by key.
          if (s.writes > 0 && n % Math.round(1 / s.writes) === 0) {
            return { ...req, method: 'PATCH', path: `/customers/${id}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ street: `Soak Street ${n}` }) };
          }
          return { ...req, method: 'GET', path: `/customers/${id}`, body: undefined };
        },
      },
    ],
  };
  // The callback form returns the instance, whose answers are counted as they come.
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: unknown, res: autocannon.Result) => (err ? reject(err as Error) : resolve(res)));
    if (onResponse) instance.on('response', (_client, _status, _bytes, ms) => onResponse(ms));
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

async function auditCounts(storeDb: Knex): Promise<{ events: number; checkpoints: number; unknown: number }> {
  const { rows } = (await storeDb.raw(
    `select (select count(*)::int from audit_events) as events, (select count(*)::int from audit_checkpoints) as checkpoints,
            (select count(*)::int from audit_events where outcome = 'unknown') as unknown`,
  )) as { rows: Array<{ events: number; checkpoints: number; unknown: number }> };
  return rows[0]!;
}

function report(
  s: SoakSettings,
  capacity: { before: number; after: number },
  rate: number,
  soak: LoadResult,
  samples: ReadonlyArray<{ at: number; rssMb: number }>,
  audited: { events: number; checkpoints: number; unknown: number },
  verified: { ok: boolean; line: string },
): boolean {
  const warm = samples.filter((x) => x.at >= s.soakS * WARM_SHARE);
  const first = warm[0];
  const last = warm.at(-1);
  const max = Math.max(...warm.map((x) => x.rssMb));
  const slope = trend(warm);
  const bad = soak.non2xx + soak.errors + soak.timeouts;
  const held = soak.rps / capacity.before;
  // Held within 5% of the share asked for, or the load ran flat out because the host gave the gateway less than before.
  const shareHeld = soak.rps >= rate * 0.95;
  console.log(
    `\nSoak: ${s.soakS} s at ${rate} req/s offered (${(s.share * 100).toFixed(0)}% of ${capacity.before.toFixed(0)} req/s measured before; ` +
      `${capacity.after.toFixed(0)} req/s measured after), ${s.connections} connections, ` +
      `${(s.writes * 100).toFixed(0)}% writes, strict audit; data and audit store on PostgreSQL servers of their own with durable commits ` +
      `(fsync, synchronous_commit, full_page_writes on); at the end ${loadAverage()}`,
  );
  console.log(
    `  held ${soak.rps.toFixed(0)} req/s: ${(held * 100).toFixed(0)}% of the capacity before, ${((soak.rps / capacity.after) * 100).toFixed(0)}% of the capacity ` +
      `after [the offered rate held: ${shareHeld ? 'yes' : 'NO, the load ran flat out at what the host left the gateway'}]`,
  );
  console.log(
    `  answers: ${soak.requests} at ${soak.rps.toFixed(0)} req/s; non-2xx ${soak.non2xx}, errors ${soak.errors}, timeouts ${soak.timeouts} ` +
      `[target 0: ${met(bad === 0)}]; by status ${JSON.stringify(soak.statuses)}`,
  );
  let flat = false;
  if (first && last) {
    const growth = (last.rssMb - first.rssMb) / first.rssMb;
    flat = growth <= 0.1;
    console.log(
      `  RSS after warm-up (from ${first.at.toFixed(0)} s): ${first.rssMb.toFixed(1)} MB → ${last.rssMb.toFixed(1)} MB, max ${max.toFixed(1)} MB, ` +
        `trend ${slope >= 0 ? '+' : ''}${(slope * 60).toFixed(2)} MB/min [flat, grown by at most 10%: ${met(flat)}]`,
    );
  } else {
    console.log('  RSS: too few samples after warm-up (lengthen BENCH_SOAK_S)');
  }
  console.log(`  audit store: ${audited.events} events, ${audited.checkpoints} checkpoints, ${audited.unknown} unknown outcomes; verify: ${verified.line}`);
  return bad === 0 && flat && verified.ok;
}

/** Least-squares slope of RSS over time (MB per second). */
function trend(samples: ReadonlyArray<{ at: number; rssMb: number }>): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, x) => a + x.at, 0) / n;
  const my = samples.reduce((a, x) => a + x.rssMb, 0) / n;
  const num = samples.reduce((a, x) => a + (x.at - mx) * (x.rssMb - my), 0);
  const den = samples.reduce((a, x) => a + (x.at - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

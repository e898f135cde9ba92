// Prometheus metrics (prom-client): one registry per gateway, made by the composition root and handed down. Counters
// and histograms move with observation events; gauges of state (pools, the audit queue, readiness) are read when
// scraped, from the gateway parts registered with watch().
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
} from 'prom-client';
import type { Observation, RequestServed } from './observation.js';

/** What the gauges read at scrape time; registered once the gateway's parts exist. */
export interface GatewayGauges {
  /** Requests (and their audit records) not finished yet. */
  inFlight(): number;
  /** Audit records handed to the writer and not yet durable (queued or in a commit in flight); undefined: no audit. */
  auditPending(): number | undefined;
  /** Connections per data source. */
  pools(): ReadonlyArray<{ readonly source: string; readonly used: number; readonly free: number; readonly pending: number; readonly max: number }>;
  /** The readiness probe's answer, evaluated now. */
  ready(): Promise<boolean>;
}

export interface Metrics {
  readonly registry: Registry;
  record(observation: Observation): void;
  watch(gauges: GatewayGauges): void;
}

/** Latency buckets in seconds: a read by key takes about a millisecond, a request timeout is 30 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The request path only counts into plain maps (prom-client hashes the label set on every inc / observe, which
  // costs more than the rest of the observation); the totals are handed to prom-client when scraped.
  const tally = createRequestTally();
  new Counter({
    name: 'gatehouse_requests_total',
    help: 'Requests answered, by operation (operationId, gateway route, unrouted or other), status and problem code ("" for a success); status 499: the client went away first',
    labelNames: ['operation', 'status', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tally.counts.values()) this.inc(t.labels, t.count);
    },
  });
  new TalliedHistogram(
    {
      name: 'gatehouse_request_duration_seconds',
      help: 'Time from a request arriving to its answer being written (audit record included), by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    },
    tally,
  );
  const rateLimited = new Counter({
    name: 'gatehouse_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limiter (rateLimit.address, rateLimit.principal-read, …)',
    labelNames: ['limiter'] as const,
    registers: [registry],
  });
  const auditRefused = new Counter({
    name: 'gatehouse_audit_refused_total',
    help: 'Audit records the writer refused (the request was then answered 503 in strict mode), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const auditBatch = new Histogram({
    name: 'gatehouse_audit_batch_records',
    help: 'Records stored per audit group commit',
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const auditCommit = new Histogram({
    name: 'gatehouse_audit_commit_duration_seconds',
    help: 'Time an audit group commit took, from its batch being chained to the store confirming it (millisecond resolution)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'gatehouse_token_verifications_total',
    help: 'Bearer tokens accepted, by whether the verified-token cache answered (hit) or the signature was checked (miss)',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const tokenRejections = new Counter({
    name: 'gatehouse_token_rejections_total',
    help: 'Bearer tokens refused, by problem code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const jwksFetches = new Counter({
    name: 'gatehouse_jwks_fetches_total',
    help: 'JWKS fetches (URLs) and re-reads (files), by outcome (limited: refused by the per-minute budget)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'gatehouse_reloads_total',
    help: 'Configuration reloads (SIGHUP or a changed file), by outcome: applied, refused (the old configuration keeps serving), unchanged',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const loadedAt = new Gauge({
    name: 'gatehouse_config_loaded_timestamp_seconds',
    help: 'When the configuration and contract now serving were loaded (start-up or the last applied reload)',
    registers: [registry],
  });
  loadedAt.setToCurrentTime();

  const recordRequest = (o: RequestServed): void => {
    tally.add(o);
    if (o.code === 'rate_limited') rateLimited.labels(o.deniedBy ?? 'unknown').inc();
  };

  return {
    registry,
    record(o) {
      switch (o.type) {
        case 'request_served':
          recordRequest(o);
          return;
        case 'audit_refused':
          auditRefused.labels(o.reason).inc();
          return;
        case 'audit_committed':
          auditBatch.observe(o.records);
          auditCommit.observe(o.seconds);
          return;
        case 'token_verified':
          tokens.labels(o.cached ? 'hit' : 'miss').inc();
          return;
        case 'token_rejected':
          tokenRejections.labels(o.code).inc();
          return;
        case 'jwks_fetch':
          jwksFetches.labels(o.outcome).inc();
          return;
        case 'reload':
          reloads.labels(o.outcome).inc();
          if (o.outcome === 'applied') loadedAt.setToCurrentTime();
          return;
        default:
          return;
      }
    },
    watch(gauges) {
      watchGauges(registry, gauges);
    },
  };
}

function watchGauges(registry: Registry, gauges: GatewayGauges): void {
  new Gauge({
    name: 'gatehouse_requests_in_flight',
    help: 'Requests being served now (until their audit record is stored)',
    registers: [registry],
    collect() {
      this.set(gauges.inFlight());
    },
  });
  new Gauge({
    name: 'gatehouse_audit_pending_records',
    help: 'Audit records waiting to be durable: queued for a group commit or in a commit in flight',
    registers: [registry],
    collect() {
      const pending = gauges.auditPending();
      if (pending !== undefined) this.set(pending);
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Connections of each data source pool: used (lent to a request), free (idle), pending (requests waiting for one)',
    labelNames: ['source', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of gauges.pools()) {
        this.labels(pool.source, 'used').set(pool.used);
        this.labels(pool.source, 'free').set(pool.free);
        this.labels(pool.source, 'pending').set(pool.pending);
      }
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_max_connections',
    help: 'The pool size limit of each data source (sources.<name>.pool.max)',
    labelNames: ['source'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of gauges.pools()) this.labels(pool.source).set(pool.max);
    },
  });
  new Gauge({
    name: 'gatehouse_ready',
    help: '1 when /readyz would answer 200 (every database and the audit store answer, not shutting down), else 0',
    registers: [registry],
    async collect() {
      this.set((await gauges.ready()) ? 1 : 0);
    },
  });
}

interface RequestTally {
  readonly counts: Map<string, { readonly labels: { operation: string; status: string; code: string }; count: number }>;
  readonly latencies: Map<string, { readonly buckets: number[]; sum: number; count: number }>;
  add(o: RequestServed): void;
}

function createRequestTally(): RequestTally {
  const counts: RequestTally['counts'] = new Map();
  const latencies: RequestTally['latencies'] = new Map();
  return {
    counts,
    latencies,
    add(o) {
      const key = `${o.operation}\u0000${o.status}\u0000${o.code ?? ''}`;
      const count = counts.get(key);
      if (count === undefined) counts.set(key, { labels: { operation: o.operation, status: String(o.status), code: o.code ?? '' }, count: 1 });
      else count.count += 1;
      let latency = latencies.get(o.operation);
      if (latency === undefined) {
        latency = { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
        latencies.set(o.operation, latency);
      }
      let i = 0;
      while (i < LATENCY_BUCKETS.length && o.seconds > LATENCY_BUCKETS[i]!) i++;
      latency.buckets[i]! += 1;
      latency.sum += o.seconds;
      latency.count += 1;
    },
  };
}

/**
 * A prom-client histogram whose values come from the request tally when scraped (its own observe() is never called):
 * the registry formats it like any histogram.
 */
class TalliedHistogram extends Histogram<'operation'> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    config: HistogramConfiguration<'operation'>,
    private readonly tally: RequestTally,
  ) {
    super(config);
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  /** What the registry asks a histogram for when it writes the text format (prom-client's own histogram has it too). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<'operation' | 'le'>>> {
    return this.get();
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<'operation' | 'le'>>> {
    const name = this.metricName;
    const values: Array<MetricValueWithName<'operation' | 'le'>> = [];
    for (const [operation, latency] of this.tally.latencies) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += latency.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { operation, le }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { operation, le: '+Inf' }, value: latency.count });
      values.push({ metricName: `${name}_sum`, labels: { operation }, value: latency.sum });
      values.push({ metricName: `${name}_count`, labels: { operation }, value: latency.count });
    }
    return { name, help: this.metricHelp, type: 'histogram' as unknown as MetricType, values, aggregator: 'sum', collect: () => undefined };
  }
}

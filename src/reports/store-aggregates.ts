// The report's aggregation, run in the store: one GROUP BY per metric over the window's request events. Nothing per
// event reaches Node; only per-table aggregates do.
import type { Knex } from 'knex';
import { EVENTS_TABLE } from '../audit/event-row.js';
import { ValidationError } from '../errors/app-error.js';
import type { ReportWindow } from './report-window.js';

export interface TrafficRow {
  readonly resource: string;
  readonly zone: string | null;
  readonly method: string;
  readonly operationId: string | null;
  readonly outcome: string;
  readonly requests: number;
  readonly rows: number;
  readonly bytes: number;
  readonly first: string;
  readonly last: string;
}

export interface StoreAggregates {
  readonly events: number;
  readonly traffic: readonly TrafficRow[];
  readonly latency: ReadonlyMap<string, { p50: number | null; p95: number | null }>;
  readonly people: ReadonlyMap<string, { principals: number; clients: number }>;
  readonly byHour: ReadonlyArray<{ resource: string; hour: number; requests: number }>;
  readonly byDay: ReadonlyArray<{ resource: string; day: string; zone: string | null; requests: number }>;
  /** Distinct column-usage records (detail.columns as JSON text) per table, with how many requests had each. */
  readonly columnPatterns: ReadonlyArray<{ resource: string; columns: string; requests: number }>;
  /** Per table: (client, minute) buckets it was used in; per pair of tables: buckets they share. */
  readonly minutes: ReadonlyMap<string, number>;
  readonly pairs: ReadonlyArray<{ a: string; b: string; shared: number }>;
  /** 1: co-access counted over every minute; n: over every n-th minute, counts scaled by n. */
  readonly coAccessSample: number;
}

export interface AggregateOptions {
  readonly window: ReportWindow;
  /** Only these resources (a report for some sources); undefined: every resource in the log. */
  readonly resources?: readonly string[];
  readonly statementTimeoutMs: number;
  /**
   * Store connections to aggregate on at once (PostgreSQL; 1 to 4, default 1, and no more than the store's pool holds).
   * The CLI has the store to itself; a running gateway leaves its pool to the audit writer.
   */
  readonly connections?: number;
  /** Told once the first aggregates are sent to the store (the caller may then do its own work meanwhile). */
  readonly onSent?: () => void;
}

/** Refuses a store without the audit log (never migrated, or not a Gatehouse store). */
export async function assertAuditLog(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable(EVENTS_TABLE))) {
    throw new ValidationError('no_audit_log', `the store has no audit log (no ${EVENTS_TABLE} table): run \`gatehouse migrate\` first`);
  }
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();

/** What node-postgres clients and PGlite both offer, and knex's pool hands out. */
interface DriverConnection {
  query(
    text: string | { text: string; values: unknown[]; query_timeout: number },
    values?: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>> }>;
}

interface PooledClient {
  readonly config: { readonly client?: unknown };
  /** knex's connection pool (tarn), once the first connection was asked for. */
  readonly pool?: { readonly max?: number };
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<unknown>;
}

/** The most store connections a report aggregates on: one per aggregate that can run at once. */
const MAX_LANES = 4;

type Rows = (text: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * In transactions on the store's pool, straight on the driver: the store's connections carry a client-side query
 * timeout sized for audit commits, which a report's statements override (node-postgres takes a per-query timeout), as
 * they override the server's statement timeout. With `connections` above 1 on PostgreSQL, the aggregates run on that
 * many connections at once (the store works on each, on as many cores as it has); every transaction after the first
 * adopts the first one's snapshot, so every metric counts the same events. PGlite has one connection: everything runs
 * there, one statement after the other.
 */
export async function aggregateStore(db: Knex, options: AggregateOptions): Promise<StoreAggregates> {
  await assertAuditLog(db);
  const facts = await detailFacts(db);
  const pool = db.client as unknown as PooledClient;
  const pg = pool.config.client === 'pg';
  const connections: DriverConnection[] = [];
  try {
    connections.push(await pool.acquireConnection());
    // More connections only as many as the pool holds (asking past its size would wait for its acquire timeout), and
    // only if it has them to give: otherwise fewer lanes, down to one, as in a running gateway.
    const lanes = pg ? Math.max(1, Math.min(MAX_LANES, options.connections ?? 1, pool.pool?.max ?? 1)) : 1;
    const more = await Promise.allSettled(Array.from({ length: lanes - 1 }, () => pool.acquireConnection()));
    for (const got of more) if (got.status === 'fulfilled') connections.push(got.value);
    const sessions: Rows[] = connections.map(
      (connection) => async (text, values = []) =>
        (pg ? await connection.query({ text, values, query_timeout: options.statementTimeoutMs + 1000 }) : await connection.query(text, values)).rows,
    );
    const begun: Rows[] = [];
    try {
      const begin = async (rows: Rows, snapshot: string | undefined): Promise<void> => {
        await rows('begin isolation level repeatable read');
        begun.push(rows);
        if (snapshot !== undefined) await rows(`set transaction snapshot '${snapshot.replaceAll("'", "''")}'`);
        // The store's statement timeout is sized for audit commits; a report over a large window needs longer. JIT
        // compilation costs more than it saves on these short aggregates; the hash tables fit in memory with room.
        await rows(`select set_config('statement_timeout', $1, true), set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`, [
          String(options.statementTimeoutMs),
        ]);
      };
      await begin(sessions[0]!, undefined);
      if (sessions.length > 1) {
        const snapshot = String((await sessions[0]!('select pg_export_snapshot() as s'))[0]!.s);
        await Promise.all(sessions.slice(1).map((rows) => begin(rows, snapshot)));
      }
      const result = await aggregate(sessions, options, facts);
      for (const rows of begun) await rows('commit');
      return result;
    } catch (err) {
      for (const rows of begun) await rows('rollback').catch(() => undefined);
      throw err;
    }
  } finally {
    for (const connection of connections) await pool.releaseConnection(connection);
  }
}

/** SQL for the two facts the row pass reads besides the event's own columns. */
interface DetailFacts {
  readonly bytes: string;
  readonly cols: string;
}

/**
 * Bytes out and column usage come from their own columns, written with each event since the migration
 * 20261208000000_report_event_columns; for events stored before it (null there), from the json `detail`, which only
 * those rows pay to parse. A store not migrated that far has only `detail`.
 */
async function detailFacts(db: Knex): Promise<DetailFacts> {
  const found = (await db.raw(
    `select count(*)::int as n from pg_attribute
      where attrelid = to_regclass(?) and attname in ('bytes_out', 'column_usage') and not attisdropped`,
    [EVENTS_TABLE],
  )) as { rows: Array<{ n: number }> };
  return Number(found.rows[0]?.n) === 2
    ? { bytes: `coalesce(bytes_out, (detail->>'bytesOut')::bigint)`, cols: `coalesce(column_usage::text, (detail->'columns')::text)` }
    : { bytes: `(detail->>'bytesOut')::bigint`, cols: `(detail->'columns')::text` };
}

/** Above this many events, co-access is counted over a sample of the minutes (every n-th minute, all its events). */
const CO_ACCESS_FULL_EVENTS = 250_000;

/** Seconds since the epoch, rounded to the nearest (half away from zero, as a numeric cast rounds); cheaper than extract(). */
const EPOCH = `round(date_part('epoch', occurred_at))::bigint`;

/**
 * The row pass on the first connection, then whatever is still waiting; the index-only aggregates are a queue that each
 * other connection takes from when free. On one connection: the row pass, then the queue (none of it for an empty
 * window).
 */
async function aggregate(sessions: readonly Rows[], options: AggregateOptions, facts: DetailFacts): Promise<StoreAggregates> {
  const [rows, ...others] = sessions as [Rows, ...Rows[]];
  const values: unknown[] = [options.window.from.toISOString(), options.window.to.toISOString()];
  if (options.resources) values.push([...options.resources]);
  const where = `occurred_at >= $1::timestamptz and occurred_at < $2::timestamptz and kind = 'request'
                 and ${options.resources ? 'resource = any($3::text[])' : 'resource is not null'}`;
  // Each metric is its own GROUP BY over the window's request events. All but the first read only the report's
  // covering index (resource, occurred_at, then zone, outcome, latency, principal and address), as index-only scans:
  // a seventh of the table's bytes, and already in table order for the percentiles. The first is the one pass over
  // the rows themselves, for what the index does not carry: method, operation, rows, bytes out and, of successful
  // requests, the columns used. It groups by the recorded columns text as well (requests repeat a handful of column
  // choices), so the rows are read once for both, and the two are split apart here.
  const rowPass = async (): Promise<ReturnType<typeof splitTraffic>> =>
    splitTraffic(
      await rows(
        `select resource as r, zone as z, method as m, operation_id as op, outcome as o,
                case when outcome = 'success' then ${facts.cols} end as cols, count(*) as requests,
                sum(row_count) as rows, sum(${facts.bytes}) as bytes, min(occurred_at) as first, max(occurred_at) as last
           from ${EVENTS_TABLE} where ${where} group by 1, 2, 3, 4, 5, 6`,
        values,
      ),
    );
  const indexed = indexAggregates(where, values);
  if (others.length === 0) {
    const passing = rowPass();
    options.onSent?.();
    const passed = await passing;
    if (passed.traffic.length === 0) return emptyAggregates();
    await indexed.drain(rows);
    return { ...passed, ...indexed.result() };
  }
  const all = Promise.all([rowPass().then(async (passed) => (await indexed.drain(rows), passed)), ...others.map((other) => indexed.drain(other))]);
  options.onSent?.();
  const [passed] = await all;
  return passed.traffic.length === 0 ? emptyAggregates() : { ...passed, ...indexed.result() };
}

type IndexAggregates = Omit<StoreAggregates, 'traffic' | 'columnPatterns'>;
type Task = (rows: Rows) => Promise<void>;

/** The index-only aggregates as tasks; `drain(rows)` runs the next waiting one on that connection until none is left. */
function indexAggregates(where: string, values: unknown[]): { drain: (rows: Rows) => Promise<void>; result: () => IndexAggregates } {
  let latency = new Map<string, { p50: number | null; p95: number | null }>();
  const people = new Map<string, { principals: number; clients: number }>();
  let byHour: StoreAggregates['byHour'] = [];
  let byDay: StoreAggregates['byDay'] = [];
  let minutes = new Map<string, number>();
  let pairs: StoreAggregates['pairs'] = [];
  let events = 0;
  let sample = 1;

  const hours: Task = async (rows) => {
    // Hours and days as integers from the epoch (UTC): far cheaper per event than formatting dates.
    byHour = (
      await rows(`select resource as r, (${EPOCH} / 3600 % 24)::int as h, count(*) as n from ${EVENTS_TABLE} where ${where} group by 1, 2`, values)
    ).map((x) => ({ resource: String(x.r), hour: num(x.h), requests: num(x.n) }));
    // Every request of the window falls in exactly one hour of the day.
    events = byHour.reduce((n, h) => n + h.requests, 0);
  };
  const coAccess: Task = async (rows) => {
    // Co-access: the tables each client used in each minute; pairs counted within a bucket, never across buckets.
    // Clients are grouped by a hash of their key (client id, else subject, else address): an int groups faster than
    // text, and a collision merely merges two clients. Over a large window, every n-th minute stands for all (its
    // events whole): shares keep their value, counts are scaled back up. One statement: n from the window's count of
    // events (counted here, so co-access, the longest aggregate, need not wait for another); the (client, minute,
    // table) triples once, in memory; a table's minutes are its triples; pairs from the minutes with several tables.
    const minute = `(${EPOCH} / 60)`;
    const counts = await rows(
      `with sampled as (
         select greatest(1, ceil(count(*) / ${CO_ACCESS_FULL_EVENTS}::numeric))::int as n from ${EVENTS_TABLE} where ${where}
       ), used as materialized (
         select distinct hashtext(coalesce(client_id, subject, client_ip)) as k, ${minute} as mi, resource as r
           from ${EVENTS_TABLE} where ${where} and outcome <> 'denied' and ${minute} % (select n from sampled) = 0
       ), buckets as (
         select array_agg(r order by r) as rs from used group by k, mi having count(*) > 1
       )
       select 'sample' as t, null as a, null as b, n from sampled
       union all
       select 'minutes', r, null, count(*) from used group by 2
       union all
       select 'pair', rs[i], rs[j], count(*) from buckets, generate_subscripts(rs, 1) as i, generate_subscripts(rs, 1) as j where i < j group by 2, 3`,
      values,
    );
    sample = num(counts.find((x) => x.t === 'sample')?.n) || 1;
    minutes = new Map(counts.filter((x) => x.t === 'minutes').map((x) => [String(x.a), num(x.n) * sample]));
    pairs = counts.filter((x) => x.t === 'pair').map((x) => ({ a: String(x.a), b: String(x.b), shared: num(x.n) * sample }));
  };
  const percentiles: Task = async (rows) => {
    latency = new Map(
      (
        await rows(
          `select resource as r, percentile_cont(array[0.5, 0.95]::float8[]) within group (order by latency_ms) as p
             from ${EVENTS_TABLE} where ${where} and latency_ms is not null group by 1`,
          values,
        )
      ).map((x) => {
        const p = x.p as number[] | null;
        return [String(x.r), { p50: p?.[0] ?? null, p95: p?.[1] ?? null }];
      }),
    );
  };
  const principals: Task = async (rows) => {
    // Who used the table (a denied caller did not): distinct pairs here, counted per table.
    const seen = new Map<string, { subjects: Set<string>; clients: Set<string> }>();
    for (const x of await rows(`select resource as r, subject as s, client_id as c from ${EVENTS_TABLE} where ${where} and outcome <> 'denied' group by 1, 2, 3`, values)) {
      const entry = seen.get(String(x.r)) ?? { subjects: new Set<string>(), clients: new Set<string>() };
      if (x.s !== null) entry.subjects.add(String(x.s));
      if (x.c !== null) entry.clients.add(String(x.c));
      seen.set(String(x.r), entry);
    }
    for (const [r, e] of seen) people.set(r, { principals: e.subjects.size, clients: e.clients.size });
  };
  const days: Task = async (rows) => {
    byDay = (
      await rows(`select resource as r, (${EPOCH} / 86400)::int as d, zone as z, count(*) as n from ${EVENTS_TABLE} where ${where} group by 1, 2, 3`, values)
    ).map((x) => ({
      resource: String(x.r),
      day: new Date(num(x.d) * 86_400_000).toISOString().slice(0, 10),
      zone: (x.z as string | null) ?? null,
      requests: num(x.n),
    }));
  };

  // The longest first.
  const queue: Task[] = [coAccess, hours, days, principals, percentiles];
  return {
    async drain(rows) {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) await task(rows);
    },
    result: () => ({ events, latency, people, byHour, byDay, minutes, pairs, coAccessSample: sample }),
  };
}

/**
 * The combined pass's groups → the traffic per (table, zone, method, operation, outcome), summed over column choices,
 * and the column choices of successful requests per table.
 */
function splitTraffic(groups: ReadonlyArray<Record<string, unknown>>): { traffic: TrafficRow[]; columnPatterns: StoreAggregates['columnPatterns'] } {
  const traffic = new Map<string, { -readonly [K in keyof TrafficRow]: TrafficRow[K] }>();
  const patterns = new Map<string, { resource: string; columns: string; requests: number }>();
  for (const x of groups) {
    const row = {
      resource: String(x.r),
      zone: (x.z as string | null) ?? null,
      method: String(x.m),
      operationId: (x.op as string | null) ?? null,
      outcome: String(x.o),
      requests: num(x.requests),
      rows: num(x.rows),
      bytes: num(x.bytes),
      first: iso(x.first),
      last: iso(x.last),
    };
    const key = JSON.stringify([row.resource, row.zone, row.method, row.operationId, row.outcome]);
    const seen = traffic.get(key);
    if (seen === undefined) traffic.set(key, row);
    else {
      seen.requests += row.requests;
      seen.rows += row.rows;
      seen.bytes += row.bytes;
      if (row.first < seen.first) seen.first = row.first;
      if (row.last > seen.last) seen.last = row.last;
    }
    if (x.cols === null || x.cols === undefined) continue;
    const columns = String(x.cols);
    const patternKey = JSON.stringify([row.resource, columns]);
    const pattern = patterns.get(patternKey) ?? { resource: row.resource, columns, requests: 0 };
    pattern.requests += row.requests;
    patterns.set(patternKey, pattern);
  }
  // In key order, not the order the store's hash table gave them: the report (its operation counts' order) is stable.
  const sorted = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { traffic: sorted(traffic), columnPatterns: sorted(patterns) };
}

function emptyAggregates(): StoreAggregates {
  return {
    events: 0,
    traffic: [],
    latency: new Map(),
    people: new Map(),
    byHour: [],
    byDay: [],
    columnPatterns: [],
    minutes: new Map(),
    pairs: [],
    coAccessSample: 1,
  };
}

// The report's aggregation, run in the store: one pass over the window's request events into a narrow temporary
// table, then one GROUP BY per metric over it. Nothing per event reaches Node; only per-table aggregates do.
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
}

export interface AggregateOptions {
  readonly window: ReportWindow;
  /** Only these resources (a report for some sources); undefined: every resource in the log. */
  readonly resources?: readonly string[];
  readonly statementTimeoutMs: number;
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
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<unknown>;
}

/**
 * On one connection of the store's pool, in one transaction (the temporary tables live there). Straight on the
 * driver: the store's connections carry a client-side query timeout sized for audit commits, which a report's
 * statements override (node-postgres takes a per-query timeout), as they override the server's statement timeout.
 */
export async function aggregateStore(db: Knex, options: AggregateOptions): Promise<StoreAggregates> {
  await assertAuditLog(db);
  const pool = db.client as unknown as PooledClient;
  const connection = await pool.acquireConnection();
  const pg = pool.config.client === 'pg';
  const rows = async (text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> =>
    (pg ? await connection.query({ text, values, query_timeout: options.statementTimeoutMs + 1000 }) : await connection.query(text, values)).rows;
  try {
    await rows('begin');
    try {
      const result = await aggregate(rows, options);
      await rows('commit');
      return result;
    } catch (err) {
      await rows('rollback').catch(() => undefined);
      throw err;
    }
  } finally {
    await pool.releaseConnection(connection);
  }
}

type Rows = (text: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;

async function aggregate(rows: Rows, options: AggregateOptions): Promise<StoreAggregates> {
  // The store's statement timeout is sized for audit commits; a report over a large window needs longer. JIT
  // compilation costs more than it saves on these few short aggregates; the sorts fit in memory with some room.
  await rows(`select set_config('statement_timeout', $1, true), set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`, [
    String(options.statementTimeoutMs),
  ]);
  const values: unknown[] = [options.window.from.toISOString(), options.window.to.toISOString()];
  if (options.resources) values.push([...options.resources]);
  // One pass over the events (the occurred_at index selects the window). The client key is who "the same
  // client" is for co-access: its client id, else its subject, else its address.
  await rows(
    `create temporary table report_window on commit drop as
     select resource as r, occurred_at as t, zone as z, method as m, operation_id as op, outcome as o,
            row_count as n, latency_ms as l, subject as s, client_id as c,
            coalesce(client_id, subject, client_ip) as k,
            (detail->>'bytesOut')::bigint as b, (detail->'columns')::text as cols
       from ${EVENTS_TABLE}
      where occurred_at >= $1::timestamptz and occurred_at < $2::timestamptz and kind = 'request'
            ${options.resources ? 'and resource = any($3::text[])' : 'and resource is not null'}`,
    values,
  );
  const [count] = await rows(`select count(*) as n from report_window`);
  const events = num(count?.n);
  if (events === 0) return emptyAggregates();

  const traffic = (
    await rows(`select r, z, m, op, o, count(*) as requests, sum(n) as rows, sum(b) as bytes, min(t) as first, max(t) as last
                  from report_window group by r, z, m, op, o`)
  ).map((x) => ({
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
  }));
  const latency = new Map(
    (
      await rows(`select r, percentile_cont(array[0.5, 0.95]::float8[]) within group (order by l) as p
                    from report_window where l is not null group by r`)
    ).map((x) => {
      const p = x.p as number[] | null;
      return [String(x.r), { p50: p?.[0] ?? null, p95: p?.[1] ?? null }];
    }),
  );
  // Who used the table: requests that reached it (a denied caller did not).
  const people = new Map(
    (
      await rows(`select r, count(distinct s) as principals, count(distinct c) as clients
                    from report_window where o <> 'denied' group by r`)
    ).map((x) => [String(x.r), { principals: num(x.principals), clients: num(x.clients) }]),
  );
  const byHour = (
    await rows(`select r, extract(hour from t at time zone 'UTC')::int as h, count(*) as n from report_window group by 1, 2`)
  ).map((x) => ({ resource: String(x.r), hour: num(x.h), requests: num(x.n) }));
  const byDay = (
    await rows(`select r, to_char(t at time zone 'UTC', 'YYYY-MM-DD') as d, z, count(*) as n from report_window group by 1, 2, 3`)
  ).map((x) => ({ resource: String(x.r), day: String(x.d), zone: (x.z as string | null) ?? null, requests: num(x.n) }));
  // Requests repeat a handful of column choices: group by the recorded text, unpack the few distinct ones in Node.
  const columnPatterns = (
    await rows(`select r, cols, count(*) as n from report_window where cols is not null and o = 'success' group by 1, 2`)
  ).map((x) => ({ resource: String(x.r), columns: String(x.cols), requests: num(x.n) }));
  // Co-access: the tables each client used in each minute; pairs counted within a bucket, never across buckets.
  // Clients are grouped by a hash of their key (an int groups faster than text; a collision merely merges two).
  await rows(
    `create temporary table report_buckets on commit drop as
     select k, mi, array_agg(r order by r) as rs
       from (select distinct hashtext(k) as k, (extract(epoch from t)::bigint / 60) as mi, r
               from report_window where o <> 'denied' and k is not null) as used
      group by 1, 2`,
  );
  const minutes = new Map(
    (await rows(`select u.r, count(*) as n from report_buckets, unnest(rs) as u(r) group by 1`)).map((x) => [String(x.r), num(x.n)]),
  );
  const pairs = (
    await rows(`select rs[i] as a, rs[j] as b, count(*) as n
                  from report_buckets, generate_subscripts(rs, 1) as i, generate_subscripts(rs, 1) as j
                 where cardinality(rs) > 1 and i < j group by 1, 2`)
  ).map((x) => ({ a: String(x.a), b: String(x.b), shared: num(x.n) }));
  return { events, traffic, latency, people, byHour, byDay, columnPatterns, minutes, pairs };
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
  };
}

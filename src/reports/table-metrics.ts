// Per-table metrics from the store's aggregates: traffic, zones and their shares, latency, people, time series.
import type { StoreAggregates, TrafficRow } from './store-aggregates.js';
import type { DayTraffic, TableMetrics, ZoneShare } from './types.js';

export const NO_ZONE = '(none)';

export interface MetricsContext {
  readonly aggregates: StoreAggregates;
  /** The aggregates' rows of each resource (from `rowsByResource`): a table reads its own, not every table's. */
  readonly byResource: RowsByResource;
  /** Operation id → the contract's operation kind. */
  readonly operationKinds: ReadonlyMap<string, string>;
  readonly zones: readonly string[];
  readonly isCloud: (zone: string | null) => boolean;
}

export interface UsageCounts {
  /** Requests that reached the table (not denied). */
  readonly used: number;
  readonly usedReads: number;
  readonly usedWrites: number;
  readonly cloudUsed: number;
  readonly cloudReads: number;
  readonly onPremWrites: number;
}

const isRead = (method: string): boolean => method === 'GET' || method === 'HEAD';
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export function usageCounts(traffic: readonly TrafficRow[], isCloud: (zone: string | null) => boolean): UsageCounts {
  let used = 0;
  let usedReads = 0;
  let usedWrites = 0;
  let cloudUsed = 0;
  let cloudReads = 0;
  let onPremWrites = 0;
  for (const t of traffic) {
    if (t.outcome === 'denied') continue;
    const cloud = isCloud(t.zone);
    used += t.requests;
    if (cloud) cloudUsed += t.requests;
    if (isRead(t.method)) {
      usedReads += t.requests;
      if (cloud) cloudReads += t.requests;
    } else {
      usedWrites += t.requests;
      if (!cloud) onPremWrites += t.requests;
    }
  }
  return { used, usedReads, usedWrites, cloudUsed, cloudReads, onPremWrites };
}

export interface RowsByResource {
  readonly traffic: ReadonlyMap<string, readonly number[]>;
  readonly byHour: ReadonlyMap<string, readonly number[]>;
  readonly byDay: ReadonlyMap<string, readonly number[]>;
}

/** Per resource, the positions of its rows in each per-row aggregate list; built once per report. */
export function rowsByResource(aggregates: StoreAggregates): RowsByResource {
  const index = (list: ReadonlyArray<{ resource: string }>): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    list.forEach((row, i) => {
      const positions = out.get(row.resource);
      if (positions) positions.push(i);
      else out.set(row.resource, [i]);
    });
    return out;
  };
  return { traffic: index(aggregates.traffic), byHour: index(aggregates.byHour), byDay: index(aggregates.byDay) };
}

/** The rows of these resources, in the list's own order (as a filter over the whole list would give them). */
function rowsOf<T>(list: readonly T[], index: ReadonlyMap<string, readonly number[]>, resources: readonly string[]): T[] {
  const distinct = [...new Set(resources)];
  const positions = distinct.flatMap((r) => index.get(r) ?? []);
  if (distinct.length > 1) positions.sort((a, b) => a - b);
  return positions.map((i) => list[i]!);
}

export function tableMetrics(
  resources: readonly string[],
  ctx: MetricsContext,
  size: { estimatedRows: number | null; bytes: number | null },
): { metrics: TableMetrics; usage: UsageCounts } {
  const traffic = rowsOf(ctx.aggregates.traffic, ctx.byResource.traffic, resources);
  const usage = usageCounts(traffic, ctx.isCloud);
  const byOperation: Record<string, number> = {};
  const zoneTotals = new Map<string | null, { requests: number; rows: number }>();
  let requests = 0;
  let reads = 0;
  let rowsRead = 0;
  let rowsWritten = 0;
  let bytesOut = 0;
  let errors = 0;
  let denials = 0;
  let first: string | null = null;
  let last: string | null = null;
  for (const t of traffic) {
    requests += t.requests;
    const read = isRead(t.method);
    if (read) reads += t.requests;
    const kind = (t.operationId && ctx.operationKinds.get(t.operationId)) ?? (read ? 'read' : 'write');
    byOperation[kind] = (byOperation[kind] ?? 0) + t.requests;
    bytesOut += t.bytes;
    if (t.outcome === 'failed') errors += t.requests;
    if (t.outcome === 'denied') denials += t.requests;
    if (t.outcome === 'denied') continue;
    if (read) rowsRead += t.rows;
    else rowsWritten += t.rows;
    const zone = zoneTotals.get(t.zone) ?? { requests: 0, rows: 0 };
    zone.requests += t.requests;
    zone.rows += t.rows;
    zoneTotals.set(t.zone, zone);
    if (first === null || t.first < first) first = t.first;
    if (last === null || t.last > last) last = t.last;
  }
  const rows = rowsRead + rowsWritten;
  const zoneNames: Array<string | null> = [...ctx.zones, ...[...zoneTotals.keys()].filter((z) => z !== null && !ctx.zones.includes(z)), null];
  const zones: ZoneShare[] = zoneNames.map((zone) => {
    const z = zoneTotals.get(zone) ?? { requests: 0, rows: 0 };
    return {
      zone,
      cloud: ctx.isCloud(zone),
      requests: z.requests,
      rows: z.rows,
      share: ratio(z.requests, usage.used) ?? 0,
      rowShare: ratio(z.rows, rows) ?? 0,
    };
  });
  const cloudRows = zones.filter((z) => z.cloud).reduce((n, z) => n + z.rows, 0);
  const people = resources.map((r) => ctx.aggregates.people.get(r)).filter((p) => p !== undefined);
  // Several resources on one table: their latencies cannot be merged exactly; the busiest resource's stand.
  const busiest = [...resources].sort((a, b) => count(traffic, b) - count(traffic, a))[0];
  const latency = (busiest === undefined ? undefined : ctx.aggregates.latency.get(busiest)) ?? { p50: null, p95: null };
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const h of rowsOf(ctx.aggregates.byHour, ctx.byResource.byHour, resources)) byHour[h.hour] = (byHour[h.hour] ?? 0) + h.requests;
  const days = new Map<string, Record<string, number>>();
  for (const d of rowsOf(ctx.aggregates.byDay, ctx.byResource.byDay, resources)) {
    const entry = days.get(d.day) ?? {};
    const zone = d.zone ?? NO_ZONE;
    entry[zone] = (entry[zone] ?? 0) + d.requests;
    days.set(d.day, entry);
  }
  const byDay: DayTraffic[] = [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, zones]) => ({ day, zones }));
  const metrics: TableMetrics = {
    requests,
    reads,
    writes: requests - reads,
    byOperation,
    rowsRead,
    rowsWritten,
    bytesOut,
    errors,
    denials,
    latencyMs: { p50: round(latency.p50), p95: round(latency.p95) },
    firstAccess: first,
    lastAccess: last,
    principals: people.reduce((n, p) => Math.max(n, p.principals), 0),
    clients: people.reduce((n, p) => Math.max(n, p.clients), 0),
    zones,
    cloudShare: ratio(usage.cloudUsed, usage.used),
    cloudRowShare: ratio(cloudRows, rows),
    cloudReadShare: ratio(usage.cloudReads, usage.usedReads),
    onPremWriteShare: ratio(usage.onPremWrites, usage.usedWrites),
    byHour,
    byDay,
    size,
  };
  return { metrics, usage };
}

function count(traffic: readonly TrafficRow[], resource: string): number {
  return traffic.filter((t) => t.resource === resource).reduce((n, t) => n + t.requests, 0);
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1000) / 1000;
}

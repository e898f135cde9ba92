// Assembles the migration report (pure): store aggregates + catalog facts + the contract + the report config.
import type { ReportConfig } from '../config/types.js';
import type { Resource } from '../openapi/resource.js';
import type { CatalogFacts, CatalogResult } from './catalog-facts.js';
import { tableKey } from './catalog-facts.js';
import { coAccessGroups } from './co-access.js';
import { recommend } from './recommend.js';
import type { ReportWindow } from './report-window.js';
import type { StoreAggregates } from './store-aggregates.js';
import { rowsByResource, tableMetrics } from './table-metrics.js';
import {
  RECOMMENDATIONS,
  type ColumnReport,
  type ForeignKeyReport,
  type MigrationReport,
  type Reason,
  type Recommendation,
  type TableReport,
} from './types.js';

/** One reported table: every resource the contract binds to it. */
export interface ReportedTable {
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  readonly resources: readonly Resource[];
}

export interface AnalyzeInput {
  readonly window: ReportWindow;
  readonly generatedAt: Date;
  readonly tables: readonly ReportedTable[];
  readonly operationKinds: ReadonlyMap<string, string>;
  readonly zones: readonly string[];
  readonly config: ReportConfig;
  readonly aggregates: StoreAggregates;
  /** Per source. */
  readonly catalogs: ReadonlyMap<string, CatalogResult>;
}

export function cloudZonesOf(zones: readonly string[], config: ReportConfig): string[] {
  return config.cloudZones ? [...config.cloudZones] : zones.filter((z) => z.startsWith('cloud'));
}

export function analyzeReport(input: AnalyzeInput): MigrationReport {
  const { aggregates, config } = input;
  const cloudZones = cloudZonesOf(input.zones, config);
  const cloudSet = new Set(cloudZones);
  const isCloud = (zone: string | null): boolean => zone !== null && cloudSet.has(zone);
  const window = { from: input.window.from.toISOString(), to: input.window.to.toISOString() };
  const primary = new Map<string, string>();
  for (const t of input.tables) for (const r of t.resources) primary.set(r.name, t.resources[0]!.name);
  const notes: string[] = [];

  const columnCounts = columnUsageCounts(aggregates);
  const byResource = rowsByResource(aggregates);
  const draft = input.tables.map((t) => {
    const names = t.resources.map((r) => r.name);
    const catalog = input.catalogs.get(t.source);
    const facts = catalog?.ok ? catalog.facts.get(tableKey(t.schema, t.table)) : undefined;
    const { metrics, usage } = tableMetrics(
      names,
      { aggregates, byResource, operationKinds: input.operationKinds, zones: input.zones, isCloud },
      { estimatedRows: facts?.estimatedRows ?? null, bytes: facts?.bytes ?? null },
    );
    const columns = columnsOf(t.resources, columnCounts);
    const sensitivity = {
      pii: columns.filter((c) => c.classification === 'pii').map((c) => c.property),
      confidential: columns.filter((c) => c.classification === 'confidential').map((c) => c.property),
    };
    const blockers = facts ? blockersOf(facts) : [];
    const result = recommend(
      { usage, denied: metrics.denials, sensitive: sensitivity, blockers, cloudZones, window },
      config.thresholds,
    );
    if (catalog && !catalog.ok) result.reasons.push({ code: 'catalog_unavailable', text: `Its size and blockers are unknown: ${catalog.reason}.` });
    return { t, names, facts, metrics, columns, sensitivity, blockers, ...result };
  });

  const byTableKey = new Map(draft.map((d) => [`${d.t.source}.${d.t.schema}.${d.t.table}`, d]));
  const minutes = new Map<string, number>();
  for (const [r, n] of aggregates.minutes) if (primary.has(r)) minutes.set(primary.get(r)!, (minutes.get(primary.get(r)!) ?? 0) + n);
  const pairs = aggregates.pairs
    .filter((p) => primary.has(p.a) && primary.has(p.b) && primary.get(p.a) !== primary.get(p.b))
    .map((p) => ({ a: primary.get(p.a)!, b: primary.get(p.b)!, shared: p.shared }));
  const co = coAccessGroups({ minutes, pairs, minSharedMinutes: config.coAccess.minSharedMinutes, minShare: config.coAccess.minShare });
  const recOf = new Map(draft.map((d) => [d.names[0]!, d.recommendation]));

  const tables: TableReport[] = draft.map((d) => {
    const reasons: Reason[] = [...d.reasons];
    const foreignKeys: ForeignKeyReport[] = (d.facts?.foreignKeys ?? []).map((fk) => {
      const target = byTableKey.get(`${d.t.source}.${fk.refSchema}.${fk.refTable}`);
      return {
        columns: fk.columns,
        references: { source: d.t.source, table: fk.refTable, resource: target?.names[0] ?? null, columns: fk.refColumns },
      };
    });
    const moves = (r: Recommendation | undefined): boolean => r === 'migrate' || r === 'replicate';
    for (const fk of foreignKeys) {
      const other = fk.references.resource === null ? undefined : recOf.get(fk.references.resource);
      if (other !== undefined && moves(other) !== moves(d.recommendation)) {
        reasons.push({
          code: 'foreign_key_split',
          text: `Its foreign key to ${fk.references.table} (${fk.references.resource}, recommended ${other}) would cross the network: plan them together.`,
        });
      }
    }
    const group = co.groupOf.get(d.names[0]!) ?? null;
    if (group) {
      const mates = co.groups.find((g) => g.id === group)!.tables.filter((n) => n !== d.names[0]);
      const split = mates.filter((m) => moves(recOf.get(m)) !== moves(d.recommendation));
      reasons.push(
        split.length > 0
          ? { code: 'group_split', text: `The same clients use it with ${split.join(', ')} within the same minutes, which are recommended otherwise: moving them apart adds a network hop to those requests.` }
          : { code: 'co_access_group', text: `The same clients use it with ${mates.join(', ')} within the same minutes: plan them as one move (group ${group}).` },
      );
    }
    return {
      source: d.t.source,
      table: d.t.schema === 'public' ? d.t.table : `${d.t.schema}.${d.t.table}`,
      resource: d.names[0]!,
      resources: d.names,
      kind: d.facts?.kind ?? (d.t.resources[0]!.isView ? 'view' : 'unknown'),
      recommendation: d.recommendation,
      score: d.score,
      reasons,
      metrics: d.metrics,
      columns: d.columns,
      sensitivity: d.sensitivity,
      blockers: d.blockers,
      foreignKeys,
      group,
    };
  });

  // Read top-down as a plan: what to move first, then what to copy, keep and retire; the strongest cases first.
  tables.sort(
    (a, b) => RECOMMENDATIONS.indexOf(a.recommendation) - RECOMMENDATIONS.indexOf(b.recommendation) || b.score - a.score || a.resource.localeCompare(b.resource),
  );
  const known = new Set(primary.keys());
  const unknown = new Map<string, number>();
  for (const t of aggregates.traffic) if (!known.has(t.resource)) unknown.set(t.resource, (unknown.get(t.resource) ?? 0) + t.requests);
  if (aggregates.events === 0) notes.push(`No request reached any table between ${window.from} and ${window.to}: there is nothing to recommend from.`);
  else if (aggregates.columnPatterns.length === 0) {
    notes.push('No request in the window recorded which columns it used (events written before this version do not): column usage is empty.');
  }
  if (aggregates.coAccessSample > 1) {
    notes.push(`Co-access was counted over every ${aggregates.coAccessSample}th minute of the window (with all its requests); its counts are scaled up.`);
  }
  if (cloudZones.length === 0) notes.push('No network zone counts as cloud (report.cloudZones, or zones named cloud…): every caller counts as on-prem.');
  const recommendations = Object.fromEntries(RECOMMENDATIONS.map((r) => [r, tables.filter((t) => t.recommendation === r).length])) as Record<Recommendation, number>;
  return {
    window,
    generatedAt: input.generatedAt.toISOString(),
    empty: aggregates.events === 0,
    notes,
    zones: { all: [...input.zones], cloud: cloudZones },
    thresholds: { ...config.thresholds, coAccessMinSharedMinutes: config.coAccess.minSharedMinutes, coAccessMinShare: config.coAccess.minShare },
    summary: { tables: tables.length, requests: aggregates.events, recommendations },
    tables,
    groups: co.groups.map((g) => ({ ...g, recommendations: [...new Set(g.tables.map((n) => recOf.get(n)!))] })),
    unknownResources: [...unknown.entries()].map(([resource, requests]) => ({ resource, requests })).sort((a, b) => b.requests - a.requests),
  };
}

type Counts = Map<string, Map<string, { select: number; filter: number; order: number }>>;

/** detail.columns patterns → per resource, per property: requests that selected / filtered / ordered on it. */
function columnUsageCounts(aggregates: StoreAggregates): Counts {
  const out: Counts = new Map();
  for (const p of aggregates.columnPatterns) {
    let usage: { select?: unknown; filter?: unknown; order?: unknown };
    try {
      usage = JSON.parse(p.columns) as typeof usage;
    } catch {
      continue;
    }
    const perResource = out.get(p.resource) ?? new Map<string, { select: number; filter: number; order: number }>();
    out.set(p.resource, perResource);
    for (const kind of ['select', 'filter', 'order'] as const) {
      const list = usage[kind];
      if (!Array.isArray(list)) continue;
      for (const name of list) {
        if (typeof name !== 'string') continue;
        const c = perResource.get(name) ?? { select: 0, filter: 0, order: 0 };
        c[kind] += p.requests;
        perResource.set(name, c);
      }
    }
  }
  return out;
}

function columnsOf(resources: readonly Resource[], counts: Counts): ColumnReport[] {
  const byColumn = new Map<string, ColumnReport>();
  for (const r of resources) {
    const usage = counts.get(r.name);
    for (const col of r.columns.values()) {
      const c = usage?.get(col.name) ?? { select: 0, filter: 0, order: 0 };
      const prev = byColumn.get(col.column);
      const selected = (prev?.selected ?? 0) + c.select;
      byColumn.set(col.column, {
        property: prev?.property ?? col.name,
        column: col.column,
        classification: prev?.classification ?? col.classification ?? null,
        selected,
        filtered: (prev?.filtered ?? 0) + c.filter,
        ordered: (prev?.ordered ?? 0) + c.order,
        neverRead: selected === 0,
      });
    }
  }
  return [...byColumn.values()];
}

function blockersOf(f: CatalogFacts): Reason[] {
  const out: Reason[] = [];
  if (f.kind === 'table' && !f.hasKey) {
    out.push({ code: 'no_key', text: 'It has no primary or unique key: replication and change capture need one; add a key first.' });
  }
  if (f.unportable.length > 0) {
    out.push({ code: 'unportable_types', text: `Columns with no portable type elsewhere: ${f.unportable.join(', ')}; plan a conversion.` });
  }
  if (f.triggers.length > 0) out.push({ code: 'triggers', text: `Triggers run logic in the database (${f.triggers.join(', ')}): port or retire them first.` });
  if (f.rules.length > 0) out.push({ code: 'rules', text: `Rewrite rules (${f.rules.join(', ')}) change what statements do: port them first.` });
  if (f.partitioned) out.push({ code: 'partitioned', text: 'It is partitioned: the partitioning scheme has to be rebuilt on the target.' });
  if (f.kind === 'view' && f.dependsOn.length > 0) {
    out.push({ code: 'view_dependencies', text: `It is a view over ${f.dependsOn.join(', ')}: it can only move with (or after) those tables.` });
  }
  return out;
}

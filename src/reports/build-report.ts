// Builds the migration report: the window's aggregates from the store, each source's catalog, the contract's tables.
import type { Knex } from 'knex';
import type { GatehouseConfig } from '../config/types.js';
import type { DataSources } from '../db/sources.js';
import { ValidationError } from '../errors/app-error.js';
import type { Operation, Resource } from '../openapi/resource.js';
import { didYouMean } from '../util/did-you-mean.js';
import { analyzeReport, type ReportedTable } from './analyze-report.js';
import { catalogFacts, type CatalogResult } from './catalog-facts.js';
import type { ReportWindow } from './report-window.js';
import { aggregateStore, type StoreAggregates } from './store-aggregates.js';
import type { MigrationReport } from './types.js';

export interface ReportDeps {
  readonly store: Knex;
  readonly sources: DataSources;
  /**
   * The contract's operations, or how to load them: then, for a report on every source, the store starts aggregating
   * first and the contract loads meanwhile (the CLI reads a large contract in about the time the store needs).
   */
  readonly operations: readonly Operation[] | (() => Promise<readonly Operation[]>);
  readonly config: Pick<GatehouseConfig, 'report' | 'network' | 'sources'>;
}

export interface ReportRequest {
  readonly window: ReportWindow;
  /** Only this source's tables. */
  readonly source?: string;
  /** Told when each stage starts (the CLI's progress bar). */
  readonly onStage?: (stage: 'aggregating' | 'reading catalogs' | 'analysing', done: number, total: number) => void;
  readonly now?: Date;
  /** Store connections the aggregation may use at once (see AggregateOptions.connections). */
  readonly storeConnections?: number;
}

export const REPORT_STAGES = 3;

export async function buildMigrationReport(deps: ReportDeps, request: ReportRequest): Promise<MigrationReport> {
  const sourceNames = Object.keys(deps.config.sources);
  if (request.source !== undefined && !sourceNames.includes(request.source)) {
    throw new ValidationError('unknown_source', `no source is named "${request.source}"${didYouMean(request.source, sourceNames)}`);
  }
  const aggregate = (resources: string[] | undefined, onSent?: () => void): Promise<StoreAggregates> =>
    aggregateStore(deps.store, {
      window: request.window,
      resources,
      statementTimeoutMs: deps.config.report.statementTimeoutMs,
      connections: request.storeConnections,
      onSent,
    });
  request.onStage?.('aggregating', 0, REPORT_STAGES);
  // Every source: nothing the aggregation asks depends on the contract. One source: only its tables' events. The
  // contract loads once the store has its statements (its connections acquired, which loading would otherwise delay).
  let early: Promise<StoreAggregates> | undefined;
  if (request.source === undefined) {
    let sent: () => void = () => undefined;
    const sending = new Promise<void>((resolve) => (sent = resolve));
    early = aggregate(undefined, sent);
    await Promise.race([sending, early.then(() => undefined, () => undefined)]);
  }
  let operations: readonly Operation[];
  try {
    operations = typeof deps.operations === 'function' ? await deps.operations() : deps.operations;
  } catch (err) {
    await early?.catch(() => undefined);
    throw err;
  }
  const tables = reportedTables(operations, deps.sources, request.source);
  const aggregates = await (early ?? aggregate(tables.flatMap((t) => t.resources.map((r) => r.name))));
  request.onStage?.('reading catalogs', 1, REPORT_STAGES);
  const catalogs = new Map<string, CatalogResult>();
  for (const name of new Set(tables.map((t) => t.source))) {
    const source = deps.sources.get(name);
    const refs = tables.filter((t) => t.source === name).map((t) => ({ schema: t.schema, name: t.table }));
    catalogs.set(name, source ? await catalogFacts(source, refs) : { ok: false, reason: `source ${name} is not configured` });
  }
  request.onStage?.('analysing', 2, REPORT_STAGES);
  const report = analyzeReport({
    window: request.window,
    generatedAt: request.now ?? new Date(),
    tables,
    operationKinds: new Map(operations.map((op) => [op.operationId, op.kind])),
    zones: Object.keys(deps.config.network.zones),
    config: deps.config.report,
    aggregates,
    catalogs,
  });
  request.onStage?.('analysing', REPORT_STAGES, REPORT_STAGES);
  return report;
}

/** The contract's tables, each once, with every resource bound to it; in contract order. */
function reportedTables(operations: readonly Operation[], sources: DataSources, only: string | undefined): ReportedTable[] {
  const tables = new Map<string, { source: string; schema: string; table: string; resources: Resource[] }>();
  for (const op of operations) {
    const r = op.resource;
    if (only !== undefined && r.source !== only) continue;
    const source = sources.get(r.source);
    const schema = r.table.schema ?? source?.config.defaultSchema ?? source?.dialect.defaultSchema ?? 'public';
    const key = `${r.source}.${schema}.${r.table.name}`;
    const entry = tables.get(key) ?? { source: r.source, schema, table: r.table.name, resources: [] };
    if (!entry.resources.includes(r)) entry.resources.push(r);
    tables.set(key, entry);
  }
  return [...tables.values()];
}

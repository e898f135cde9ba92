// GET /_gatehouse/reports/migration: the migration-candidate report (scope reports:read) as JSON, CSV, Markdown or HTML.
import { once } from 'node:events';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { GatehouseConfig } from '../../config/types.js';
import type { DataSources } from '../../db/sources.js';
import { NotAcceptableError, ValidationError } from '../../errors/app-error.js';
import type { Operation } from '../../openapi/resource.js';
import type { Knex } from 'knex';
import { MIGRATION_REPORT_PATH, REPORT_FORMATS, REPORT_MEDIA_TYPES, type ReportFormat } from '../../reports/report-media.js';
import { parseReportWindow } from '../../reports/report-window.js';
import type { GatewayRoute } from '../../pipeline/authorize.js';
import { ownRequest } from '../own-request.js';

export const REPORTS_BASE = '/_gatehouse/reports';
export const REPORTS_SCOPE = 'reports:read';
export const REPORT_ROUTES = {
  migration: { template: MIGRATION_REPORT_PATH, operationId: 'gatehouseMigrationReport', scope: REPORTS_SCOPE },
} as const satisfies Record<string, GatewayRoute>;
const PARAMETERS = new Set(['since', 'until', 'source', 'format']);

export interface ReportRouteDeps {
  readonly store: Knex;
  readonly sources: DataSources;
  readonly operations: readonly Operation[];
  readonly config: GatehouseConfig;
}

/**
 * Paths are relative to REPORTS_BASE, where the app mounts the router. `guard` runs the admission stages (a token with
 * scope reports:read, allowed from this address, within the audit rate limit) before the handler, as for the auditor API.
 */
export function reportRoutes(deps: ReportRouteDeps, guard: (route: GatewayRoute) => RequestHandler[]): Router {
  const router = Router();
  router.get('/migration', ...guard(REPORT_ROUTES.migration), async (req: Request, res: Response) => {
    const own = ownRequest(res);
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    for (const name of query.keys()) {
      if (!PARAMETERS.has(name)) throw new ValidationError('invalid_parameter', `unknown parameter "${name}" (since, until, source, format)`);
    }
    const format = negotiate(req, query.get('format'));
    const window = parseReportWindow(
      { since: query.get('since') ?? undefined, until: query.get('until') ?? undefined },
      deps.config.report.defaultSince,
    );
    const source = query.get('source') ?? undefined;
    own.reached.audit?.note('report', { window: { from: window.from.toISOString(), to: window.to.toISOString() }, source: source ?? null, format });
    // Loaded on the first report asked for: its analysis, renderers and charts are no part of serving data.
    const [{ buildMigrationReport }, { renderReport }] = await Promise.all([import('../../reports/build-report.js'), import('../../reports/report-format.js')]);
    const report = await buildMigrationReport(deps, { window, source });
    own.rows = report.tables.length;
    res.status(200);
    res.setHeader('Content-Type', `${REPORT_MEDIA_TYPES[format]}; charset=utf-8`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept');
    if (format !== 'json') res.setHeader('Content-Disposition', `inline; filename="migration-report.${format}"`);
    await send(res, renderReport(report, format));
  });
  return router;
}

/** `?format=` wins; otherwise the Accept header (JSON when it accepts anything). */
function negotiate(req: Request, format: string | null): ReportFormat {
  if (format !== null) {
    if ((REPORT_FORMATS as readonly string[]).includes(format)) return format as ReportFormat;
    throw new ValidationError('invalid_parameter', `"format" must be one of ${REPORT_FORMATS.join(', ')}`);
  }
  const accepted = req.accepts(REPORT_FORMATS.map((f) => REPORT_MEDIA_TYPES[f]));
  if (accepted === false) throw new NotAcceptableError(`the report is available as ${REPORT_FORMATS.map((f) => REPORT_MEDIA_TYPES[f]).join(', ')}`);
  return REPORT_FORMATS.find((f) => REPORT_MEDIA_TYPES[f] === accepted) ?? 'json';
}

/** In chunks, respecting backpressure, like the auditor API's exports. */
async function send(res: Response, text: string): Promise<void> {
  const CHUNK = 64 * 1024;
  for (let i = 0; i < text.length; i += CHUNK) {
    if (res.destroyed) return;
    if (!res.write(text.slice(i, i + CHUNK))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}

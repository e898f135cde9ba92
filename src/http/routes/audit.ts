// The auditor API under /_gatehouse/audit: search with cursors, streamed NDJSON / CSV export, one event, verify.
import { once } from 'node:events';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Auditor } from '../../audit/auditor.js';
import type { AuditRecord } from '../../audit/event.js';
import {
  checkQuery,
  checkText,
  FILTER_NAMES,
  getEvent,
  iterateEvents,
  LIST_PARAMS,
  listEvents,
  parseEventFilters,
  parseTime,
  type EventFilters,
} from '../../audit/event-query.js';
import { EXPORT_CONTENT_TYPES, exportHeader, exportLine, type ExportFormat } from '../../audit/export-format.js';
import { NotFoundError, ValidationError } from '../../errors/app-error.js';
import type { GatewayRoute } from '../../pipeline/authorize.js';
import { ownRequest } from '../own-request.js';

export const AUDIT_BASE = '/_gatehouse/audit';
export const AUDIT_SCOPE = 'audit:read';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export const AUDIT_ROUTES = {
  events: { template: `${AUDIT_BASE}/events`, operationId: 'gatehouseAuditListEvents', scope: AUDIT_SCOPE },
  event: { template: `${AUDIT_BASE}/events/{id}`, operationId: 'gatehouseAuditGetEvent', scope: AUDIT_SCOPE },
  verify: { template: `${AUDIT_BASE}/verify`, operationId: 'gatehouseAuditVerify', scope: AUDIT_SCOPE },
} as const satisfies Record<string, GatewayRoute>;

/**
 * Paths are relative to AUDIT_BASE, where the app mounts the router. `guard` runs the admission stages (a token with
 * scope audit:read, allowed from this address, within the audit rate limit) before each handler.
 */
export function auditRoutes(auditor: Auditor, guard: (route: GatewayRoute) => RequestHandler[]): Router {
  const router = Router();
  const db = auditor.store.db;

  router.get('/events', ...guard(AUDIT_ROUTES.events), async (req: Request, res: Response) => {
    const query = queryOf(req);
    checkQuery(query, [...FILTER_NAMES, ...LIST_PARAMS]);
    const filters = parseEventFilters((name) => query.get(name) ?? undefined);
    ownRequest(res).reached.audit?.note('filters', filtersForLog(filters));
    const format = exportFormat(req, query);
    if (format) {
      await streamExport(res, format, iterateEvents(db, filters));
      return;
    }
    const limit = parseLimit(query.get('limit'));
    const { events, next } = await listEvents(db, filters, { limit, cursor: query.get('cursor') ?? undefined });
    ownRequest(res).rows = events.length;
    if (next) {
      const nextQuery = new URLSearchParams(query);
      nextQuery.set('cursor', next);
      nextQuery.set('limit', String(limit));
      res.setHeader('Link', `<${AUDIT_BASE}/events?${nextQuery.toString()}>; rel="next"`);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ events, next: next ?? null });
  });

  router.get('/events/:id', ...guard(AUDIT_ROUTES.event), async (req: Request, res: Response) => {
    checkQuery(queryOf(req), []);
    const id = String(req.params.id);
    checkText('id', id);
    const found = await getEvent(db, id);
    if (!found) throw new NotFoundError('audit_event_not_found', 'no audit event has that id');
    ownRequest(res).rows = 1 + found.related.length;
    res.setHeader('Cache-Control', 'no-store');
    res.json(found);
  });

  router.get('/verify', ...guard(AUDIT_ROUTES.verify), async (req: Request, res: Response) => {
    const query = queryOf(req);
    checkQuery(query, ['from', 'to']);
    const from = query.get('from');
    const to = query.get('to');
    const report = await auditor.verify({
      from: from ? parseTime('from', from) : undefined,
      to: to ? parseTime('to', to) : undefined,
    });
    ownRequest(res).reached.audit?.note('verified', { ok: report.ok, events: report.events, problems: report.problems.length });
    res.setHeader('Cache-Control', 'no-store');
    res.json(report);
  });

  return router;
}

function queryOf(req: Request): URLSearchParams {
  return new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
}

function parseLimit(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new ValidationError('invalid_parameter', `"limit" must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

/** `?format=ndjson|csv`, or an Accept header asking for one of them; undefined: a JSON page. */
function exportFormat(req: Request, query: URLSearchParams): ExportFormat | undefined {
  const format = query.get('format');
  if (format === 'ndjson' || format === 'csv') return format;
  if (format !== null && format !== 'json') throw new ValidationError('invalid_parameter', '"format" must be json, ndjson or csv');
  if (format === 'json') return undefined;
  const accepted = req.accepts(['application/json', 'application/x-ndjson', 'text/csv']);
  if (accepted === 'application/x-ndjson') return 'ndjson';
  if (accepted === 'text/csv') return 'csv';
  return undefined;
}

/** Streams every matching record, respecting backpressure: memory stays at one page whatever the range. */
async function streamExport(res: Response, format: ExportFormat, records: AsyncGenerator<AuditRecord>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', EXPORT_CONTENT_TYPES[format]);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Disposition', `attachment; filename="audit-events.${format}"`);
  let count = 0;
  const header = exportHeader(format);
  if (header && !res.write(header)) await drained(res);
  for await (const record of records) {
    count += 1;
    if (!res.write(exportLine(format, record))) await drained(res);
    if (res.destroyed || res.writableEnded) return;
  }
  ownRequest(res).rows = count;
  res.end();
}

async function drained(res: Response): Promise<void> {
  if (res.destroyed) return;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

function filtersForLog(f: EventFilters): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

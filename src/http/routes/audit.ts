// The auditor API under /_gatehouse/audit: search with cursors, streamed NDJSON / CSV export, one event, verify.
import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
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
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../errors/app-error.js';
import { admitCaller } from '../admit-caller.js';
import { contextOf } from '../context.js';

export const AUDIT_BASE = '/_gatehouse/audit';
export const AUDIT_SCOPE = 'audit:read';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Paths are relative to AUDIT_BASE, where the app mounts the router: other requests pass it with one prefix test. */
export function auditRoutes(auditor: Auditor): Router {
  const router = Router();
  const db = auditor.store.db;

  router.get('/events', async (req, res) => {
    const query = authorise(req, res, `${AUDIT_BASE}/events`, 'gatehouseAuditListEvents');
    checkQuery(query, [...FILTER_NAMES, ...LIST_PARAMS]);
    const filters = parseEventFilters((name) => query.get(name) ?? undefined);
    contextOf(req).audit?.note('filters', filtersForLog(filters));
    const format = exportFormat(req, query);
    if (format) {
      await streamExport(res, format, iterateEvents(db, filters));
      return;
    }
    const limit = parseLimit(query.get('limit'));
    const { events, next } = await listEvents(db, filters, { limit, cursor: query.get('cursor') ?? undefined });
    contextOf(req).rows = events.length;
    if (next) {
      const nextQuery = new URLSearchParams(query);
      nextQuery.set('cursor', next);
      nextQuery.set('limit', String(limit));
      res.setHeader('Link', `<${AUDIT_BASE}/events?${nextQuery.toString()}>; rel="next"`);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ events, next: next ?? null });
  });

  router.get('/events/:id', async (req, res) => {
    checkQuery(authorise(req, res, `${AUDIT_BASE}/events/{id}`, 'gatehouseAuditGetEvent'), []);
    const id = String(req.params.id);
    checkText('id', id);
    const found = await getEvent(db, id);
    if (!found) throw new NotFoundError('audit_event_not_found', 'no audit event has that id');
    contextOf(req).rows = 1 + found.related.length;
    res.setHeader('Cache-Control', 'no-store');
    res.json(found);
  });

  router.get('/verify', async (req, res) => {
    const query = authorise(req, res, `${AUDIT_BASE}/verify`, 'gatehouseAuditVerify');
    checkQuery(query, ['from', 'to']);
    const from = query.get('from');
    const to = query.get('to');
    const report = await auditor.verify({
      from: from ? parseTime('from', from) : undefined,
      to: to ? parseTime('to', to) : undefined,
    });
    contextOf(req).audit?.note('verified', { ok: report.ok, events: report.events, problems: report.problems.length });
    res.setHeader('Cache-Control', 'no-store');
    res.json(report);
  });

  return router;
}

/**
 * Scope audit:read. Until a request carries a verified principal it is 401, not 403: 403 is for a caller who is
 * known and lacks the scope.
 */
function authorise(req: Request, res: Response, route: string, operationId: string): URLSearchParams {
  const ctx = contextOf(req);
  ctx.audit?.setRoute(route, operationId);
  if (!ctx.principal) {
    throw new UnauthenticatedError('unauthenticated', 'a bearer token with scope audit:read is required', `Bearer scope="${AUDIT_SCOPE}"`);
  }
  if (!ctx.principal.scopes.has(AUDIT_SCOPE)) {
    throw new ForbiddenError('insufficient_scope', `reading the audit log needs scope ${AUDIT_SCOPE}`);
  }
  admitCaller(ctx, res);
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
  const ctx = (res.req as Request | undefined) ? contextOf(res.req as Request) : undefined;
  if (ctx) ctx.rows = count;
  res.end();
}

async function drained(res: Response): Promise<void> {
  if (res.destroyed) return;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

function filtersForLog(f: EventFilters): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

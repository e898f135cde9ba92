// Steps 8–11 for data endpoints: validate → plan → execute → respond, per operation kind.
import type { Request, RequestHandler, Response } from 'express';
import type { LimitsConfig } from '../../config/types.js';
import type { DataSources } from '../../db/sources.js';
import { InternalError, NotFoundError, ValidationError } from '../../errors/app-error.js';
import type { Operation, Resource } from '../../openapi/resource.js';
import type { FieldProblem, ValidatorFactory } from '../../openapi/validators.js';
import { allowEverything, type Decision } from '../../policy/decision.js';
import { cursorScope, openCursor, sealCursor, type CursorScope } from '../../query/cursor.js';
import { executePlan, type ExecuteResult } from '../../query/execute.js';
import { coerce, parseFilters, parseReadRequest, resolveColumn, type ColumnScope } from '../../query/parse-read.js';
import {
  planCreate,
  planDelete,
  listOrder,
  planList,
  planRead,
  planReplace,
  planUpdate,
  toApiRows,
  type ListPlan,
} from '../../query/plan.js';
import type { FilterValue, Preferences, QueryPlan } from '../../query/types.js';
import { maskRows } from '../../policy/mask.js';
import { contextOf } from '../context.js';
import { appliedPreferences, parsePrefer } from '../prefer.js';
import { sendRows } from '../respond-rows.js';

export interface CrudDeps {
  readonly sources: DataSources;
  readonly validators: ValidatorFactory;
  readonly limits: LimitsConfig;
  /** Key for `hash` masking. */
  readonly maskKey?: string | undefined;
  /** Key that seals keyset cursors (AES-256-GCM). */
  readonly cursorKey: Buffer;
}

interface Call {
  readonly req: Request;
  readonly res: Response;
  readonly op: Operation;
  readonly resource: Resource;
  readonly decision: Decision;
  readonly scope: ColumnScope;
  readonly query: URLSearchParams;
  readonly prefs: Preferences;
  readonly params: readonly string[];
  readonly deps: CrudDeps;
}

export function crudHandler(deps: CrudDeps): RequestHandler {
  return async (req, res) => {
    const ctx = contextOf(req);
    const op = ctx.operation;
    if (!op) throw new InternalError('crud handler reached without an operation');
    const resource = op.resource;
    const decision = ctx.decision ?? allowEverything(resource);
    const call: Call = {
      req,
      res,
      op,
      resource,
      decision,
      scope: {
        resource,
        visible: decision.visible,
        filterable: decision.filterable,
        validators: deps.validators.forResource(resource),
      },
      query: new URLSearchParams(req.originalUrl.split('?')[1] ?? ''),
      prefs: parsePrefer(req.headers.prefer),
      params: ctx.params ?? [],
      deps,
    };
    const rows = await HANDLERS[op.kind](call);
    ctx.rows = rows;
  };
}

type Handler = (call: Call) => Promise<number>;

const HANDLERS: Record<Operation['kind'], Handler> = {
  list: list,
  read: read,
  create: create,
  update: updateOne,
  replace: replace,
  delete: deleteOne,
  updateMany: updateMany,
  deleteMany: deleteMany,
};

async function list(call: Call): Promise<number> {
  const { resource, decision, scope, query, prefs, deps } = call;
  const request = parseReadRequest(query, scope, deps.limits);
  const cursor = cursorScope(resource.name, request, listOrder(resource, request), decision, contextOf(call.req).principal);
  const after = request.cursor === undefined ? undefined : openCursor(deps.cursorKey, cursor, request.cursor);
  const listPlan = planList(resource, request, decision, prefs.count === 'exact', after);
  const result = await run(call, listPlan.plan);
  const page = result.rows.slice(0, listPlan.pageSize);
  const offset = request.offset ?? 0;
  const headers: Record<string, string> = {
    'Content-Range': `${page.length > 0 ? `${offset}-${offset + page.length - 1}` : '*'}/${result.count ?? '*'}`,
  };
  if (result.rows.length > listPlan.pageSize) headers.Link = `<${nextPageUrl(call, listPlan, page.at(-1)!, cursor)}>; rel="next"`;
  const applied = appliedPreferences({ count: prefs.count });
  if (applied) headers['Preference-Applied'] = applied;
  sendRows(call.req, call.res, 200, headers, shape(call, page, listPlan.selected), listPlan.selected);
  return page.length;
}

function nextPageUrl(call: Call, listPlan: ListPlan, lastRow: Record<string, unknown>, scope: CursorScope): string {
  const values = listPlan.order.map((t) => lastRow[call.resource.columns.get(t.column)!.column] ?? null);
  const next = new URLSearchParams(call.query);
  next.delete('offset');
  next.set('cursor', sealCursor(call.deps.cursorKey, scope, values));
  if (!next.has('limit')) next.set('limit', String(listPlan.pageSize));
  return `${call.req.baseUrl}${call.req.path}?${next.toString()}`;
}

async function read(call: Call): Promise<number> {
  const select = selectOnly(call);
  const plan = planRead(call.resource, keyValues(call), select, call.decision);
  const { rows } = await run(call, plan);
  if (rows.length === 0) throw notFound(call.resource);
  if (rows.length > 1) throw new InternalError(`key of ${call.resource.name} matched more than one row`);
  sendJson(call.res, 200, {}, shape(call, rows, select)[0]);
  return 1;
}

async function create(call: Call): Promise<number> {
  const { resource, decision, prefs, deps } = call;
  const select = selectOnly(call);
  const body = call.req.body as unknown;
  const bulk = Array.isArray(body);
  const bodies = bulk ? (body as unknown[]) : [body];
  if (bodies.length === 0) throw new ValidationError('empty_body', 'the array holds no rows to create');
  if (bodies.length > deps.limits.maxBulkRows) {
    throw new ValidationError('too_many_rows', `at most ${deps.limits.maxBulkRows} rows may be created in one request`);
  }
  const validators = deps.validators.forResource(resource);
  const problems: FieldProblem[] = [];
  bodies.forEach((b, i) => {
    if (!isObject(b)) problems.push({ pointer: bulk ? `/${i}` : '/', detail: 'must be a JSON object' });
    else problems.push(...validators.full(b).map((p) => ({ ...p, pointer: `${bulk ? `/${i}` : ''}${p.pointer}` })));
  });
  if (problems.length > 0) throw invalidBody(problems);
  const representation = prefs.return === 'representation';
  const returning = representation ? union(select, resource.key) : resource.key;
  const plan = planCreate(resource, bodies as Record<string, unknown>[], decision, {
    resolution: prefs.resolution,
    returning,
  });
  const { rows } = await run(call, plan);
  const headers: Record<string, string> = {};
  const applied = appliedPreferences({ return: prefs.return, resolution: prefs.resolution });
  if (applied) headers['Preference-Applied'] = applied;
  const created = toApiRows(resource, rows, returning);
  if (!bulk && created[0] && resource.itemPath) headers.Location = itemLocation(call, created[0]);
  if (!representation) {
    sendEmpty(call.res, 201, headers);
  } else {
    const shaped = shape(call, rows, select);
    sendJson(call.res, 201, headers, bulk ? shaped : shaped[0] ?? null);
  }
  return rows.length;
}

async function updateOne(call: Call): Promise<number> {
  const body = partialBody(call);
  const select = selectOnly(call);
  const returning = returningFor(call, select);
  const plan = planUpdate(call.resource, body, keyFilters(call), call.decision, returning, 1);
  const { rows } = await run(call, plan);
  if (rows.length === 0) throw notFound(call.resource);
  respondWrite(call, 200, rows, select, false);
  return rows.length;
}

async function replace(call: Call): Promise<number> {
  const body = requireObject(call.req.body);
  const key = keyValues(call);
  const withKey = { ...body };
  call.resource.key.forEach((k, i) => {
    if (withKey[k] === undefined) withKey[k] = key[i];
  });
  const problems = call.deps.validators.forResource(call.resource).full(withKey);
  if (problems.length > 0) throw invalidBody(problems);
  const select = selectOnly(call);
  const returning = call.prefs.return === 'representation' ? union(select, call.resource.key) : call.resource.key;
  const plan = planReplace(call.resource, key, body, call.decision, returning);
  const result = await run(call, plan);
  respondWrite(call, result.created ? 201 : 200, result.rows, select, result.created === true);
  return result.rows.length;
}

async function deleteOne(call: Call): Promise<number> {
  const select = selectOnly(call);
  const returning = returningFor(call, select);
  const plan = planDelete(call.resource, keyFilters(call), call.decision, returning, 1);
  const { rows } = await run(call, plan);
  if (rows.length === 0) throw notFound(call.resource);
  respondWrite(call, 200, rows, select, false);
  return rows.length;
}

async function updateMany(call: Call): Promise<number> {
  const body = partialBody(call);
  const filters = collectionFilters(call);
  const select = selectOnly(call);
  const returning = returningFor(call, select);
  const plan = planUpdate(call.resource, body, filters, call.decision, returning, maxAffected(call));
  const { rows } = await run(call, plan);
  respondMany(call, rows, select);
  return rows.length;
}

async function deleteMany(call: Call): Promise<number> {
  const filters = collectionFilters(call);
  const select = selectOnly(call);
  const returning = returningFor(call, select);
  const plan = planDelete(call.resource, filters, call.decision, returning, maxAffected(call));
  const { rows } = await run(call, plan);
  respondMany(call, rows, select);
  return rows.length;
}

async function run(call: Call, plan: QueryPlan): Promise<ExecuteResult> {
  const source = call.deps.sources.get(call.resource.source);
  if (!source) throw new InternalError(`source ${call.resource.source} is not configured`);
  return executePlan(source, plan);
}

/** Collection writes need at least one filter of the caller's own: a row rule alone does not count. */
function collectionFilters(call: Call) {
  const filters = parseFilters(call.query, call.scope);
  if (filters.length === 0) {
    throw new ValidationError('unfiltered_write', `${call.op.method.toUpperCase()} on the whole collection is refused`, {
      hint: `add a filter, e.g. ?${call.resource.key[0] ?? 'column'}=eq.value`,
    });
  }
  return filters;
}

function maxAffected(call: Call): number {
  const caps = [call.deps.limits.maxAffected, call.decision.maxAffected, call.prefs.maxAffected];
  return Math.min(...caps.filter((c): c is number => c !== undefined));
}

/** Item endpoints and creates take `select` (for the representation) and nothing else. */
function selectOnly(call: Call): string[] {
  const filterish = [...call.query.keys()].filter((k) => k !== 'select');
  if (filterish.length > 0 && call.op.kind !== 'updateMany' && call.op.kind !== 'deleteMany') {
    throw new ValidationError('unexpected_parameter', `"${filterish[0]}" is not accepted here; only select is`);
  }
  const raw = call.query.get('select');
  if (raw === null || raw === '*') return [...call.decision.visible];
  return [...new Set(raw.split(',').map((name) => resolveColumn(name.trim(), call.scope, 'select').name))];
}

function keyValues(call: Call): FilterValue[] {
  // Key columns are coerced by their schema alone (coerce does not consult visibility): a key may be hidden.
  return call.resource.key.map((name, i) => {
    const column = call.resource.columns.get(name)!;
    try {
      return coerce(column, call.params[i] ?? '', call.scope);
    } catch {
      throw new ValidationError('invalid_key', `"${call.params[i]}" is not a valid ${name}`);
    }
  });
}

function keyFilters(call: Call) {
  const values = keyValues(call);
  return call.resource.key.map((column, i) => ({ column, op: 'eq' as const, value: values[i] ?? null, negate: false }));
}

function respondWrite(call: Call, status: number, rows: Record<string, unknown>[], select: string[], created: boolean): void {
  const headers: Record<string, string> = {};
  const keys = toApiRows(call.resource, rows, call.resource.key);
  if (created && keys[0]) headers.Location = itemLocation(call, keys[0]);
  if (call.prefs.return === 'representation') {
    headers['Preference-Applied'] = 'return=representation';
    sendJson(call.res, status, headers, shape(call, rows, select)[0] ?? null);
  } else {
    sendEmpty(call.res, created ? 201 : 204, headers);
  }
}

function respondMany(call: Call, rows: Record<string, unknown>[], select: string[]): void {
  const headers: Record<string, string> = {
    'Content-Range': `${rows.length > 0 ? `0-${rows.length - 1}` : '*'}/${rows.length}`,
  };
  if (call.prefs.return === 'representation') {
    headers['Preference-Applied'] = 'return=representation';
    sendJson(call.res, 200, headers, shape(call, rows, select));
  } else {
    sendEmpty(call.res, 204, headers);
  }
}

function itemLocation(call: Call, row: Record<string, unknown>): string {
  const template = call.resource.itemPath!;
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(row[call.resource.key[i++]!])));
}

/** Database rows → the caller's view: API names, only the given properties, masked as the policy says. */
function shape(call: Call, rows: readonly Record<string, unknown>[], names: readonly string[]): Record<string, unknown>[] {
  return maskRows(toApiRows(call.resource, rows, names), call.decision.masks, call.deps.maskKey);
}

function sendJson(res: Response, status: number, headers: Record<string, string>, body: unknown): void {
  if (res.headersSent) return;
  res.status(status).set(headers).json(body);
}

function sendEmpty(res: Response, status: number, headers: Record<string, string>): void {
  if (res.headersSent) return;
  res.status(status).set(headers).end();
}

/** A PATCH body: an object whose every property passes the entity schema (nothing required). */
function partialBody(call: Call): Record<string, unknown> {
  const body = requireObject(call.req.body);
  const problems = call.deps.validators.forResource(call.resource).partial(body);
  if (problems.length > 0) throw invalidBody(problems);
  return body;
}

/** Columns a write returns: the representation asked for, else just the key (for Location and row checks). */
function returningFor(call: Call, select: readonly string[]): readonly string[] {
  return call.prefs.return === 'representation' ? select : call.resource.key;
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new ValidationError('invalid_body', 'the request body must be a JSON object');
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidBody(problems: readonly FieldProblem[]): ValidationError {
  const first = problems[0]!;
  return new ValidationError('invalid_body', `${first.pointer} ${first.detail}`, { errors: problems });
}

function notFound(resource: Resource): NotFoundError {
  return new NotFoundError('row_not_found', `no ${resource.name} row has that key`);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

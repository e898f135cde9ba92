// Stage 8: the request's query string, headers and body, parsed and checked against the operation and the caller's
// decision → the OperationInput the planner takes. The body is read here, after authorization, and nowhere else.
import accepts from 'accepts';
import bytes from 'bytes';
import type { LimitsConfig } from '../config/types.js';
import { ForbiddenError, NotAcceptableError, ValidationError } from '../errors/app-error.js';
import type { FieldProblem, ValidatorFactory } from '../openapi/validators.js';
import { coerce, parseFilters, parseReadRequest, resolveColumn, type ColumnScope } from '../query/parse-read.js';
import type { Filter, FilterValue, Preferences } from '../query/types.js';
import { parsePrefer } from '../http/prefer.js';
import type { Authorized, Validated } from './exchange.js';
import type { OperationInput, RowFormat } from './operation-input.js';
import { readJsonBody } from './read-body.js';

export interface ValidateDeps {
  readonly validators: ValidatorFactory;
  readonly limits: LimitsConfig;
  readonly bodyLimitBytes: number;
}

const ROW_FORMATS: RowFormat[] = ['application/json', 'application/x-ndjson', 'text/csv'];

export function validateStage(deps: ValidateDeps): (x: Authorized) => Promise<Validated> {
  const bodyLimitText = bytes.format(deps.bodyLimitBytes) ?? `${deps.bodyLimitBytes}B`;
  return async (x) => {
    const resource = x.operation.resource;
    const scope: ColumnScope = {
      resource,
      visible: x.decision.visible,
      filterable: x.decision.filterable,
      validators: deps.validators.forResource(resource),
    };
    const query = new URLSearchParams(x.query);
    const prefs = parsePrefer(x.headers.prefer);
    const kind = x.operation.kind;
    const readBody = (): Promise<unknown> => readJsonBody(x.message, deps.bodyLimitBytes, bodyLimitText);
    let input: OperationInput;
    switch (kind) {
      case 'list': {
        const format = rowFormat(x.headers.accept, x.message);
        if (query.get('limit') === 'all') {
          input = exportInput(query, scope, deps.limits, x, prefs, format);
          break;
        }
        const read = parseReadRequest(query, scope, deps.limits);
        input = { kind, prefs, select: read.select ?? [...x.decision.visible], read, format, all: false };
        break;
      }
      case 'read':
        input = { kind, prefs, select: selectOnly(query, scope, x.decision.visible, kind), key: keyValues(x.params, scope) };
        break;
      case 'create': {
        const select = selectOnly(query, scope, x.decision.visible, kind);
        const body = await readBody();
        const bulk = Array.isArray(body);
        const rows = bulk ? (body as unknown[]) : [body];
        if (rows.length === 0) throw new ValidationError('empty_body', 'the array holds no rows to create');
        if (rows.length > deps.limits.maxBulkRows) {
          throw new ValidationError('too_many_rows', `at most ${deps.limits.maxBulkRows} rows may be created in one request`);
        }
        const problems: FieldProblem[] = [];
        rows.forEach((row, i) => {
          if (!isObject(row)) problems.push({ pointer: bulk ? `/${i}` : '/', detail: 'must be a JSON object' });
          else problems.push(...scope.validators.full(row).map((p) => ({ ...p, pointer: `${bulk ? `/${i}` : ''}${p.pointer}` })));
        });
        if (problems.length > 0) throw invalidBody(problems);
        input = { kind, prefs, select, rows: rows as Record<string, unknown>[], bulk };
        break;
      }
      case 'update': {
        const body = partialBody(await readBody(), scope);
        input = { kind, prefs, body, select: selectOnly(query, scope, x.decision.visible, kind), filters: keyFilters(x.params, scope) };
        break;
      }
      case 'replace': {
        const body = requireObject(await readBody());
        const key = keyValues(x.params, scope);
        const withKey = { ...body };
        resource.key.forEach((k, i) => {
          if (withKey[k] === undefined) withKey[k] = key[i];
        });
        const problems = scope.validators.full(withKey);
        if (problems.length > 0) throw invalidBody(problems);
        input = { kind, prefs, key, body, select: selectOnly(query, scope, x.decision.visible, kind) };
        break;
      }
      case 'delete':
        input = { kind, prefs, select: selectOnly(query, scope, x.decision.visible, kind), filters: keyFilters(x.params, scope) };
        break;
      case 'updateMany': {
        const body = partialBody(await readBody(), scope);
        const filters = collectionFilters(query, scope, 'PATCH');
        input = { kind, prefs, body, filters, select: selectOnly(query, scope, x.decision.visible, kind), maxAffected: maxAffected(deps, x, prefs) };
        break;
      }
      case 'deleteMany': {
        const filters = collectionFilters(query, scope, 'DELETE');
        input = { kind, prefs, filters, select: selectOnly(query, scope, x.decision.visible, kind), maxAffected: maxAffected(deps, x, prefs) };
        break;
      }
    }
    return { ...x, input };
  };
}

/**
 * `limit=all`: every matching row, streamed in batches of `limits.exportBatchRows`. Only as NDJSON or CSV (a JSON
 * array cannot be streamed into a client's parser row by row), only where the caller's rule grants `export`, and
 * with neither offset nor cursor (the stream pages itself).
 */
function exportInput(
  query: URLSearchParams,
  scope: ColumnScope,
  limits: LimitsConfig,
  x: Authorized,
  prefs: Preferences,
  format: RowFormat,
): OperationInput {
  if (format === 'application/json') {
    throw new ValidationError('invalid_parameter', 'limit=all streams every row: ask for it as application/x-ndjson or text/csv', {
      hint: 'send Accept: application/x-ndjson (or text/csv) with limit=all',
    });
  }
  if (query.getAll('limit').length > 1) throw new ValidationError('duplicate_parameter', '"limit" may be given once');
  if (query.has('offset') || query.has('cursor')) {
    throw new ValidationError('invalid_pagination', 'limit=all streams every matching row: leave out offset and cursor');
  }
  if (!x.decision.exportAll) {
    throw new ForbiddenError('export_not_allowed', `streaming every row of ${scope.resource.name} needs a rule that grants export`, {
      deniedBy: x.decision.rule,
    });
  }
  const rest = new URLSearchParams(query);
  rest.delete('limit');
  const read = { ...parseReadRequest(rest, scope, limits), limit: limits.exportBatchRows };
  return { kind: 'list', prefs, select: read.select ?? [...x.decision.visible], read, format, all: true };
}

/** The answer format of a list, chosen from Accept before anything runs (406 when none fits). */
function rowFormat(accept: string | undefined, message: Parameters<typeof accepts>[0]): RowFormat {
  // The common cases without a negotiation: no Accept header, or JSON asked for plainly.
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return 'application/json';
  const format = accepts(message).type(ROW_FORMATS);
  if (format === false) throw new NotAcceptableError(`this endpoint answers in ${ROW_FORMATS.join(', ')}`);
  return format as RowFormat;
}

/** Collection writes need at least one filter of the caller's own: a row rule alone does not count. */
function collectionFilters(query: URLSearchParams, scope: ColumnScope, method: string): Filter[] {
  const filters = parseFilters(query, scope);
  if (filters.length === 0) {
    throw new ValidationError('unfiltered_write', `${method} on the whole collection is refused`, {
      hint: `add a filter, e.g. ?${scope.resource.key[0] ?? 'column'}=eq.value`,
    });
  }
  return filters;
}

function maxAffected(deps: ValidateDeps, x: Authorized, prefs: Preferences): number {
  const caps = [deps.limits.maxAffected, x.decision.maxAffected, prefs.maxAffected];
  return Math.min(...caps.filter((c): c is number => c !== undefined));
}

/** Item endpoints and creates take `select` (for the representation) and nothing else. */
function selectOnly(query: URLSearchParams, scope: ColumnScope, visible: ReadonlySet<string>, kind: OperationInput['kind']): string[] {
  if (kind !== 'updateMany' && kind !== 'deleteMany') {
    for (const name of query.keys()) {
      if (name !== 'select') throw new ValidationError('unexpected_parameter', `"${name}" is not accepted here; only select is`);
    }
  }
  const raw = query.get('select');
  if (raw === null || raw === '*') return [...visible];
  return [...new Set(raw.split(',').map((name) => resolveColumn(name.trim(), scope, 'select').name))];
}

function keyValues(params: readonly string[], scope: ColumnScope): FilterValue[] {
  // Key columns are coerced by their schema alone (coerce does not consult visibility): a key may be hidden.
  return scope.resource.key.map((name, i) => {
    const column = scope.resource.columns.get(name)!;
    try {
      return coerce(column, params[i] ?? '', scope);
    } catch {
      throw new ValidationError('invalid_key', `"${params[i]}" is not a valid ${name}`);
    }
  });
}

function keyFilters(params: readonly string[], scope: ColumnScope): Filter[] {
  const values = keyValues(params, scope);
  return scope.resource.key.map((column, i) => ({ column, op: 'eq' as const, value: values[i] ?? null, negate: false }));
}

/** A PATCH body: an object whose every property passes the entity schema (nothing required). */
function partialBody(body: unknown, scope: ColumnScope): Record<string, unknown> {
  const object = requireObject(body);
  const problems = scope.validators.partial(object);
  if (problems.length > 0) throw invalidBody(problems);
  return object;
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

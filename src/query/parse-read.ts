// The PostgREST query grammar: filters, select, order, limit / offset / cursor → a ReadRequest in API names.
import { ForbiddenError, ValidationError } from '../errors/app-error.js';
import type { Resource, ResourceColumn } from '../openapi/resource.js';
import type { ResourceValidators } from '../openapi/validators.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { CompareOp, Filter, FilterValue, OrderTerm, ReadRequest } from './types.js';

export const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'offset', 'cursor']);
const COMPARE_OPS = new Set<string>(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'like', 'ilike']);
const ALL_OPS = [...COMPARE_OPS, 'in', 'is'];
const IS_VALUES = new Set(['null', 'not_null', 'true', 'false']);
/**
 * String formats whose database column is not text (numeric, bigint, date, timestamp, time, uuid, bytea, inet…): a
 * pattern match would need the database to compare text with a number or a date, which it refuses.
 */
const NON_TEXT_FORMATS = new Set(['int32', 'int64', 'decimal', 'float', 'double', 'date', 'date-time', 'time', 'duration', 'uuid', 'byte', 'binary', 'ipv4', 'ipv6']);

export interface ReadLimits {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** What the caller may see: the parser refuses every other column, in select, filters and order alike. */
export interface ColumnScope {
  readonly resource: Resource;
  readonly visible: ReadonlySet<string>;
  /** Visible columns that may also be filtered and ordered by (masked ones may not); default: all visible. */
  readonly filterable?: ReadonlySet<string>;
  readonly validators: ResourceValidators;
}

export function parseReadRequest(query: URLSearchParams, scope: ColumnScope, limits: ReadLimits): ReadRequest {
  const filters = parseFilters(query, scope);
  const selectRaw = single(query, 'select');
  const orderRaw = single(query, 'order');
  const limit = parseCount(single(query, 'limit'), 'limit', 1) ?? limits.defaultPageSize;
  if (limit > limits.maxPageSize) {
    throw new ValidationError('limit_too_large', `limit must be at most ${limits.maxPageSize}`, {
      hint: `use limit=${limits.maxPageSize} and follow the Link: rel="next" header`,
    });
  }
  const offset = parseCount(single(query, 'offset'), 'offset', 0);
  const cursor = single(query, 'cursor');
  if (cursor !== undefined && offset !== undefined) {
    throw new ValidationError('invalid_pagination', 'use either cursor or offset, not both');
  }
  return {
    select: selectRaw === undefined ? undefined : parseSelect(selectRaw, scope),
    filters,
    order: orderRaw === undefined ? [] : parseOrder(orderRaw, scope),
    limit,
    offset,
    cursor,
  };
}

/** Filters only: for collection PATCH / DELETE, where select/order/limit have no meaning. */
export function parseFilters(query: URLSearchParams, scope: ColumnScope): Filter[] {
  const filters: Filter[] = [];
  for (const [name, raw] of query) {
    if (RESERVED_PARAMS.has(name)) continue;
    const column = resolveColumn(name, scope, 'filter');
    filters.push(parseFilter(column, raw, scope));
  }
  return filters;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new ValidationError('duplicate_parameter', `"${name}" may be given once`);
  return values[0];
}

function parseCount(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) {
    throw new ValidationError('invalid_parameter', `${name} must be a whole number of at least ${min}`);
  }
  return Number(raw);
}

export function resolveColumn(name: string, scope: ColumnScope, usage: string): ResourceColumn {
  const column = scope.visible.has(name) ? scope.resource.columns.get(name) : undefined;
  if (column && usage !== 'select' && scope.filterable && !scope.filterable.has(name)) {
    throw new ForbiddenError('column_not_filterable', `"${name}" is masked for you, so it cannot be used in ${usage}`);
  }
  if (!column) {
    throw new ValidationError('unknown_column', `unknown column "${name}" in ${usage}`, {
      hint: `${didYouMean(name, scope.visible).replace(/^ \(|\)$/g, '') || `known columns: ${[...scope.visible].join(', ')}`}`,
    });
  }
  return column;
}

function parseFilter(column: ResourceColumn, raw: string, scope: ColumnScope): Filter {
  let rest = raw;
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = dot === -1 ? rest : rest.slice(0, dot);
  const operand = dot === -1 ? undefined : rest.slice(dot + 1);
  if (!ALL_OPS.includes(op)) {
    throw new ValidationError('unknown_operator', `unknown operator "${op}" in filter on "${column.name}"`, {
      hint: `use one of ${ALL_OPS.join(', ')}, e.g. ${column.name}=eq.value${didYouMean(op, ALL_OPS)}`,
    });
  }
  if (operand === undefined) {
    throw new ValidationError('invalid_filter', `filter on "${column.name}" needs a value: ${column.name}=${op}.value`);
  }
  if (op === 'is') {
    const value = operand.toLowerCase();
    if (!IS_VALUES.has(value)) {
      throw new ValidationError('invalid_filter', `"is" takes null, not_null, true or false`);
    }
    if ((value === 'true' || value === 'false') && column.kind !== 'boolean') {
      throw new ValidationError('invalid_filter', `"is.${value}" applies to boolean columns; "${column.name}" is not one`, {
        hint: `use ${column.name}=is.null or ${column.name}=is.not_null, or eq with a value`,
      });
    }
    return { column: column.name, op: 'is', value: value as 'null' | 'not_null' | 'true' | 'false', negate };
  }
  if (op === 'in') {
    if (!operand.startsWith('(') || !operand.endsWith(')')) {
      throw new ValidationError('invalid_filter', `"in" takes a list: ${column.name}=in.(a,b,c)`);
    }
    const values = splitList(operand.slice(1, -1)).map((v) => coerce(column, v, scope));
    return { column: column.name, op: 'in', values, negate };
  }
  if (op === 'like' || op === 'ilike') {
    const format = column.schema.format;
    if (column.kind !== 'string' || (typeof format === 'string' && NON_TEXT_FORMATS.has(format))) {
      throw new ValidationError('invalid_filter', `"${op}" applies to text columns; "${column.name}" is not one`, {
        hint: `compare "${column.name}" with eq, lt, lte, gt, gte or in`,
      });
    }
    return { column: column.name, op, value: operand.replace(/\*/g, '%'), negate };
  }
  return { column: column.name, op: op as CompareOp, value: coerce(column, operand, scope), negate };
}

/**
 * `a, "b,c" ,d` → [a, b,c, d]: double quotes protect commas and spaces, a backslash escapes a quote inside them;
 * spaces around a value (quoted or not) are not part of it.
 */
function splitList(body: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < body.length) current += body[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"' && !wasQuoted && current.trim() === '') {
      current = '';
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      out.push(wasQuoted ? current : current.trim());
      current = '';
      wasQuoted = false;
    } else if (wasQuoted) {
      if (ch.trim() !== '') throw new ValidationError('invalid_filter', 'a quoted value in an "in" list must end at a comma');
    } else {
      current += ch;
    }
  }
  if (quoted) throw new ValidationError('invalid_filter', 'unterminated quote in an "in" list');
  if (body.length > 0) out.push(wasQuoted ? current : current.trim());
  return out;
}

/** Text from the URL → a value of the column's type, checked against its schema; `null` literal where nullable. */
export function coerce(column: ResourceColumn, text: string, scope: ColumnScope): FilterValue {
  let value: FilterValue = text;
  if (column.kind === 'integer') {
    if (!/^-?\d+$/.test(text)) throw invalidValue(column, 'a whole number');
    const n = Number(text);
    value = Number.isSafeInteger(n) ? n : text;
  } else if (column.kind === 'number') {
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw invalidValue(column, 'a number');
    value = Number(text);
  } else if (column.kind === 'boolean') {
    if (text !== 'true' && text !== 'false') throw invalidValue(column, 'true or false');
    value = text === 'true';
  } else if (column.kind === 'object' || column.kind === 'array') {
    throw new ValidationError('invalid_filter', `"${column.name}" cannot be compared; filter on a scalar column`);
  }
  if (typeof value === 'string' || typeof value === 'number') {
    const problems = scope.validators.column(column)(value);
    if (problems.length > 0 && !(typeof value === 'number' && !Number.isSafeInteger(value))) {
      throw new ValidationError('invalid_filter_value', `"${text}" is not a valid value for "${column.name}"`, {
        errors: problems.map((p) => ({ pointer: `/${column.name}`, detail: p.detail })),
      });
    }
  }
  return value;
}

function invalidValue(column: ResourceColumn, expected: string): ValidationError {
  return new ValidationError('invalid_filter_value', `"${column.name}" takes ${expected}`);
}

function parseSelect(raw: string, scope: ColumnScope): string[] {
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new ValidationError('invalid_select', 'select lists column names separated by commas');
  const out: string[] = [];
  for (const name of names) {
    if (name === '*') {
      out.push(...scope.visible);
      continue;
    }
    out.push(resolveColumn(name, scope, 'select').name);
  }
  return [...new Set(out)];
}

function parseOrder(raw: string, scope: ColumnScope): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const part of raw.split(',')) {
    const pieces = part.trim().split('.');
    const name = pieces.shift() ?? '';
    const column = resolveColumn(name, scope, 'order');
    let direction: 'asc' | 'desc' = 'asc';
    let nulls: 'first' | 'last' | undefined;
    for (const modifier of pieces) {
      if (modifier === 'asc' || modifier === 'desc') direction = modifier;
      else if (modifier === 'nullsfirst') nulls = 'first';
      else if (modifier === 'nullslast') nulls = 'last';
      else {
        throw new ValidationError('invalid_order', `unknown order modifier "${modifier}"`, {
          hint: 'use asc, desc, nullsfirst or nullslast, e.g. order=name.desc.nullslast',
        });
      }
    }
    if (terms.some((t) => t.column === column.name)) {
      throw new ValidationError('invalid_order', `"${column.name}" appears twice in order`);
    }
    terms.push({ column: column.name, direction, nulls });
  }
  return terms;
}

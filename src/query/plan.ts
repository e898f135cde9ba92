// The pure planner: (resource, parsed input, decision) → QueryPlan. No SQL, no I/O, no express.
import { ForbiddenError, ValidationError } from '../errors/app-error.js';
import type { Resource } from '../openapi/resource.js';
import type { Decision } from '../policy/decision.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { DbRow, Filter, FilterValue, OrderTerm, QueryPlan, ReadRequest, RowCheck, TableTarget } from './types.js';

export type SelectPlan = Extract<QueryPlan, { kind: 'select' }>;
export type InsertPlan = Extract<QueryPlan, { kind: 'insert' }>;
export type UpdatePlan = Extract<QueryPlan, { kind: 'update' }>;
export type ReplacePlan = Extract<QueryPlan, { kind: 'replace' }>;
export type DeletePlan = Extract<QueryPlan, { kind: 'delete' }>;

export interface ListPlan {
  readonly plan: SelectPlan;
  /** API names to put in each response row. */
  readonly selected: readonly string[];
  /** The full order (API names), key columns last: what a cursor records. */
  readonly order: readonly OrderTerm[];
  /** Page size the caller asked for (the plan fetches one more). */
  readonly pageSize: number;
}

export function tableOf(resource: Resource): TableTarget {
  return { schema: resource.table.schema, name: resource.table.name, ...(resource.hasTriggers ? { hasTriggers: true } : {}) };
}

/** The order a list is read in: the requested terms, then the key columns not among them (a total order). */
export function listOrder(resource: Resource, req: ReadRequest): OrderTerm[] {
  const order = [...req.order];
  for (const key of resource.key) {
    if (!order.some((t) => t.column === key)) order.push({ column: key, direction: 'asc', nulls: undefined });
  }
  return order;
}

/** `after`: the values of `listOrder` the page starts after, from the caller's cursor once it has been opened. */
export function planList(
  resource: Resource,
  req: ReadRequest,
  decision: Decision,
  count: boolean,
  after?: readonly unknown[],
): ListPlan {
  const selected = req.select ?? [...decision.visible];
  const order = listOrder(resource, req);
  const fetched = [...new Set([...selected, ...order.map((t) => t.column)])];
  const pageSize = req.limit ?? 1;
  if (req.cursor !== undefined && after === undefined) throw new Error('planner: a cursor must be opened before planning');
  return {
    selected,
    order,
    pageSize,
    plan: {
      kind: 'select',
      table: tableOf(resource),
      columns: fetched.map((c) => dbName(resource, c)),
      filters: toDbFilters(resource, [...decision.rowFilters, ...req.filters]),
      order: order.map((t) => toDbTerm(resource, t)),
      after: after === undefined ? undefined : { terms: order.map((t) => toDbTerm(resource, t)), values: after },
      limit: pageSize + 1,
      offset: req.offset,
      count,
    },
  };
}

export function planRead(resource: Resource, key: readonly FilterValue[], select: readonly string[], decision: Decision): SelectPlan {
  return {
    kind: 'select',
    table: tableOf(resource),
    columns: select.map((c) => dbName(resource, c)),
    filters: toDbFilters(resource, [...decision.rowFilters, ...keyFilters(resource, key)]),
    order: [],
    after: undefined,
    limit: 2,
    offset: undefined,
    count: false,
    byKey: true,
  };
}

export interface CreateOptions {
  readonly resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  readonly returning: readonly string[];
}

export function planCreate(
  resource: Resource,
  bodies: readonly Record<string, unknown>[],
  decision: Decision,
  options: CreateOptions,
): InsertPlan {
  const upsert = options.resolution !== undefined;
  if (upsert) {
    for (const [index, body] of bodies.entries()) {
      const missing = resource.key.filter((k) => body[k] === undefined);
      if (missing.length > 0) {
        throw new ValidationError('missing_key', `an upsert row needs its key: ${missing.join(', ')}`, {
          errors: missing.map((k) => ({ pointer: `${bodies.length > 1 ? `/${index}` : ''}/${k}`, detail: 'is required for upsert' })),
        });
      }
    }
  }
  const rows = bodies.map((body, index) => {
    checkWritable(resource, body, decision, { keys: upsert ? 'identify' : 'set', at: bodies.length > 1 ? `/${index}` : '' });
    return toDbRow(resource, { ...body, ...decision.forced });
  });
  return {
    kind: 'insert',
    table: tableOf(resource),
    rows,
    returning: withKey(resource, decision, options.returning).map((c) => dbName(resource, c)),
    conflict: upsert
      ? {
          columns: resource.key.map((k) => dbName(resource, k)),
          action: options.resolution === 'merge-duplicates' ? 'merge' : 'ignore',
        }
      : undefined,
    check: rowCheck(resource, decision),
  };
}

export function planUpdate(
  resource: Resource,
  body: Record<string, unknown>,
  filters: readonly Filter[],
  decision: Decision,
  returning: readonly string[],
  maxAffected: number | undefined,
): UpdatePlan {
  const set = withoutPinnedKey(resource, body, filters);
  checkWritable(resource, set, decision, { keys: 'change', at: '' });
  return {
    kind: 'update',
    table: tableOf(resource),
    set: toDbRow(resource, set),
    filters: toDbFilters(resource, [...decision.rowFilters, ...filters]),
    returning: withKey(resource, decision, returning).map((c) => dbName(resource, c)),
    maxAffected,
    check: rowCheck(resource, decision),
  };
}

/**
 * PUT: every writable column is set; the key comes from the path. An omitted property takes its documented
 * `default`, else null when it is nullable; one that can be neither (not null, no documented default: filled by
 * the database, like a creation time) is left to the database — kept on replace, its column default on insert.
 * An omitted property the caller cannot see as stored (hidden from it, or masked) is left alone too: a client that
 * reads, edits and sends back a row must not wipe what it was never shown.
 */
export function planReplace(
  resource: Resource,
  key: readonly FilterValue[],
  body: Record<string, unknown>,
  decision: Decision,
  returning: readonly string[],
): ReplacePlan {
  resource.key.forEach((k, i) => {
    if (body[k] !== undefined && body[k] !== key[i]) {
      throw new ValidationError('key_mismatch', `"${k}" in the body differs from the path`);
    }
  });
  const withoutKey = Object.fromEntries(Object.entries(body).filter(([k]) => !resource.key.includes(k)));
  checkWritable(resource, withoutKey, decision, { keys: 'set', at: '' });
  const set: Record<string, unknown> = {};
  for (const name of decision.writable) {
    if (resource.key.includes(name)) continue;
    const column = resource.columns.get(name)!;
    if (withoutKey[name] !== undefined) set[name] = withoutKey[name];
    else if (!decision.visible.has(name) || decision.masks.has(name)) continue;
    else if (column.schema.default !== undefined) set[name] = column.schema.default;
    else if (column.nullable) set[name] = null;
  }
  return {
    kind: 'replace',
    table: tableOf(resource),
    set: toDbRow(resource, { ...set, ...decision.forced }),
    key: toDbRow(resource, Object.fromEntries(resource.key.map((k, i) => [k, key[i]]))),
    returning: withKey(resource, decision, returning).map((c) => dbName(resource, c)),
    check: rowCheck(resource, decision),
  };
}

export function planDelete(
  resource: Resource,
  filters: readonly Filter[],
  decision: Decision,
  returning: readonly string[],
  maxAffected: number | undefined,
): DeletePlan {
  return {
    kind: 'delete',
    table: tableOf(resource),
    filters: toDbFilters(resource, [...decision.rowFilters, ...filters]),
    returning: returning.map((c) => dbName(resource, c)),
    maxAffected,
  };
}

/**
 * A PATCH body may repeat a key value its filters already pin (`PATCH /customers/7 {"id": 7, …}`, or
 * `?id=eq.7`): that is no change of key, so it is dropped rather than refused. Any other key value is a change.
 */
function withoutPinnedKey(resource: Resource, body: Record<string, unknown>, filters: readonly Filter[]): Record<string, unknown> {
  const pinned = (name: string): boolean =>
    filters.some((f) => f.column === name && f.op === 'eq' && !f.negate && f.value !== null && f.value === body[name]);
  return Object.fromEntries(Object.entries(body).filter(([name]) => !(resource.key.includes(name) && pinned(name))));
}

export function keyFilters(resource: Resource, key: readonly FilterValue[]): Filter[] {
  return resource.key.map((column, i) => ({ column, op: 'eq', value: key[i] ?? null, negate: false }));
}

/** Database rows → API objects holding only `names`; binary values become base64. */
export function toApiRows(resource: Resource, rows: readonly DbRow[], names: readonly string[]): Record<string, unknown>[] {
  const pairs = names.map((n) => [n, dbName(resource, n)] as const);
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [api, db] of pairs) {
      const value = row[db];
      out[api] = value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
    }
    return out;
  });
}

function checkWritable(
  resource: Resource,
  body: Record<string, unknown>,
  decision: Decision,
  /** Key properties in the body: `identify` the row (upsert), are `set` like any column (create), or `change` it (PATCH). */
  options: { keys: 'identify' | 'set' | 'change'; at: string },
): void {
  for (const name of Object.keys(body)) {
    const column = resource.columns.get(name);
    if (!column) {
      throw new ValidationError('unknown_column', `"${name}" is not a property of ${resource.name}`, {
        hint: didYouMean(name, decision.writable).replace(/^ \(|\)$/g, '') || undefined,
        errors: [{ pointer: `${options.at}/${name}`, detail: 'is not a property of this resource' }],
      });
    }
    const identifies = options.keys === 'identify' && resource.key.includes(name);
    if (options.keys === 'change' && resource.key.includes(name) && !resource.mutableKey.includes(name)) {
      // Changing a key moves the row: allowed only where the contract says so (x-gatehouse.mutableKey).
      throw new ForbiddenError('column_not_writable', `the key "${name}" of ${resource.name} cannot be changed`, {
        errors: [{ pointer: `${options.at}/${name}`, detail: 'is part of the key, which the contract does not let change' }],
      });
    }
    if (column.readOnly && !identifies) {
      throw new ValidationError('read_only_property', `"${name}" is set by the database and cannot be written`, {
        errors: [{ pointer: `${options.at}/${name}`, detail: 'is read-only' }],
      });
    }
    if (!decision.writable.has(name) && !identifies) {
      throw new ForbiddenError('column_not_writable', `you may not write "${name}"`, {
        errors: [{ pointer: `${options.at}/${name}`, detail: 'is not writable for this caller' }],
      });
    }
  }
}

function dbName(resource: Resource, apiName: string): string {
  const column = resource.columns.get(apiName);
  if (!column) throw new Error(`planner: unknown property ${apiName} on ${resource.name}`);
  return column.column;
}

function toDbRow(resource: Resource, body: Record<string, unknown>): DbRow {
  const row: DbRow = {};
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    const column = resource.columns.get(name)!;
    // json/jsonb values go as JSON text; a plain JS array would be sent as a PostgreSQL array (right for text[]).
    const isJson = column.kind === 'object' || column.schema['x-gatehouse-json'] === true;
    row[column.column] = isJson && value !== null ? JSON.stringify(value) : value;
  }
  return row;
}

/** Written rows are re-read by key for the row-rule check, so the key is always returned when there is a rule. */
function withKey(resource: Resource, decision: Decision, returning: readonly string[]): string[] {
  return decision.rowFilters.length === 0 ? [...returning] : [...new Set([...returning, ...resource.key])];
}

function rowCheck(resource: Resource, decision: Decision): RowCheck | undefined {
  if (decision.rowFilters.length === 0) return undefined;
  return {
    filters: toDbFilters(resource, decision.rowFilters),
    key: resource.key.map((k) => dbName(resource, k)),
    keysWritable: resource.key.every((k) => decision.writable.has(k)),
  };
}

function toDbTerm(resource: Resource, term: OrderTerm): OrderTerm {
  const column = resource.columns.get(term.column);
  return { ...term, column: dbName(resource, term.column), notNull: column !== undefined && !column.nullable };
}

function toDbFilters(resource: Resource, filters: readonly Filter[]): Filter[] {
  return filters.map((f) => ({ ...f, column: dbName(resource, f.column) }));
}

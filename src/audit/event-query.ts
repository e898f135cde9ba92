// Reading the audit log back: filters, keyset cursors, paged iteration (constant memory) and lookup by id.
import type { Knex } from 'knex';
import { ValidationError } from '../errors/app-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { AuditRecord } from './event.js';
import { EVENTS_TABLE, rowToRecord } from './event-row.js';

export interface EventFilters {
  readonly from?: Date;
  readonly to?: Date;
  readonly subject?: string;
  readonly client?: string;
  readonly ip?: string;
  readonly zone?: string;
  readonly resource?: string;
  readonly operation?: string;
  readonly outcome?: string;
  readonly status?: number;
  readonly requestId?: string;
  /** An X-Request-Id a refused caller sent, kept apart from the request id (in the event's detail). */
  readonly clientRequestId?: string;
  readonly kind?: string;
  readonly instance?: string;
  /** Text that appears in any captured SQL statement (case-insensitive). */
  readonly sql?: string;
}

export const FILTER_NAMES = [
  'from',
  'to',
  'subject',
  'client',
  'ip',
  'zone',
  'resource',
  'operation',
  'outcome',
  'status',
  'requestId',
  'clientRequestId',
  'kind',
  'instance',
  'sql',
] as const;

const OUTCOMES = new Set(['success', 'denied', 'failed', 'aborted', 'intent', 'unknown']);
const KINDS = new Set(['request', 'intent', 'outcome', 'reload']);

/** Query parameters (or CLI options) → filters; anything malformed is a 400 naming the parameter. */
export function parseEventFilters(get: (name: string) => string | undefined): EventFilters {
  const filters: Record<string, unknown> = {};
  for (const name of FILTER_NAMES) {
    const raw = get(name);
    if (raw === undefined || raw === '') continue;
    if (name === 'from' || name === 'to') filters[name] = parseTime(name, raw);
    else if (name === 'status') {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 100 || n > 599) throw invalid(name, 'an HTTP status, 100–599');
      filters.status = n;
    } else if (name === 'outcome' && !OUTCOMES.has(raw)) throw invalid(name, [...OUTCOMES].join(', '));
    else if (name === 'kind' && !KINDS.has(raw)) throw invalid(name, [...KINDS].join(', '));
    else filters[name] = raw;
  }
  return filters as EventFilters;
}

/** Parameters of `GET …/events` besides the filters. */
export const LIST_PARAMS = ['limit', 'cursor', 'format'] as const;

/**
 * A query string of the auditor API: only the names the endpoint takes, each at most once, and no NUL character
 * (PostgreSQL text cannot hold one: the store would fail with a 500 rather than refuse). 400 otherwise.
 */
export function checkQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (!allowed.includes(name)) {
      throw new ValidationError('unexpected_parameter', `"${cleanForMessage(name)}" is not a parameter of this endpoint`, {
        hint: allowed.length > 0 ? `use ${allowed.join(', ')}${didYouMean(name, allowed)}` : 'this endpoint takes no parameters',
      });
    }
    if (seen.has(name)) throw new ValidationError('duplicate_parameter', `"${name}" may be given once`);
    seen.add(name);
    checkText(name, value);
  }
}

/** Text the store will compare or bind: no NUL, and not absurdly long. */
export function checkText(name: string, value: string): void {
  if (value.includes('\u0000')) throw invalid(name, 'text without NUL characters');
  if (value.length > 2048) throw invalid(name, 'at most 2048 characters long');
}

/** ISO 8601 as the store takes it: a date, or a date-time with optional seconds, fraction and offset. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function parseTime(name: string, raw: string): Date {
  const date = ISO_8601.test(raw) ? new Date(raw) : new Date(Number.NaN);
  // Years 1–9999 only: JavaScript dates reach ±275760, which the store's timestamps (and their text form) do not.
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw invalid(name, 'an ISO 8601 date or date-time from year 1 to 9999, e.g. 2026-01-31T12:00:00Z');
  }
  return date;
}

function cleanForMessage(text: string): string {
  return [...text.slice(0, 64)].map((c) => (isControl(c) ? '?' : c)).join('');
}

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function invalid(name: string, expected: string): ValidationError {
  return new ValidationError('invalid_parameter', `"${name}" must be ${expected}`);
}

function applyFilters(q: Knex.QueryBuilder, f: EventFilters): Knex.QueryBuilder {
  if (f.from) q.where('occurred_at', '>=', f.from.toISOString());
  if (f.to) q.where('occurred_at', '<', f.to.toISOString());
  const eq: Array<[keyof EventFilters, string]> = [
    ['subject', 'subject'],
    ['client', 'client_id'],
    ['ip', 'client_ip'],
    ['zone', 'zone'],
    ['resource', 'resource'],
    ['operation', 'operation_id'],
    ['outcome', 'outcome'],
    ['status', 'status'],
    ['requestId', 'request_id'],
    ['kind', 'kind'],
    ['instance', 'instance_id'],
  ];
  for (const [key, column] of eq) {
    const value = f[key];
    if (value !== undefined) q.where(column, value as string | number);
  }
  // detail is json, read whole elsewhere: this lookup scans, which suits an auditor's search for a planted id.
  if (f.clientRequestId !== undefined) q.whereRaw(`detail->>'clientRequestId' = ?`, [f.clientRequestId]);
  if (f.sql !== undefined) {
    const pattern = `%${f.sql.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.whereRaw(`statements::text ilike ?`, [pattern]);
  }
  return q;
}

/** The order of every listing: when the request arrived, then the chain position (a total order). */
interface Position {
  readonly occurredAt: string;
  readonly instanceId: string;
  readonly seq: number;
}

export function encodeEventCursor(r: Position): string {
  return Buffer.from(JSON.stringify([r.occurredAt, r.instanceId, r.seq])).toString('base64url');
}

/** The instant as encodeEventCursor writes it (a record's occurredAt: toISOString). */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Every part is checked before it reaches the store: a seq of 1.5 or 1e400, a year the store cannot hold, a NUL
 * in the instance, or anything but the three values would otherwise fail there (500) instead of here (400).
 */
export function decodeEventCursor(cursor: string): Position {
  const refuse = (): ValidationError => new ValidationError('invalid_cursor', 'the cursor is not one this endpoint issued');
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parts) || parts.length !== 3) throw refuse();
  const [occurredAt, instanceId, seq] = parts as unknown[];
  if (typeof occurredAt !== 'string' || !CURSOR_TIME.test(occurredAt)) throw refuse();
  const year = new Date(occurredAt).getUTCFullYear();
  if (Number.isNaN(year) || year < 1 || year > 9999) throw refuse();
  if (typeof instanceId !== 'string' || instanceId.length === 0 || instanceId.length > 256 || [...instanceId].some(isControl)) throw refuse();
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw refuse();
  return { occurredAt, instanceId, seq };
}

function page(db: Knex, f: EventFilters, after: Position | undefined, limit: number): Knex.QueryBuilder {
  const q = applyFilters(db(EVENTS_TABLE), f);
  if (after) {
    q.whereRaw('(occurred_at, instance_id, seq) > (?::timestamptz, ?, ?)', [after.occurredAt, after.instanceId, after.seq]);
  }
  return q.orderBy([{ column: 'occurred_at' }, { column: 'instance_id' }, { column: 'seq' }]).limit(limit);
}

export async function listEvents(
  db: Knex,
  f: EventFilters,
  options: { readonly limit: number; readonly cursor?: string },
): Promise<{ events: AuditRecord[]; next: string | undefined }> {
  const after = options.cursor === undefined ? undefined : decodeEventCursor(options.cursor);
  const rows = (await page(db, f, after, options.limit + 1)) as Array<Record<string, unknown>>;
  const events = rows.slice(0, options.limit).map(rowToRecord);
  const last = events.at(-1);
  return { events, next: rows.length > options.limit && last ? encodeEventCursor(last) : undefined };
}

/** Every matching record, one page in memory at a time. */
export async function* iterateEvents(db: Knex, f: EventFilters, pageSize = 500): AsyncGenerator<AuditRecord> {
  let after: Position | undefined;
  for (;;) {
    const rows = (await page(db, f, after, pageSize)) as Array<Record<string, unknown>>;
    for (const row of rows) {
      const record = rowToRecord(row);
      after = record;
      yield record;
    }
    if (rows.length < pageSize) return;
  }
}

export async function countEvents(db: Knex, f: EventFilters): Promise<number> {
  const [row] = (await applyFilters(db(EVENTS_TABLE), f).count({ n: '*' })) as Array<{ n: unknown }>;
  return Number(row?.n ?? 0);
}

/** One record and the others of the same request (its intents, or the outcome recovery recorded). */
export async function getEvent(db: Knex, id: string): Promise<{ event: AuditRecord; related: AuditRecord[] } | undefined> {
  const row = (await db(EVENTS_TABLE).where({ id }).first()) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const event = rowToRecord(row);
  // A request event is its own ref; its intents and outcome share it (and its instance): see the index on
  // (instance_id, ref), which holds only records that are not request events.
  const related = ((await db(EVENTS_TABLE)
    .where((q) => {
      void q
        .where((p) => void p.where({ instance_id: event.instanceId, ref: event.ref }).andWhere('kind', '<>', 'request'))
        .orWhere({ id: event.ref });
    })
    .whereNot({ id })
    .orderBy([{ column: 'instance_id' }, { column: 'seq' }])) as Array<Record<string, unknown>>).map(rowToRecord);
  return { event, related };
}

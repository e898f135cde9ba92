// Reading the audit log back: filters, keyset cursors, paged iteration (constant memory) and lookup by id.
import type { Knex } from 'knex';
import { ValidationError } from '../errors/app-error.js';
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

export function parseTime(name: string, raw: string): Date {
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw invalid(name, 'an ISO 8601 date or date-time, e.g. 2026-01-31T12:00:00Z');
  return date;
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

export function decodeEventCursor(cursor: string): Position {
  try {
    const [occurredAt, instanceId, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof occurredAt !== 'string' || typeof instanceId !== 'string' || typeof seq !== 'number') throw new Error();
    if (Number.isNaN(Date.parse(occurredAt))) throw new Error();
    return { occurredAt, instanceId, seq };
  } catch {
    throw new ValidationError('invalid_cursor', 'the cursor is not one this endpoint issued');
  }
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

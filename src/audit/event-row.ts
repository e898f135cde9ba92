// AuditRecord ⇄ audit_events row: exact inverses, so a stored record re-hashes to the hash it was stored with.
import type { Knex } from 'knex';
import type { AuditClient, AuditContent, AuditPrincipal, AuditRecord, AuditStatement } from './event.js';
import type { JsonValue } from './json-value.js';

export type EventRow = Record<string, unknown>;

export const EVENTS_TABLE = 'audit_events';

/**
 * A record as its store row, without its hash. The JSON text of this object is what a record's hash (version 3)
 * covers and, with the hash added, exactly what the store is sent: one serialization serves both. It re-serializes
 * to the same text from a stored row (rowToRecord) because the key order is this literal's, every column is present
 * (null, never undefined), and the json columns keep their text as sent, which JSON.parse and JSON.stringify
 * reproduce key for key.
 */
export function unhashedRow(r: Omit<AuditRecord, 'hash'>): EventRow {
  const p = r.principal;
  const c = r.client;
  return {
    instance_id: r.instanceId,
    seq: r.seq,
    id: r.id,
    kind: r.kind,
    ref: r.ref,
    occurred_at: r.occurredAt,
    recorded_at: r.recordedAt,
    request_id: r.requestId,
    method: r.method,
    path: r.path,
    route: r.route ?? null,
    operation_id: r.operationId ?? null,
    resource: r.resource ?? null,
    status: r.status ?? null,
    outcome: r.outcome,
    error_code: r.errorCode ?? null,
    denied_by: r.deniedBy ?? null,
    latency_ms: r.latencyMs ?? null,
    row_count: r.rows ?? null,
    subject: p ? p.subject : null,
    client_id: p ? (p.clientId ?? null) : null,
    // json columns take the values themselves: rows travel to the store as one JSON document (see appendRecords).
    scopes: p ? p.scopes : null,
    roles: p ? p.roles : null,
    token_id: p ? (p.tokenId ?? null) : null,
    client_ip: c.ip ?? null,
    forwarded_for: c.forwardedFor,
    zone: c.zone ?? null,
    peer_ip: c.peer ?? null,
    statements: r.statements,
    detail: r.detail ?? null,
    prev_hash: r.prevHash,
  };
}

export function recordToRow(r: AuditRecord): EventRow {
  return { ...unhashedRow(r), ...reportColumns(r.detail), hash: r.hash };
}

/**
 * The copies of `detail` facts the migration report reads as columns (bytes_out, column_usage: see the migration
 * 20261208000000_report_event_columns). Outside the hash, which covers `detail` itself; absent when detail has none.
 */
function reportColumns(detail: AuditRecord['detail']): { bytes_out?: number; column_usage?: JsonValue } {
  const out: { bytes_out?: number; column_usage?: JsonValue } = {};
  if (detail === null) return out;
  if (Number.isSafeInteger(detail.bytesOut)) out.bytes_out = detail.bytesOut as number;
  if (detail.columns !== undefined && detail.columns !== null) out.column_usage = detail.columns;
  return out;
}

/**
 * The text the store is sent for a record: its unhashed row's JSON, then the report's columns (as reportColumns
 * gives them: copies of `detail` facts, outside the hash) and the hash as the last members. Written out rather than
 * through reportColumns: this runs for every request.
 */
export function storedRowText(unhashedJson: string, hash: string, detail: AuditRecord['detail']): string {
  let extra = '';
  if (detail !== null) {
    if (Number.isSafeInteger(detail.bytesOut)) extra = `,"bytes_out":${JSON.stringify(detail.bytesOut)}`;
    if (detail.columns !== undefined && detail.columns !== null) extra += `,"column_usage":${JSON.stringify(detail.columns)}`;
  }
  return `${unhashedJson.slice(0, -1)}${extra},"hash":"${hash}"}`;
}

export const HEADS_TABLE = 'audit_chain_heads';

/** Where a batch starts and ends in its instance's chain. */
export interface ChainStep {
  readonly instanceId: string;
  readonly from: { readonly seq: number; readonly hash: string };
  readonly to: { readonly seq: number; readonly hash: string };
}

// One statement stores a batch. It first moves the instance's head from the record the batch was chained on to the
// batch's last record. The update matches the head row whatever it holds and decides after taking the row's lock:
// while an earlier batch that moved the head is still uncommitted, it waits for that batch, and then sees the head
// that batch left. (A WHERE on the old seq would not wait: PostgreSQL would test it against the row as it was before
// the earlier batch, find no match and move on.) So batches commit in chain order, and when the head is not where the
// batch starts (its predecessor was not stored, or another process writes this chain) nothing is stored and the
// statement reports head = 0.
// json, not jsonb: PostgreSQL reads a json argument with its streaming parser instead of first building a jsonb
// document of the whole batch, and each json column gets its value's text as sent.
const APPEND_SQL = `with head as (
  update ${HEADS_TABLE}
  set seq = case when seq = $2 and hash = $3 then $4 else seq end,
      hash = case when seq = $2 and hash = $3 then $5 else hash end
  where instance_id = $1
  returning seq = $4 and hash = $5 as moved
), stored as (
  insert into ${EVENTS_TABLE}
  select r.* from json_populate_recordset(null::${EVENTS_TABLE}, $6::json) r where exists (select 1 from head where moved)
  returning 1
)
select (select count(*) from head where moved)::int as head, (select count(*) from stored)::int as stored`;
// On node-postgres the statement is prepared once per connection and then only bound and executed.
const APPEND_STATEMENT = 'gatehouse_audit_append';
// In a transaction the statement goes through knex, whose placeholders are positional `?`.
const APPEND_KNEX_SQL = APPEND_SQL.replace(/\$\d/g, '?');
const APPEND_KNEX_ORDER = [...APPEND_SQL.matchAll(/\$(\d)/g)].map((m) => Number(m[1]) - 1);

/** What node-postgres clients and PGlite both offer, and knex's pool hands out. */
interface DriverConnection {
  query(
    text: string | { name: string; text: string; values: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>> }>;
}

interface PooledClient {
  readonly config: { readonly client?: unknown };
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<unknown>;
}

/**
 * Stores a chained batch (`rows`: each record's text from storedRowText) and moves its instance's head,
 * atomically, in one statement whose one large parameter is the rows as one JSON array, expanded by PostgreSQL
 * (json_populate_recordset): far cheaper than ~30 bound parameters per row. Returns false, having stored nothing,
 * when the head was not at `step.from`. Outside a transaction the statement goes straight to the driver on a connection from knex's pool: this runs once
 * per commit on the request path, and knex's query runner costs more than the statement itself there.
 */
export async function appendRecords(db: Knex | Knex.Transaction, step: ChainStep, rows: readonly string[]): Promise<boolean> {
  const json = `[${rows.join(',')}]`;
  const values = [step.instanceId, step.from.seq, step.from.hash, step.to.seq, step.to.hash, json];
  let row: Record<string, unknown> | undefined;
  if (db.isTransaction) {
    const result = (await db.raw(APPEND_KNEX_SQL, APPEND_KNEX_ORDER.map((i) => values[i]!))) as { rows: Array<Record<string, unknown>> };
    row = result.rows[0];
  } else {
    const pool = db.client as unknown as PooledClient;
    const connection = await pool.acquireConnection();
    try {
      const result =
        pool.config.client === 'pg'
          ? await connection.query({ name: APPEND_STATEMENT, text: APPEND_SQL, values })
          : await connection.query(APPEND_SQL, values);
      row = result.rows[0];
    } finally {
      await pool.releaseConnection(connection);
    }
  }
  if (Number(row?.head) !== 1) return false;
  if (Number(row?.stored) !== rows.length) throw new Error(`stored ${String(row?.stored)} of ${rows.length} audit records`);
  return true;
}

/** Sets an instance's head to where its chain is known to end (at start-up and after a store failure). */
export async function setHead(db: Knex, instanceId: string, head: { readonly seq: number; readonly hash: string }): Promise<void> {
  await db(HEADS_TABLE).insert({ instance_id: instanceId, seq: head.seq, hash: head.hash }).onConflict('instance_id').merge();
}

export function rowToRecord(row: EventRow): AuditRecord {
  const subject = row.subject as string | null;
  const principal: AuditPrincipal | null =
    subject === null
      ? null
      : {
          subject,
          clientId: (row.client_id as string | null) ?? null,
          scopes: json(row.scopes, []) as string[],
          roles: json(row.roles, []) as string[],
          tokenId: (row.token_id as string | null) ?? null,
        };
  const client: AuditClient = {
    ip: (row.client_ip as string | null) ?? null,
    forwardedFor: json(row.forwarded_for, []) as string[],
    zone: (row.zone as string | null) ?? null,
    peer: (row.peer_ip as string | null) ?? null,
  };
  const content: AuditContent = {
    id: row.id as string,
    kind: row.kind as AuditContent['kind'],
    ref: row.ref as string,
    occurredAt: iso(row.occurred_at),
    requestId: row.request_id as string,
    method: row.method as string,
    path: row.path as string,
    route: (row.route as string | null) ?? null,
    operationId: (row.operation_id as string | null) ?? null,
    resource: (row.resource as string | null) ?? null,
    status: num(row.status),
    outcome: row.outcome as AuditContent['outcome'],
    errorCode: (row.error_code as string | null) ?? null,
    deniedBy: (row.denied_by as string | null) ?? null,
    latencyMs: num(row.latency_ms),
    rows: num(row.row_count),
    principal,
    client,
    statements: json(row.statements, []) as AuditStatement[],
    detail: json(row.detail, null) as Record<string, JsonValue> | null,
  };
  return {
    ...content,
    instanceId: row.instance_id as string,
    seq: Number(row.seq),
    recordedAt: iso(row.recorded_at),
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}

export function iso(value: unknown): string {
  return (value instanceof Date ? value : new Date(value as string)).toISOString();
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** json and jsonb come back parsed from node-postgres and PGlite; a text column would not. */
function json(value: unknown, fallback: unknown): unknown {
  if (value === null || value === undefined) return fallback;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

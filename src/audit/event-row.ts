// AuditRecord ⇄ audit_events row: exact inverses, so a stored record re-hashes to the hash it was stored with.
import type { Knex } from 'knex';
import type { AuditClient, AuditContent, AuditPrincipal, AuditRecord, AuditStatement } from './event.js';
import type { JsonValue } from './json-value.js';

export type EventRow = Record<string, unknown>;

export const EVENTS_TABLE = 'audit_events';

export function recordToRow(r: AuditRecord): EventRow {
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
    route: r.route,
    operation_id: r.operationId,
    resource: r.resource,
    status: r.status,
    outcome: r.outcome,
    error_code: r.errorCode,
    denied_by: r.deniedBy,
    latency_ms: r.latencyMs,
    row_count: r.rows,
    subject: r.principal?.subject ?? null,
    client_id: r.principal?.clientId ?? null,
    // jsonb columns take the values themselves: rows travel to the store as one JSON document (see insertRecords).
    scopes: r.principal ? r.principal.scopes : null,
    roles: r.principal ? r.principal.roles : null,
    token_id: r.principal?.tokenId ?? null,
    client_ip: r.client.ip,
    forwarded_for: r.client.forwardedFor,
    zone: r.client.zone,
    peer_ip: r.client.peer,
    statements: r.statements,
    detail: r.detail,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

// json, not jsonb: PostgreSQL reads a json argument with its streaming parser instead of first building a jsonb
// document of the whole batch; each jsonb column still gets its value as jsonb.
const INSERT_SQL = `insert into ${EVENTS_TABLE} select * from json_populate_recordset(null::${EVENTS_TABLE}, $1::json)`;
// On node-postgres the statement is prepared once per connection and then only bound and executed.
const INSERT_STATEMENT = 'gatehouse_audit_insert';

/** What node-postgres clients and PGlite both offer, and knex's pool hands out. */
interface DriverConnection {
  query(text: string | { name: string; text: string; values: unknown[] }, values?: unknown[]): Promise<unknown>;
}

interface PooledClient {
  readonly config: { readonly client?: unknown };
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<unknown>;
}

/**
 * Inserts records with one statement and one parameter: the rows as a JSON array, expanded by PostgreSQL
 * (json_populate_recordset), far cheaper than ~30 bound parameters per row. Outside a transaction the statement
 * goes straight to the driver on a connection from knex's pool: this runs once per commit on the request path, and
 * knex's query runner costs more than the statement itself there.
 */
export async function insertRecords(db: Knex | Knex.Transaction, records: readonly AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const json = JSON.stringify(records.map(recordToRow));
  if (db.isTransaction) {
    await db.raw(INSERT_SQL.replace('$1', '?'), [json]);
    return;
  }
  const pool = db.client as unknown as PooledClient;
  const connection = await pool.acquireConnection();
  try {
    if (pool.config.client === 'pg') await connection.query({ name: INSERT_STATEMENT, text: INSERT_SQL, values: [json] });
    else await connection.query(INSERT_SQL, [json]);
  } finally {
    await pool.releaseConnection(connection);
  }
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

/** jsonb comes back parsed from node-postgres and PGlite; a text column would not. */
function json(value: unknown, fallback: unknown): unknown {
  if (value === null || value === undefined) return fallback;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

// Reads the store for recovery: where an instance's chain ends (and its last checkpoint), which records a lost
// acknowledgement may already have stored, and the 'unknown' outcomes that close intents whose request can no longer
// produce an event.
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE, rowToCheckpoint } from './checkpoint.js';
import type { AuditContent } from './event.js';
import { EVENTS_TABLE, iso, rowToRecord, setHead } from './event-row.js';
import { GENESIS_HASH, type ChainHead } from './hash-chain.js';
import { newId } from '../util/ids.js';

export interface StoredPosition {
  readonly head: ChainHead;
  /** The newest checkpoint of this instance (seq 0 when there is none). */
  readonly lastCheckpoint: { readonly seq: number; readonly at: number };
}

/** Why an intent is closed as unknown. */
export const UNKNOWN_AFTER_RESTART = 'the gateway stopped after the intent was recorded and before the outcome was';
export const UNKNOWN_EVENT_LOST =
  'the request ended while the audit store was unavailable and its event could not be kept for later (more were waiting than audit.queueSize)';

/** Rows per statement when looking up many ids or refs. */
const CHUNK = 1000;

/**
 * Reads where the instance's chain ends and sets the store's head row there. Only call it while nothing of this
 * instance is in flight: the head row must follow the stored records, not race a commit.
 */
export async function loadPosition(db: Knex, instanceId: string): Promise<StoredPosition> {
  const last = (await db(EVENTS_TABLE)
    .where({ instance_id: instanceId })
    .orderBy('seq', 'desc')
    .first('seq', 'hash', 'recorded_at')) as Record<string, unknown> | undefined;
  const lastCp = (await db(CHECKPOINTS_TABLE)
    .where({ instance_id: instanceId })
    .orderBy([
      { column: 'seq', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first()) as Record<string, unknown> | undefined;
  const checkpoint = lastCp ? rowToCheckpoint(lastCp) : undefined;
  let head: ChainHead;
  if (last) head = { seq: Number(last.seq), hash: last.hash as string, recordedAt: iso(last.recorded_at) };
  else if (checkpoint?.kind === 'retention') head = { seq: checkpoint.seq, hash: checkpoint.hash, recordedAt: undefined };
  else head = { seq: 0, hash: GENESIS_HASH, recordedAt: undefined };
  await setHead(db, instanceId, head);
  return {
    head,
    lastCheckpoint: checkpoint ? { seq: checkpoint.seq, at: Date.parse(checkpoint.createdAt) } : { seq: 0, at: Date.now() },
  };
}

/** Which of these record ids the store holds (a commit whose acknowledgement was lost may have stored them). */
export async function storedIds(db: Knex, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = (await db(EVENTS_TABLE).whereIn('id', ids.slice(i, i + CHUNK)).select('id')) as Array<{ id: string }>;
    for (const row of rows) found.add(row.id);
  }
  return found;
}

/**
 * One 'unknown' outcome for each request of this instance that has a stored intent and neither its request event
 * nor an outcome: all of them (`refs` undefined, at start-up, when no request of this process exists yet), or only
 * those named (requests of this process that are over and whose event is gone).
 */
export async function unknownOutcomes(
  db: Knex,
  instanceId: string,
  refs: readonly string[] | undefined,
  reason: string,
): Promise<AuditContent[]> {
  const rows: Array<Record<string, unknown>> = [];
  if (refs === undefined) rows.push(...(await unclosedIntents(db, instanceId, undefined)));
  else for (let i = 0; i < refs.length; i += CHUNK) rows.push(...(await unclosedIntents(db, instanceId, refs.slice(i, i + CHUNK))));
  const byRef = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const ref = row.ref as string;
    byRef.set(ref, [...(byRef.get(ref) ?? []), row]);
  }
  return [...byRef].map(([ref, intents]) => {
    const first = rowToRecord(intents[0]!);
    return {
      id: newId(),
      kind: 'outcome',
      ref,
      occurredAt: first.occurredAt,
      requestId: first.requestId,
      method: first.method,
      path: first.path,
      route: first.route,
      operationId: first.operationId,
      resource: first.resource,
      status: null,
      outcome: 'unknown',
      errorCode: null,
      deniedBy: null,
      latencyMs: null,
      rows: null,
      principal: first.principal,
      client: first.client,
      statements: [],
      detail: { reason, intents: intents.map((r) => r.id as string) },
    };
  });
}

async function unclosedIntents(db: Knex, instanceId: string, refs: readonly string[] | undefined): Promise<Array<Record<string, unknown>>> {
  return (await db(`${EVENTS_TABLE} as i`)
    .where('i.instance_id', instanceId)
    .andWhere('i.kind', 'intent')
    // Closed by the request's own event (whose id is the ref) or by an outcome recorded for it.
    .whereNotExists(function () {
      this.select(db.raw('1')).from(`${EVENTS_TABLE} as e`).whereRaw('e.id = i.ref');
    })
    .whereNotExists(function () {
      this.select(db.raw('1'))
        .from(`${EVENTS_TABLE} as e`)
        .whereRaw('e.instance_id = i.instance_id and e.ref = i.ref')
        .andWhere('e.kind', 'outcome');
    })
    .modify((q) => {
      if (refs !== undefined) q.whereIn('i.ref', refs);
    })
    .orderBy('i.seq')
    .select('i.*')) as Array<Record<string, unknown>>;
}

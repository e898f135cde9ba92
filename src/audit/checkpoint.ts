// Signed checkpoints: (instance, seq, hash) at a moment, signed with Ed25519; retention ones also state what was removed.
import type { Knex } from 'knex';
import { canonicalJson } from './hash-chain.js';
import { EVENTS_TABLE, iso } from './event-row.js';
import type { CheckpointSigner } from './signing.js';

export const CHECKPOINTS_TABLE = 'audit_checkpoints';

export type CheckpointKind = 'periodic' | 'shutdown' | 'retention';

export interface UnsignedCheckpoint {
  readonly instanceId: string;
  readonly kind: CheckpointKind;
  /** periodic / shutdown: the last record covered; retention: the last record removed. */
  readonly seq: number;
  /** The hash of the record at `seq`. */
  readonly hash: string;
  readonly createdAt: string;
  readonly removedFromSeq: number | null;
  readonly removedCount: number | null;
  readonly removedBefore: string | null;
}

export interface Checkpoint extends UnsignedCheckpoint {
  readonly id?: number;
  readonly keyId: string;
  readonly publicKey: string;
  readonly signature: string;
}

/** The signed bytes: everything but the signature itself (and the database's row id). */
export function checkpointPayload(cp: UnsignedCheckpoint & { readonly keyId: string }): string {
  return canonicalJson({
    v: 1,
    instanceId: cp.instanceId,
    kind: cp.kind,
    seq: cp.seq,
    hash: cp.hash,
    createdAt: cp.createdAt,
    removedFromSeq: cp.removedFromSeq,
    removedCount: cp.removedCount,
    removedBefore: cp.removedBefore,
    keyId: cp.keyId,
  });
}

export function signCheckpoint(signer: CheckpointSigner, unsigned: UnsignedCheckpoint): Checkpoint {
  const withKey = { ...unsigned, keyId: signer.keyId };
  return { ...withKey, publicKey: signer.publicKey, signature: signer.sign(checkpointPayload(withKey)) };
}

export function checkpointToRow(cp: Checkpoint): Record<string, unknown> {
  return {
    instance_id: cp.instanceId,
    kind: cp.kind,
    seq: cp.seq,
    hash: cp.hash,
    created_at: cp.createdAt,
    removed_from_seq: cp.removedFromSeq,
    removed_count: cp.removedCount,
    removed_before: cp.removedBefore,
    key_id: cp.keyId,
    public_key: cp.publicKey,
    signature: cp.signature,
  };
}

const CHECKPOINT_COLUMNS: ReadonlyArray<readonly [column: string, type: string]> = [
  ['instance_id', 'text'],
  ['kind', 'text'],
  ['seq', 'bigint'],
  ['hash', 'text'],
  ['created_at', 'timestamptz'],
  ['removed_from_seq', 'bigint'],
  ['removed_count', 'bigint'],
  ['removed_before', 'timestamptz'],
  ['key_id', 'text'],
  ['public_key', 'text'],
  ['signature', 'text'],
];

const INSERT_COVERED_SQL = `insert into ${CHECKPOINTS_TABLE} (${CHECKPOINT_COLUMNS.map(([c]) => c).join(', ')})
select ${CHECKPOINT_COLUMNS.map(([, type]) => `?::${type}`).join(', ')}
where exists (select 1 from ${EVENTS_TABLE} where instance_id = ? and seq = ? and hash = ?)
returning id`;

/**
 * Stores a checkpoint only if the store holds the very record it signs (its seq and hash): a checkpoint is a
 * statement about stored records, so it never gets ahead of them, whichever commit reaches the store first.
 * Returns whether it was stored.
 */
export async function insertCoveredCheckpoint(db: Knex | Knex.Transaction, cp: Checkpoint): Promise<boolean> {
  const row = checkpointToRow(cp);
  const values = CHECKPOINT_COLUMNS.map(([column]) => row[column] as Knex.Value);
  const result = (await db.raw(INSERT_COVERED_SQL, [...values, cp.instanceId, cp.seq, cp.hash])) as { rows: unknown[] };
  return result.rows.length === 1;
}

export function rowToCheckpoint(row: Record<string, unknown>): Checkpoint {
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(row.id),
    instanceId: row.instance_id as string,
    kind: row.kind as CheckpointKind,
    seq: Number(row.seq),
    hash: row.hash as string,
    createdAt: iso(row.created_at),
    removedFromSeq: n(row.removed_from_seq),
    removedCount: n(row.removed_count),
    removedBefore: row.removed_before === null || row.removed_before === undefined ? null : iso(row.removed_before),
    keyId: row.key_id as string,
    publicKey: row.public_key as string,
    signature: row.signature as string,
  };
}

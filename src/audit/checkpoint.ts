// Signed checkpoints: (instance, seq, hash) at a moment, signed with Ed25519; retention ones also state what was removed.
import { canonicalJson } from './hash-chain.js';
import { iso } from './event-row.js';
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

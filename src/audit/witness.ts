// Checkpoints published outside the store: the JSON line each signed checkpoint becomes (on the sink and in the
// witness file), reading such lines back, and the witness file itself (appended and synced, one line per checkpoint).
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import type { Checkpoint, CheckpointKind } from './checkpoint.js';

/** The `log` member that marks a published checkpoint among other JSON lines (the sink also carries events). */
export const PUBLISHED_CHECKPOINT = 'audit-checkpoint';

/** A checkpoint as published: everything its signature covers, the signature, and the key that made it. */
export type PublishedCheckpoint = Omit<Checkpoint, 'id'>;

export function publishedFields(cp: Checkpoint): PublishedCheckpoint & { readonly log: string } {
  return {
    log: PUBLISHED_CHECKPOINT,
    instanceId: cp.instanceId,
    kind: cp.kind,
    seq: cp.seq,
    hash: cp.hash,
    createdAt: cp.createdAt,
    removedFromSeq: cp.removedFromSeq,
    removedCount: cp.removedCount,
    removedBefore: cp.removedBefore,
    keyId: cp.keyId,
    publicKey: cp.publicKey,
    signature: cp.signature,
  };
}

const KINDS: readonly CheckpointKind[] = ['periodic', 'shutdown', 'retention'];

/** A published checkpoint from one JSON line (a witness file's, or the sink's), or undefined for any other line. */
export function parsePublished(line: string): PublishedCheckpoint | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (value.log !== PUBLISHED_CHECKPOINT) return undefined;
  const str = (v: unknown): v is string => typeof v === 'string';
  const intOrNull = (v: unknown): v is number | null => v === null || Number.isSafeInteger(v);
  if (
    !str(value.instanceId) ||
    !KINDS.includes(value.kind as CheckpointKind) ||
    !Number.isSafeInteger(value.seq) ||
    !str(value.hash) ||
    !str(value.createdAt) ||
    !intOrNull(value.removedFromSeq) ||
    !intOrNull(value.removedCount) ||
    !(value.removedBefore === null || str(value.removedBefore)) ||
    !str(value.keyId) ||
    !str(value.publicKey) ||
    !str(value.signature)
  ) {
    return undefined;
  }
  return {
    instanceId: value.instanceId,
    kind: value.kind as CheckpointKind,
    seq: value.seq as number,
    hash: value.hash,
    createdAt: value.createdAt,
    removedFromSeq: value.removedFromSeq,
    removedCount: value.removedCount,
    removedBefore: value.removedBefore as string | null,
    keyId: value.keyId,
    publicKey: value.publicKey,
    signature: value.signature,
  };
}

export interface WitnessFile {
  /** Appends the checkpoint's line and syncs it; never throws (a failure is logged). */
  publish(cp: Checkpoint): void;
  /** Waits for what is being written, then closes the file. */
  close(): Promise<void>;
}

export function openWitnessFile(file: string, logger: Logger): WitnessFile {
  let handle: Promise<FileHandle> | undefined;
  // One write at a time, in checkpoint order.
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    publish(cp) {
      if (closed) return;
      const line = `${JSON.stringify(publishedFields(cp))}\n`;
      tail = tail.then(async () => {
        try {
          handle ??= open(file, 'a');
          const fh = await handle;
          await fh.appendFile(line);
          await fh.datasync();
        } catch (err) {
          handle = undefined;
          logger.error('audit witness write failed', { event: 'audit_witness_failed', file, seq: cp.seq, error: String(err) });
        }
      });
    },
    async close() {
      closed = true;
      await tail;
      await (await handle?.catch(() => undefined))?.close();
    },
  };
}

// Retention: removes each instance's records older than the window, as a seq prefix, and records a signed
// checkpoint stating what was removed, so that the remaining chain still verifies from it.
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE, checkpointToRow, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { EVENTS_TABLE } from './event-row.js';
import type { CheckpointSigner } from './signing.js';

export interface RetentionResult {
  readonly instanceId: string;
  readonly removed: number;
  readonly checkpoint: Checkpoint;
}

/** Serialises concurrent retention runs (several replicas share one store). */
const RETENTION_LOCK = 0x6761_7465;

export async function applyRetention(db: Knex, signer: CheckpointSigner, cutoff: Date): Promise<RetentionResult[]> {
  const instances = (await db(EVENTS_TABLE)
    .where('recorded_at', '<', cutoff.toISOString())
    .distinct('instance_id')) as Array<{ instance_id: string }>;
  const results: RetentionResult[] = [];
  for (const { instance_id: instanceId } of instances) {
    const result = await db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [RETENTION_LOCK]);
      // recorded_at is assigned per commit and never goes back within an instance, so the old records are a seq prefix;
      // stopping at the first young one keeps the prefix contiguous even if a clock did go back.
      const firstYoung = (await trx(EVENTS_TABLE)
        .where({ instance_id: instanceId })
        .andWhere('recorded_at', '>=', cutoff.toISOString())
        .min({ seq: 'seq' })
        .first()) as { seq: unknown } | undefined;
      const limit = firstYoung?.seq === null || firstYoung?.seq === undefined ? undefined : Number(firstYoung.seq);
      const last = (await trx(EVENTS_TABLE)
        .where({ instance_id: instanceId })
        .modify((q) => {
          if (limit !== undefined) q.andWhere('seq', '<', limit);
        })
        .orderBy('seq', 'desc')
        .first('seq', 'hash')) as { seq: unknown; hash: string } | undefined;
      if (!last) return undefined;
      const throughSeq = Number(last.seq);
      const first = (await trx(EVENTS_TABLE)
        .where({ instance_id: instanceId })
        .min({ seq: 'seq' })
        .first()) as { seq: unknown };
      const removed = await trx(EVENTS_TABLE).where({ instance_id: instanceId }).andWhere('seq', '<=', throughSeq).delete();
      const checkpoint = signCheckpoint(signer, {
        instanceId,
        kind: 'retention',
        seq: throughSeq,
        hash: last.hash,
        createdAt: new Date().toISOString(),
        removedFromSeq: Number(first.seq),
        removedCount: removed,
        removedBefore: cutoff.toISOString(),
      });
      await trx(CHECKPOINTS_TABLE).insert(checkpointToRow(checkpoint));
      return { instanceId, removed, checkpoint };
    });
    if (result) results.push(result);
  }
  return results;
}

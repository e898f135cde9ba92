// Checks the store against the checkpoints published outside it: for each instance, the store must still hold the very
// record the newest published checkpoint signs (or a trusted retention checkpoint must say it was removed). That is
// what exposes a cut tail: deleting the newest checkpoint and every event after the one before leaves a store that
// verifies on its own, but not against what was published.
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE, checkpointPayload, rowToCheckpoint } from './checkpoint.js';
import { EVENTS_TABLE } from './event-row.js';
import type { TrustedKeys } from './signing.js';
import type { VerifyProblem } from './verify.js';
import { parsePublished, type PublishedCheckpoint } from './witness.js';

export interface WitnessSummary {
  /** Published checkpoints read. */
  readonly checkpoints: number;
  /** Of those, signed by a key that is not trusted (ignored). */
  readonly untrusted: number;
  /** Per instance: the newest trusted published checkpoint and whether the store holds what it signs. */
  readonly instances: ReadonlyArray<{ readonly instanceId: string; readonly seq: number; readonly createdAt: string; readonly held: boolean }>;
}

/** Published checkpoints among JSON lines (a witness file, or the sink's output with events in between). */
export async function readPublished(lines: AsyncIterable<string>): Promise<PublishedCheckpoint[]> {
  const out: PublishedCheckpoint[] = [];
  for await (const line of lines) {
    const cp = parsePublished(line);
    if (cp) out.push(cp);
  }
  return out;
}

export async function checkWitness(
  db: Knex,
  published: readonly PublishedCheckpoint[],
  trustedKeys: TrustedKeys,
): Promise<{ summary: WitnessSummary; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  const newest = new Map<string, PublishedCheckpoint>();
  let untrusted = 0;
  for (const cp of published) {
    // A retention checkpoint says what was removed, not what must be there.
    if (cp.kind === 'retention') continue;
    if (trustedKeys.verify(cp.keyId, checkpointPayload(cp), cp.signature) !== 'valid') {
      untrusted += 1;
      continue;
    }
    const seen = newest.get(cp.instanceId);
    if (!seen || cp.seq > seen.seq) newest.set(cp.instanceId, cp);
  }
  if (newest.size === 0) {
    problems.push({
      kind: 'witness_untrusted',
      instanceId: '*',
      detail: `the witness holds no checkpoint signed by a trusted key (${published.length} read, ${untrusted} untrusted): it proves nothing`,
    });
  }
  const instances: Array<WitnessSummary['instances'][number]> = [];
  for (const [instanceId, cp] of [...newest].sort(([a], [b]) => a.localeCompare(b))) {
    const record = (await db(EVENTS_TABLE).where({ instance_id: instanceId, seq: cp.seq }).first('hash')) as { hash: string } | undefined;
    let held = record !== undefined && record.hash === cp.hash;
    if (record && !held) {
      problems.push({
        kind: 'witness_mismatch',
        instanceId,
        seq: cp.seq,
        detail: `the checkpoint published at ${cp.createdAt} signed another record for seq ${cp.seq} than the store holds: the log was rewritten`,
      });
    } else if (!record) {
      if (await removedByRetention(db, instanceId, cp.seq, trustedKeys)) {
        held = true;
      } else {
        const last = (await db(EVENTS_TABLE).where({ instance_id: instanceId }).max({ seq: 'seq' }).first()) as { seq: unknown } | undefined;
        const lastSeq = last?.seq === null || last?.seq === undefined ? 0 : Number(last.seq);
        problems.push({
          kind: 'witness_truncated',
          instanceId,
          seq: lastSeq + 1,
          toSeq: cp.seq,
          detail: `the checkpoint published at ${cp.createdAt} covers events up to seq ${cp.seq}, but the store's log ends at seq ${lastSeq}: events were cut off the end`,
        });
      }
    }
    instances.push({ instanceId, seq: cp.seq, createdAt: cp.createdAt, held });
  }
  return { summary: { checkpoints: published.length, untrusted, instances }, problems };
}

/** Whether a trusted retention checkpoint in the store says records through `seq` were removed. */
async function removedByRetention(db: Knex, instanceId: string, seq: number, trustedKeys: TrustedKeys): Promise<boolean> {
  const rows = (await db(CHECKPOINTS_TABLE)
    .where({ instance_id: instanceId, kind: 'retention' })
    .andWhere('seq', '>=', seq)) as Array<Record<string, unknown>>;
  return rows.map(rowToCheckpoint).some((cp) => trustedKeys.verify(cp.keyId, checkpointPayload(cp), cp.signature) === 'valid');
}

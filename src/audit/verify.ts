// The verifier: recomputes every instance's hash chain and checks contiguity, checkpoints and their signatures.
import type { Knex } from 'knex';
import { CHECKPOINTS_TABLE, checkpointPayload, rowToCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditRecord } from './event.js';
import { EVENTS_TABLE, rowToRecord } from './event-row.js';
import { GENESIS_HASH, hashMatches } from './hash-chain.js';
import type { TrustedKeys } from './signing.js';
import type { PublishedCheckpoint } from './witness.js';
import { checkWitness, type WitnessSummary } from './witness-check.js';

export type ProblemKind =
  | 'missing'
  | 'edited'
  | 'reordered'
  | 'chain_broken'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'bad_signature'
  | 'unknown_key'
  | 'witness_truncated'
  | 'witness_mismatch'
  | 'witness_untrusted';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  readonly instanceId: string;
  /** The record (or first missing seq) concerned. */
  readonly seq?: number;
  /** Last missing seq, for ranges. */
  readonly toSeq?: number;
  readonly eventId?: string;
  readonly checkpointId?: number;
  readonly detail: string;
}

export interface InstanceSummary {
  readonly instanceId: string;
  readonly events: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly checkpoints: number;
  readonly lastCheckpointSeq: number | null;
  /** Records after the last checkpoint: a cut there cannot be told from a quiet period. */
  readonly uncheckpointed: number;
  /** Records up to this seq were removed by retention (and a checkpoint says so). */
  readonly removedThroughSeq: number | null;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly events: number;
  readonly instances: readonly InstanceSummary[];
  /** With a witness: the newest published checkpoint of each instance and whether the store holds what it signs. */
  readonly witness?: WitnessSummary;
  readonly problems: readonly VerifyProblem[];
}

export interface VerifyOptions {
  /** Records recorded at or after this time (default: all). */
  readonly from?: Date;
  /** Records recorded before this time (default: all; truncation is only checked without it). */
  readonly to?: Date;
  readonly trustedKeys: TrustedKeys;
  /** Called as records are checked: (checked, total). */
  readonly onProgress?: (checked: number, total: number) => void;
  readonly pageSize?: number;
  /** Checkpoints published outside the store (`audit.witness`, the sink): the store must hold what they sign. */
  readonly witness?: readonly PublishedCheckpoint[];
}

/** How far from its place a moved record is looked for. */
const REORDER_WINDOW = 64;

export async function verifyAuditLog(db: Knex, options: VerifyOptions): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const instances: InstanceSummary[] = [];
  const inRange = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    if (options.from) q.where('recorded_at', '>=', options.from.toISOString());
    if (options.to) q.where('recorded_at', '<', options.to.toISOString());
    return q;
  };
  const bounds = (await inRange(db(EVENTS_TABLE))
    .groupBy('instance_id')
    .select('instance_id', db.raw('min(seq) as lo'), db.raw('max(seq) as hi'), db.raw('count(*) as n'))) as Array<
    Record<string, unknown>
  >;
  const cpInstances = (await db(CHECKPOINTS_TABLE).distinct('instance_id')) as Array<{ instance_id: string }>;
  const ids = [...new Set([...bounds.map((b) => b.instance_id as string), ...cpInstances.map((c) => c.instance_id)])].sort();
  const total = bounds.reduce((sum, b) => sum + Number(b.n), 0);
  let checked = 0;
  options.onProgress?.(0, total);

  for (const instanceId of ids) {
    const b = bounds.find((x) => x.instance_id === instanceId);
    const checkpoints = ((await db(CHECKPOINTS_TABLE).where({ instance_id: instanceId }).orderBy('id')) as Array<
      Record<string, unknown>
    >).map(rowToCheckpoint);
    const summary = await verifyInstance(db, instanceId, b ? { lo: Number(b.lo), hi: Number(b.hi) } : undefined, checkpoints, {
      ...options,
      onRecord: () => {
        checked += 1;
        if (checked % 500 === 0 || checked === total) options.onProgress?.(checked, total);
      },
      problems,
    });
    instances.push(summary);
  }
  options.onProgress?.(total, total);
  const witness = options.witness ? await checkWitness(db, options.witness, options.trustedKeys) : undefined;
  if (witness) problems.push(...witness.problems);
  return {
    ok: problems.length === 0,
    checkedAt: new Date().toISOString(),
    from: options.from?.toISOString() ?? null,
    to: options.to?.toISOString() ?? null,
    events: checked,
    instances,
    ...(witness ? { witness: witness.summary } : {}),
    problems,
  };
}

interface InstanceOptions extends VerifyOptions {
  readonly onRecord: () => void;
  readonly problems: VerifyProblem[];
}

async function verifyInstance(
  db: Knex,
  instanceId: string,
  range: { lo: number; hi: number } | undefined,
  checkpoints: readonly Checkpoint[],
  o: InstanceOptions,
): Promise<InstanceSummary> {
  const report = (p: Omit<VerifyProblem, 'instanceId'>): void => {
    o.problems.push({ instanceId, ...p });
  };
  // Signatures first: an unsigned (or forged) checkpoint proves nothing about the chain.
  const trusted: Checkpoint[] = [];
  for (const cp of checkpoints) {
    const result = o.trustedKeys.verify(cp.keyId, checkpointPayload(cp), cp.signature);
    if (result === 'valid') trusted.push(cp);
    else
      report({
        kind: result === 'unknown_key' ? 'unknown_key' : 'bad_signature',
        seq: cp.seq,
        checkpointId: cp.id,
        detail:
          result === 'unknown_key'
            ? `checkpoint ${cp.id} at seq ${cp.seq} is signed by key ${cp.keyId}, which is not trusted`
            : `checkpoint ${cp.id} at seq ${cp.seq}: the signature does not match its content`,
      });
  }
  const retention = trusted.filter((c) => c.kind === 'retention').sort((a, b) => b.seq - a.seq)[0];
  const anchor = retention ? { seq: retention.seq, hash: retention.hash } : { seq: 0, hash: GENESIS_HASH };
  const bySeq = new Map<number, Checkpoint[]>();
  for (const cp of trusted) if (cp.kind !== 'retention') bySeq.set(cp.seq, [...(bySeq.get(cp.seq) ?? []), cp]);
  const lastCheckpoint = trusted.filter((c) => c.kind !== 'retention').sort((a, b) => b.seq - a.seq)[0];

  let events = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let prev: { seq: number; hash: string } | undefined;
  if (range && range.lo > 1) {
    // The record before the range links the range to the rest of the chain.
    const before = (await db(EVENTS_TABLE)
      .where({ instance_id: instanceId })
      .andWhere('seq', '<', range.lo)
      .orderBy('seq', 'desc')
      .first('seq', 'hash')) as Record<string, unknown> | undefined;
    if (before) prev = { seq: Number(before.seq), hash: before.hash as string };
  }
  const recent: Array<{ seq: number; hash: string; flagged: boolean }> = [];
  let cursor = range ? range.lo - 1 : 0;
  const pageSize = o.pageSize ?? 2000;
  while (range) {
    const rows = (await db(EVENTS_TABLE)
      .where({ instance_id: instanceId })
      .andWhere('seq', '>', cursor)
      .andWhere('seq', '<=', range.hi)
      .orderBy('seq')
      .limit(pageSize)) as Array<Record<string, unknown>>;
    if (rows.length === 0) break;
    for (const row of rows) {
      const record = rowToRecord(row);
      cursor = record.seq;
      events += 1;
      firstSeq ??= record.seq;
      lastSeq = record.seq;
      o.onRecord();
      let flagged = false;
      if (!hashMatches(record, record.hash)) {
        flagged = true;
        const movedFrom = originalSeq(record);
        report(
          movedFrom === undefined
            ? { kind: 'edited', seq: record.seq, eventId: record.id, detail: `event ${record.id} (seq ${record.seq}) was changed after it was recorded` }
            : {
                kind: 'reordered',
                seq: record.seq,
                eventId: record.id,
                detail: `event ${record.id} was recorded as seq ${movedFrom} and now stands at seq ${record.seq}`,
              },
        );
      }
      // Link to the predecessor.
      const predecessorSeq = record.seq - 1;
      let expected: string | undefined;
      if (prev && prev.seq === predecessorSeq) expected = prev.hash;
      else if (predecessorSeq === anchor.seq) expected = anchor.hash;
      else if (predecessorSeq > anchor.seq) {
        const fromSeq = Math.max(prev ? prev.seq + 1 : anchor.seq + 1, anchor.seq + 1);
        report({
          kind: 'missing',
          seq: fromSeq,
          toSeq: predecessorSeq,
          detail:
            fromSeq === predecessorSeq
              ? `event seq ${fromSeq} is missing (deleted) before event ${record.id}`
              : `events seq ${fromSeq}–${predecessorSeq} are missing (deleted) before event ${record.id}`,
        });
      }
      if (expected !== undefined && record.prevHash !== expected && !flagged) {
        const linked = recent.find((r) => r.hash === record.prevHash);
        if (!linked?.flagged) {
          report({
            kind: 'chain_broken',
            seq: record.seq,
            eventId: record.id,
            detail: linked
              ? `event ${record.id} (seq ${record.seq}) follows seq ${linked.seq} in its chain, not seq ${predecessorSeq}`
              : `event ${record.id} (seq ${record.seq}) does not follow seq ${predecessorSeq}: that event or its hash was changed`,
          });
        }
      }
      for (const cp of bySeq.get(record.seq) ?? []) {
        if (cp.hash !== record.hash) {
          report({
            kind: 'checkpoint_mismatch',
            seq: record.seq,
            eventId: record.id,
            checkpointId: cp.id,
            detail: `checkpoint ${cp.id} signed a different hash for seq ${record.seq}: the chain up to it was rewritten`,
          });
        }
      }
      recent.push({ seq: record.seq, hash: record.hash, flagged });
      if (recent.length > REORDER_WINDOW) recent.shift();
      prev = { seq: record.seq, hash: record.hash };
    }
  }
  // Truncation: a checkpoint covers records that are no longer there.
  const checkTail = o.to === undefined;
  if (checkTail && lastCheckpoint && lastCheckpoint.seq > (lastSeq ?? anchor.seq)) {
    const fromSeq = (lastSeq ?? anchor.seq) + 1;
    report({
      kind: 'truncated',
      seq: fromSeq,
      toSeq: lastCheckpoint.seq,
      checkpointId: lastCheckpoint.id,
      detail: `checkpoint ${lastCheckpoint.id} covers events up to seq ${lastCheckpoint.seq}, but the log ends at seq ${fromSeq - 1}`,
    });
  }
  const lastCpSeq = lastCheckpoint?.seq ?? null;
  return {
    instanceId,
    events,
    firstSeq,
    lastSeq,
    checkpoints: checkpoints.length,
    lastCheckpointSeq: lastCpSeq,
    uncheckpointed: lastSeq === null ? 0 : Math.max(0, lastSeq - Math.max(lastCpSeq ?? 0, anchor.seq)),
    removedThroughSeq: retention ? retention.seq : null,
  };
}

/** Whether a record whose hash fails at its seq was hashed at another seq nearby: it was moved, not edited. */
function originalSeq(record: AuditRecord): number | undefined {
  const { hash, ...unhashed } = record;
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const seq of [record.seq - d, record.seq + d]) {
      if (seq >= 1 && hashMatches({ ...unhashed, seq }, hash)) return seq;
    }
  }
  return undefined;
}

// The group-commit writer: a bounded queue; each commit chains and stores the records queued so far; several commits
// in flight at once, kept in chain order by the store (see appendRecords); periodic signed checkpoints; fail-closed
// when the store is down, and recovery without a restart.
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import { AuditUnavailableError } from './audit-unavailable-error.js';
import { CHECKPOINTS_TABLE, checkpointToRow, rowToCheckpoint, signCheckpoint, type Checkpoint, type CheckpointKind } from './checkpoint.js';
import type { AuditContent, AuditRecord } from './event.js';
import { appendRecords, EVENTS_TABLE, iso, rowToRecord, setHead, type ChainStep } from './event-row.js';
import { chain, GENESIS_HASH, type ChainHead } from './hash-chain.js';
import type { CheckpointSigner } from './signing.js';
import { newId } from '../util/ids.js';

export interface AuditWriterOptions {
  readonly db: Knex;
  readonly instanceId: string;
  readonly queueSize: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Commits in flight at once (each on its own store connection); 1: each waits for the one before. */
  readonly maxInFlight: number;
  readonly checkpointEveryEvents: number;
  readonly checkpointEveryMs: number;
  readonly signer: CheckpointSigner;
  readonly logger: Logger;
  /** After each commit (the JSON-line sink). */
  readonly onCommitted?: (records: readonly AuditRecord[]) => void;
  /** How often a failed store is probed. */
  readonly retryMs?: number;
}

export interface WriterStats {
  readonly commits: number;
  readonly records: number;
  readonly largestBatch: number;
  readonly checkpoints: number;
  readonly failures: number;
}

export interface AuditWriter {
  readonly instanceId: string;
  /** Loads the chain head, closes intents a previous run left open, starts the checkpoint timer. */
  start(): Promise<void>;
  /** Resolves once the record is committed (durable); rejects with AuditUnavailableError. */
  append(content: AuditContent): Promise<AuditRecord>;
  /** Why records cannot be accepted right now; undefined when they can. */
  unavailableReason(): string | undefined;
  /** A request with intents is under way: recovery must not close its intents. */
  holdRef(ref: string): () => void;
  /** A request event that could not be stored while its intents were: stored once the store is back. */
  defer(content: AuditContent): void;
  /** Commits a checkpoint now if records were added since the last one. */
  checkpoint(kind?: CheckpointKind): Promise<void>;
  /** Retries the store now (rather than on the timer); resolves true once it is usable again. */
  probe(): Promise<boolean>;
  stats(): WriterStats;
  /** Commits what is queued, writes a shutdown checkpoint, stops timers. */
  close(): Promise<void>;
}

interface Pending {
  readonly content: AuditContent;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (err: Error) => void;
}

export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  return new GroupCommitWriter(options);
}

class GroupCommitWriter implements AuditWriter {
  readonly instanceId: string;
  private readonly o: AuditWriterOptions;
  private queue: Pending[] = [];
  /** The dispatch loop, while it runs. */
  private pumping: Promise<void> | undefined;
  /** Commits sent to the store and not yet settled (each resolves whether it was stored; none rejects). */
  private readonly inFlight = new Set<Promise<boolean>>();
  /** The last batch sent: resolves true once it is stored, false if it failed. */
  private lastSent: Promise<boolean> | undefined;
  private head: ChainHead | undefined;
  private lastCheckpoint = { seq: 0, at: Date.now() };
  private checkpointWanted: CheckpointKind | undefined;
  private failure: string | undefined;
  private closed = false;
  private readonly held = new Map<string, number>();
  private deferred: AuditContent[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private probing: Promise<boolean> | undefined;
  private lastBatch = 0;
  private counters = { commits: 0, records: 0, largestBatch: 0, checkpoints: 0, failures: 0 };

  constructor(options: AuditWriterOptions) {
    this.o = options;
    this.instanceId = options.instanceId;
  }

  async start(): Promise<void> {
    await this.loadHead();
    await this.closeDanglingIntents();
    this.checkpointTimer = setInterval(() => {
      if (!this.failure && this.head && this.head.seq > this.lastCheckpoint.seq) void this.checkpoint('periodic');
    }, this.o.checkpointEveryMs);
    this.checkpointTimer.unref();
  }

  append(content: AuditContent): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new AuditUnavailableError('the audit writer is closed'));
    if (this.failure) return Promise.reject(new AuditUnavailableError(this.failure));
    if (this.queue.length >= this.o.queueSize) {
      return Promise.reject(new AuditUnavailableError(`the audit queue is full (${this.o.queueSize} records)`));
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      this.queue.push({ content, resolve, reject });
      this.kick();
    });
  }

  unavailableReason(): string | undefined {
    if (this.closed) return 'the audit writer is closed';
    if (this.failure) return `the audit store is unavailable: ${this.failure}`;
    if (this.queue.length >= this.o.queueSize) return `the audit queue is full (${this.o.queueSize} records)`;
    return undefined;
  }

  holdRef(ref: string): () => void {
    this.held.set(ref, (this.held.get(ref) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.held.get(ref) ?? 1) - 1;
      if (n <= 0) this.held.delete(ref);
      else this.held.set(ref, n);
    };
  }

  defer(content: AuditContent): void {
    // Bounded like the queue: past it, recovery records these requests as 'unknown' instead.
    if (this.deferred.length < this.o.queueSize) this.deferred.push(content);
    this.scheduleProbe();
  }

  async checkpoint(kind: CheckpointKind = 'periodic'): Promise<void> {
    if (this.failure) return;
    this.checkpointWanted = kind;
    this.kick();
    await this.drained();
  }

  probe(): Promise<boolean> {
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  stats(): WriterStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.checkpointTimer);
    clearTimeout(this.probeTimer);
    await this.drained();
    if (!this.failure && this.head && this.head.seq > this.lastCheckpoint.seq) {
      this.checkpointWanted = 'shutdown';
      this.kick();
      await this.drained();
    }
    this.closed = true;
    this.rejectQueued(new AuditUnavailableError('the audit writer is closed'));
  }

  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.canDispatch()) this.kick();
    });
  }

  private canDispatch(): boolean {
    if ((this.queue.length === 0 && this.checkpointWanted === undefined) || this.failure) return false;
    if (this.inFlight.size === 0) return true;
    if (this.inFlight.size >= this.o.maxInFlight) return false;
    // While a commit is in flight, another goes out only once the queue would fill a batch as large as the last
    // one: under steady load batches stay as large as with one commit at a time (each commit costs CPU on both
    // sides), and only when commits take longer than records take to arrive (a slow store) do they overlap.
    // Otherwise the queue waits for the commit in flight. maxWaitMs 0 (never wait for company) sends at once.
    return (
      this.o.maxWaitMs === 0 ||
      this.checkpointWanted !== undefined ||
      this.queue.length >= Math.min(this.o.maxBatch, Math.max(2, this.lastBatch))
    );
  }

  /** Sends batches while there is work and a free commit slot; each settled commit kicks it again. */
  private async pump(): Promise<void> {
    while (this.canDispatch()) {
      // Linger for company only when commits are already shared (a lone request never waits for others), and
      // only when nothing is in flight (a batch sent alongside one already has its company).
      if (this.o.maxWaitMs > 0 && this.inFlight.size === 0 && this.lastBatch > 1 && this.queue.length > 0 && this.queue.length < this.o.maxBatch) {
        await new Promise((r) => setTimeout(r, this.o.maxWaitMs));
        if (!this.canDispatch()) return;
      }
      if (!this.head) {
        // After a failure the head is reloaded (by the probe) only once nothing is in flight.
        if (this.inFlight.size > 0) return;
        try {
          await this.loadHead();
        } catch (err) {
          this.fail(err, []);
          return;
        }
        continue;
      }
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.lastBatch = batch.length;
      const commit = this.commit(this.head, batch, this.lastSent);
      this.lastSent = commit;
      this.inFlight.add(commit);
      void commit.finally(() => {
        this.inFlight.delete(commit);
        this.kick();
      });
    }
  }

  /** Every queued and in-flight commit has settled (or the writer has failed and nothing is in flight). */
  private async drained(): Promise<void> {
    while (this.pumping || this.inFlight.size > 0) await Promise.allSettled([this.pumping, ...this.inFlight]);
  }

  /**
   * Chains the batch on `head` and moves the writer's head past it at once (the next batch chains on this one
   * before it is stored), then stores it. The store keeps commits in chain order and refuses one whose predecessor
   * was not stored, so a failure fails the batches after it too, and the chain never has a gap. A batch can reach
   * the store before its predecessor has moved the head at all (each goes on its own connection): it is refused,
   * waits for the predecessor and, once that one is stored, is sent again. Resolves whether the batch is stored.
   */
  private async commit(head: ChainHead, batch: Pending[], predecessor: Promise<boolean> | undefined): Promise<boolean> {
    const wanted = this.checkpointWanted;
    this.checkpointWanted = undefined;
    const now = Math.max(Date.now(), head.recordedAt ? Date.parse(head.recordedAt) : 0);
    const { records, rows, head: next } = chain(this.instanceId, head, batch.map((p) => p.content), new Date(now).toISOString());
    const checkpoint = this.checkpointDue(next, now, wanted) ? this.sign(next, now, wanted) : undefined;
    if (records.length === 0 && !checkpoint) return predecessor ?? true;
    this.head = next;
    if (checkpoint) this.lastCheckpoint = { seq: checkpoint.seq, at: now };
    const step: ChainStep = { instanceId: this.instanceId, from: head, to: next };
    try {
      let stored = await this.store(step, rows, checkpoint);
      if (!stored && predecessor && (await predecessor)) stored = await this.store(step, rows, checkpoint);
      if (!stored) {
        throw new Error(
          `the audit chain's head in the store is not at seq ${head.seq}: an earlier commit failed, or another process writes instance ${this.instanceId}`,
        );
      }
      if (checkpoint) this.counters.checkpoints += 1;
      this.counters.commits += records.length > 0 ? 1 : 0;
      this.counters.records += records.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, records.length);
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(records[i]!);
      if (records.length > 0) this.o.onCommitted?.(records);
      return true;
    } catch (err) {
      this.fail(err, batch);
      return false;
    }
  }

  /** A commit failed (it may or may not have happened: a lost acknowledgement): refuse until the probe recovers. */
  private fail(err: unknown, batch: readonly Pending[]): void {
    // Forget the head: the probe reloads it from the store once nothing is in flight.
    this.head = undefined;
    const reason = describe(err);
    this.counters.failures += 1;
    this.o.logger.error('audit commit failed', { event: 'audit_commit_failed', reason, records: batch.length });
    this.failure ??= reason;
    const error = new AuditUnavailableError(reason);
    for (const p of batch) p.reject(error);
    this.rejectQueued(error);
    this.scheduleProbe();
  }

  private checkpointDue(next: ChainHead, now: number, wanted: CheckpointKind | undefined): boolean {
    if (next.seq <= this.lastCheckpoint.seq) return false;
    if (wanted) return true;
    return (
      next.seq - this.lastCheckpoint.seq >= this.o.checkpointEveryEvents ||
      now - this.lastCheckpoint.at >= this.o.checkpointEveryMs
    );
  }

  private sign(head: ChainHead, now: number, wanted: CheckpointKind | undefined): Checkpoint {
    return signCheckpoint(this.o.signer, {
      instanceId: this.instanceId,
      kind: wanted === 'shutdown' ? 'shutdown' : 'periodic',
      seq: head.seq,
      hash: head.hash,
      createdAt: new Date(now).toISOString(),
      removedFromSeq: null,
      removedCount: null,
      removedBefore: null,
    });
  }

  private async store(step: ChainStep, rows: readonly string[], checkpoint: Checkpoint | undefined): Promise<boolean> {
    // One statement is atomic: without a checkpoint there is no need for BEGIN / COMMIT round trips.
    if (!checkpoint) return appendRecords(this.o.db, step, rows);
    return this.o.db.transaction(async (trx) => {
      if (!(await appendRecords(trx, step, rows))) return false;
      await trx(CHECKPOINTS_TABLE).insert(checkpointToRow(checkpoint));
      return true;
    });
  }

  private async loadHead(): Promise<ChainHead> {
    const db = this.o.db;
    const last = (await db(EVENTS_TABLE)
      .where({ instance_id: this.instanceId })
      .orderBy('seq', 'desc')
      .first('seq', 'hash', 'recorded_at')) as Record<string, unknown> | undefined;
    const lastCp = (await db(CHECKPOINTS_TABLE)
      .where({ instance_id: this.instanceId })
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
    this.lastCheckpoint = checkpoint
      ? { seq: checkpoint.seq, at: Date.parse(checkpoint.createdAt) }
      : { seq: 0, at: Date.now() };
    // The store's head row follows the stored records: set it to where they end (nothing is in flight now).
    await setHead(db, this.instanceId, head);
    this.head = head;
    this.lastSent = undefined;
    return head;
  }

  /** Intents of this instance whose request never recorded an outcome: the process died in between. */
  private async closeDanglingIntents(): Promise<void> {
    for (const content of this.deferred.splice(0)) await this.append(content);
    const db = this.o.db;
    const rows = (await db(`${EVENTS_TABLE} as i`)
      .where('i.instance_id', this.instanceId)
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
      .orderBy('i.seq')
      .select('i.*')) as Array<Record<string, unknown>>;
    const byRef = new Map<string, Array<Record<string, unknown>>>();
    for (const row of rows) {
      const ref = row.ref as string;
      if (this.held.has(ref)) continue;
      byRef.set(ref, [...(byRef.get(ref) ?? []), row]);
    }
    for (const [ref, intents] of byRef) {
      const first = rowToRecord(intents[0]!);
      await this.append({
        ...first,
        id: newId(),
        kind: 'outcome',
        ref,
        status: null,
        outcome: 'unknown',
        errorCode: null,
        latencyMs: null,
        rows: null,
        statements: [],
        detail: {
          reason: 'the gateway stopped after the intent was recorded and before the outcome was',
          intents: intents.map((r) => r.id as string),
        },
      });
    }
    if (byRef.size > 0) {
      this.o.logger.warn('audit intents closed as unknown', { event: 'audit_intents_unknown', count: byRef.size });
    }
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe().then((ok) => {
        if (!ok || this.deferred.length > 0) this.scheduleProbe();
      });
    }, this.o.retryMs ?? 1000);
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.o.db.raw('select 1');
      const wasFailing = this.failure !== undefined;
      await this.drained();
      await this.loadHead();
      this.failure = undefined;
      await this.closeDanglingIntents();
      if (wasFailing) this.o.logger.info('audit store recovered', { event: 'audit_store_recovered' });
      return true;
    } catch (err) {
      this.failure ??= describe(err);
      return false;
    }
  }

  private rejectQueued(error: Error): void {
    const queued = this.queue;
    this.queue = [];
    for (const p of queued) p.reject(error);
  }
}

function describe(err: unknown): string {
  if (err instanceof AuditUnavailableError) return err.reason;
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300) || String(err);
}

// The group-commit writer: a bounded queue; each commit chains and stores the records queued so far; several commits
// in flight at once, kept in chain order by the store (see appendRecords); periodic signed checkpoints; fail-closed
// when the store is down, and recovery without a restart (writer-recovery.ts).
import { AuditUnavailableError } from './audit-unavailable-error.js';
import { CHECKPOINTS_TABLE, checkpointToRow, insertCoveredCheckpoint, signCheckpoint, type Checkpoint, type CheckpointKind } from './checkpoint.js';
import type { AuditContent, AuditRecord } from './event.js';
import { appendRecords, type ChainStep } from './event-row.js';
import { chain, type ChainHead } from './hash-chain.js';
import type { StoredPosition } from './recovery-store.js';
import type { AuditWriter, AuditWriterOptions, WriterStats } from './writer-contract.js';
import { WriterRecovery, type Pending } from './writer-recovery.js';

export type { AuditWriter, AuditWriterOptions, WriterStats } from './writer-contract.js';

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
  /** The last batch of records sent: resolves true once it is stored, false if it failed. */
  private lastSent: Promise<boolean> | undefined;
  private head: ChainHead | undefined;
  private lastCheckpoint = { seq: 0, at: Date.now() };
  private checkpointWanted: CheckpointKind | undefined;
  private failure: string | undefined;
  private closed = false;
  private readonly recovery: WriterRecovery;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private lastBatch = 0;
  private counters = { commits: 0, records: 0, largestBatch: 0, checkpoints: 0, failures: 0 };

  constructor(options: AuditWriterOptions) {
    this.o = options;
    this.instanceId = options.instanceId;
    this.recovery = new WriterRecovery({
      db: options.db,
      instanceId: options.instanceId,
      logger: options.logger,
      queueSize: options.queueSize,
      retryMs: options.retryMs ?? 200,
      failure: () => this.failure,
      isClosed: () => this.closed,
      drained: () => this.drained(),
      requeue: (records) => {
        this.queue.unshift(...records);
        this.kick();
      },
      resume: (position) => {
        this.setPosition(position);
        this.failure = undefined;
        this.kick();
      },
      stillFailing: (err) => {
        this.head = undefined;
        this.failure ??= describe(err);
      },
    });
  }

  async start(): Promise<void> {
    const { position, outcomes } = await this.recovery.startUp();
    this.setPosition(position);
    // Past the queue's bound: a long outage may have left more than it holds.
    await Promise.all(
      outcomes.map(
        (content) =>
          new Promise<AuditRecord>((resolve, reject) => {
            this.queue.push({ content, resolve, reject, tracked: false, leftover: false });
            this.kick();
          }),
      ),
    );
    this.checkpointTimer = setInterval(() => {
      if (!this.failure && this.head && this.head.seq > this.lastCheckpoint.seq) this.requestCheckpoint('periodic');
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
      this.queue.push({ content, resolve, reject, tracked: this.recovery.track(content), leftover: false });
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
    return this.recovery.hold(ref);
  }

  defer(content: AuditContent): void {
    this.recovery.defer(content);
  }

  async checkpoint(kind: CheckpointKind = 'periodic'): Promise<void> {
    if (this.failure) return;
    this.requestCheckpoint(kind);
    await this.drained();
  }

  probe(): Promise<boolean> {
    return this.recovery.probe();
  }

  stats(): WriterStats {
    return { ...this.counters, unknownOutcomes: this.recovery.unknownOutcomes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.checkpointTimer);
    this.recovery.stop();
    await this.drained();
    if (!this.failure && this.head && this.head.seq > this.lastCheckpoint.seq) {
      this.requestCheckpoint('shutdown');
      await this.drained();
    }
    this.closed = true;
    this.rejectQueued(new AuditUnavailableError('the audit writer is closed'));
  }

  private requestCheckpoint(kind: CheckpointKind): void {
    this.checkpointWanted = kind;
    this.kick();
  }

  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.canDispatch()) this.kick();
    });
  }

  private canDispatch(): boolean {
    if ((this.queue.length === 0 && this.checkpointWanted === undefined) || this.failure || !this.head) return false;
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
      const sent = this.dispatch(this.head!);
      if (!sent) continue;
      this.inFlight.add(sent);
      void sent.finally(() => {
        this.inFlight.delete(sent);
        this.kick();
      });
    }
  }

  /**
   * Chains the queued records on `head` and moves the writer's head past them at once (the next batch chains on
   * these before they are stored), signs a checkpoint if one is due, and sends them. Returns the commit in flight.
   */
  private dispatch(head: ChainHead): Promise<boolean> | undefined {
    const batch = this.queue.splice(0, this.o.maxBatch);
    const wanted = this.checkpointWanted;
    this.checkpointWanted = undefined;
    const now = Math.max(Date.now(), head.recordedAt ? Date.parse(head.recordedAt) : 0);
    const { records, rows, head: next } = chain(this.instanceId, head, batch.map((p) => p.content), new Date(now).toISOString());
    const checkpoint = this.checkpointDue(next, now, wanted) ? this.sign(next, now, wanted) : undefined;
    if (checkpoint) this.lastCheckpoint = { seq: checkpoint.seq, at: now };
    // A checkpoint alone is no link in the chain of commits (it moves no head): it follows the last batch sent.
    if (records.length === 0) return checkpoint ? this.commitCheckpoint(checkpoint, this.lastSent) : undefined;
    this.head = next;
    this.lastBatch = batch.length;
    const sent = this.commitBatch({ instanceId: this.instanceId, from: head, to: next }, batch, records, rows, checkpoint, this.lastSent);
    this.lastSent = sent;
    return sent;
  }

  /**
   * Stores a chained batch (and a checkpoint at its end). The store keeps commits in chain order and refuses one
   * whose predecessor was not stored, so a failure fails the batches after it too, and the chain never has a gap. A
   * batch can reach the store before its predecessor has moved the head at all (each goes on its own connection):
   * it is refused, waits for the predecessor and, once that one is stored, is sent again. Resolves whether stored.
   */
  private async commitBatch(
    step: ChainStep,
    batch: Pending[],
    records: AuditRecord[],
    rows: readonly string[],
    checkpoint: Checkpoint | undefined,
    predecessor: Promise<boolean> | undefined,
  ): Promise<boolean> {
    try {
      let stored = await this.store(step, rows, checkpoint);
      if (!stored && predecessor) {
        // Refused because the predecessor was not stored: the writer has failed already, for that reason.
        if (!(await predecessor)) {
          this.settle(batch, new AuditUnavailableError(this.failure ?? 'an earlier audit commit failed'));
          return false;
        }
        stored = await this.store(step, rows, checkpoint);
      }
      if (!stored) {
        throw new Error(
          `the audit chain's head in the store is not at seq ${step.from.seq}: another process writes instance ${this.instanceId}`,
        );
      }
      this.counters.commits += 1;
      this.counters.records += records.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, records.length);
      this.settle(batch, records);
      this.o.onCommitted?.(records);
      if (checkpoint) this.checkpointStored(checkpoint);
      return true;
    } catch (err) {
      this.fail(err, batch);
      return false;
    }
  }

  /** Stores a checkpoint with no records of its own, once the records it covers are. */
  private async commitCheckpoint(checkpoint: Checkpoint, predecessor: Promise<boolean> | undefined): Promise<boolean> {
    try {
      // Not stored: the writer has failed, and once it recovers the next checkpoint covers these records.
      if (predecessor && !(await predecessor)) return false;
      if (!(await insertCoveredCheckpoint(this.o.db, checkpoint))) {
        throw new Error(`the record checkpoint seq ${checkpoint.seq} signs is not in the store (instance ${this.instanceId})`);
      }
      this.checkpointStored(checkpoint);
      return true;
    } catch (err) {
      this.fail(err, []);
      return false;
    }
  }

  private checkpointStored(checkpoint: Checkpoint): void {
    this.counters.checkpoints += 1;
    this.o.onCheckpoint?.(checkpoint);
  }

  /** Resolves a stored batch's records, or refuses them (leftovers are kept for later instead). */
  private settle(batch: readonly Pending[], outcome: readonly AuditRecord[] | AuditUnavailableError): void {
    const stored = Array.isArray(outcome);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (!stored && p.leftover) {
        this.recovery.keep(p);
        continue;
      }
      this.recovery.settled(p, stored);
      if (stored) p.resolve(outcome[i]!);
      else p.reject(outcome as AuditUnavailableError);
    }
  }

  /** A commit failed (it may or may not have happened: a lost acknowledgement): refuse until the probe recovers. */
  private fail(err: unknown, batch: readonly Pending[]): void {
    // Forget the head: recovery reloads it from the store once nothing is in flight.
    this.head = undefined;
    const reason = describe(err);
    this.counters.failures += 1;
    if (this.failure === undefined) {
      this.o.logger.error('audit commit failed', { event: 'audit_commit_failed', reason, records: batch.length });
    }
    this.failure ??= reason;
    const error = new AuditUnavailableError(reason);
    this.settle(batch, error);
    this.rejectQueued(error);
    this.recovery.schedule();
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

  private setPosition(position: StoredPosition): void {
    this.head = position.head;
    this.lastCheckpoint = { ...position.lastCheckpoint };
    this.lastSent = undefined;
  }

  /** Every queued and in-flight commit has settled (or the writer has failed and nothing is in flight). */
  private async drained(): Promise<void> {
    while (this.pumping || this.inFlight.size > 0) await Promise.allSettled([this.pumping, ...this.inFlight]);
  }

  private rejectQueued(error: AuditUnavailableError): void {
    const queued = this.queue;
    this.queue = [];
    this.settle(queued, error);
  }
}

function describe(err: unknown): string {
  if (err instanceof AuditUnavailableError) return err.reason;
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300) || String(err);
}

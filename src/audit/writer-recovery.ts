// The audit writer's recovery: probing a failed store, reloading where the chain ends once nothing is in flight, and
// storing exactly once what a failure left over (deferred request events, and 'unknown' outcomes for requests that
// can no longer produce their event); also the start-up sweep of intents a previous run left open.
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import type { AuditContent, AuditRecord } from './event.js';
import { OpenIntents } from './open-intents.js';
import {
  loadPosition,
  storedIds,
  UNKNOWN_AFTER_RESTART,
  UNKNOWN_EVENT_LOST,
  unknownOutcomes,
  type StoredPosition,
} from './recovery-store.js';

/** A record waiting in the writer's queue. */
export interface Pending {
  readonly content: AuditContent;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (err: Error) => void;
  /** Its request is followed by OpenIntents (settled exactly once: stored, or dropped). */
  readonly tracked: boolean;
  /** Left over from a failure (a deferred event, a recovered outcome): kept for later again if refused. */
  readonly leftover: boolean;
}

/** What recovery needs of the writer. */
export interface RecoveryHost {
  readonly db: Knex;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly queueSize: number;
  readonly retryMs: number;
  /** Why the writer refuses records (it has failed), or undefined. */
  failure(): string | undefined;
  isClosed(): boolean;
  /** Resolves once nothing is in flight (nothing is dispatched while the writer has failed). */
  drained(): Promise<void>;
  /** Queues records ahead of new ones, past the queue's bound (they are in memory already). */
  requeue(records: Pending[]): void;
  /** The store is usable again from `position`: accept and send records. */
  resume(position: StoredPosition): void;
  /** A recovery attempt failed: stay failed (with this reason if none is recorded yet), head forgotten. */
  stillFailing(err: unknown): void;
}

const ignore = (): void => undefined;

export class WriterRecovery {
  private readonly intents: OpenIntents;
  /** Records to store once the store is back (deferred request events, refused leftovers). */
  private deferred: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<boolean> | undefined;
  private unknown = 0;

  constructor(private readonly host: RecoveryHost) {
    this.intents = new OpenIntents(host.queueSize * 10, () => this.schedule());
  }

  /** Intents closed as unknown by this process so far. */
  get unknownOutcomes(): number {
    return this.unknown;
  }

  /**
   * At start-up no request of this process exists yet: every unclosed intent of this instance is a previous run's.
   * Returns the position to start from and the outcomes to store first.
   */
  async startUp(): Promise<{ position: StoredPosition; outcomes: AuditContent[] }> {
    const position = await loadPosition(this.host.db, this.host.instanceId);
    const outcomes = await unknownOutcomes(this.host.db, this.host.instanceId, undefined, UNKNOWN_AFTER_RESTART);
    this.noteUnknown(outcomes.length);
    return { position, outcomes };
  }

  hold(ref: string): () => void {
    return this.intents.hold(ref);
  }

  /** Whether a record being queued belongs to a followed request (then `settled` is called for it once). */
  track(content: AuditContent): boolean {
    return this.intents.track(content.ref, content.kind);
  }

  settled(p: Pending, stored: boolean): void {
    if (p.tracked) this.intents.settled(p.content.ref, p.content.kind, stored);
  }

  defer(content: AuditContent): void {
    // Bounded like the queue: past it, the request is found lost once it is over, and its intents closed as unknown.
    if (this.deferred.length < this.host.queueSize) {
      this.deferred.push({ content, resolve: ignore, reject: ignore, tracked: this.track(content), leftover: true });
    }
    this.schedule();
  }

  /** A leftover refused again (the store failed again): kept for the next recovery. */
  keep(p: Pending): void {
    this.deferred.push(p);
  }

  schedule(): void {
    if (this.host.isClosed() || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.probe().then((ok) => {
        if (!ok || this.deferred.length > 0) this.schedule();
      });
    }, this.host.retryMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  probe(): Promise<boolean> {
    this.probing ??= this.run().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /**
   * While the writer has failed: once the store answers and nothing is in flight, reload where the chain ends, queue
   * what the failure left over (each record once), then accept records again. While it works: queue the leftovers.
   */
  private async run(): Promise<boolean> {
    const host = this.host;
    if (host.isClosed()) return false;
    if (!host.failure()) {
      try {
        await this.queueLeftovers();
        return true;
      } catch {
        return false;
      }
    }
    try {
      await host.db.raw('select 1');
      // Nothing is dispatched while the writer has failed: once these settle, the store's chain is final.
      await host.drained();
      const position = await loadPosition(host.db, host.instanceId);
      await this.queueLeftovers();
      host.resume(position);
      host.logger.info('audit store recovered', { event: 'audit_store_recovered' });
      return true;
    } catch (err) {
      host.stillFailing(err);
      return false;
    }
  }

  /**
   * Queues the deferred records the store does not hold yet (a commit whose acknowledgement was lost may have stored
   * one), and an 'unknown' outcome for each lost request with a stored intent and no stored event. Runs only when
   * nothing that could store either is in flight: after a failure, or for requests with nothing queued.
   */
  private async queueLeftovers(): Promise<void> {
    const deferred = this.deferred;
    this.deferred = [];
    const lost = this.intents.takeLost();
    if (deferred.length === 0 && lost.length === 0) return;
    let already: Set<string>;
    let outcomes: AuditContent[];
    try {
      already = await storedIds(this.host.db, deferred.map((p) => p.content.id));
      outcomes = await unknownOutcomes(this.host.db, this.host.instanceId, lost, UNKNOWN_EVENT_LOST);
    } catch (err) {
      this.deferred.unshift(...deferred);
      this.intents.giveBack(lost);
      throw err;
    }
    const leftovers = deferred.filter((p) => {
      if (!already.has(p.content.id)) return true;
      this.settled(p, true);
      return false;
    });
    for (const content of outcomes) leftovers.push({ content, resolve: ignore, reject: ignore, tracked: false, leftover: true });
    this.noteUnknown(outcomes.length);
    this.host.requeue(leftovers);
  }

  private noteUnknown(count: number): void {
    this.unknown += count;
    const overflow = this.intents.takeOverflow();
    if (count > 0) this.host.logger.warn('audit intents closed as unknown', { event: 'audit_intents_unknown', count });
    if (overflow > 0) {
      this.host.logger.error('audit intents left open until the next start', { event: 'audit_intents_left_open', count: overflow });
    }
  }
}

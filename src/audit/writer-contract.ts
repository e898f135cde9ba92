// What the audit writer offers its callers (request audit, auditor) and what it is built from.
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import type { Checkpoint, CheckpointKind } from './checkpoint.js';
import type { AuditContent, AuditRecord } from './event.js';
import type { CheckpointSigner } from './signing.js';

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
  /** After each checkpoint is stored (publication outside the store). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** How often a failed store is probed (default 200 ms: the writer is back within that of the store). */
  readonly retryMs?: number;
}

export interface WriterStats {
  readonly commits: number;
  readonly records: number;
  readonly largestBatch: number;
  readonly checkpoints: number;
  readonly failures: number;
  /** Intents closed as unknown by this process (at start-up, or for requests whose event was lost). */
  readonly unknownOutcomes: number;
}

export interface AuditWriter {
  readonly instanceId: string;
  /** Loads the chain head, closes intents a previous run left open, starts the checkpoint timer. */
  start(): Promise<void>;
  /** Resolves once the record is committed (durable); rejects with AuditUnavailableError. */
  append(content: AuditContent): Promise<AuditRecord>;
  /** Why records cannot be accepted right now; undefined when they can. */
  unavailableReason(): string | undefined;
  /** A request writes intents: followed until its event is stored; call the returned function when it is over. */
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

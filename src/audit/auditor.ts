// The audit subsystem as one object: signer, group-commit writer, JSON-line sink, witness, retention timer.
import { hostname } from 'node:os';
import type { AuditConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/create-store.js';
import { applyRetention, type RetentionResult } from './retention.js';
import { createAuditSink, type AuditSink } from './sink.js';
import { createSigner, trustedKeysFor, type CheckpointSigner, type TrustedKeys } from './signing.js';
import { verifyAuditLog, type VerifyOptions, type VerifyReport } from './verify.js';
import { openWitnessFile } from './witness.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

export interface Auditor {
  readonly config: AuditConfig;
  readonly store: Store;
  readonly writer: AuditWriter;
  readonly sink: AuditSink;
  readonly signer: CheckpointSigner;
  readonly trustedKeys: TrustedKeys;
  /** A readiness check: why requests cannot be recorded now, or undefined. */
  readiness(): Promise<string | undefined>;
  verify(options?: Omit<VerifyOptions, 'trustedKeys'>): Promise<VerifyReport>;
  /** Removes records older than the retention window (if one is configured) now. */
  retain(now?: Date): Promise<RetentionResult[]>;
  close(): Promise<void>;
}

export interface AuditorDeps {
  readonly config: AuditConfig;
  readonly store: Store;
  readonly logger: Logger;
}

export function defaultInstanceId(config: AuditConfig): string {
  return config.instanceId ?? hostname().replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 128);
}

export async function startAuditor(deps: AuditorDeps): Promise<Auditor> {
  const { config, store, logger } = deps;
  const signer = createSigner(config.signingKey);
  if (!signer.configured) {
    logger.warn('audit.signingKey is not set: checkpoints are signed with a key made for this process only', {
      event: 'audit_ephemeral_key',
      keyId: signer.keyId,
    });
  }
  const trustedKeys = trustedKeysFor(signer, config.trustedKeys);
  const sink = createAuditSink(config.sink);
  const witness = config.witness.file === undefined ? undefined : openWitnessFile(config.witness.file, logger);
  const writer = createAuditWriter({
    db: store.db,
    instanceId: defaultInstanceId(config),
    queueSize: config.queueSize,
    maxBatch: config.groupCommit.maxBatch,
    maxWaitMs: config.groupCommit.maxWaitMs,
    maxInFlight: config.groupCommit.maxInFlight,
    checkpointEveryEvents: config.checkpoint.everyEvents,
    checkpointEveryMs: config.checkpoint.everyMs,
    signer,
    logger,
    onCommitted: (records) => records.forEach((r) => sink.committed(r)),
    onCheckpoint: (checkpoint) => {
      sink.checkpoint(checkpoint);
      witness?.publish(checkpoint);
    },
  });
  await writer.start();

  const retain = async (now = new Date()): Promise<RetentionResult[]> => {
    if (config.retention.days === undefined) return [];
    const cutoff = new Date(now.getTime() - config.retention.days * 86_400_000);
    const results = await applyRetention(store.db, signer, cutoff);
    for (const r of results) {
      sink.checkpoint(r.checkpoint);
      witness?.publish(r.checkpoint);
      logger.info('audit retention', { event: 'audit_retention', instanceId: r.instanceId, removed: r.removed, throughSeq: r.checkpoint.seq });
    }
    return results;
  };
  let retentionTimer: NodeJS.Timeout | undefined;
  if (config.retention.days !== undefined) {
    retentionTimer = setInterval(() => {
      retain().catch((err: unknown) => logger.error('audit retention failed', { event: 'audit_retention_failed', error: String(err) }));
    }, config.retention.intervalMs);
    retentionTimer.unref();
  }

  return {
    config,
    store,
    writer,
    sink,
    signer,
    trustedKeys,
    async readiness() {
      const reason = writer.unavailableReason();
      if (reason) {
        // Readiness probes double as recovery attempts, so a recovered store is noticed promptly.
        if (!(await writer.probe())) return writer.unavailableReason() ?? reason;
      }
      if (!(await store.ping(2000))) return 'the audit store is unreachable';
      return writer.unavailableReason();
    },
    verify: (options = {}) => verifyAuditLog(store.db, { ...options, trustedKeys }),
    retain,
    async close() {
      clearInterval(retentionTimer);
      await writer.close().catch((err: unknown) => logger.error('audit writer close failed', { event: 'audit_close_failed', error: String(err) }));
      await sink.close();
      await witness?.close();
    },
  };
}

// The JSON-line sink: every audit record and signed checkpoint also goes, as one line, to stdout and/or a file for the
// site's log pipeline.
import { once } from 'node:events';
import winston from 'winston';
import type { Checkpoint } from './checkpoint.js';
import type { AuditContent, AuditRecord } from './event.js';
import { publishedFields } from './witness.js';

export interface AuditSink {
  /** A committed record. */
  committed(record: AuditRecord): void;
  /** A request event that could not be stored (the response was 503 audit_unavailable). */
  unstored(content: AuditContent, reason: string): void;
  /** A stored signed checkpoint, published outside the store (`gatehouse audit verify --witness` reads it back). */
  checkpoint(checkpoint: Checkpoint): void;
  /** Writes out what is buffered and closes the transports. */
  close(): Promise<void>;
}

export function createAuditSink(options: { readonly stdout: boolean; readonly file?: string }): AuditSink {
  const transports: winston.transport[] = [];
  if (options.stdout) transports.push(new winston.transports.Console());
  if (options.file) transports.push(new winston.transports.File({ filename: options.file }));
  const logger = winston.createLogger({
    level: 'info',
    silent: transports.length === 0,
    // No timestamp of our own: the record carries occurredAt and recordedAt.
    format: winston.format.json(),
    transports: transports.length > 0 ? transports : [new winston.transports.Console({ silent: true })],
  });
  let closed = transports.length === 0;
  return {
    committed(record) {
      if (!closed) logger.info('audit', { log: 'audit', stored: true, ...record });
    },
    unstored(content, reason) {
      if (!closed) logger.warn('audit', { log: 'audit', stored: false, reason, ...content });
    },
    checkpoint(checkpoint) {
      if (!closed) logger.info('audit checkpoint', publishedFields(checkpoint));
    },
    async close() {
      if (closed) return;
      closed = true;
      // winston's own 'finish' fires before file transports have flushed; wait for each transport.
      const finished = transports.map((t) => once(t, 'finish').catch(() => undefined));
      logger.end();
      await Promise.all(finished);
    },
  };
}

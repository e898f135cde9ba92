// 503 audit_unavailable: the audit store cannot take the record, so the request is not answered (fail closed).
import { AppError } from '../errors/app-error.js';

export class AuditUnavailableError extends AppError {
  /** Why (for logs and readiness); not shown to the caller. */
  readonly reason: string;

  constructor(reason: string) {
    super('audit_unavailable', 503, 'the audit log cannot record this request now; try again later', {
      headers: { 'Retry-After': '2' },
    });
    this.reason = reason;
  }
}

/**
 * 503 audit_unavailable_after_write: the change committed, but its event could not be stored within
 * `audit.writeHoldMs`. The caller must not send the write again as a new request: retried with the same
 * Idempotency-Key, it is answered with the write's own answer once the store is back (the event is stored then).
 */
export class AuditUnavailableAfterWriteError extends AppError {
  readonly reason: string;

  constructor(reason: string) {
    super(
      'audit_unavailable_after_write',
      503,
      'the change was applied, but the audit log cannot record it now: do not send it again as a new request; retry it with the same Idempotency-Key to get its answer',
      { headers: { 'Retry-After': '2' } },
    );
    this.reason = reason;
  }
}

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

// Stage 1: the request as it arrived: its id, start time, and its audit record (when the audit log is on). The id is
// the gateway's own; a caller's X-Request-Id is kept apart until the caller is admitted (see request-id.ts).
import type { IncomingMessage } from 'node:http';
import { AuditUnavailableError } from '../audit/audit-unavailable-error.js';
import type { Auditor } from '../audit/auditor.js';
import { RequestAudit } from '../audit/request-audit.js';
import { clientRequestIdFrom, settleRequestId } from '../http/request-id.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import { newId } from '../util/ids.js';
import type { Incoming } from './exchange.js';

export interface IncomingOptions {
  /** Whether this request gets an audit record (the gateway's health probes do not, unless configured). */
  readonly audited: boolean;
}

export function incomingStage(auditor: Auditor | undefined): (message: IncomingMessage, path: string, query: string, options?: IncomingOptions) => Incoming {
  const strict = auditor?.config.mode === 'strict';
  return (message, path, query, options) => {
    const { requestId: id, clientRequestId } = settleRequestId(newId(), clientRequestIdFrom(message.headers['x-request-id']), false);
    const audit = auditor && (options?.audited ?? true) ? new RequestAudit(auditor.writer, strict) : undefined;
    return {
      id,
      clientRequestId,
      startedAt: process.hrtime.bigint(),
      receivedAt: Date.now(),
      method: message.method ?? 'GET',
      path,
      query,
      headers: message.headers,
      peer: message.socket.remoteAddress,
      message,
      replyHeaders: [['X-Request-Id', id], ...SECURITY_HEADERS.map(([name, value]): [string, string] => [name, value])],
      audit,
    };
  };
}

/** Strict audit fails closed from the first stage: while the store cannot take records, nothing is served. */
export function auditAvailableStage(auditor: Auditor | undefined): (x: Incoming) => void {
  if (auditor?.config.mode !== 'strict') return () => undefined;
  return (x) => {
    if (x.audit === undefined) return;
    const reason = auditor.writer.unavailableReason();
    if (reason) throw new AuditUnavailableError(reason);
  };
}

/** The path and query of a request target (`/a/b?c=d` → `/a/b`, `c=d`). */
export function splitTarget(url: string | undefined): { path: string; query: string } {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

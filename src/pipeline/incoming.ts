// Stage 1: the request as it arrived: its id, start time, and its audit record (when the audit log is on).
import type { IncomingMessage } from 'node:http';
import { AuditUnavailableError } from '../audit/audit-unavailable-error.js';
import type { Auditor } from '../audit/auditor.js';
import { RequestAudit } from '../audit/request-audit.js';
import { newId } from '../util/ids.js';
import type { Incoming } from './exchange.js';

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface IncomingOptions {
  /** Whether this request gets an audit record (the gateway's health probes do not, unless configured). */
  readonly audited: boolean;
}

export function incomingStage(auditor: Auditor | undefined): (message: IncomingMessage, path: string, query: string, options?: IncomingOptions) => Incoming {
  const strict = auditor?.config.mode === 'strict';
  return (message, path, query, options) => {
    const sent = message.headers['x-request-id'];
    const id = typeof sent === 'string' && WELL_FORMED_ID.test(sent) ? sent : newId();
    const audit = auditor && (options?.audited ?? true) ? new RequestAudit(auditor.writer, strict) : undefined;
    return {
      id,
      startedAt: process.hrtime.bigint(),
      receivedAt: Date.now(),
      method: message.method ?? 'GET',
      path,
      query,
      headers: message.headers,
      peer: message.socket.remoteAddress,
      message,
      replyHeaders: [['X-Request-Id', id]],
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

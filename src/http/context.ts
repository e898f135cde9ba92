// Per-request state shared by the pipeline stages (and, through AsyncLocalStorage, by code below them).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request } from 'express';
import type { ClientAddress, Principal } from '../auth/principal.js';
import type { Operation } from '../openapi/resource.js';
import type { Decision } from '../policy/decision.js';
import type { RequestAudit } from '../audit/request-audit.js';
import type { AuditedResponse } from './middleware/audit.js';

export interface RequestContext {
  /** The gateway's own id, until the caller is admitted with a well-formed X-Request-Id of its own (request-id.ts). */
  requestId: string;
  /** The caller's X-Request-Id while it is not (or not yet) the request's id; recorded apart in the audit event. */
  clientRequestId?: string | undefined;
  readonly startedAt: bigint;
  readonly receivedAt: Date;
  client?: ClientAddress;
  principal?: Principal;
  operation?: Operation;
  /** Path parameters, in template order. */
  params?: readonly string[];
  decision?: Decision;
  /** Rows returned or changed, for the request log. */
  rows?: number;
  /** Error code the request ended with, for the request log. */
  errorCode?: string;
  /** The policy rule that denied the request, when one did. */
  deniedBy?: string;
  /** This request's audit state (statements, write-ahead intents), when the audit log is on. */
  audit?: RequestAudit;
  /** Its response's audit hold (strict mode holds the response until its event is stored). */
  auditedResponse?: AuditedResponse;
}

export const requestStorage = new AsyncLocalStorage<RequestContext>();

const contexts = new WeakMap<Request, RequestContext>();

export function setContext(req: Request, ctx: RequestContext): void {
  contexts.set(req, ctx);
}

/** The request's context, or undefined for a request the pipeline has not seen (e.g. express's own 404). */
export function findContext(req: Request | undefined): RequestContext | undefined {
  return req === undefined ? undefined : contexts.get(req);
}

export function contextOf(req: Request): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('request context missing: requestContext() must run first');
  return ctx;
}

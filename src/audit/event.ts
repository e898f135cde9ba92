// The audit record model: what one request (or intent, or recovered outcome) records, and its place in a chain.
import type { JsonValue } from './json-value.js';

/** reload: the gateway re-read its configuration and contract (applied, unchanged, or refused). */
export type AuditKind = 'request' | 'intent' | 'outcome' | 'reload';

/**
 * success: 1xx–3xx; denied: 4xx (address, authentication, rate limit, policy, validation, not found);
 * failed: 5xx; aborted: the client went away first; intent: a mutation is about to run;
 * unknown: an intent whose request never recorded its outcome (the process died in between).
 */
export type AuditOutcome = 'success' | 'denied' | 'failed' | 'aborted' | 'intent' | 'unknown';

export interface AuditStatement {
  readonly source: string;
  readonly sql: string;
  /** Values of pii / confidential columns are replaced by a mask. */
  readonly bindings: readonly JsonValue[];
  readonly rows: number | null;
  readonly durationMs: number | null;
  /** The driver's error code (e.g. a SQLSTATE), when the statement failed. */
  readonly error: string | null;
}

export interface AuditPrincipal {
  readonly subject: string;
  readonly clientId: string | null;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly tokenId: string | null;
}

export interface AuditClient {
  readonly ip: string | null;
  readonly forwardedFor: readonly string[];
  readonly zone: string | null;
  /** The TCP peer (a proxy, when there is one). */
  readonly peer: string | null;
}

/** Everything an event says; every field present (null when unknown), so that the stored form round-trips. */
export interface AuditContent {
  readonly id: string;
  readonly kind: AuditKind;
  readonly ref: string;
  readonly occurredAt: string;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly operationId: string | null;
  readonly resource: string | null;
  readonly status: number | null;
  readonly outcome: AuditOutcome;
  readonly errorCode: string | null;
  readonly deniedBy: string | null;
  readonly latencyMs: number | null;
  readonly rows: number | null;
  readonly principal: AuditPrincipal | null;
  readonly client: AuditClient;
  readonly statements: readonly AuditStatement[];
  readonly detail: Readonly<Record<string, JsonValue>> | null;
}

/** An event with its place in its instance's hash chain. */
export interface AuditRecord extends AuditContent {
  readonly instanceId: string;
  readonly seq: number;
  readonly recordedAt: string;
  readonly prevHash: string;
  readonly hash: string;
}

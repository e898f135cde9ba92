// Typed observation events: every metric and every lifecycle log line comes from one of these, built by one
// constructor below. Producers know nothing of Prometheus or winston; the observer (observer.ts) routes them.
import type { AuthObservation } from '../auth/auth-observation.js';
import { operationOf, type Reached } from '../pipeline/exchange.js';
import type { Reply } from '../pipeline/reply.js';

/** A request was answered (or its client went away): by operation, status and outcome code. */
export interface RequestServed {
  readonly type: 'request_served';
  /** The contract's operationId, a gateway endpoint's route, `unrouted` (refused before routing) or `other`. */
  readonly operation: string;
  /** 499 when the client went away before the answer. */
  readonly status: number;
  /** The problem's stable code; undefined for a success. */
  readonly code: string | undefined;
  /** The rule or limiter that refused it (`rateLimit.address`, …). */
  readonly deniedBy: string | undefined;
  readonly seconds: number;
}

/** The audit writer would not take a record (store down, queue full, writer closed). */
export interface AuditRefused {
  readonly type: 'audit_refused';
  readonly reason: 'store_unavailable' | 'queue_full' | 'closed';
}

/** One group commit stored `records` records; `seconds` from the batch being chained to its commit. */
export interface AuditCommitted {
  readonly type: 'audit_committed';
  readonly records: number;
  readonly seconds: number;
}

export type ReloadTrigger = 'SIGHUP' | 'file_change';

/**
 * A reload ended. applied: the new configuration and contract serve new requests; refused: the old ones keep
 * serving (`reasons` says why); unchanged: nothing differed.
 */
export interface ReloadFinished {
  readonly type: 'reload';
  readonly outcome: 'applied' | 'refused' | 'unchanged';
  readonly trigger: ReloadTrigger;
  /** Configuration keys (dotted paths) whose values differ; never the values. */
  readonly changed: readonly string[];
  readonly resourcesAdded: readonly string[];
  readonly resourcesRemoved: readonly string[];
  readonly reasons: readonly string[];
}

export type ShutdownPhase =
  /** SIGTERM: /readyz answers 503 and every response carries `Connection: close`, while the gateway still serves. */
  | 'draining'
  /** The delay is over: no new connections; requests in flight finish. */
  | 'closing'
  /** The grace ran out: the remaining connections are cut (their requests still record their audit events). */
  | 'cutting'
  | 'stopped';

export interface ShutdownProgress {
  readonly type: 'shutdown';
  readonly phase: ShutdownPhase;
  readonly inFlight: number;
  readonly signal?: string;
}

export interface MetricsListening {
  readonly type: 'metrics_listening';
  readonly url: string;
}

export type Observation =
  | RequestServed
  | AuditRefused
  | AuditCommitted
  | AuthObservation
  | ReloadFinished
  | ShutdownProgress
  | MetricsListening;

export type Observe = (observation: Observation) => void;

export function requestServed(reached: Reached, reply: Reply, clientWentAway: boolean): RequestServed {
  return {
    type: 'request_served',
    operation: operationOf(reached)?.operationId ?? 'unrouted',
    status: clientWentAway ? 499 : reply.status,
    code: reply.error?.code,
    deniedBy: reply.error?.deniedBy,
    seconds: Number(process.hrtime.bigint() - reached.startedAt) / 1e9,
  };
}

/** A gateway endpoint's request (Express), named by its route template. */
export function endpointServed(
  route: string | undefined,
  status: number,
  code: string | undefined,
  deniedBy: string | undefined,
  startedAt: bigint,
): RequestServed {
  return {
    type: 'request_served',
    operation: route ?? 'other',
    status,
    code,
    deniedBy,
    seconds: Number(process.hrtime.bigint() - startedAt) / 1e9,
  };
}

export function auditRefused(message: string): AuditRefused {
  const reason = /queue is full/.test(message) ? 'queue_full' : /writer is closed/.test(message) ? 'closed' : 'store_unavailable';
  return { type: 'audit_refused', reason };
}

export function auditCommitted(records: number, seconds: number): AuditCommitted {
  return { type: 'audit_committed', records, seconds: Math.max(0, seconds) };
}

export function reloadFinished(fields: Omit<ReloadFinished, 'type'>): ReloadFinished {
  return { type: 'reload', ...fields };
}

export function shutdownProgress(phase: ShutdownPhase, inFlight: number, signal?: string): ShutdownProgress {
  return signal === undefined ? { type: 'shutdown', phase, inFlight } : { type: 'shutdown', phase, inFlight, signal };
}

export function metricsListening(url: string): MetricsListening {
  return { type: 'metrics_listening', url };
}

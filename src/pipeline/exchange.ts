// The typed values a request passes through: each stage takes one and returns the next, adding exactly one fact.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ClientAddress, Principal } from '../auth/principal.js';
import type { RequestAudit } from '../audit/request-audit.js';
import type { IpAddress } from '../net/ip-address.js';
import type { Operation } from '../openapi/resource.js';
import type { Decision } from '../policy/decision.js';
import type { ExecuteResult } from '../query/execute.js';
import type { DbRow } from '../query/types.js';
import type { KeyRef } from '../idempotency/idempotency-store.js';
import type { OperationInput } from './operation-input.js';
import type { PlannedQuery } from './planned-query.js';
import type { Reply } from './reply.js';

/** Response headers that stages before the response decide (request id, rate-limit state): name → value(s). */
export type HeaderList = Array<[name: string, value: string]>;

/** Stage 1: what arrived, before anything about it is believed. */
export interface Incoming {
  /** The request's id: the gateway's own, or the caller's X-Request-Id once the caller is admitted (authorize). */
  readonly id: string;
  /** The caller's well-formed X-Request-Id while it is not the request's id (recorded apart in the audit event). */
  readonly clientRequestId: string | undefined;
  readonly startedAt: bigint;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly method: string;
  /** The path as sent, without the query string (still percent-encoded). */
  readonly path: string;
  /** The raw query string, without `?` ('' when absent). */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The TCP peer's address as the socket reports it. */
  readonly peer: string | undefined;
  /** The request stream, for the body (read only by the validate stage, after authorization). */
  readonly message: IncomingMessage;
  /** Headers every answer to this request carries, whatever stage ends it. */
  readonly replyHeaders: HeaderList;
  /** This request's audit record (statements, write-ahead intents); absent when the audit log is off. */
  readonly audit: RequestAudit | undefined;
}

/** Stage 2: the client address, resolved through trusted proxies only, inside the global allowlist. */
export interface Addressed extends Incoming {
  readonly client: ClientAddress;
  /** The same address, parsed (for allowlist checks). */
  readonly address: IpAddress;
}

/**
 * Stage 4: who is calling. With authentication off, the explicit anonymous caller (policies do not apply);
 * with `auth.anonymous`, a request without a token is the anonymous caller too (and policies then refuse it).
 */
export interface Authenticated extends Addressed {
  readonly caller: Caller;
}

export type Caller = Principal | AnonymousCaller;

export interface AnonymousCaller {
  readonly anonymous: true;
  /** Authentication is switched off: every operation of the contract is open (loopback only). */
  readonly authDisabled: boolean;
}

export function isAnonymous(caller: Caller): caller is AnonymousCaller {
  return (caller as AnonymousCaller).anonymous === true;
}

export const AUTH_DISABLED: AnonymousCaller = { anonymous: true, authDisabled: true };
export const NO_TOKEN: AnonymousCaller = { anonymous: true, authDisabled: false };

/** Stage 5: the contract's operation for method + path, with its path parameters in template order. */
export interface Routed extends Authenticated {
  readonly operation: Operation;
  readonly params: readonly string[];
}

/** Stage 6: what the caller may see, write and touch on this operation. */
export interface Authorized extends Routed {
  readonly decision: Decision;
}

/** Stage 8: the request's query and body, parsed and checked against the operation's schemas. */
export interface Validated extends Authorized {
  readonly input: OperationInput;
}

/**
 * Stage 8½: a write's Idempotency-Key, claimed for this request (its answer is recorded when it ends), or the answer
 * the first request with the same key and the same request got, to replay instead of running again.
 */
export interface Idempotent extends Validated {
  readonly idempotency: KeyRef | undefined;
  readonly replay: Reply | undefined;
}

/** Stage 9: the query plan (pure data; no SQL text). */
export interface Planned extends Validated {
  readonly planned: PlannedQuery;
}

/** Stage 10: what the database answered: rows, or (an export) the batches it will answer as they are read. */
export interface Executed extends Planned {
  readonly result: ExecuteResult | StreamedRows;
}

export interface StreamedRows {
  readonly batches: AsyncGenerator<DbRow[]>;
}

/** The furthest stage a request reached: what its audit event and log line can say about it. */
export type Reached = Incoming | Addressed | Authenticated | Routed | Authorized | Validated | Idempotent | Planned | Executed;

export function clientOf(reached: Reached): ClientAddress | undefined {
  return (reached as Partial<Addressed>).client;
}

export function principalOf(reached: Reached): Principal | undefined {
  const caller = (reached as Partial<Authenticated>).caller;
  return caller === undefined || isAnonymous(caller) ? undefined : caller;
}

export function operationOf(reached: Reached): Operation | undefined {
  return (reached as Partial<Routed>).operation;
}

export function decisionOf(reached: Reached): Decision | undefined {
  return (reached as Partial<Authorized>).decision;
}

/** The key this request claimed (its answer is to be recorded), when it carries one and got that far. */
export function claimedKeyOf(reached: Reached): KeyRef | undefined {
  const x = reached as Partial<Idempotent>;
  return x.replay === undefined ? x.idempotency : undefined;
}

/** Whether the request's change ran to its commit (the execute stage returned). */
export function executed(reached: Reached): boolean {
  return (reached as Partial<Executed>).result !== undefined;
}

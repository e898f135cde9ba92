// Stage 8½: Idempotency-Key on writes (IETF httpapi idempotency-key-header draft). After validation, so a malformed
// request is refused before it can claim a key; before planning and execution, so a retry never runs twice. The first
// request with a key claims it in the gateway's own store; the same caller repeating the same request (method, path,
// query, Prefer, body) gets the first answer again, marked `Idempotency-Replayed: true`, without touching the data.
// Reads ignore the header (they are safe to repeat). The key and what became of it go into the audit event's detail.
import { fingerprintBody } from './operation-body.js';
import { claimedKeyOf, executed, principalOf, type Idempotent, type Reached, type Validated } from './exchange.js';
import type { Reply } from './reply.js';
import { RequestTimeoutError } from '../errors/app-error.js';
import { IdempotencyKeyInUseError, IdempotencyKeyMismatchError, IdempotencyUnavailableError } from '../idempotency/idempotency-errors.js';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyFrom } from '../idempotency/idempotency-key.js';
import { keyOwner, requestFingerprint } from '../idempotency/fingerprint.js';
import type { IdempotencyStore, StoredAnswer } from '../idempotency/idempotency-store.js';

export const REPLAYED_HEADER = 'Idempotency-Replayed';

export interface IdempotencyDeps {
  /** The keys' store; absent (no `store:` configured): the header is ignored. */
  readonly store: IdempotencyStore | undefined;
  readonly ttlSeconds: number;
}

const READS = new Set(['list', 'read']);

export function idempotencyStage(deps: IdempotencyDeps): (x: Validated) => Promise<Idempotent> {
  const { store, ttlSeconds } = deps;
  return async (x) => {
    const none: Idempotent = { ...x, idempotency: undefined, replay: undefined };
    if (store === undefined || READS.has(x.operation.kind)) return none;
    let key: string | undefined;
    try {
      key = idempotencyKeyFrom(x.headers[IDEMPOTENCY_KEY_HEADER]);
    } catch (err) {
      x.audit?.note('idempotency', { outcome: 'invalid' });
      throw err;
    }
    if (key === undefined) return none;
    const ref = { owner: keyOwner(principalOf(x)), key };
    const fingerprint = requestFingerprint({
      method: x.method,
      path: x.path,
      query: x.query,
      prefer: headerText(x.headers.prefer),
      body: fingerprintBody(x.input),
    });
    let claim;
    try {
      claim = await store.claim(ref, fingerprint, x.id, ttlSeconds);
    } catch (err) {
      x.audit?.note('idempotency', { key, outcome: 'unavailable' });
      throw new IdempotencyUnavailableError(err);
    }
    switch (claim.kind) {
      case 'claimed':
        x.audit?.note('idempotency', { key, outcome: 'first' });
        return { ...x, idempotency: ref, replay: undefined };
      case 'answered':
        x.audit?.note('idempotency', { key, outcome: 'replayed', firstRequestId: claim.requestId, status: claim.answer.status });
        return { ...x, idempotency: ref, replay: replayOf(claim.answer) };
      case 'mismatch':
        x.audit?.note('idempotency', { key, outcome: 'mismatch', firstRequestId: claim.requestId });
        throw new IdempotencyKeyMismatchError();
      case 'in_flight':
        x.audit?.note('idempotency', { key, outcome: 'in_use', firstRequestId: claim.requestId });
        throw new IdempotencyKeyInUseError();
    }
  };
}

/** The first answer again: its status, headers and body, marked as a replay. */
function replayOf(answer: StoredAnswer): Reply {
  return {
    status: answer.status,
    headers: { ...answer.headers, [REPLAYED_HEADER]: 'true' },
    body: answer.body,
    rows: answer.rows,
    error: undefined,
  };
}

/**
 * Records what became of a request that claimed a key: its answer, replayed to retries; or, when it failed before
 * its change could commit (a 5xx from a stage up to execute, a cancelled request), nothing, and the key is free
 * again. A request whose cancel went unanswered may still commit: the answer it ends with settles its key then.
 */
export function settleKey(store: IdempotencyStore | undefined, reached: Reached, reply: Reply): Promise<void> {
  const ref = claimedKeyOf(reached);
  // A request whose statements may still run settles its key when they end (see app.ts); one cancelled, or timed
  // out before it executed, changed nothing, and frees its key like any 5xx before a commit.
  if (store === undefined || ref === undefined || (reply.error instanceof RequestTimeoutError && reply.error.stillRunning)) return Promise.resolve();
  if (executed(reached) || reply.status < 500) return store.complete(ref, reached.id, answerOf(reply));
  return store.release(ref, reached.id);
}

/** What of a reply is recorded to replay: everything the operation decided (not the request id or rate-limit state). */
export function answerOf(reply: Reply): StoredAnswer {
  return { status: reply.status, headers: reply.headers, body: reply.body, rows: reply.rows };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

// The keys in the gateway's own store (migrations/…_idempotency_keys.js): claim a key for a request, record the
// answer it got, release it when nothing was changed, sweep expired rows. Recording and releasing never fail a
// request: while the store cannot take them they are kept in memory (bounded) and retried until it can.
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';

export const IDEMPOTENCY_TABLE = 'idempotency_keys';

/** One caller's key. */
export interface KeyRef {
  /** keyOwner(principal). */
  readonly owner: string;
  readonly key: string;
}

/** The first answer to a keyed request, as replayed. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number | readonly string[]>>;
  readonly body: string | undefined;
  readonly rows: number | undefined;
}

export type ClaimResult =
  /** The key is this request's: run it, then record (or release) its answer. */
  | { readonly kind: 'claimed' }
  /** The same request was answered before: its answer, and the request id that got it first. */
  | { readonly kind: 'answered'; readonly answer: StoredAnswer; readonly requestId: string }
  /** The key was first used with another request. */
  | { readonly kind: 'mismatch'; readonly requestId: string }
  /** The first request with this key is still running (or its answer is not recorded yet). */
  | { readonly kind: 'in_flight'; readonly requestId: string };

export interface IdempotencyStore {
  /** Claims `ref` for `requestId`, unless a live row holds it already (an expired row is taken over). */
  claim(ref: KeyRef, fingerprint: string, requestId: string, ttlSeconds: number): Promise<ClaimResult>;
  /** Records the answer the claiming request got: retried in the background while the store cannot take it. */
  complete(ref: KeyRef, requestId: string, answer: StoredAnswer): Promise<void>;
  /** Frees the key (nothing was changed): retried in the background while the store cannot take it. */
  release(ref: KeyRef, requestId: string): Promise<void>;
  /** Deletes expired rows; returns how many. */
  sweep(): Promise<number>;
  /** Records and releases waiting for the store. */
  pending(): number;
  /** Stops the timers, tries once more to store what waits. */
  close(): Promise<void>;
}

export interface IdempotencyStoreOptions {
  readonly db: Knex;
  readonly logger: Logger;
  /** How often expired rows are deleted (0: never, e.g. in tests that sweep by hand). */
  readonly sweepIntervalMs: number;
  /** Records and releases kept while the store is down; past it the oldest are dropped (their keys stay in flight). */
  readonly maxPending?: number;
  /** How often waiting records are retried. */
  readonly retryMs?: number;
}

type Deferred = { readonly op: 'complete'; readonly ref: KeyRef; readonly requestId: string; readonly answer: StoredAnswer } | { readonly op: 'release'; readonly ref: KeyRef; readonly requestId: string };

interface KeyRow {
  fingerprint: string;
  state: string;
  request_id: string;
  status: number | null;
  headers: Record<string, string | number | string[]> | string | null;
  body: string | null;
  rows: number | null;
}

export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { db, logger } = options;
  const maxPending = options.maxPending ?? 10_000;
  const retryMs = options.retryMs ?? 500;
  let waiting: Deferred[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const apply = async (d: Deferred): Promise<void> => {
    const where = { principal: d.ref.owner, key: d.ref.key, request_id: d.requestId };
    if (d.op === 'release') {
      await db(IDEMPOTENCY_TABLE).where(where).delete();
      return;
    }
    await db(IDEMPOTENCY_TABLE)
      .where(where)
      .update({
        state: 'done',
        status: d.answer.status,
        headers: JSON.stringify(d.answer.headers),
        body: d.answer.body ?? null,
        rows: d.answer.rows ?? null,
      });
  };

  const keep = (d: Deferred, err: unknown): void => {
    if (waiting.length === 0) {
      logger.warn('idempotency answers wait for the store', { event: 'idempotency_store_unavailable', error: describe(err) });
    }
    if (waiting.length >= maxPending) {
      waiting.shift();
      logger.error('an idempotency answer was dropped: its key stays in flight until it expires', { event: 'idempotency_answer_dropped' });
    }
    waiting.push(d);
    schedule();
  };

  // In order, so a record and a later release of the same key (never both today) keep their order.
  const flush = (): Promise<void> =>
    (flushing ??= (async () => {
      while (waiting.length > 0) {
        const next = waiting[0]!;
        try {
          await apply(next);
        } catch {
          return;
        }
        waiting.shift();
        if (waiting.length === 0) logger.info('idempotency answers stored after the store came back', { event: 'idempotency_store_recovered' });
      }
    })().finally(() => {
      flushing = undefined;
      if (waiting.length > 0) schedule();
    }));

  function schedule(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void flush();
    }, retryMs);
    retryTimer.unref();
  }

  const store = async (d: Deferred): Promise<void> => {
    // Behind others waiting: take the queue's turn, so the store sees them in order.
    if (waiting.length > 0) return keep(d, 'earlier answers are still waiting');
    try {
      await apply(d);
    } catch (err) {
      keep(d, err);
    }
  };

  let sweepTimer: NodeJS.Timeout | undefined;
  const sweep = async (): Promise<number> => Number(await db(IDEMPOTENCY_TABLE).where('expires_at', '<=', db.fn.now()).delete());
  if (options.sweepIntervalMs > 0) {
    sweepTimer = setInterval(() => {
      sweep().catch((err: unknown) => logger.warn('idempotency key sweep failed', { event: 'idempotency_sweep_failed', error: describe(err) }));
    }, options.sweepIntervalMs);
    sweepTimer.unref();
  }

  return {
    async claim(ref, fingerprint, requestId, ttlSeconds) {
      // A few rounds at most: a row can expire, be swept or be released between the insert and the read.
      for (let round = 0; round < 3; round++) {
        const claimed = await db.raw<{ rows: Array<{ request_id: string }> }>(
          `insert into ${IDEMPOTENCY_TABLE} as k (principal, key, fingerprint, state, request_id, created_at, expires_at)
           values (?, ?, ?, 'in_flight', ?, now(), now() + ?::interval)
           on conflict (principal, key) do update
             set fingerprint = excluded.fingerprint, state = 'in_flight', request_id = excluded.request_id, status = null,
                 headers = null, body = null, rows = null, created_at = excluded.created_at, expires_at = excluded.expires_at
             where k.expires_at <= now()
           returning k.request_id`,
          [ref.owner, ref.key, fingerprint, requestId, `${ttlSeconds} seconds`],
        );
        if (claimed.rows[0]?.request_id === requestId) return { kind: 'claimed' };
        const row = (await db(IDEMPOTENCY_TABLE)
          .where({ principal: ref.owner, key: ref.key })
          .where('expires_at', '>', db.fn.now())
          .first('fingerprint', 'state', 'request_id', 'status', 'headers', 'body', 'rows')) as KeyRow | undefined;
        if (!row) continue;
        if (row.fingerprint !== fingerprint) return { kind: 'mismatch', requestId: row.request_id };
        if (row.state !== 'done' || row.status === null) return { kind: 'in_flight', requestId: row.request_id };
        const headers = typeof row.headers === 'string' ? (JSON.parse(row.headers) as KeyRow['headers']) : row.headers;
        return {
          kind: 'answered',
          requestId: row.request_id,
          answer: { status: row.status, headers: (headers ?? {}) as StoredAnswer['headers'], body: row.body ?? undefined, rows: row.rows ?? undefined },
        };
      }
      return { kind: 'in_flight', requestId: '' };
    },
    complete: (ref, requestId, answer) => store({ op: 'complete', ref, requestId, answer }),
    release: (ref, requestId) => store({ op: 'release', ref, requestId }),
    sweep,
    pending: () => waiting.length,
    async close() {
      closed = true;
      clearInterval(sweepTimer);
      clearTimeout(retryTimer);
      await flush();
      if (waiting.length > 0) {
        logger.error('idempotency answers not stored at shutdown: their keys stay in flight until they expire', {
          event: 'idempotency_answers_lost',
          count: waiting.length,
        });
      }
      waiting = [];
    },
  };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300) || String(err);
}

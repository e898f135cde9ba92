// Server-side request failures in the log without a flood: the first of a kind is logged in full (with its stack),
// those that follow while it keeps happening only as a count, once per window; after a quiet window, in full again.
import type { Logger } from './logger.js';

export interface RequestFailure {
  readonly requestId: string;
  /** The problem code answered (e.g. database_unavailable, audit_unavailable, internal_error). */
  readonly code: string;
  readonly status: number;
  /** The cause, as logged in full the first time. */
  readonly error: Record<string, unknown>;
}

export interface RepeatedFailureLog {
  failed(failure: RequestFailure): void;
}

interface Streak {
  readonly code: string;
  readonly status: number;
  readonly since: number;
  /** Failures since the last line written for this kind. */
  unlogged: number;
  total: number;
}

/** Kinds followed at once (beyond: logged in full, as if never seen). */
const MAX_KINDS = 100;

export function repeatedFailureLog(logger: Logger, windowMs = 10_000): RepeatedFailureLog {
  const streaks = new Map<string, Streak>();

  const flush = (key: string): void => {
    const streak = streaks.get(key);
    if (!streak) return;
    if (streak.unlogged === 0) {
      // A whole window without this failure: the streak is over, and the next one is logged in full.
      streaks.delete(key);
      return;
    }
    logger.error('request failures repeated', {
      event: 'request_error_repeated',
      code: streak.code,
      status: streak.status,
      count: streak.unlogged,
      total: streak.total,
      since: new Date(streak.since).toISOString(),
    });
    streak.unlogged = 0;
    setTimeout(flush, windowMs, key).unref();
  };

  return {
    failed(failure) {
      // An internal error is a bug: each different one deserves its stack. Anything else repeats while it lasts.
      const key = failure.code === 'internal_error' ? `${failure.code}:${String(failure.error.name)}:${String(failure.error.message)}` : failure.code;
      const streak = streaks.get(key);
      if (streak) {
        streak.unlogged += 1;
        streak.total += 1;
        return;
      }
      logger.error('request failed', {
        event: 'request_error',
        requestId: failure.requestId,
        code: failure.code,
        error: failure.error,
        note: `further ${failure.code} failures are counted, one line every ${windowMs / 1000} s while they last`,
      });
      if (streaks.size >= MAX_KINDS) return;
      streaks.set(key, { code: failure.code, status: failure.status, since: Date.now(), unlogged: 0, total: 1 });
      setTimeout(flush, windowMs, key).unref();
    },
  };
}

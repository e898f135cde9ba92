// One fixed-window limit on an express-rate-limit store, called directly (no middleware chain): count a hit,
// add the IETF draft-8 `RateLimit` / `RateLimit-Policy` headers to the answer, refuse past the limit.
import { createHash } from 'node:crypto';
import type { Options, Store } from 'express-rate-limit';
import { LRUCache } from 'lru-cache';
import type { RateLimitWindow } from '../config/types.js';
import { RateLimitedError } from '../errors/app-error.js';
import type { LibraryLogger } from './rate-limit-stores.js';

/** Headers for the answer, appended to (a request may pass several limiters). */
export type HeaderSink = Array<[name: string, value: string]>;

export interface Limiter {
  /** Counts one hit for `key`; resolves when under the limit, rejects with 429 (or 503 when the store is down and failing closed). */
  hit(key: string, headers: HeaderSink): Promise<void>;
}

export interface LimiterSpec {
  /** Policy name in the headers, and the store's key namespace. */
  readonly name: string;
  readonly window: RateLimitWindow;
  /** true: a store outage lets requests through (logged); false: they get the store's error. */
  readonly failOpen: boolean;
  readonly logger: LibraryLogger;
}

export function createLimiter(store: Store, spec: LimiterSpec): Limiter {
  const { name, window, failOpen, logger } = spec;
  // The store reads only windowMs (and, for logging, nothing we rely on) from express-rate-limit's options.
  void Promise.resolve(store.init?.({ windowMs: window.windowMs, limit: window.limit } as Options)).catch((err: unknown) =>
    logger.error(err, `rate limiter ${name}: store initialisation failed`),
  );
  const windowSeconds = Math.ceil(window.windowMs / 1000);
  const policyPrefix = `"${name}"; q=${window.limit}; w=${windowSeconds}; pk=:`;
  // The partition key is a digest of the limiter key; keys repeat (one per client), so digests are kept.
  const partitionKeys = new LRUCache<string, string>({ max: 10_000 });
  const partitionKey = (key: string): string => {
    let pk = partitionKeys.get(key);
    if (pk === undefined) {
      pk = Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
      partitionKeys.set(key, pk);
    }
    return pk;
  };
  return {
    async hit(key, headers) {
      let totalHits: number;
      let resetTime: Date | undefined;
      try {
        ({ totalHits, resetTime } = await store.increment(key));
      } catch (err) {
        if (!failOpen) throw err;
        logger.error(err, `rate limiter ${name}: store error, request allowed without limiting`);
        return;
      }
      const resetSeconds = resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : windowSeconds;
      headers.push(['RateLimit', `"${name}"; r=${Math.max(window.limit - totalHits, 0)}; t=${resetSeconds}`]);
      headers.push(['RateLimit-Policy', `${policyPrefix}${partitionKey(key)}:`]);
      if (totalHits > window.limit) {
        const resetMs = resetTime ? resetTime.getTime() - Date.now() : window.windowMs;
        throw new RateLimitedError(resetMs / 1000, { deniedBy: `rateLimit.${name}` });
      }
    },
  };
}

// A bounded LRU of verified tokens, keyed by a SHA-256 of the token, each entry dropped at its token's expiry.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

export interface TokenCache {
  get(token: string): { readonly principal: Principal; readonly issuer: string } | undefined;
  /** `expiresAtMs`: the instant the token stops being acceptable (its `exp` plus the clock tolerance). */
  set(token: string, entry: { readonly principal: Principal; readonly issuer: string }, expiresAtMs: number): void;
}

interface Entry {
  readonly principal: Principal;
  readonly issuer: string;
  readonly until: number;
}

/**
 * Keys are hashes, so the cache never holds a usable credential. Expiry is checked against the injected clock
 * on every read (not a timer), so a cached token is refused at the same instant a fresh verification would
 * refuse it; `maxTtlMs` bounds how long a verification is reused even for long-lived tokens.
 */
export function createTokenCache(options: { readonly maxEntries: number; readonly maxTtlMs: number; readonly now: () => number }): TokenCache {
  if (options.maxEntries === 0) return { get: () => undefined, set: () => undefined };
  const lru = new LRUCache<string, Entry>({ max: options.maxEntries });
  const keyOf = (token: string): string => createHash('sha256').update(token).digest('base64url');
  return {
    get(token) {
      const key = keyOf(token);
      const entry = lru.get(key);
      if (entry === undefined) return undefined;
      if (options.now() >= entry.until) {
        lru.delete(key);
        return undefined;
      }
      return entry;
    },
    set(token, { principal, issuer }, expiresAtMs) {
      const until = Math.min(expiresAtMs, options.now() + options.maxTtlMs);
      if (until > options.now()) lru.set(keyOf(token), { principal, issuer, until });
    },
  };
}

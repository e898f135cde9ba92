// A Redis-backed store that turns outages into RateLimiterUnavailableError and recovers on its own.
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { RedisStore } from 'rate-limit-redis';
import { RateLimiterUnavailableError } from '../errors/app-error.js';

export interface StoreHealth {
  failed(err: unknown): void;
  recovered(): void;
}

/**
 * rate-limit-redis loads its Lua scripts once, in init(); if Redis is down at that moment the
 * rejected load is kept and every later increment fails even after Redis is back. This wrapper
 * loads them again after any failure. Errors become RateLimiterUnavailableError (503 when the
 * limiter fails closed; express-rate-limit's passOnStoreError lets the request through when it
 * fails open).
 */
export class GuardedStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  #options: Options | undefined;
  #scripts: Promise<void> | undefined;

  constructor(
    private readonly inner: RedisStore,
    private readonly health: StoreHealth,
  ) {
    this.prefix = inner.prefix;
  }

  static isOutage(error: unknown): boolean {
    return error instanceof RateLimiterUnavailableError;
  }

  init(options: Options): void {
    this.#options = options;
    // Not awaited by express-rate-limit; a failure here is retried by the first request.
    this.#loadScripts().catch(() => {});
  }

  async increment(key: string): Promise<IncrementResponse> {
    return this.#guard(async () => {
      await this.#loadScripts();
      return this.inner.increment(key);
    });
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.#guard(async () => {
      await this.#loadScripts();
      return this.inner.get(key);
    });
  }

  async decrement(key: string): Promise<void> {
    await this.#guard(() => this.inner.decrement(key));
  }

  async resetKey(key: string): Promise<void> {
    await this.#guard(() => this.inner.resetKey(key));
  }

  #loadScripts(): Promise<void> {
    if (this.#options === undefined) return Promise.reject(new Error('store used before init'));
    if (this.#scripts === undefined) {
      const loading = this.inner.init(this.#options);
      this.#scripts = loading;
      // A failed load is forgotten at once, so the next request tries again.
      loading.catch(() => {
        if (this.#scripts === loading) this.#scripts = undefined;
      });
    }
    return this.#scripts;
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.health.recovered();
      return result;
    } catch (err) {
      // Redis may have restarted (scripts gone) or never been reached: load them again next time.
      this.#scripts = undefined;
      this.health.failed(err);
      throw new RateLimiterUnavailableError(undefined, { cause: err });
    }
  }
}

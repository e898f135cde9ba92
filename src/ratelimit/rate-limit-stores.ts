// Counter stores for the rate limiters: one Redis shared by every replica when `redis.url` is set, memory otherwise.
import { MemoryStore, type Store } from 'express-rate-limit';
import type { RedisReply } from 'rate-limit-redis';
import type { RedisConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { GuardedStore, type StoreHealth } from './guarded-store.js';

/** What express-rate-limit logs through (validation warnings, store errors). */
export interface LibraryLogger {
  error(error: unknown, message?: string): void;
  warn(error: unknown, message?: string): void;
}

export interface RateLimitStores {
  readonly kind: 'memory' | 'redis';
  /**
   * A new store for one limiter (express-rate-limit refuses to share one between limiters).
   * `name` separates its keys; two limiters created with the same name on one Redis share counters.
   */
  create(name: string): Store;
  /** False while the shared store is unreachable (always true in memory); for readiness and metrics. */
  isAvailable(): boolean;
  readonly libraryLogger: LibraryLogger;
  /** Stops timers and closes the Redis connection; never waits on an unreachable Redis. */
  close(): Promise<void>;
}

export interface RateLimitStoresOptions {
  /**
   * How long start-up waits for a first Redis connection (default: redis.connectTimeoutMs).
   * Start-up continues either way; the client keeps reconnecting in the background.
   */
  readonly waitForRedisMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 2000;
/** How long commands fail at once after one went unanswered (then the next one probes again). */
const UNRESPONSIVE_PAUSE_MS = 1000;
// Bounds memory if Redis stalls without closing the connection (commands then time out one by one).
const MAX_QUEUED_COMMANDS = 10_000;

export async function createRateLimitStores(
  config: { readonly redis: RedisConfig },
  logger: Logger,
  options: RateLimitStoresOptions = {},
): Promise<RateLimitStores> {
  const libraryLogger = toLibraryLogger(logger);
  if (config.redis.url === undefined) return memoryStores(libraryLogger);

  const { connectTimeoutMs, commandTimeoutMs, keyPrefix } = config.redis;
  // Loaded only when Redis is configured: the client library alone is about 12 MB of resident memory.
  const [{ createClient }, { RedisStore }] = await Promise.all([import('redis'), import('rate-limit-redis')]);
  const health = storeHealth(logger);
  const client = createClient({
    url: config.redis.url,
    // Fail fast instead of queueing while disconnected: a request must never wait for Redis to return.
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    commandOptions: { timeout: commandTimeoutMs },
    socket: {
      connectTimeout: connectTimeoutMs,
      // Keep trying in the background for as long as the gateway runs, at most every 2 s.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS),
    },
  });
  // Unhandled, an 'error' event would crash the process; every reconnect attempt emits one.
  client.on('error', (err: Error) => health.failed(err));
  client.on('ready', () => health.recovered());

  // Start-up waits for the first attempt's outcome (bounded), not for Redis itself.
  const firstAttempt = new Promise<void>((resolve) => {
    client.once('ready', resolve);
    client.once('error', () => resolve());
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const waitMs = options.waitForRedisMs ?? connectTimeoutMs;
  await Promise.race([firstAttempt, delay(waitMs)]);
  if (!client.isReady) health.failed(new Error(`no connection to Redis at start-up; retrying in the background`));

  const send = unresponsiveGuard((args) => client.sendCommand(args) as Promise<RedisReply>, commandTimeoutMs);
  const sendCommand = (...args: string[]) => send.call(args);
  return {
    kind: 'redis',
    create: (name) => new GuardedStore(new RedisStore({ sendCommand, prefix: `${keyPrefix}${name}:` }), health),
    isAvailable: () => client.isReady && send.responsive(),
    libraryLogger,
    async close() {
      if (client.isReady) {
        // close() waits for replies already owed; the command timeout bounds that wait.
        await client.close().catch(() => client.destroy());
      } else if (client.isOpen) {
        client.destroy();
      }
      // The background connect loop ends once it sees the client closed.
      await Promise.race([connected, delay(connectTimeoutMs)]);
    },
  };
}

function memoryStores(libraryLogger: LibraryLogger): RateLimitStores {
  const created: MemoryStore[] = [];
  return {
    kind: 'memory',
    create: () => {
      const store = new MemoryStore();
      created.push(store);
      return store;
    },
    isAvailable: () => true,
    libraryLogger,
    async close() {
      for (const store of created) store.shutdown();
    },
  };
}

/** Logs the store going away and coming back once each, not once per request or reconnect attempt. */
function storeHealth(logger: Logger): StoreHealth {
  let up = true;
  return {
    failed(err) {
      if (!up) return;
      up = false;
      logger.warn('rate limit store unavailable', { event: 'rate_limit_store_down', error: describe(err) });
    },
    recovered() {
      if (up) return;
      up = true;
      logger.info('rate limit store available again', { event: 'rate_limit_store_up' });
    },
  };
}

function toLibraryLogger(logger: Logger): LibraryLogger {
  return {
    error(error, message) {
      // Store outages are logged once by storeHealth; the library would log one per request.
      if (GuardedStore.isOutage(error)) return;
      logger.error(message ?? 'rate limiter error', { event: 'rate_limit_error', error: describe(error) });
    },
    warn(error, message) {
      logger.warn(message ?? 'rate limiter warning', { event: 'rate_limit_warning', error: describe(error) });
    },
  };
}

function describe(err: unknown): string {
  // Redis errors carry no credentials; the URL (which may) is never logged.
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

/**
 * node-redis's own command timeout stops counting once a command is written to the socket, so a
 * Redis that accepts connections but never answers (hung, SIGSTOP) would hold requests forever.
 * Each command is therefore bounded here (a late reply is still matched to its command, and
 * dropped), and after a timeout commands fail at once for UNRESPONSIVE_PAUSE_MS instead of
 * making every request — and each limiter in it — wait out the timeout again.
 */
function unresponsiveGuard<T>(send: (args: string[]) => Promise<T>, timeoutMs: number) {
  let pausedUntil = 0;
  return {
    responsive: () => Date.now() >= pausedUntil,
    async call(args: string[]): Promise<T> {
      if (Date.now() < pausedUntil) throw new RedisTimeoutError('Redis did not answer a moment ago; not waiting on it again yet');
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          // Timers run before I/O in an event-loop turn: after a blocked loop, a reply that did arrive
          // in time would lose to the timer. Let pending I/O run first so only real silence counts.
          setImmediate(() => reject(new RedisTimeoutError(`Redis did not answer within ${timeoutMs} ms`)));
        }, timeoutMs);
      });
      try {
        return await Promise.race([send(args), expired]);
      } catch (err) {
        if (err instanceof RedisTimeoutError) pausedUntil = Date.now() + UNRESPONSIVE_PAUSE_MS;
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// JWKS key sources (a file or a URL): cached, refreshed, and with a per-minute cap on fetches for unknown kids.
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import type { JwksConfig } from '../config/types.js';
import { AppError, ConfigError } from '../errors/app-error.js';
import type { AuthObserver } from './auth-observation.js';
import { createFetchBudget } from './fetch-budget.js';

export type KeyLookup = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface JwksSourceDeps {
  readonly now: () => number;
  readonly observe: AuthObserver;
  readonly fetch: typeof fetch;
}

/** 503: the keys could not be fetched and no recent copy is at hand; the token may well be fine. */
export class AuthKeysUnavailableError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super('auth_keys_unavailable', 503, 'the token signing keys cannot be fetched; try again later', {
      ...options,
      headers: { 'Retry-After': '5' },
    });
  }
}

/** Thrown into jose by our fetch when the per-minute budget is spent; nothing goes on the network. */
class FetchRefusedError extends Error {}

/** Errors that say "this token has no usable key here", as opposed to "the key source is broken". */
const TOKEN_SIDE = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);

export function createJwksSource(config: JwksConfig, at: string, deps: JwksSourceDeps): KeyLookup {
  if (config.file !== undefined) return fileSource(config.file, config, at, deps);
  if (config.url !== undefined) return urlSource(config.url, config, at, deps);
  throw new ConfigError([`${at}: needs a url or a file`]);
}

/**
 * jose's remote JWKS does the fetching, key selection, TTL (`cacheMaxAge`) and the cooldown between fetches for
 * unknown kids; a fetch it starts goes through `limitedFetch`, which also caps fetches that fail (jose's cooldown
 * only starts after a success, so an unreachable endpoint would otherwise be hit once per request). While the
 * endpoint fails, the last good key set stays in use for one more TTL.
 */
function urlSource(url: string, config: JwksConfig, at: string, deps: JwksSourceDeps): KeyLookup {
  const parsed = parseJwksUrl(url, at);
  const budget = createFetchBudget(config.maxFetchesPerMinute, deps.now);
  const ttlMs = config.cacheTtlSeconds * 1000;
  let lastOkAt = Number.NEGATIVE_INFINITY;
  const source = parsed.href;

  const limitedFetch = async (input: string, init: RequestInit): Promise<Response> => {
    if (!budget.take()) {
      deps.observe({ type: 'jwks_fetch', source, outcome: 'limited' });
      throw new FetchRefusedError('JWKS fetch budget spent');
    }
    try {
      const response = await deps.fetch(input, init);
      if (response.status === 200) lastOkAt = deps.now();
      deps.observe({ type: 'jwks_fetch', source, outcome: response.status === 200 ? 'ok' : 'failed' });
      return response;
    } catch (err) {
      deps.observe({ type: 'jwks_fetch', source, outcome: 'failed' });
      throw err;
    }
  };

  const remote = createRemoteJWKSet(parsed, {
    cacheMaxAge: ttlMs,
    cooldownDuration: Math.ceil(60_000 / config.maxFetchesPerMinute),
    timeoutDuration: config.timeoutMs,
    [customFetch]: limitedFetch,
  });

  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (isTokenSide(err)) throw err;
      const snapshot = remote.jwks();
      if (snapshot !== undefined && deps.now() - lastOkAt < 2 * ttlMs) return createLocalJWKSet(snapshot)(header, token);
      throw new AuthKeysUnavailableError({ cause: err });
    }
  };
}

/** The file is read at start-up (a broken file stops the start) and re-read after the TTL or for an unknown kid. */
function fileSource(file: string, config: JwksConfig, at: string, deps: JwksSourceDeps): KeyLookup {
  let local = createLocalJWKSet(readJwksFile(file, at));
  let loadedAt = deps.now();
  const budget = createFetchBudget(config.maxFetchesPerMinute, deps.now);
  const reload = (): boolean => {
    if (!budget.take()) {
      deps.observe({ type: 'jwks_fetch', source: file, outcome: 'limited' });
      return false;
    }
    try {
      local = createLocalJWKSet(readJwksFile(file, at));
      loadedAt = deps.now();
      deps.observe({ type: 'jwks_fetch', source: file, outcome: 'ok' });
      return true;
    } catch {
      // Keep the keys we have: a half-written file during a rotation must not lock everyone out.
      deps.observe({ type: 'jwks_fetch', source: file, outcome: 'failed' });
      return false;
    }
  };
  return async (header, token) => {
    if (deps.now() - loadedAt >= config.cacheTtlSeconds * 1000) reload();
    try {
      return await local(header, token);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !reload()) throw err;
      return local(header, token);
    }
  };
}

function readJwksFile(file: string, at: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`${at}.file: ${file} ${code ? `cannot be read (${code})` : 'is not JSON'}`]);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ConfigError([`${at}.file: ${file} is not a JWKS (no "keys" array)`]);
  if (keys.some((k) => typeof k === 'object' && k !== null && ('d' in k || 'k' in k))) {
    // A private or symmetric key in a published key set is a leak, not a configuration.
    throw new ConfigError([`${at}.file: ${file} holds private or symmetric key material; publish public keys only`]);
  }
  return parsed as JSONWebKeySet;
}

/** https, or http to a loopback host: fetched keys decide who gets in, so they must not cross a network in clear. */
function parseJwksUrl(url: string, at: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([`${at}.url: ${url} is not a URL`]);
  }
  const loopback = parsed.hostname === 'localhost' || parsed.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(parsed.hostname);
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) return parsed;
  throw new ConfigError([`${at}.url: must use https (plain http is accepted only on a loopback host)`]);
}

function isTokenSide(err: unknown): boolean {
  return TOKEN_SIDE.has((err as { code?: string } | null)?.code ?? '');
}

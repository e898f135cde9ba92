// createTokenVerifier: a bearer JWT → Principal, against the configured issuers and their pinned keys.
import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { AuthConfig, AuthIssuerConfig, AuthKeyConfig, JwsAlgorithm } from '../config/types.js';
import { AppError, ConfigError } from '../errors/app-error.js';
import type { AuthObserver } from './auth-observation.js';
import { createJwksSource, type KeyLookup } from './jwks-source.js';
import type { Principal } from './principal.js';
import { principalFromClaims } from './principal-from-claims.js';
import { createStaticKey } from './static-key.js';
import { createTokenCache } from './token-cache.js';
import { invalidRequest, invalidToken } from './unauthenticated.js';

export interface TokenVerifier {
  /** Resolves to the caller's Principal, or rejects with an UnauthenticatedError (401) / AuthKeysUnavailableError (503). */
  verify(token: string): Promise<Principal>;
}

export interface TokenVerifierDeps {
  /** Milliseconds since the epoch (default Date.now); every expiry decision uses it. */
  readonly now?: () => number;
  readonly observe?: AuthObserver;
  /** Used for JWKS URLs (default: the global fetch). */
  readonly fetch?: typeof fetch;
}

interface VerificationKey {
  readonly kid: string | undefined;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly key: KeyObject | KeyLookup;
}

interface IssuerVerifier {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly typ: string | undefined;
  readonly rolesClaim: string;
  readonly keys: readonly VerificationKey[];
}

/**
 * Builds every key at once (start-up: a bad key, file or URL is a ConfigError naming its place). A token is
 * routed by its unverified `iss` to that issuer's keys only; its header `alg` merely picks among the algorithms
 * a key is pinned to, and `none` can never be configured. `exp` and `sub` are required.
 */
export function createTokenVerifier(config: AuthConfig, deps: TokenVerifierDeps = {}): TokenVerifier {
  const now = deps.now ?? Date.now;
  const observe = deps.observe ?? ((): void => undefined);
  const sourceDeps = { now, observe, fetch: deps.fetch ?? globalThis.fetch };
  const problems: string[] = [];
  const issuers = new Map<string, IssuerVerifier>();
  config.issuers.forEach((issuer, i) => {
    const at = `auth.issuers[${i}]`;
    if (issuers.has(issuer.issuer)) problems.push(`${at}.issuer: ${issuer.issuer} is configured twice; list all its keys under one entry`);
    const keys: VerificationKey[] = [];
    issuer.keys.forEach((key, k) => {
      try {
        keys.push(buildKey(key, `${at}.keys[${k}]`, sourceDeps));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
      }
    });
    issuers.set(issuer.issuer, issuerVerifier(issuer, keys, config));
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const toleranceMs = config.clockToleranceSeconds * 1000;
  const cache = createTokenCache({ maxEntries: config.cache.maxEntries, maxTtlMs: config.cache.maxTtlSeconds * 1000, now });

  const verifyUncached = async (token: string): Promise<{ payload: JWTPayload; issuer: IssuerVerifier }> => {
    let alg: unknown;
    let kid: unknown;
    let iss: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
      ({ iss } = decodeJwt(token));
    } catch (err) {
      throw invalidToken('invalid_token', 'the token is not a well-formed JWT', { cause: err });
    }
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') throw invalidToken('invalid_token', 'unsigned tokens are not accepted');
    const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
    if (issuer === undefined) throw invalidToken('invalid_token', 'the token issuer is not trusted');
    const candidates = issuer.keys.filter(
      (key) => key.algorithms.includes(alg as JwsAlgorithm) && (key.kid === undefined || key.kid === kid),
    );
    if (candidates.length === 0) throw invalidToken('invalid_token', 'no configured key accepts this token (alg or kid)');
    let mismatch: unknown;
    for (const candidate of candidates) {
      try {
        const { payload } = await jwtVerify(token, candidate.key, {
          algorithms: [...candidate.algorithms],
          issuer: issuer.issuer,
          audience: issuer.audience,
          clockTolerance: config.clockToleranceSeconds,
          currentDate: new Date(now()),
          typ: issuer.typ,
          requiredClaims: ['exp', 'sub'],
        });
        return { payload, issuer };
      } catch (err) {
        // Another key of the issuer may still fit (several static keys during a rotation); claims errors come
        // after a good signature, so they are final.
        if (isKeyMismatch(err)) {
          mismatch = err;
          continue;
        }
        throw toAuthError(err);
      }
    }
    throw toAuthError(mismatch);
  };

  return {
    async verify(token) {
      try {
        if (token.length > config.maxTokenBytes) throw invalidRequest('token_too_large', `the token exceeds ${config.maxTokenBytes} bytes`);
        const cached = cache.get(token);
        if (cached !== undefined) {
          observe({ type: 'token_verified', issuer: cached.issuer, cached: true });
          return cached.principal;
        }
        const { payload, issuer } = await verifyUncached(token);
        const principal = principalFromClaims(payload, issuer.rolesClaim);
        cache.set(token, { principal, issuer: issuer.issuer }, (payload.exp as number) * 1000 + toleranceMs);
        observe({ type: 'token_verified', issuer: issuer.issuer, cached: false });
        return principal;
      } catch (err) {
        if (err instanceof AppError) observe({ type: 'token_rejected', code: err.code, reason: err.message });
        throw err;
      }
    },
  };
}

function buildKey(key: AuthKeyConfig, at: string, deps: Parameters<typeof createJwksSource>[2]): VerificationKey {
  let built: KeyObject | KeyLookup;
  if (key.secret !== undefined) built = createStaticKey({ secret: key.secret }, key.algorithms, at);
  else if (key.publicKey !== undefined) built = createStaticKey({ publicKey: key.publicKey }, key.algorithms, at);
  else if (key.jwks !== undefined) built = createJwksSource(key.jwks, `${at}.jwks`, deps);
  else throw new ConfigError([`${at}: needs one of secret, publicKey, jwks`]);
  return { kid: key.kid, algorithms: key.algorithms, key: built };
}

function issuerVerifier(issuer: AuthIssuerConfig, keys: VerificationKey[], config: AuthConfig): IssuerVerifier {
  return {
    issuer: issuer.issuer,
    audience: typeof issuer.audience === 'string' ? issuer.audience : [...issuer.audience],
    typ: issuer.requiredTyp ?? config.requiredTyp,
    rolesClaim: issuer.rolesClaim ?? config.rolesClaim,
    keys,
  };
}

function isKeyMismatch(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
}

/** jose's error codes → our 401s. The descriptions are fixed strings: nothing from the token is echoed. */
function toAuthError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const { code, claim, reason } = (err ?? {}) as { code?: string; claim?: string; reason?: string };
  const fail = (description: string): AppError => invalidToken('invalid_token', description, { cause: err });
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken('token_expired', 'the token has expired', { cause: err });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return fail(`the token has no ${claim ?? 'required'} claim`);
      if (claim === 'nbf') return fail('the token is not valid yet');
      if (claim === 'iss') return fail('the token issuer is not trusted');
      if (claim === 'aud') return fail('the token is not meant for this audience');
      if (claim === 'typ') return fail('the token typ header is not accepted');
      return fail('the token claims are invalid');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail('the token signature is invalid');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return fail('no key is known for the token kid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return fail('the token algorithm is not accepted');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return fail('the token is not a well-formed JWT');
    default:
      return fail('the token is invalid');
  }
}

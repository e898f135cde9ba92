// mintToken: development tokens for a configured issuer, signed with its HMAC secret or a given private key.
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AuthConfig, AuthIssuerConfig, JwsAlgorithm } from '../config/types.js';

export interface MintTokenOptions {
  readonly subject: string;
  readonly scopes?: readonly string[];
  readonly clientId?: string;
  /** Lifetime in seconds (default 3600). */
  readonly ttlSeconds?: number;
  /** Further claims; the registered ones (iss, aud, sub, exp, iat, nbf, jti) cannot be set this way. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** `iss` of the issuer to mint for (default: the first configured issuer). */
  readonly issuer?: string;
  /** Sign with this private key instead of the issuer's HMAC secret. */
  readonly privateKey?: KeyObject;
  /** Algorithm for `privateKey` (default: inferred from the key type). */
  readonly algorithm?: JwsAlgorithm;
  readonly kid?: string;
  readonly now?: () => number;
}

/** A bad request for a token: unknown issuer, no usable key, a reserved claim. */
export class MintTokenError extends Error {}

const RESERVED = new Set(['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti']);

export async function mintToken(auth: AuthConfig, options: MintTokenOptions): Promise<string> {
  const issuer = pickIssuer(auth, options.issuer);
  const reserved = Object.keys(options.claims ?? {}).filter((name) => RESERVED.has(name));
  if (reserved.length > 0) throw new MintTokenError(`claims ${reserved.join(', ')} are set from the configuration and options, not by --claim`);
  const { key, alg, kid } = signingKey(issuer, options);
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const ttl = options.ttlSeconds ?? 3600;
  const payload: Record<string, unknown> = { ...options.claims };
  if (options.scopes !== undefined && options.scopes.length > 0) payload.scope = options.scopes.join(' ');
  if (options.clientId !== undefined) payload.client_id = options.clientId;
  const typ = issuer.requiredTyp ?? auth.requiredTyp;
  return new SignJWT(payload)
    .setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }), ...(typ === undefined ? {} : { typ }) })
    .setIssuer(issuer.issuer)
    .setAudience(typeof issuer.audience === 'string' ? issuer.audience : (issuer.audience[0] as string))
    .setSubject(options.subject)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ttl)
    .setJti(randomUUID())
    .sign(key);
}

function pickIssuer(auth: AuthConfig, name: string | undefined): AuthIssuerConfig {
  if (auth.issuers.length === 0) throw new MintTokenError('the configuration has no auth.issuers');
  if (name === undefined) return auth.issuers[0] as AuthIssuerConfig;
  const found = auth.issuers.find((i) => i.issuer === name);
  if (found === undefined) throw new MintTokenError(`no issuer ${name} in auth.issuers (configured: ${auth.issuers.map((i) => i.issuer).join(', ')})`);
  return found;
}

function signingKey(issuer: AuthIssuerConfig, options: MintTokenOptions): { key: KeyObject; alg: JwsAlgorithm; kid: string | undefined } {
  if (options.privateKey !== undefined) {
    const alg = options.algorithm ?? inferAlgorithm(options.privateKey);
    return { key: options.privateKey, alg, kid: options.kid };
  }
  const hmac = issuer.keys.find((k) => k.secret !== undefined && (options.kid === undefined || k.kid === options.kid));
  if (hmac?.secret === undefined) {
    throw new MintTokenError(`issuer ${issuer.issuer} has no HMAC secret${options.kid ? ` with kid ${options.kid}` : ''}; pass a private key`);
  }
  const alg = options.algorithm ?? (hmac.algorithms[0] as JwsAlgorithm);
  if (!hmac.algorithms.includes(alg)) throw new MintTokenError(`the HMAC key accepts ${hmac.algorithms.join(', ')}, not ${alg}`);
  return { key: createSecretKey(Buffer.from(hmac.secret, 'utf8')), alg, kid: hmac.kid };
}

function inferAlgorithm(key: KeyObject): JwsAlgorithm {
  if (key.type !== 'private') throw new MintTokenError('the signing key must be a private key');
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      throw new MintTokenError(`EC curve ${curve ?? 'unknown'} is not supported`);
    }
    default:
      throw new MintTokenError(`${key.asymmetricKeyType ?? 'this'} keys cannot sign JWTs here`);
  }
}

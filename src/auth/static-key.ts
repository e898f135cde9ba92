// Configured HMAC secrets and PEM public keys → KeyObjects, checked against the algorithms they are pinned to.
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from '../config/types.js';
import { ConfigError } from '../errors/app-error.js';

const HMAC_BYTES: Partial<Record<JwsAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const EC_CURVES: Partial<Record<JwsAlgorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * An HMAC secret verifies only HS* and a public key only its own family. Checking this at start-up means a
 * token can never make an RSA public key act as an HMAC secret (key confusion), whatever its header says.
 */
export function createStaticKey(
  source: { readonly secret: string } | { readonly publicKey: string },
  algorithms: readonly JwsAlgorithm[],
  at: string,
): KeyObject {
  if ('secret' in source) return secretKey(source.secret, algorithms, at);
  return publicKey(source.publicKey, algorithms, at);
}

function secretKey(secret: string, algorithms: readonly JwsAlgorithm[], at: string): KeyObject {
  const bytes = Buffer.from(secret, 'utf8');
  const problems: string[] = [];
  for (const alg of algorithms) {
    const needed = HMAC_BYTES[alg];
    if (needed === undefined) problems.push(`${at}.algorithms: ${alg} cannot be verified with an HMAC secret`);
    else if (bytes.length < needed) problems.push(`${at}.secret: ${alg} needs a secret of at least ${needed} bytes (RFC 7518 §3.2)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return createSecretKey(bytes);
}

function publicKey(pem: string, algorithms: readonly JwsAlgorithm[], at: string): KeyObject {
  if (/PRIVATE KEY-----/.test(pem)) throw new ConfigError([`${at}.publicKey: holds a private key; configure only its public half`]);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new ConfigError([`${at}.publicKey: is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)`]);
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const problems: string[] = [];
  for (const alg of algorithms) {
    const fits =
      alg.startsWith('RS') ? type === 'rsa'
      : alg.startsWith('PS') ? type === 'rsa' || type === 'rsa-pss'
      : alg.startsWith('ES') ? type === 'ec' && details.namedCurve === EC_CURVES[alg]
      : alg === 'EdDSA' || alg === 'Ed25519' ? type === 'ed25519'
      : false;
    if (!fits) problems.push(`${at}.algorithms: ${alg} does not fit this ${describe(key)} key`);
  }
  if ((type === 'rsa' || type === 'rsa-pss') && (details.modulusLength ?? 0) < 2048) {
    problems.push(`${at}.publicKey: RSA keys must have at least 2048 bits`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return key;
}

function describe(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType ?? 'unknown'} (${curve})` : (key.asymmetricKeyType ?? 'unknown');
}

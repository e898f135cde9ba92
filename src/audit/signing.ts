// Ed25519 checkpoint signing: the private key from configuration (or one made for this process), trusted public keys.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors/app-error.js';

export interface CheckpointSigner {
  readonly keyId: string;
  /** SPKI DER, base64: stored with each checkpoint so a reader can tell which key signed it. */
  readonly publicKey: string;
  /** Whether the key came from configuration (false: made at start-up, trusted only by this process). */
  readonly configured: boolean;
  sign(payload: string): string;
}

export interface TrustedKeys {
  /** Whether `signature` (base64) is a valid signature of `payload` by the trusted key `keyId`. */
  verify(keyId: string, payload: string, signature: string): 'valid' | 'invalid' | 'unknown_key';
}

export function createSigner(privateKeyPem: string | undefined): CheckpointSigner {
  let privateKey: KeyObject;
  if (privateKeyPem === undefined) {
    privateKey = generateKeyPairSync('ed25519').privateKey;
  } else {
    try {
      privateKey = createPrivateKey(privateKeyPem);
    } catch (err) {
      throw new ConfigError([`audit.signingKey: not a PEM private key (${(err as Error).message})`]);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError([`audit.signingKey: must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`]);
    }
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: keyIdOf(der),
    publicKey: der.toString('base64'),
    configured: privateKeyPem !== undefined,
    sign: (payload) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64'),
  };
}

/** Public keys in PEM (SPKI) or, for the running signer, base64 DER. */
export function createTrustedKeys(publicKeys: ReadonlyArray<string | KeyObject>): TrustedKeys {
  const byId = new Map<string, KeyObject>();
  for (const key of publicKeys) {
    let object: KeyObject;
    try {
      object =
        typeof key !== 'string'
          ? key
          : key.includes('-----BEGIN')
            ? createPublicKey(key)
            : createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
    } catch (err) {
      throw new ConfigError([`audit.trustedKeys: not a public key (${(err as Error).message})`]);
    }
    if (object.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError([`audit.trustedKeys: must be Ed25519 keys, not ${object.asymmetricKeyType ?? 'unknown'}`]);
    }
    byId.set(keyIdOf(object.export({ type: 'spki', format: 'der' })), object);
  }
  return {
    verify(keyId, payload, signature) {
      const key = byId.get(keyId);
      if (!key) return 'unknown_key';
      try {
        return verify(null, Buffer.from(payload, 'utf8'), key, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
      } catch {
        return 'invalid';
      }
    },
  };
}

/** The keys a verifier trusts: the signer's own (configured or not) plus the configured extra keys. */
export function trustedKeysFor(signer: CheckpointSigner | undefined, extra: readonly string[]): TrustedKeys {
  return createTrustedKeys([...(signer ? [signer.publicKey] : []), ...extra]);
}

function keyIdOf(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);
}

// Who owns a key and what request it was first used for, as digests: the store keeps neither tokens nor bodies of
// requests, only what it needs to tell "the same caller" and "the same request" apart.
import { createHash } from 'node:crypto';
import type { Principal } from '../auth/principal.js';

/**
 * The caller a key belongs to: issuer, subject and client id of the token. Anonymous callers (authentication off)
 * share one owner, as they share everything else.
 */
export function keyOwner(principal: Principal | undefined): string {
  if (principal === undefined) return 'anonymous';
  const issuer = typeof principal.claims.iss === 'string' ? principal.claims.iss : '';
  return digest(JSON.stringify(['principal', issuer, principal.subject, principal.clientId ?? null]));
}

export interface RequestShape {
  readonly method: string;
  /** As sent, percent-encoded. */
  readonly path: string;
  /** The raw query string. */
  readonly query: string;
  /** The Prefer header: it changes what the write answers (return=minimal, resolution=…). */
  readonly prefer: string | undefined;
  /** The parsed JSON body (undefined: none). */
  readonly body: unknown;
}

/** Method, path, query, Prefer and the body's digest: a retry must match all of them to be answered from the store. */
export function requestFingerprint(shape: RequestShape): string {
  const body = shape.body === undefined ? '' : digest(JSON.stringify(shape.body));
  return digest(JSON.stringify([shape.method.toUpperCase(), shape.path, shape.query, shape.prefer ?? null, body]));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

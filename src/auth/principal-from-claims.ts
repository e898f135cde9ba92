// Verified JWT claims → Principal: subject, client id, scopes (`scope` / `scp`), roles (a configured claim path).
import type { Principal } from './principal.js';
import { invalidToken } from './unauthenticated.js';

/**
 * Scopes come from `scope` (RFC 8693 / RFC 9068: space-separated string) and `scp` (Okta: array; Entra ID:
 * space-separated string); a token carrying both gets the union. Roles come from `rolesClaim`, a dotted path
 * (`realm_access.roles`); a claim whose own name contains dots (`https://example.com/roles`) is matched whole
 * first. The claims are frozen: one Principal may be shared by many requests through the token cache.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>, rolesClaim: string): Principal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') throw invalidToken('invalid_token', 'the token has no sub claim');
  const clientId = firstString(claims.client_id, claims.azp);
  const jti = claims.jti;
  return {
    subject,
    clientId,
    scopes: new Set([...words(claims.scope), ...words(claims.scp)]),
    roles: new Set(words(claimAt(claims, rolesClaim))),
    tokenId: typeof jti === 'string' && jti !== '' ? jti : undefined,
    claims: deepFreeze(structuredClone(claims) as Record<string, unknown>),
  };
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

/** A space-separated string or an array of strings → its non-empty words; anything else → none. */
function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((w) => w !== '');
  if (Array.isArray(value)) return value.filter((w): w is string => typeof w === 'string' && w !== '');
  return [];
}

function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

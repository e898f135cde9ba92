// Stage 4: `Authorization: Bearer <JWT>` → the caller's Principal (401 otherwise), or the explicit anonymous caller.
import type { TokenVerifier } from '../auth/token-verifier.js';
import { invalidRequest, missingToken } from '../auth/unauthenticated.js';
import type { Addressed, Authenticated } from './exchange.js';
import { AUTH_DISABLED, NO_TOKEN } from './exchange.js';

export interface AuthenticateOptions {
  /** true: a request without an Authorization header goes on as the anonymous caller (policies decide); false: 401. */
  readonly anonymous: boolean;
  readonly maxTokenBytes: number;
}

/** RFC 6750 §2.1 b64token, preceded by the scheme and at least one space (RFC 7235 §2.1: 1*SP). */
const BEARER = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Strict by design. Only the header is read (a token in the query string or body, RFC 6750 §2.2–2.3, is
 * ignored: URLs end up in logs). Exactly one Authorization header, counted in the raw headers because Node keeps
 * only the first of duplicates in `headers`, lest two layers see different credentials. The scheme is matched
 * case-insensitively (RFC 7235 §2.1). An oversized header is refused by its length before any parsing or hashing.
 */
export function authenticateStage(verifier: TokenVerifier, options: AuthenticateOptions): (x: Addressed) => Promise<Authenticated> {
  return async (x) => {
    const value = x.headers.authorization;
    if (value === undefined) {
      if (options.anonymous) return { ...x, caller: NO_TOKEN };
      throw missingToken();
    }
    if (authorizationHeaderCount(x.message.rawHeaders) > 1) {
      throw invalidRequest('invalid_authorization_header', 'send exactly one Authorization header');
    }
    // Room for the scheme and a few spaces; the token itself is measured again below.
    if (value.length > options.maxTokenBytes + 32) throw invalidRequest('token_too_large', `the token exceeds ${options.maxTokenBytes} bytes`);
    const match = BEARER.exec(value);
    if (match === null) throw invalidRequest('invalid_authorization_header', 'expected Authorization: Bearer <token>');
    if ((match[1] as string).toLowerCase() !== 'bearer') {
      throw invalidRequest('invalid_authorization_header', 'only the Bearer authorization scheme is accepted');
    }
    const token = match[2] as string;
    if (token.length > options.maxTokenBytes) throw invalidRequest('token_too_large', `the token exceeds ${options.maxTokenBytes} bytes`);
    return { ...x, caller: await verifier.verify(token) };
  };
}

/** With authentication switched off, every request is the anonymous caller for whom policies do not apply. */
export function authenticationOffStage(): (x: Addressed) => Authenticated {
  return (x) => ({ ...x, caller: AUTH_DISABLED });
}

function authorizationHeaderCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === 13 && (raw[i] as string).toLowerCase() === 'authorization') n++;
  return n;
}

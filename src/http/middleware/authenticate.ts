// Pipeline step 4: `Authorization: Bearer <JWT>` → the request's Principal (or 401). Mounted after the health and docs routes.
import type { RequestHandler } from 'express';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import { invalidRequest, missingToken } from '../../auth/unauthenticated.js';
import { contextOf } from '../context.js';

export interface AuthenticateOptions {
  /** true: a request without an Authorization header goes on with no principal (policies decide); false: 401. */
  readonly anonymous: boolean;
  readonly maxTokenBytes: number;
}

/** RFC 6750 §2.1 b64token, preceded by the scheme and at least one space (RFC 7235 §2.1: 1*SP). */
const BEARER = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Strict by design. Only the header is read (a token in the query string or body, RFC 6750 §2.2–2.3, is
 * ignored: URLs end up in logs). Exactly one Authorization header: Node keeps only the first of duplicates in
 * `req.headers`, so they are counted in `headersDistinct`, lest two layers see different credentials. The
 * scheme is matched case-insensitively (RFC 7235 §2.1: `bearer` and `BEARER` are `Bearer`). An oversized
 * header is refused by its length before any parsing or hashing.
 */
export function authenticate(verifier: TokenVerifier, options: AuthenticateOptions): RequestHandler {
  return async (req, _res, next) => {
    const values = req.headersDistinct.authorization ?? [];
    if (values.length === 0) {
      if (options.anonymous) return next();
      throw missingToken();
    }
    if (values.length > 1) throw invalidRequest('invalid_authorization_header', 'send exactly one Authorization header');
    const value = values[0] as string;
    // Room for the scheme and a few spaces; the token itself is measured again below.
    if (value.length > options.maxTokenBytes + 32) throw invalidRequest('token_too_large', `the token exceeds ${options.maxTokenBytes} bytes`);
    const match = BEARER.exec(value);
    if (match === null) throw invalidRequest('invalid_authorization_header', 'expected Authorization: Bearer <token>');
    if ((match[1] as string).toLowerCase() !== 'bearer') {
      throw invalidRequest('invalid_authorization_header', 'only the Bearer authorization scheme is accepted');
    }
    const token = match[2] as string;
    if (token.length > options.maxTokenBytes) throw invalidRequest('token_too_large', `the token exceeds ${options.maxTokenBytes} bytes`);
    contextOf(req).principal = await verifier.verify(token);
    next();
  };
}

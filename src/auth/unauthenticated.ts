// The 401 answers of authentication: stable codes and their RFC 6750 `WWW-Authenticate` challenges.
import { UnauthenticatedError, type AppErrorOptions } from '../errors/app-error.js';

export const AUTH_REALM = 'gatehouse';

/**
 * `missing_token`: no credentials at all. `invalid_authorization_header` / `token_too_large`: the header
 * itself is unusable (RFC 6750 `invalid_request`). `invalid_token` / `token_expired`: a token that fails
 * verification (RFC 6750 `invalid_token`).
 */
export type AuthFailureCode =
  | 'missing_token'
  | 'invalid_authorization_header'
  | 'token_too_large'
  | 'invalid_token'
  | 'token_expired';

/** RFC 6750 §3: without credentials the challenge names no error, so clients know to go and get a token. */
export function missingToken(): UnauthenticatedError {
  return new UnauthenticatedError('missing_token', 'a bearer token is required', `Bearer realm="${AUTH_REALM}"`);
}

/**
 * The header is malformed, duplicated or too large. RFC 6750 suggests 400 for `invalid_request`; we answer
 * 401 so that every authentication failure looks the same to a client and to the audit log.
 */
export function invalidRequest(code: 'invalid_authorization_header' | 'token_too_large', description: string): UnauthenticatedError {
  return challenge(code, 'invalid_request', description);
}

export function invalidToken(
  code: 'invalid_token' | 'token_expired',
  description: string,
  options?: Pick<AppErrorOptions, 'cause'>,
): UnauthenticatedError {
  return challenge(code, 'invalid_token', description, options);
}

function challenge(
  code: AuthFailureCode,
  error: 'invalid_request' | 'invalid_token',
  description: string,
  options?: Pick<AppErrorOptions, 'cause'>,
): UnauthenticatedError {
  // RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
  const safe = description.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return new UnauthenticatedError(
    code,
    description,
    `Bearer realm="${AUTH_REALM}", error="${error}", error_description="${safe}"`,
    options,
  );
}

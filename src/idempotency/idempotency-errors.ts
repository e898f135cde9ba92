// The answers the Idempotency-Key stage can end a write with (IETF httpapi idempotency-key-header draft, section 2.7).
import { AppError, ValidationError } from '../errors/app-error.js';

/** 400: the header is empty, too long, repeated, or holds characters a key may not have. */
export class InvalidIdempotencyKeyError extends ValidationError {
  constructor(why: string) {
    super('invalid_idempotency_key', `the Idempotency-Key header ${why}`, {
      hint: 'send one key of 1 to 255 characters from A-Z a-z 0-9 - _ . : ~ + / =, e.g. a UUID',
    });
  }
}

/** 422: the key was first used with another request (method, path, query, Prefer or body); nothing was run. */
export class IdempotencyKeyMismatchError extends AppError {
  constructor() {
    super('idempotency_key_mismatch', 422, 'this Idempotency-Key was used for a different request; use a new key for a new request');
  }
}

/** 409: the first request with this key has not been answered yet; nothing was run for this one. */
export class IdempotencyKeyInUseError extends AppError {
  constructor() {
    super('idempotency_key_in_use', 409, 'a request with this Idempotency-Key is still being processed; retry after `Retry-After` seconds', {
      headers: { 'Retry-After': '1' },
    });
  }
}

/** 503: the store that keeps the keys cannot be reached, so the key cannot be checked; nothing was run. */
export class IdempotencyUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('idempotency_unavailable', 503, 'the Idempotency-Key cannot be checked now; nothing was changed: retry later', {
      headers: { 'Retry-After': '2' },
      cause,
    });
  }
}

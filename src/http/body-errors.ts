// Request-body read failures that body-parser reports without a type of its own: a body that does not decode under
// its Content-Encoding (gzip, deflate, br) or does not match its Content-Length. The client's fault: 400, not 500.
import { type AppError, ValidationError } from '../errors/app-error.js';

interface ReadFailure {
  readonly status?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly errno?: unknown;
}

/** The 400 for such a failure, or undefined when `err` is something else (left to the caller's mapping). */
export function bodyReadError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ReadFailure;
  if (e.status !== 400) return undefined;
  // zlib and brotli stream errors carry a string code and a numeric errno (Z_DATA_ERROR, ERR__ERROR_FORMAT_…).
  if (e.type === undefined && typeof e.code === 'string' && typeof e.errno === 'number') {
    return new ValidationError('invalid_content_encoding', 'the request body is not valid for its Content-Encoding', {
      cause: err,
      hint: 'send the body as encoded by Content-Encoding (gzip, deflate or br), or without that header',
    });
  }
  if (e.type === 'request.size.invalid') {
    return new ValidationError('invalid_body', 'the request body is not as long as its Content-Length says', { cause: err });
  }
  return undefined;
}

// What a request is answered with, as data: status, headers, body. One function writes it (send.ts); problems become
// replies here, in the one place an error turns into an RFC 9457 body.
import { AppError, InternalError } from '../errors/app-error.js';
import { problemBody } from '../http/problem.js';

export type HeaderValue = string | number | readonly string[];

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** The whole body as text (one write with the headers), or undefined for none. */
  readonly body: string | undefined;
  /** Rows returned or changed, for the audit event and the request log. */
  readonly rows: number | undefined;
  readonly error: AppError | undefined;
  /** A streamed body (an export): written chunk by chunk with backpressure after the headers; `body` is then unset. */
  readonly stream?: BodyStream;
}

export interface BodyStream {
  readonly chunks: AsyncIterable<string>;
  /** Rows written so far (final once `chunks` is done). */
  rows(): number;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function jsonReply(status: number, headers: Record<string, HeaderValue>, value: unknown, rows: number | undefined): Reply {
  return { status, headers: { ...headers, 'Content-Type': JSON_TYPE }, body: JSON.stringify(value), rows, error: undefined };
}

export function emptyReply(status: number, headers: Record<string, HeaderValue>, rows: number | undefined): Reply {
  return { status, headers, body: undefined, rows, error: undefined };
}

/** Any error → its problem reply. An error that is not an AppError is a 500 that shows nothing. */
export function problemReply(err: unknown, instance: string, requestId: string): Reply {
  const error = toAppError(err);
  return {
    status: error.status,
    headers: { ...error.headers, 'Content-Type': PROBLEM_TYPE },
    body: JSON.stringify(problemBody(error, instance, requestId)),
    rows: undefined,
    error,
  };
}

export function toAppError(err: unknown): AppError {
  return err instanceof AppError ? err : new InternalError('unexpected error', { cause: err });
}

// The one error handler: any error → RFC 9457 problem; unknown errors are logged and shown as a bare 500.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, InternalError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { contextOf } from '../context.js';
import { bodyReadError } from '../body-errors.js';
import { sendProblem } from '../problem.js';

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError('not_found', `no endpoint at ${req.path}`));
}

export function errorHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const ctx = contextOf(req);
    const error = toAppError(err, bodyLimit);
    ctx.errorCode = error.code;
    if (error.status >= 500) {
      logger.error('request failed', {
        event: 'request_error',
        requestId: ctx.requestId,
        code: error.code,
        error: describeCause(err),
      });
    }
    if (res.headersSent) {
      // A streamed response already started: all we can do is cut it, so the client sees it incomplete.
      res.destroy();
      return next === undefined ? undefined : undefined;
    }
    sendProblem(res, error, req.originalUrl.split('?')[0] ?? req.path, ctx.requestId);
  };
}

/** body-parser errors carry `type`; anything else unknown becomes a 500 that shows nothing. */
function toAppError(err: unknown, bodyLimit: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number } | undefined;
  switch (e?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'entity.parse.failed':
      return new ValidationError('malformed_json', 'the request body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('the request body must be UTF-8 JSON');
    case 'request.aborted':
      return new ValidationError('request_aborted', 'the request body was not completely received');
    default:
      return bodyReadError(err) ?? new InternalError('unexpected error', { cause: err });
  }
}

function describeCause(err: unknown): Record<string, unknown> {
  const root = err instanceof AppError && err.cause !== undefined ? err.cause : err;
  if (root instanceof Error) {
    const withCode = root as Error & { code?: string };
    return { name: root.name, message: root.message, code: withCode.code, stack: root.stack };
  }
  return { value: String(root) };
}

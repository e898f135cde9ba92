// Errors on the gateway's own endpoints: the same problem replies as data operations, written through Express's
// response (so the audit hold sees them), and the request log line for these requests.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import { repeatedFailureLog } from '../observability/repeated-failure-log.js';
import { problemReply, type Reply } from '../pipeline/reply.js';
import { findOwnRequest, ownRequest } from './own-request.js';

/**
 * Nothing answered: 405 with `Allow` on one of the gateway's own paths (`methods`: template → methods served), else
 * 404. The templates are few; `{name}` matches one segment.
 */
export function ownNotFound(methods: ReadonlyMap<string, readonly string[]>): RequestHandler {
  const templates = [...methods].map(([template, allowed]) => ({
    pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`),
    allowed,
  }));
  return (req, _res, next) => {
    const known = templates.find((t) => t.pattern.test(req.path));
    if (known && !known.allowed.includes(req.method)) return next(new MethodNotAllowedError(known.allowed));
    next(new NotFoundError('not_found', `no endpoint at ${req.path}`));
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function ownErrorHandler(logger: Logger): ErrorRequestHandler {
  const failures = repeatedFailureLog(logger);
  return (err: unknown, req, res, _next) => {
    const state = findOwnRequest(res);
    const path = req.originalUrl.split('?')[0] ?? req.path;
    const reply = problemReply(err, path, state?.reached.id ?? '');
    if (state) state.error = reply.error;
    if (reply.status >= 500) {
      const root = reply.error?.cause ?? err;
      failures.failed({
        requestId: state?.reached.id ?? '',
        code: reply.error?.code ?? 'internal_error',
        status: reply.status,
        error: root instanceof Error ? { name: root.name, message: root.message, code: (root as Error & { code?: string }).code, stack: root.stack } : { value: String(root) },
      });
    }
    if (res.headersSent) {
      // A streamed response already started: all we can do is cut it, so the client sees it incomplete.
      res.destroy();
      return;
    }
    writeReply(res, reply);
  };
}

/** A reply through Express's response, header by header (the audit hold may still replace it with a 503). */
export function writeReply(res: Response, reply: Reply): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value as string | number | string[]);
  res.end(reply.body);
}

/** One JSON log line per request, written when the response finishes (or the client goes away). */
export function ownRequestLog(logger: Logger, enabled: boolean): RequestHandler {
  return (req, res, next) => {
    if (!enabled) return next();
    let logged = false;
    const log = (): void => {
      if (logged) return;
      logged = true;
      const state = ownRequest(res);
      logger.info('request', {
        event: 'request',
        requestId: state.reached.id,
        method: req.method,
        path: req.path,
        status: res.headersSent ? res.statusCode : 499,
        code: state.error?.code,
        rows: state.rows,
        latencyMs: Math.round((Number(process.hrtime.bigint() - state.reached.startedAt) / 1e6) * 100) / 100,
        remoteAddress: req.socket.remoteAddress,
      });
    };
    res.on('finish', log);
    res.on('close', log);
    next();
  };
}
